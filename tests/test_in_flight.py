"""Admission control: past the in-flight limit a request is refused at once with 503 and Retry-After; the
requests already admitted finish, health checks are never refused, and the limit frees up as answers go out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from arabesque.asgi import create_app
from arabesque.in_flight import InFlightLimit
from arabesque.observability.requests import ObserveRequests
from arabesque.store import Database


class Gate:
    """An ASGI app whose requests wait until the gate opens (they are then "in flight")."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.waiting += 1
        await self.open.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


async def _settle(gate: Gate, waiting: int) -> None:
    while gate.waiting < waiting:
        await asyncio.sleep(0)


def test_past_the_limit_requests_are_refused_at_once_and_admitted_ones_finish() -> None:
    asyncio.run(_past_the_limit())


async def _past_the_limit() -> None:
    gate = Gate()
    limited = InFlightLimit(gate, limit=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://test") as client:
        admitted = [asyncio.create_task(client.post("/api/v1/external/workflows/run")) for _ in range(2)]
        await _settle(gate, 2)
        refused = await client.post("/api/v1/external/workflows/run")
        page = await client.get("/cases")
        health = asyncio.create_task(client.get("/api/v1/_health/live"))  # exempt: admitted past the limit
        await _settle(gate, 3)
        gate.open.set()
        assert [r.status_code for r in await asyncio.gather(*admitted, health)] == [200, 200, 200]
        again = await client.post("/api/v1/external/workflows/run")
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert refused.json() == {"statusCode": 503, "message": "The server is busy; retry later"}
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert again.status_code == 200 and limited.in_flight == 0


def test_a_failing_request_gives_its_place_back() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    limited = InFlightLimit(broken, limit=1)
    with pytest.raises(RuntimeError):
        asyncio.run(limited({"type": "http", "path": "/api/x"}, _never, _never))
    assert limited.in_flight == 0


async def _never(*_: object) -> None:
    raise AssertionError("not called")


def test_the_application_is_wrapped_by_the_limit(tmp_path: Path) -> None:
    app = create_app(Database(f"sqlite:///{tmp_path / 'arabesque.db'}"), tmp_path / "files", max_in_flight=7)
    # inside the request's observation (its id and access line), outside everything that does work
    assert [m.cls for m in app.user_middleware][:2] == [ObserveRequests, InFlightLimit]
    assert app.user_middleware[1].kwargs == {"limit": 7}
