"""The Case Management application: server-rendered pages (Jinja2 + htmx) mounted at `/` beside the API.

Handlers parse the request, call `app/` use cases with the signed-in member, and render a template.
Errors from the use cases become pages with the same status codes the API uses (403, 404, 409...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from arabesque.app.errors import AppError
from arabesque.app.login import LoginThrottle
from arabesque.app.members import Member
from arabesque.app.queues import list_queues
from arabesque.app.web_sessions import ActiveSession, resume_session
from arabesque.store import Database
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
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


async def _multi_form(
    request: Request, active: Annotated[ActiveSession | None, Depends(_session)]
) -> dict[str, list[str]]:
    await _checked(request, active)
    form = await request.form()
    out: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            out.setdefault(k, []).append(v)
    return out


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
        return render(request, "error.html", {"status": 403, "message": str(exc)}, status=403)

    @web.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return render(request, "error.html", {"status": exc.status_code, "message": exc.message}, exc.status_code)

    @web.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            message = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
            return JSONResponse({"statusCode": exc.status_code, "message": message}, status_code=exc.status_code)
        message = {404: "Page not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        return render(request, "error.html", {"status": exc.status_code, "message": message}, exc.status_code)

    return web
