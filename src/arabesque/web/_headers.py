"""Security headers on every response of the Case Management application (pages, fragments, static files).

The Content-Security-Policy allows scripts and styles from this origin only: no inline script, no inline
style, no `eval` (the templates carry no `on...=` handlers, `static/app.js` attaches them; htmx is told not
to inject its indicator `<style>`, whose rules are in `static/app.css`, nor to evaluate anything). Pages may
not be framed (`frame-ancestors 'none'`, clickjacking). Document pages may come from a remote `uri`
(Ballerine's contexts carry them), so images and frames may also load over https.

A response that sets its own Content-Security-Policy (an uploaded file, which the PDF viewer frames) keeps it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "frame-src 'self' https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_UNLESS_OWN_POLICY = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),  # for browsers without frame-ancestors
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = _ALWAYS if b"content-security-policy" in present else _ALWAYS + _UNLESS_OWN_POLICY
                headers.extend((name, value) for name, value in extra if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
