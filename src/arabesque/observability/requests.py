"""What every HTTP request leaves behind: a request id, an access log line, a histogram sample and a span.

`ObserveRequests` is the outermost middleware of the application (`asgi.py`), so it sees every answer, a 413 from
the body limit and the pages' included. For each request it

- takes the caller's `X-Request-ID` when it is a plain token (letters, digits, `-_.:`, at most 128), else makes
  one, binds it to every log line of the request (the threads a handler runs in included) and echoes it in the
  response's `X-Request-ID`;
- once answered, logs `request` with `method`, `route` (the route template, e.g.
  `/api/v1/external/workflows/{runtime_id}`, never the raw path), `status`, `duration_ms`, and the `project_id`
  and `runtime_id` the handlers annotated (`logs.annotate`) or the path named;
- observes `arabesque_http_request_duration_seconds` with the same method, route and status: the template keeps
  the label's values few whatever paths clients send (an unknown method is `OTHER`, an unrouted path
  `unmatched`);
- with tracing on, runs the request in a server span named `METHOD route`.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arabesque.observability import tracing
from arabesque.observability.logs import bind_fields, get_logger, reset_fields
from arabesque.observability.metrics import HTTP_REQUEST_DURATION

__all__ = ["ObserveRequests", "route_template"]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_RUNTIME_PARAMS = ("runtime_id", "case_id")  # the API's and the pages' name for a workflow runtime's id

access = get_logger("arabesque.access")


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/cases/{case_id}`, mounts' prefixes included); within a mount that
    answered by itself (static files) `<prefix>/{path}`; nothing routed: `unmatched`.

    Read from what routing left in the scope: the endpoint's route (`scope["route"]`) and the prefix of the mounts
    it went through (`root_path`, less the server's own). FastAPI versions differ in whether a mount itself is
    left in `scope["route"]`, so a mount counts only by its prefix."""
    route = scope.get("route")
    root = str(scope.get("root_path", ""))[len(str(scope.get("app_root_path", ""))) :]
    path = getattr(route, "path", None)
    if route is not None and path and not isinstance(route, Mount):
        return f"{root}{path}"
    return f"{root}/{{path}}" if root else "unmatched"


class ObserveRequests:
    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        status = 500  # unless a response starts: an exception the server turns into its own 500
        echoed = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            await send(message)

        route = "unmatched"
        token = bind_fields(request_id=request_id)
        started = time.perf_counter()
        try:
            with tracing.request_span(method, scope.get("path", ""), headers) as span:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    route = route_template(scope)
                    if span is not None:
                        span.update_name(f"{method} {route}")
                        span.set_attribute("http.route", route)
                        span.set_attribute("http.response.status_code", status)
        finally:
            duration = time.perf_counter() - started
            HTTP_REQUEST_DURATION.labels(method, route, str(status)).observe(duration)
            if self.access_log:
                self._log(scope, method, route, status, duration)
            reset_fields(token)

    @staticmethod
    def _log(scope: Scope, method: str, route: str, status: int, duration: float) -> None:
        fields: dict[str, Any] = {}
        params = scope.get("path_params") or {}
        for name in _RUNTIME_PARAMS:
            value = params.get(name)
            if isinstance(value, str):
                fields["runtime_id"] = value[:100]  # bounded: it is whatever the client put in the path
        access.info(
            "request", method=method, route=route, status=status, duration_ms=round(duration * 1000, 2), **fields
        )
