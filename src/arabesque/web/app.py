"""The Case Management application: server-rendered pages (Jinja2 + htmx) mounted at `/` beside the API.

Handlers parse the request, call `app/` use cases with the signed-in member, and render a template
(`render.py`, no I/O: the member and the sidebar's queues are loaded by the dependencies of `deps.py`). Errors
from the use cases become pages with the status `http_status.py` gives them (403, 404, 409...), rendered by
plain (`def`) exception handlers, which Starlette runs in the threadpool: the sidebar of an error page is read
there, never on the event loop. A database outage is a 503 page (with `Retry-After`) rendered without the
database.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from arabesque.app.access.login import LoginThrottle
from arabesque.app.errors import AppError
from arabesque.http_status import status_of
from arabesque.store import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, Database, database_unavailable
from arabesque.web._headers import SecurityHeaders
from arabesque.web._session import CsrfError, SessionMiddleware
from arabesque.web.deps import LoginRequired, load_sidebar
from arabesque.web.render import HERE, redirect, render, templates

__all__ = ["create_web_app"]

log = logging.getLogger("arabesque.web")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, message: str) -> Response:
    """The error page, with the member's sidebar (read here: call it from the threadpool); without the
    sidebar, as the 503 page, when the database is down meanwhile."""
    try:
        load_sidebar(request)
    except UNAVAILABLE_ERRORS as exc:
        if not database_unavailable(exc):
            raise
        return _unavailable_page(request)
    return render(request, "error.html", {"status": status, "message": message}, status)


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

    @web.get("/favicon.ico", include_in_schema=False)
    async def _favicon() -> Response:
        # Browsers ask for it on every page, signed in or not.
        return FileResponse(
            HERE / "static" / "favicon.ico",
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    web.include_router(auth.router)
    web.include_router(cases.router)
    web.include_router(admin.router)

    @web.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return redirect(target)

    # The handlers of the error pages are plain functions: Starlette runs them in the threadpool, where the
    # page's sidebar may be read.
    @web.exception_handler(CsrfError)
    def _csrf(request: Request, exc: CsrfError) -> Response:
        return _error_page(request, 403, str(exc))

    @web.exception_handler(AppError)
    def _app_error(request: Request, exc: AppError) -> Response:
        details = "; ".join(f"{e.get('path')}: {e.get('message')}" for e in exc.errors or [])
        return _error_page(request, status_of(exc), f"{exc.message} ({details})" if details else exc.message)

    @web.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            message = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
            return JSONResponse({"statusCode": exc.status_code, "message": message}, status_code=exc.status_code)
        message = {404: "Page not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
        response = _error_page(request, exc.status_code, message)
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
    def _data_error(request: Request, exc: DataError) -> Response:
        # A value the column cannot hold (PostgreSQL SQLSTATE class 22): the input's fault, not a crash.
        log.warning("value refused by the database: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
        return _error_page(request, 400, "A value is too long or out of range; shorten it and try again.")

    return web
