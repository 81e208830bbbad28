"""Admission control: at most `limit` requests in flight per process (`ARABESQUE_MAX_IN_FLIGHT`); the excess is
refused at once (503).

Offered more than it can serve, a service that queues without bound answers everyone late: latencies grow to
minutes and clients time out, retry and add to the queue. Past the limit, a request is answered 503 with
`Retry-After` straight from the event loop, before it takes a thread or a database connection, so the requests
already admitted keep their latency and a load balancer or client can send the excess elsewhere or later.

The count covers a request from its arrival to the end of its response, whatever it waits on (the threadpool, a
database connection, the body). Health checks and static files are never refused: a probe must tell an
overloaded process (which still answers) from a dead one.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "RETRY_AFTER_SECONDS", "InFlightLimit"]

# The default of `ARABESQUE_MAX_IN_FLIGHT`: three threads per process each hold a request, the rest wait. At ~250
# runs/s per process that is ~130 ms of queue at most (bench/README.md, overload). Lower, 32 closed-loop clients
# spread unevenly over two processes already meet refusals (measured at 24 and 16).
DEFAULT_MAX_IN_FLIGHT = 32
RETRY_AFTER_SECONDS = 1
_EXEMPT = ("/api/v1/_health/", "/static/", "/favicon.ico")
_MESSAGE = "The server is busy; retry later"


class InFlightLimit:
    def __init__(self, app: ASGIApp, limit: int = DEFAULT_MAX_IN_FLIGHT) -> None:
        if limit < 1:
            raise ValueError("the in-flight limit must be at least 1")
        self.app, self.limit = app, limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await _refuse(scope, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _refuse(scope: Scope, send: Send) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body = json.dumps({"statusCode": 503, "message": _MESSAGE}).encode()
        content_type = b"application/json"
    else:
        body = f"<!doctype html><title>Busy</title><p>{_MESSAGE}.</p>".encode()
        content_type = b"text/html; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
