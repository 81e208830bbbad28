"""A document upload over the file limit gets the portal's page naming the limit, not the API's JSON 413.

The whole application refuses bodies over its limit (`api.errors.BodyLimit`, 12 MB) before any page sees them;
this middleware, outside it, answers an upload to the pages that says so by its Content-Length first: the page
names the file limit (10 MB) and links back to the form. The body is drained up to a bound, so the browser
reads the answer instead of a reset connection, and no more than that bound is ever read.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from arabesque.app.files.store_file import MAX_FILE_BYTES
from arabesque.portal.render import flow_url, templates
from arabesque.portal.texts import text

__all__ = ["UploadLimit"]

ENVELOPE = 1024 * 1024  # the multipart framing and the form's other fields
DRAIN_AT_MOST = 64 * 1024 * 1024


class UploadLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/collection-flow/upload" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        length = next((v for k, v in scope.get("headers", []) if k == b"content-length"), b"")
        if not (length.isdigit() and int(length) > MAX_FILE_BYTES + ENVELOPE):
            await self.app(scope, receive, send)
            return
        if int(length) <= DRAIN_AT_MOST:
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        language = (query.get("lng") or ["en"])[0]
        language = language if language in ("en", "de") else "en"
        token = (query.get("token") or [""])[0]
        limit = MAX_FILE_BYTES // (1024 * 1024)
        page = templates.get_template("too_large.html").render(
            lang=language,
            message=text(language, "too_large", limit=limit),
            back=flow_url("/collection-flow", token, language, page=(query.get("page") or [None])[0]),
            back_text=text(language, "back"),
        )
        response = HTMLResponse(
            page, status_code=413, headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
        )
        await response(scope, receive, send)
