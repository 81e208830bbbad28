"""`POST /workflows/run` and `POST /workflows/{runtime_id}/event` without FastAPI's routing and dependency
resolution: the two requests integrators send most, served by the same endpoint functions (`api/workflows.py`).

For these two requests FastAPI's per-request machinery (matching the route among all the API's and the pages'
routes, solving five dependencies, two nested middlewares) cost about as much CPU as the use case above the
database driver (bench/README.md). This middleware, the innermost of the API's, serves a well-formed request
itself, one with a JSON body the route's model accepts: it resolves the endpoint's dependencies by hand, as
`api/deps.py` declares them (the API key read by the same `credentials`), and calls the endpoint in the threadpool
FastAPI would use; what the use case raises is answered as the API's error handlers answer it (`response_for`).
Anything else (another content type, a body that does not parse or validate) goes on to the route, which explains
the problem in the API's error shape: there is one validation and one error body, FastAPI's.
The routes stay declared in FastAPI, so `/docs` and the OpenAPI document are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from pydantic import BaseModel, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arabesque.api import workflows
from arabesque.api.deps import OutboundOptions, pages_for
from arabesque.api.errors import response_for
from arabesque.api.schemas import EventRequest, RunRequest
from arabesque.app.access.principal import credentials
from arabesque.store import Database

__all__ = ["HotRoutes"]

_PREFIX = "/api/v1/external/workflows/"
_RUN = _PREFIX + "run"
_EVENT = "/event"


@dataclass(frozen=True)
class _Route:
    """What the access line and the request histogram read of the route that answered (`scope["route"]`)."""

    path: str


_RUN_ROUTE = _Route(_RUN)
_EVENT_ROUTE = _Route(_PREFIX + "{runtime_id}" + _EVENT)


class HotRoutes:
    def __init__(self, app: ASGIApp, db: Database, files_dir: Path, outbound: OutboundOptions) -> None:
        self.app, self.db, self.pages = app, db, pages_for(files_dir, outbound)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        served = scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path")
        path: str = scope.get("path", "")
        if served and path == _RUN:
            await self._serve(scope, receive, send, _RUN_ROUTE, RunRequest, self._run, {})
        elif served and path.startswith(_PREFIX) and path.endswith(_EVENT) and _one_segment(path):
            runtime_id = path[len(_PREFIX) : -len(_EVENT)]
            params = {"runtime_id": runtime_id}
            await self._serve(scope, receive, send, _EVENT_ROUTE, EventRequest, self._event, params)
        else:
            await self.app(scope, receive, send)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: _Route,
        model: type[BaseModel],
        endpoint: Callable[[BaseModel, dict[str, str], dict[bytes, bytes]], Response],
        params: dict[str, str],
    ) -> None:
        headers = dict(reversed(scope["headers"]))  # the first of repeated headers, as Starlette reads them
        message = await receive()  # `BodyLimit`, outside, has read the whole body into one message
        body = _well_formed(headers, message, model)
        if body is None:
            await self.app(scope, _replay(message, receive), send)
            return
        scope["route"], scope["path_params"] = route, params
        try:
            response = await anyio.to_thread.run_sync(endpoint, body, params, headers)
        except Exception as exc:  # what the API's error handlers would answer; anything else re-raises
            known = response_for(exc)
            if known is None:
                raise
            response = known
        await response(scope, receive, send)

    def _run(self, body: BaseModel, _: dict[str, str], headers: dict[bytes, bytes]) -> Response:
        assert isinstance(body, RunRequest)
        return workflows.run(
            body,
            credentials(_header(headers, b"authorization")),
            self.db,
            self.pages,
            _header(headers, b"idempotency-key"),
        )

    def _event(self, body: BaseModel, params: dict[str, str], headers: dict[bytes, bytes]) -> Response:
        assert isinstance(body, EventRequest)
        return workflows.event(
            params["runtime_id"],
            body,
            credentials(_header(headers, b"authorization")),
            self.db,
            _header(headers, b"idempotency-key"),
        )


def _one_segment(path: str) -> bool:
    middle = path[len(_PREFIX) : -len(_EVENT)]
    return bool(middle) and "/" not in middle


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None


def _well_formed(headers: dict[bytes, bytes], message: Message, model: type[BaseModel]) -> BaseModel | None:
    """The body as the route's model, when the request is one the route would accept as it is; else None."""
    if message["type"] != "http.request" or message.get("more_body", False):
        return None
    if headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json":
        return None
    try:
        return model.model_validate(json.loads(message.get("body", b"")))
    except (ValueError, RecursionError, ValidationError):  # the route explains each
        return None


def _replay(first: Message, then: Receive) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await then()

    return receive
