"""The JSON API as a FastAPI application: its routers, error handlers and middleware (`asgi.py` mounts the
Case Management pages beside it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from arabesque import __version__
from arabesque.api.allow import AllowHeader
from arabesque.api.deps import OutboundOptions
from arabesque.api.errors import BodyLimit, install_error_handlers
from arabesque.api.hot_routes import HotRoutes
from arabesque.api.input_guard import InputGuard
from arabesque.api.route_table import RouteTable
from arabesque.api.routes import router
from arabesque.store import Database

__all__ = ["MAX_BODY_BYTES", "create_api"]

MAX_BODY_BYTES = 12 * 1024 * 1024  # a 10 MB document plus its multipart envelope


def create_api(
    db: Database,
    files_dir: Path,
    max_body_bytes: int = MAX_BODY_BYTES,
    threads: int | None = None,
    outbound: OutboundOptions | None = None,
) -> FastAPI:
    """The API (`/api/v1/...`, `/docs`). `threads` caps the threads that run blocking handlers (each
    holds a database transaction) in this process; None keeps anyio's default (40). `outbound`: how the API's own
    outbound calls are made (the company registry); by default, to public addresses or the project's allow-list
    only, within 10 s."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Under load, dozens of threads contending for the GIL cost more CPU than the requests themselves
        # (bench/README.md: 40 -> 4 threads per process raised runs/s by ~60 %, and 3 rather than 4 keep the event
        # loop's refusals prompt under overload); the other requests wait on the event loop, which costs nothing.
        if threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(
        title="Arabesque", version=__version__, docs_url="/docs", openapi_url="/openapi.json", lifespan=lifespan
    )
    app.state.db = db
    app.state.files_dir = files_dir
    app.state.outbound = outbound or OutboundOptions()
    install_error_handlers(app)
    # The last added runs first: the body is bounded, then checked for text the database cannot store.
    # The route table reads `app.router.routes` on first use: the routers below and the pages `asgi.py` mounts
    # fill it in, so a 405's `Allow` and a 400's path parameters cover the pages too.
    table = RouteTable(app.router.routes)
    app.add_middleware(HotRoutes, db=db, files_dir=files_dir, outbound=app.state.outbound)
    app.add_middleware(AllowHeader, table=table)
    app.add_middleware(InputGuard, table=table)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.include_router(router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, less the 422 it adds to every operation with parameters: a validation error is a
    400 here, in the error shape, which each router documents with the other statuses it answers."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                ref = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
                if ref.get("$ref", "").endswith("/HTTPValidationError"):
                    del responses["422"]
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
    return app.openapi_schema
