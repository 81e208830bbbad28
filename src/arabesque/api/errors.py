"""Every error as `{"statusCode", "message", "errors"?: [{"path", "message"}]}`, and the body size limit.

A database outage (connection refused or lost, pool exhausted) is a 503 with `Retry-After`, like the
readiness probe's answer, not a 500: the request was fine and can be sent again.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arabesque.app.errors import AppError
from arabesque.http_status import status_of
from arabesque.store import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, database_unavailable

__all__ = [
    "RETRY_AFTER_SECONDS",
    "BodyLimit",
    "error_body",
    "install_error_handlers",
    "response_for",
    "unavailable_response",
]

log = logging.getLogger("arabesque.api")

VALUE_DOES_NOT_FIT = "a value is too long or out of range"


def error_body(status: int, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if errors:
        body["errors"] = errors
    return body


def _json(status: int, message: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, errors), status_code=status)


def _path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    elif parts and parts[0] == "header":
        parts[0] = "headers"
    return ".".join(parts) or "body"


def response_for(exc: Exception) -> JSONResponse | None:
    """The answer to an error a use case raised (a domain error, a value the database refused, the database
    unavailable), or None for an error nobody expected. The API's exception handlers answer with it, and so
    does `hot_routes.py`, which serves its two routes outside FastAPI's handlers."""
    if isinstance(exc, AppError):
        return _json(status_of(exc), exc.message, exc.errors)
    if isinstance(exc, DataError):
        # SQLSTATE class 22 (PostgreSQL): a value the column cannot hold (too long for its varchar, out of
        # range). The use cases check the values they know of, with paths; this is the net for the rest.
        log.warning("value refused by the database: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return _json(400, "A value does not fit the database", [{"path": "body", "message": VALUE_DOES_NOT_FIT}])
    if isinstance(exc, UNAVAILABLE_ERRORS) and database_unavailable(exc):
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return unavailable_response()
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        messages = {404: "Not Found", 405: "Method Not Allowed"}
        detail = exc.detail if isinstance(exc.detail, str) else messages.get(exc.status_code, "Error")
        # The framework's own 400s are about the body (not UTF-8, a broken multipart envelope).
        errors = [{"path": "body", "message": detail}] if exc.status_code == 400 else None
        return JSONResponse(
            error_body(exc.status_code, detail, errors), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return _json(400, "Malformed JSON body", [{"path": "body", "message": "the body is not valid JSON"}])
        return _json(
            400,
            "Validation error",
            [{"path": _path(e.get("loc", ())), "message": str(e.get("msg"))} for e in errors],
        )

    async def _known(_: Request, exc: Exception) -> JSONResponse:
        response = response_for(exc)
        if response is None:
            log.exception("unhandled error", exc_info=exc)
            return _json(500, "Internal server error")
        return response

    for error in (AppError, DataError, *UNAVAILABLE_ERRORS, Exception):
        app.add_exception_handler(error, _known)


def unavailable_response() -> JSONResponse:
    return JSONResponse(
        error_body(503, "The database is unavailable; retry later"),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _send_413(send, self.max_bytes)
                return
        # Read the whole body first (the JSON and multipart parsers buffer it anyway), so an oversized
        # chunked body is refused before the application sees any of it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.max_bytes:
                await _send_413(send, self.max_bytes)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _send_413(send: Send, limit: int) -> None:
    response = _json(413, f"Request body over {limit} bytes")
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
