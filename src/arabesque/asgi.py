"""The ASGI application: the JSON API (`api/`), the end-user collection-flow pages (`portal/`) at
`/collection-flow`, and the Case Management pages (`web/`) mounted at `/`.

The one module that knows the surfaces. `arabesque serve` runs `create_app`; each process of
`arabesque serve --workers N` builds its application with `app_for_process` (uvicorn's factory, called with the
supervisor's settings: nothing is passed through the environment); `app_from_env` is the same for a uvicorn
started by hand (`uvicorn --factory arabesque.asgi:app_from_env`), which reads the settings itself.

Around everything, `ObserveRequests` gives each request its id, access line, histogram sample and span; `/metrics`
(Prometheus, outside the API key's reach and the OpenAPI) is served here unless `--metrics-port` moved it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Response

from arabesque.api import MAX_BODY_BYTES, create_api
from arabesque.api.deps import OutboundOptions
from arabesque.in_flight import DEFAULT_MAX_IN_FLIGHT, InFlightLimit
from arabesque.observability.metrics import CONTENT_TYPE_LATEST, exposition, scrape_registry, share_between_processes
from arabesque.observability.requests import ObserveRequests
from arabesque.portal import UploadLimit, mount_portal
from arabesque.settings import Settings
from arabesque.store import Database
from arabesque.store.outbox_stats import outbox_gauges
from arabesque.web import mount_web

__all__ = ["ProcessOptions", "app_for_process", "app_from_env", "create_app"]


def create_app(
    db: Database,
    files_dir: Path,
    max_body_bytes: int = MAX_BODY_BYTES,
    threads: int | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    *,
    allow_private_urls: bool = False,
    session_key: str | None = None,
    access_log: bool = True,
    metrics: bool = True,
) -> FastAPI:
    """The API, and the Case Management pages at `/` after it (the API's routes keep precedence). `threads` caps
    the threads that run blocking handlers in this process (each holds a database transaction); past
    `max_in_flight` requests at once, the excess is refused with 503 (`in_flight.py`); `allow_private_urls` lets
    the API's own outbound calls (the company registry) reach private addresses; `session_key` signs the
    pages' cookies (default: from the data directory's key file); `access_log`: a line per request; `metrics`:
    `GET /metrics` here."""
    outbound = OutboundOptions(allow_private_urls=allow_private_urls)
    app = create_api(db, files_dir, max_body_bytes=max_body_bytes, threads=threads, outbound=outbound)
    if metrics:
        registry = scrape_registry([outbox_gauges(db)])

        # A plain function: the outbox gauges read the database, so it runs in the threadpool.
        @app.get("/metrics", include_in_schema=False)
        def prometheus_metrics() -> Response:
            return Response(exposition(registry), media_type=CONTENT_TYPE_LATEST)

    mount_portal(app, db, files_dir)
    mount_web(app, db, files_dir, session_key)
    # Outside the API's body limit: an oversized upload to the pages gets a page naming the file limit.
    app.add_middleware(UploadLimit)
    # The last added runs first: the request is observed (id, access line, duration) even when it is refused.
    app.add_middleware(InFlightLimit, limit=max_in_flight)
    app.add_middleware(ObserveRequests, access_log=access_log)
    return app


@dataclass(frozen=True)
class ProcessOptions:
    """What `serve` decided for each of its API processes, from its options."""

    threads: int
    access_log: bool = True
    metrics_route: bool = True  # `/metrics` on the API's port (off with `--metrics-port`)
    metrics_directory: Path | None = None  # where the processes of `serve --workers N` share their metrics


def app_for_process(settings: Settings, options: ProcessOptions) -> FastAPI:
    """The application one process of `arabesque serve --workers N` serves, over the database its supervisor
    migrated and seeded (uvicorn's factory: `functools.partial(app_for_process, settings, options)`)."""
    from arabesque.cli.serve import open_service
    from arabesque.cli.startup import start_process

    start_process(settings)
    if options.metrics_directory is not None:
        share_between_processes(options.metrics_directory)
    service = open_service(settings, seed=False, migrate=False)
    return create_app(
        service.db,
        service.files_dir,
        threads=options.threads,
        max_in_flight=settings.max_in_flight,
        allow_private_urls=settings.allow_private_urls,
        session_key=service.keys.session_signing_key(),
        access_log=options.access_log,
        metrics=options.metrics_route,
    )


def app_from_env() -> FastAPI:
    """`app_for_process` with the settings read here (`ARABESQUE_API_THREADS` threads): for
    `uvicorn --factory arabesque.asgi:app_from_env`, over a database already migrated."""
    from arabesque.settings import read_settings

    settings = read_settings()
    return app_for_process(settings, ProcessOptions(threads=settings.api_threads, access_log=settings.access_log))
