"""Refuse, before any handler runs, input the databases cannot store: a NUL character or a lone UTF-16
surrogate in the path, the query string, a header value or a JSON body (keys and values, at any depth).

The answer is a 400 naming every place (`path.runtime_id`, `query.q`, `headers.idempotency-key`,
`context.entity.data.name`): the error shape on the API, a small page on the Case Management pages. Form
and multipart fields are checked where they are parsed (the web's form dependency, the file upload).

The JSON check is cheap on the hot path (run and event bodies): the raw bytes are searched for the only
escapes that can produce such text (`\\u0000`, `\\ud800`-`\\udfff`); the body is parsed and walked (in a
worker thread) only when one is there, which also tells a correctly paired surrogate or an escaped
backslash (`"\\\\u0000"`, plain text) from the real thing.
"""

from __future__ import annotations

import json
import re
from html import escape
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arabesque.api.route_table import RouteTable
from arabesque.app.input_text import json_problems, printable, text_problem

__all__ = ["InputGuard"]

_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_MESSAGE = "Invalid characters in the input"


class InputGuard:
    """ASGI middleware; `table` (the application's endpoints) names the path parameters."""

    def __init__(self, app: ASGIApp, table: RouteTable) -> None:
        self.app, self.table = app, table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems = _path_problems(scope, self.table) + _query_problems(scope) + _header_problems(scope)
        if not problems and _is_json(scope):
            body, receive = await _read_body(receive)
            if b"\\u" in body and _ESCAPE.search(body):  # `in` is a memchr-fast scan; most bodies stop here
                problems = await anyio.to_thread.run_sync(_body_problems, body)
        if problems:
            await _refusal(scope, problems)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _path_problems(scope: Scope, table: RouteTable) -> list[dict[str, str]]:
    path = str(scope.get("path", ""))
    reason = text_problem(path)
    if reason is None:
        return []
    params = table.path_params(path)
    named = [{"path": f"path.{name}", "message": r} for name, v in params.items() if (r := text_problem(str(v)))]
    return named or [{"path": "path", "message": reason}]


def _query_problems(scope: Scope) -> list[dict[str, str]]:
    raw: bytes = scope.get("query_string", b"")
    # Starlette decodes the query as UTF-8 with replacement characters: only a NUL can get through.
    if b"%00" not in raw and b"\x00" not in raw:
        return []
    problems = []
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        reason = text_problem(name) or text_problem(value)
        if reason:
            problems.append({"path": f"query.{printable(name)}", "message": reason})
    return problems or [{"path": "query", "message": "contains a NUL character"}]


def _header_problems(scope: Scope) -> list[dict[str, str]]:
    return [
        {"path": f"headers.{name.decode('latin-1')}", "message": "contains a NUL character"}
        for name, value in scope.get("headers", [])
        if b"\x00" in value
    ]


def _is_json(scope: Scope) -> bool:
    """Whether FastAPI would parse the body as JSON: a JSON media type, or none at all."""
    if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return False
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
    return True


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (BodyLimit, outside, has bounded it), and a `receive` that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), _replay([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _replay(messages: list[Message], then: Receive) -> Receive:
    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        return await then()

    return receive


def _body_problems(body: bytes) -> list[dict[str, str]]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return []  # malformed or nested past the parser's limit: the handler answers 400 for it
    return json_problems(parsed)


def _refusal(scope: Scope, problems: list[dict[str, str]]) -> Response:
    if str(scope.get("path", "")).startswith("/api/"):
        return JSONResponse({"statusCode": 400, "message": _MESSAGE, "errors": problems}, status_code=400)
    items = "".join(f"<li><code>{escape(p['path'])}</code>: {escape(p['message'])}</li>" for p in problems)
    page = f"<!doctype html><title>400 · Arabesque</title><h1>400</h1><p>{_MESSAGE}</p><ul>{items}</ul>"
    return HTMLResponse(page, status_code=400)
