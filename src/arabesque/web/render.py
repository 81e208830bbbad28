"""Rendering a page: the templates, their filters, and `render`, which reads only the request (no I/O).

What a page shows beyond its own context comes from the request's state, loaded before: the signed-in member
(`deps.py`, with the session) and the queues of the sidebar (`deps.load_sidebar`, in the threadpool, by the
page's dependency or handler). A full page (a template whose name does not start with `_`) also takes the
flash messages from the cookie; a fragment for htmx leaves them for the next page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from arabesque.app.access.members import Member
from arabesque.app.access.web_sessions import ActiveSession
from arabesque.app.cases.reviewer_actions import tag_label
from arabesque.app.webhooks.url_warning import private_url_warning
from arabesque.web import i18n
from arabesque.web._session import anonymous_csrf, session_of

__all__ = ["HERE", "csrf_token", "flash", "redirect", "render", "templates"]

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"])
)
# New-style gettext (autoescaped, `%(name)s` placeholders as keywords); the callables read the language of the
# page being rendered (`i18n.language`), so the shared environment holds no request's translations.
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def _dt(value: Any) -> str:
    """The one date format of every page, in the page's language, in UTC and saying so: a datetime or an ISO
    8601 string (a naive value is UTC, as the store writes it); "" for none."""
    if isinstance(value, str):
        text: str = value
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if not isinstance(value, datetime):
        return ""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return i18n.format_when(aware)


templates.env.filters["dt"] = _dt
templates.env.filters["num"] = i18n.format_count
# A text made elsewhere (a label, an error message): looked up, never %-formatted, unlike `_()`, so a `%` in it
# (a user's input quoted in an error) cannot break the page.
templates.env.filters["translate"] = i18n.gettext
templates.env.filters["tag_label"] = tag_label
templates.env.filters["private_url"] = private_url_warning
templates.env.globals["urlencode"] = lambda params: urlencode(params, doseq=True)


def csrf_token(request: Request) -> str:
    """The token forms must send back: the signed-in session's, else the sign-in form's."""
    active: ActiveSession | None = getattr(request.state, "session", None)
    return active.csrf if active is not None else anonymous_csrf(request)


def flash(
    request: Request, text: str, kind: str = "ok", *, plural: str | None = None, n: int = 1, **values: object
) -> None:
    """Keep `text` for the next page, translated now into the request's language: `text` is the English msgid
    (with `plural`, the singular of `n`), its `%(name)s` placeholders filled from `values` after translation."""
    with i18n.language(i18n.locale_of(request)):
        shown = i18n.ngettext(text, plural, n) if plural is not None else i18n.gettext(text)
    if values or plural is not None:
        shown = shown % {"n": n, **values}
    session = session_of(request)
    session["flash"] = [*session.get("flash", []), [kind, shown]][-5:]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    """The template `name` with `context`, the member, the CSRF token and, on a full page, the sidebar's queues
    and the flash messages. Reads nothing but the request: a full page for a member needs its sidebar loaded
    first (`deps.PageMember`, `deps.load_sidebar`)."""
    ctx: dict[str, Any] = dict(context or {})
    member: Member | None = getattr(request.state, "member", None)
    ctx.setdefault("member", member)
    ctx.setdefault("csrf", csrf_token(request))
    lang = i18n.locale_of(request)
    ctx.setdefault("lang", lang)
    ctx.setdefault("languages", i18n.LANGUAGES)
    if not name.split("/")[-1].startswith("_"):
        if member is not None and "queues" not in ctx:
            sidebar = getattr(request.state, "sidebar", None)
            if sidebar is None:
                raise RuntimeError(f"{name}: the sidebar was not loaded (PageMember or load_sidebar)")
            ctx["queues"] = sidebar
        ctx["flashes"] = session_of(request).pop("flash", [])
    with i18n.language(lang):  # the response renders its template here, in this thread
        return templates.TemplateResponse(request, name, ctx, status_code=status)
