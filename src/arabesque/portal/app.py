"""The end-user collection-flow pages as an application of their own, mounted by `asgi.py` beside the API and
Case Management (paths under `/collection-flow`; `/api/v1/collection-flow/*` is the API's).

Errors of the use cases become pages: an invalid, expired or closed link is a 401 page that shows nothing of any
flow; a finished case a 409 page; anything the input got wrong a 4xx page saying what. Nothing here answers JSON.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from arabesque.app.errors import AppError, Conflict, Unauthorized
from arabesque.http_status import status_of
from arabesque.portal.render import HERE, render
from arabesque.store import Database

__all__ = ["create_portal_app"]


def _language(request: Request) -> str:
    requested = request.query_params.get("lng")
    return requested if requested in ("en", "de") else "en"


def create_portal_app(db: Database, files_dir: Path) -> FastAPI:
    import arabesque.portal.pages as pages

    portal = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    portal.state.db = db
    portal.state.files_dir = files_dir
    portal.mount("/collection-flow/static", StaticFiles(directory=str(HERE / "static")), name="portal-static")
    portal.include_router(pages.router)

    @portal.exception_handler(AppError)
    def _app_error(request: Request, exc: AppError) -> Response:
        ctx: dict[str, object]
        if isinstance(exc, Unauthorized):
            ctx = {"title_key": "invalid_title", "body_key": "invalid_body"}
            return render(request, "screen.html", ctx, 401, _language(request))
        if isinstance(exc, Conflict):
            ctx = {"title_key": "closed_title", "body_key": "closed_body"}
            return render(request, "screen.html", ctx, 409, _language(request))
        details = [f"{e.get('path')}: {e.get('message')}" for e in exc.errors or []]
        ctx = {"title_key": "error_title", "message": exc.message, "details": details}
        return render(request, "screen.html", ctx, status_of(exc), _language(request))

    @portal.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> Response:
        ctx = {"title_key": "error_title", "message": str(exc.detail)}
        return render(request, "screen.html", ctx, exc.status_code, _language(request))

    return portal
