"""Rendering a portal page: the templates and `render`, which sets the page's security headers.

Every page gets a fresh nonce for its one `<style>` block (the UI definition's theme); scripts and other styles
come from this origin only. The link carries the token in its query, so the Referer is never sent
(`no-referrer`) and nothing is cached (`no-store`): the pages show personal data.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from arabesque.portal.texts import LANGUAGE_NAMES, text

__all__ = ["HERE", "flow_url", "render", "templates"]

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


def flow_url(path: str, token: str, language: str | None = None, **extra: str | None) -> str:
    """A portal URL carrying the token (and the language, and `extra` query parameters that are set)."""
    params = {"token": token, "lng": language, **extra}
    return f"{path}?{urlencode({k: v for k, v in params.items() if v})}"


def _policy(nonce: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data: https:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def render(
    request: Request, name: str, context: dict[str, Any], status: int = 200, language: str = "en"
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    ctx = {"nonce": nonce, "lang": language, "t": lambda key, **v: text(language, key, **v), **context}
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    response.headers.update(
        {
            "Content-Security-Policy": _policy(nonce),
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        }
    )
    return response
