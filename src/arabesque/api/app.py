"""The FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from arabesque import __version__
from arabesque.api.errors import BodyLimit, install_error_handlers
from arabesque.api.routes import router
from arabesque.store import Database

__all__ = ["MAX_BODY_BYTES", "app_from_env", "create_app"]

MAX_BODY_BYTES = 12 * 1024 * 1024  # a 10 MB document plus its multipart envelope


def create_app(db: Database, files_dir: Path, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    app = FastAPI(title="Arabesque", version=__version__, docs_url="/docs", openapi_url="/openapi.json")
    app.state.db = db
    app.state.files_dir = files_dir
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.include_router(router)
    from arabesque.web import mount_web  # the Case Management pages, at `/` after the API

    mount_web(app, db, files_dir)
    return app


def app_from_env() -> FastAPI:
    """The application over the configured database (`ARABESQUE_DATABASE_URL` / `ARABESQUE_DATA_DIR`),
    already migrated: what each process of `arabesque serve --workers N` serves (uvicorn `--factory`)."""
    from arabesque.app.serve import open_service

    service = open_service(seed=False, migrate=False)
    return create_app(service.db, service.files_dir)
