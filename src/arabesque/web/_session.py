"""The session cookie and CSRF tokens of the Case Management application.

The cookie (HttpOnly, SameSite=Lax, Secure over https, 12 hours) is a small signed JSON object: the token of
the signed-in session (`sid`; the session itself is a database row, `app/access/web_sessions.py`, so it can be
ended), the flash messages, and before sign-in the CSRF token of the sign-in form. Every unsafe request must
carry the CSRF token — the session's, or the sign-in form's — as the `csrf_token` form field or the
`X-CSRF-Token` header (htmx), else it is refused (403).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["COOKIE", "MAX_AGE", "CsrfError", "SessionMiddleware", "anonymous_csrf", "check_csrf", "session_of"]

COOKIE = "arabesque_session"
MAX_AGE = 12 * 3600


class CsrfError(Exception):
    pass


def session_of(request: Request) -> dict[str, Any]:
    """The cookie's contents, which the middleware writes back when they changed."""
    session: dict[str, Any] = request.scope["arabesque.session"]
    return session


def anonymous_csrf(request: Request) -> str:
    """The CSRF token of a visitor who is not signed in (the sign-in form's), kept in the cookie."""
    session = session_of(request)
    if not session.get("csrf"):
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse an unsafe request whose CSRF token is missing or is not `expected`."""
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    # Bytes: `compare_digest` raises TypeError on a str with non-ASCII characters (a hostile token).
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise CsrfError("The form expired or did not come from this site (CSRF token missing or wrong)")


class SessionMiddleware:
    """Load the cookie's contents into the scope; write the cookie back when they changed."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.signer = URLSafeTimedSerializer(secret, salt="arabesque.web.session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session: dict[str, Any] = {}
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                loaded = self.signer.loads(raw, max_age=MAX_AGE)
                if isinstance(loaded, dict):
                    session = loaded
            except BadSignature:
                session = {}
        before = dict(session)
        scope["arabesque.session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session != before:
                response = Response()
                if session:
                    response.set_cookie(
                        COOKIE,
                        self.signer.dumps(session),
                        max_age=MAX_AGE,
                        httponly=True,
                        samesite="lax",
                        secure=scope.get("scheme") == "https",  # uvicorn sets it from a trusted proxy's header
                        path="/",
                    )
                else:
                    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
                headers = list(message.get("headers", []))
                headers.extend((k, v) for k, v in response.raw_headers if k == b"set-cookie")
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
