"""`arabesque serve`: migrate and seed, start the in-process worker, then serve the application in one process
or, with `--workers N`, in N processes under a supervisor.

The processes of `--workers N` are spawned by uvicorn's supervisor, with the factory
`functools.partial(app_for_process, settings, options)`: the settings this command read travel to them as the
factory's arguments (pickled), never through the environment. Metrics: the supervisor picks a private directory
where every process (and the in-process worker) keeps its values (`share_between_processes`), so `/metrics`
answers the same sums from any process; it is removed when `serve` stops.
"""

from __future__ import annotations

import functools
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
import uvicorn

from arabesque.asgi import ProcessOptions, app_for_process, create_app
from arabesque.cli.serve import Service, forwarded_options, open_service
from arabesque.observability.metrics import scrape_registry, serve_metrics, share_between_processes
from arabesque.settings import Settings
from arabesque.store.outbox_stats import outbox_gauges

__all__ = ["serve_api"]

STARTUP_GRACE_SECONDS = 60


def serve_api(
    settings: Settings,
    *,
    host: str,
    port: int,
    worker: bool,
    concurrency: int,
    workers: int,
    threads: int,
    access_log: bool,
    metrics_port: int | None,
) -> None:
    forwarded = forwarded_options(settings.trusted_proxies)
    service = open_service(settings)
    _announce_first_start(service)
    directory = Path(tempfile.mkdtemp(prefix="arabesque-metrics-")) if workers > 1 else None
    if directory is not None:
        share_between_processes(directory)  # before the in-process worker counts anything
    from arabesque.worker import Worker, WorkerSettings

    in_process = Worker(service.db, WorkerSettings.from_settings(settings, concurrency)) if worker else None
    if in_process is not None:
        in_process.start()
    stop_metrics: Callable[[], None] | None = None
    if metrics_port is not None:
        stop_metrics = serve_metrics(metrics_port, host, scrape_registry([outbox_gauges(service.db)]))
    options = ProcessOptions(threads, access_log, metrics_route=metrics_port is None, metrics_directory=directory)
    uvicorn_options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,  # uvicorn's lines go through the root logger, as JSON like ours
        "log_level": settings.log_level,
        "access_log": False,  # `ObserveRequests` logs each request, with its route template and request id
        **forwarded,
    }
    _return_from_uvicorn_on_signals()
    try:
        if workers > 1:
            _serve_processes(functools.partial(app_for_process, settings, options), workers, uvicorn_options)
        else:
            app = create_app(
                service.db,
                service.files_dir,
                threads=threads,
                max_in_flight=settings.max_in_flight,
                allow_private_urls=settings.allow_private_urls,
                session_key=service.keys.session_signing_key(),
                access_log=access_log,
                metrics=options.metrics_route,
            )
            uvicorn.run(app, **uvicorn_options)
    finally:
        if in_process is not None:
            in_process.stop()
        if stop_metrics is not None:
            stop_metrics()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def _announce_first_start(service: Service) -> None:
    """The admin password and the API key, once, on stderr: stdout carries only log lines."""
    first = service.first_start
    if first is None:
        return
    loaded = ", ".join(first.definitions or ["-"])
    typer.echo(f"First start: created the default project and loaded {loaded}", err=True)
    typer.echo(f"Admin user: {first.admin_email}  password: {first.admin_password}", err=True)
    typer.echo(f"API key (shown once): {first.api_key}", err=True)


def _serve_processes(factory: Callable[[], Any], workers: int, options: dict[str, Any]) -> None:
    """What `uvicorn.run(..., workers=N)` does, with a factory object rather than an import string (`uvicorn.run`
    accepts only a string there): the socket bound once here, N spawned processes, each calling `factory`. The
    outbox worker started by the caller lives in this supervising process: one worker for the deployment, woken
    by NOTIFY on PostgreSQL (on SQLite it polls, ARABESQUE_WORKER_POLL_SECONDS, as API commits happen in other
    processes)."""
    from uvicorn.supervisors import Multiprocess

    # uvicorn kills a process that does not answer its ping within `timeout_worker_healthcheck` (5 s by default)
    # and spawns another; a spawned process answers only once it has imported the application, which on a busy
    # node takes longer than 5 s, so with the default the processes were killed and respawned without end.
    config = uvicorn.Config(
        factory, factory=True, workers=workers, timeout_worker_healthcheck=STARTUP_GRACE_SECONDS, **options
    )
    socket = config.bind_socket()
    try:
        Multiprocess(config, sockets=[socket]).run()
    finally:
        socket.close()


def _return_from_uvicorn_on_signals() -> None:
    """uvicorn re-raises the SIGTERM or SIGINT that stopped it once it has shut down: with the default handlers
    that ends the process before `serve` stops its in-process worker (whose claims then wait for their lease to
    run out). With these handlers `uvicorn.run` returns instead, the worker stops gracefully and the process exits
    0, as a container runtime expects of a stopped container."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
