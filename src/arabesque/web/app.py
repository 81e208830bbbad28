"""The Case Management application: server-rendered pages (Jinja2 + htmx) mounted at `/` beside the API.

Handlers parse the request, call `app/` use cases with the signed-in member, and render a template.
Errors from the use cases become pages with the same status codes the API uses (403, 404, 409...); a
database outage is a 503 page (with `Retry-After`) rendered without the database. The exception handlers
run on the event loop, so an error page that shows the queue sidebar (a database read) is rendered in the
threadpool, like the handlers themselves.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from arabesque.app.access.login import LoginThrottle
from arabesque.app.access.members import Member
from arabesque.app.access.web_sessions import ActiveSession, resume_session
from arabesque.app.cases.queues import list_queues
from arabesque.app.errors import AppError
from arabesque.app.input_text import check_fields
from arabesque.http_status import status_of
from arabesque.store import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, Database, database_unavailable
from arabesque.web._headers import SecurityHeaders
from arabesque.web._session import CsrfError, SessionMiddleware, anonymous_csrf, check_csrf, session_of

__all__ = [
    "CurrentMember",
    "CurrentSession",
    "Form",
    "LoginRequired",
    "MaybeSession",
    "create_web_app",
    "db_of",
    "flash",
    "redirect",
    "render",
]

log = logging.getLogger("arabesque.web")

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


def _dt(value: Any, fmt: str = "%d %b %Y %H:%M") -> str:
    return value.strftime(fmt) if value is not None and hasattr(value, "strftime") else ""


def _label(tag: str) -> str:
    return {
        "manual_review": "Manual review",
        "revision": "Revisions",
        "collection_flow": "Collection in progress",
        "pending_process": "Pending ID verification",
        "data_enrichment": "Awaiting 3rd-party data",
        "failure": "Failed",
    }.get(tag, tag.replace("_", " ").capitalize())


templates.env.filters["dt"] = _dt
templates.env.filters["tag_label"] = _label
templates.env.globals["urlencode"] = lambda params: urlencode(params, doseq=True)


class LoginRequired(Exception):
    pass


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _session(request: Request) -> ActiveSession | None:
    """The signed-in session of the cookie's token, looked up in the database on every request (so an ended
    session is refused at once); None for a visitor, whose stale token is dropped from the cookie."""
    cookie = session_of(request)
    token = cookie.get("sid")
    active = resume_session(db_of(request), token) if isinstance(token, str) else None
    if active is None:
        cookie.pop("sid", None)
    else:
        request.state.member = active.member
    request.state.session = active
    return active


def _member(active: Annotated[ActiveSession | None, Depends(_session)]) -> Member:
    if active is None:
        raise LoginRequired()
    return active.member


def _signed_in(active: Annotated[ActiveSession | None, Depends(_session)]) -> ActiveSession:
    if active is None:
        raise LoginRequired()
    return active


def csrf_token(request: Request) -> str:
    """The token forms must send back: the signed-in session's, else the sign-in form's."""
    active: ActiveSession | None = getattr(request.state, "session", None)
    return active.csrf if active is not None else anonymous_csrf(request)


async def _checked(request: Request, active: ActiveSession | None) -> None:
    await check_csrf(request, active.csrf if active is not None else session_of(request).get("csrf"))


async def _form(request: Request, active: Annotated[ActiveSession | None, Depends(_session)]) -> dict[str, str]:
    """The submitted form (last value of each field), after the CSRF check."""
    await _checked(request, active)
    form = await request.form()
    _check_storable(form.multi_items())
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


async def _multi_form(
    request: Request, active: Annotated[ActiveSession | None, Depends(_session)]
) -> dict[str, list[str]]:
    await _checked(request, active)
    form = await request.form()
    _check_storable(form.multi_items())
    out: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            out.setdefault(k, []).append(v)
    return out


def _check_storable(items: list[tuple[str, Any]]) -> None:
    """A NUL in a field (or an uploaded file's name) is refused here, with the field's name: PostgreSQL
    cannot store it. A file's content may hold any bytes."""
    check_fields((k, v if isinstance(v, str) else (getattr(v, "filename", None) or "")) for k, v in items)


CurrentMember = Annotated[Member, Depends(_member)]
CurrentSession = Annotated[ActiveSession, Depends(_signed_in)]
MaybeSession = Annotated[ActiveSession | None, Depends(_session)]
Form = Annotated[dict[str, str], Depends(_form)]
MultiForm = Annotated[dict[str, list[str]], Depends(_multi_form)]


def flash(request: Request, text: str, kind: str = "ok") -> None:
    session = session_of(request)
    session["flash"] = [*session.get("flash", []), [kind, text]][-5:]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    ctx: dict[str, Any] = dict(context or {})
    member: Member | None = getattr(request.state, "member", None)
    ctx.setdefault("member", member)
    ctx.setdefault("csrf", csrf_token(request))
    if member is not None and "queues" not in ctx and not name.split("/")[-1].startswith("_"):
        ctx["queues"] = list_queues(db_of(request), member)
    session = session_of(request)
    if not name.split("/")[-1].startswith("_"):
        ctx["flashes"] = session.pop("flash", [])
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _error_page(request: Request, status: int, message: str) -> Response:
    """The error page with the member's sidebar, rendered in the threadpool (the sidebar reads the
    queues); without the sidebar when the database is down meanwhile."""

    def build() -> Response:
        try:
            return render(request, "error.html", {"status": status, "message": message}, status)
        except UNAVAILABLE_ERRORS as exc:
            if not database_unavailable(exc):
                raise
            return _unavailable_page(request)

    return await run_in_threadpool(build)


def _unavailable_page(request: Request) -> Response:
    """503, rendered without the database (no member, so no queue sidebar; the flashes wait for a page)."""
    ctx = {"status": 503, "message": "The database is unavailable; try again in a few seconds.", "member": None}
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return templates.TemplateResponse(request, "unavailable.html", ctx, status_code=503, headers=headers)


def create_web_app(db: Database, files_dir: Path, secret: str) -> FastAPI:
    import arabesque.web.admin as admin
    import arabesque.web.auth as auth
    import arabesque.web.cases as cases

    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.state.db = db
    web.state.files_dir = files_dir
    web.state.throttle = LoginThrottle(db)
    web.add_middleware(SessionMiddleware, secret=secret)
    web.add_middleware(SecurityHeaders)
    web.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    web.include_router(auth.router)
    web.include_router(cases.router)
    web.include_router(admin.router)

    @web.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return redirect(target)

    @web.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        return await _error_page(request, 403, str(exc))

    @web.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        details = "; ".join(f"{e.get('path')}: {e.get('message')}" for e in exc.errors or [])
        return await _error_page(request, status_of(exc), f"{exc.message} ({details})" if details else exc.message)

    @web.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            message = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
            return JSONResponse({"statusCode": exc.status_code, "message": message}, status_code=exc.status_code)
        message = {404: "Page not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        response = await _error_page(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)  # the Allow of a 405
        return response

    async def _database_error(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc  # a bug: the server's 500
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return _unavailable_page(request)

    for error in UNAVAILABLE_ERRORS:
        web.add_exception_handler(error, _database_error)

    @web.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        # A value the column cannot hold (PostgreSQL SQLSTATE class 22): the input's fault, not a crash.
        log.warning("value refused by the database: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return await _error_page(request, 400, "A value is too long or out of range; shorten it and try again.")

    return web
