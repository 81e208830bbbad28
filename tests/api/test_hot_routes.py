"""`HotRoutes` serves a well-formed run and event itself and hands every other request, body intact, to the
route behind it (the rest of the API's tests check that the answers are the route's: both paths are covered
by every run and event test through `create_app`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.responses import JSONResponse
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from arabesque.api.deps import OutboundOptions
from arabesque.api.hot_routes import HotRoutes
from arabesque.store import Database
from service_fixtures import SEED, Tenant

RUN = "/api/v1/external/workflows/run"


class Behind:
    """Stands for the FastAPI routes: answers 299 with what it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.seen.append((scope["path"], body))
        await JSONResponse({"behind": True}, status_code=299)(scope, receive, send)


def hot_client(db: Database, tmp_path: Path) -> tuple[TestClient, Behind]:
    behind = Behind()
    return TestClient(HotRoutes(behind, db, tmp_path / "files", OutboundOptions())), behind


def test_a_well_formed_run_and_event_are_served_without_the_route(db: Database, tenant: Tenant, tmp_path: Path) -> None:
    client, behind = hot_client(db, tmp_path)
    ran = client.post(RUN, json=SEED, headers=tenant.headers)
    assert ran.status_code == 200, ran.text
    runtime_id = ran.json()["workflowRuntimeId"]
    event = client.post(
        f"/api/v1/external/workflows/{runtime_id}/event",
        json={"name": "UPDATE_CONTEXT", "payload": {"context": {"review": {"n": 1}}}},
        headers=tenant.headers,
    )
    assert event.status_code == 200, event.text
    assert event.json()["context"]["review"] == {"n": 1}
    assert behind.seen == []


def test_a_use_case_error_is_answered_in_the_api_error_shape(db: Database, tenant: Tenant, tmp_path: Path) -> None:
    client, behind = hot_client(db, tmp_path)
    unknown = client.post(RUN, json={**SEED, "workflowId": "no-such-definition"}, headers=tenant.headers)
    assert unknown.status_code == 404
    assert unknown.json()["statusCode"] == 404
    unauthenticated = client.post(RUN, json=SEED, headers={"Authorization": "Basic abc"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["message"] == "Authorization must be 'Bearer <api key>'"
    assert behind.seen == []


def test_every_other_request_reaches_the_route_with_its_body(db: Database, tenant: Tenant, tmp_path: Path) -> None:
    client, behind = hot_client(db, tmp_path)
    cases: list[tuple[str, bytes, dict[str, str]]] = [
        (RUN, b"{not json", {"content-type": "application/json"}),
        (RUN, json.dumps({"context": {}}).encode(), {"content-type": "application/json"}),  # no workflowId
        (RUN, json.dumps(SEED).encode(), {"content-type": "text/plain"}),
        (RUN, b"[" * 100_000, {"content-type": "application/json"}),  # nested past the parser's recursion limit
        ("/api/v1/external/workflows/a/b/event", b'{"name": "x"}', {"content-type": "application/json"}),
        ("/api/v1/external/workflows//event", b'{"name": "x"}', {"content-type": "application/json"}),
        ("/api/v1/external/workflows/abc/event", b'{"name": ""}', {"content-type": "application/json"}),
    ]
    for path, body, headers in cases:
        response = client.post(path, content=body, headers={**headers, **tenant.headers})
        assert response.status_code == 299, (path, body[:40])
    assert behind.seen == [(path, body) for path, body, _ in cases]
    assert client.get(RUN).status_code == 299  # another method


def test_an_endpoint_taking_what_the_hot_routes_do_not_give_stops_the_start(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arabesque.api import hot_routes, workflows

    # as if `run` had gained a parameter (say, a rate-limit dependency) that only FastAPI would resolve
    monkeypatch.setitem(hot_routes._RESOLVED, workflows.run, ("body", "who", "db", "pages"))
    with pytest.raises(RuntimeError, match="/api/v1/external/workflows/run"):
        HotRoutes(Behind(), db, tmp_path / "files", OutboundOptions())
