"""The `Allow` header of a 405 lists every method the path answers (RFC 9110 §15.5.6).

Starlette builds it from the first route whose path matches, but a path served by several routes (GET and
PATCH of `/workflows/{id}` are two) then advertises only the first one's methods. This middleware rewrites
it from all the endpoints (the Case Management pages' too) whose pattern matches the path.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arabesque.api.route_table import RouteTable

__all__ = ["AllowHeader"]

_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class AllowHeader:
    def __init__(self, app: ASGIApp, table: RouteTable) -> None:
        self.app, self.table = app, table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 405:
                methods = self.table.methods(str(scope.get("path", "")))
                if methods:
                    allow = ", ".join(sorted(methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else 9, m)))
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                    message = {**message, "headers": [*headers, (b"allow", allow.encode("latin-1"))]}
            await send(message)

        await self.app(scope, receive, send_with_allow)
