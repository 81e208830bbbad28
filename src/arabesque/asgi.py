"""The ASGI application: the JSON API (`api/`) with the Case Management pages (`web/`) mounted at `/`.

The one module that knows both surfaces. `arabesque serve` runs `create_app`; each process of
`arabesque serve --workers N` builds the application with `app_from_env` (uvicorn's `--factory`).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from arabesque.api import MAX_BODY_BYTES, create_api
from arabesque.in_flight import DEFAULT_MAX_IN_FLIGHT, InFlightLimit
from arabesque.store import Database
from arabesque.web import mount_web

__all__ = ["THREADS_ENV", "app_from_env", "create_app"]

THREADS_ENV = "ARABESQUE_API_THREADS"


def create_app(
    db: Database,
    files_dir: Path,
    max_body_bytes: int = MAX_BODY_BYTES,
    threads: int | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
) -> FastAPI:
    """The API, and the Case Management pages at `/` after it (the API's routes keep precedence). `threads` caps
    the threads that run blocking handlers in this process (each holds a database transaction); past
    `max_in_flight` requests at once, the excess is refused with 503 (`in_flight.py`)."""
    app = create_api(db, files_dir, max_body_bytes=max_body_bytes, threads=threads)
    mount_web(app, db, files_dir)
    app.add_middleware(InFlightLimit, limit=max_in_flight)  # added last: the outermost, before any other work
    return app


def app_from_env() -> FastAPI:
    """The application over the configured database (`ARABESQUE_DATABASE_URL` / `ARABESQUE_DATA_DIR`),
    already migrated: what each process of `arabesque serve --workers N` serves (uvicorn `--factory`)."""
    from arabesque.cli.serve import open_service

    service = open_service(seed=False, migrate=False)
    threads = os.environ.get(THREADS_ENV)
    return create_app(service.db, service.files_dir, threads=int(threads) if threads else None)
