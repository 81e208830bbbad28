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

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi.routing import APIRoute
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

# What this module resolves by hand for each endpoint; a parameter or dependency added to one of them in
# `api/workflows.py` stops the application from starting (`_route`), instead of being skipped here.
_RESOLVED = {
    workflows.run: ("body", "who", "db", "pages", "idempotency_key"),
    workflows.event: ("runtime_id", "body", "who", "db", "idempotency_key"),
}


def _route(endpoint: Callable[..., Any]) -> APIRoute:
    """The POST route of `endpoint`, checked to take exactly what `HotRoutes` gives it."""
    [route] = [r for r in workflows.router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint]
    declared = tuple(inspect.signature(endpoint).parameters)
    if declared != _RESOLVED[endpoint] or route.dependencies or route.methods != {"POST"}:
        raise RuntimeError(f"hot_routes resolves {_RESOLVED[endpoint]} for {route.path}, which declares {declared}")
    return route


class HotRoutes:
    def __init__(self, app: ASGIApp, db: Database, files_dir: Path, outbound: OutboundOptions) -> None:
        self.app, self.db, self.pages = app, db, pages_for(files_dir, outbound)
        self.run_route, self.event_route = _route(workflows.run), _route(workflows.event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == self.run_route.path:
            await self._serve(scope, receive, send, self.run_route, RunRequest, self._run, {})
        elif path.endswith("/event") and (found := self.event_route.path_regex.match(path)):
            await self._serve(scope, receive, send, self.event_route, EventRequest, self._event, found.groupdict())
        else:
            await self.app(scope, receive, send)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: APIRoute,
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
        scope["route"], scope["path_params"] = route, params  # as routing leaves them: the access line reads them
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
