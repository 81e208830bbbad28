"""`arabesque worker`: run a standalone worker until SIGTERM or SIGINT, then shut down gracefully."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from arabesque.cli.serve import open_service
from arabesque.observability.metrics import scrape_registry, serve_metrics
from arabesque.settings import Settings
from arabesque.store.outbox_stats import outbox_gauges
from arabesque.worker.runner import Worker, WorkerSettings

__all__ = ["run_worker"]


def run_worker(settings: Settings, concurrency: int, metrics_port: int | None = None, metrics_host: str = "") -> None:
    """Run until a signal; with `metrics_port`, Prometheus metrics at `http://metrics_host:metrics_port/metrics`."""
    service = open_service(settings, seed=False)
    worker = Worker(service.db, WorkerSettings.from_settings(settings, concurrency))
    stop_metrics = None
    if metrics_port is not None:
        stop_metrics = serve_metrics(metrics_port, metrics_host, scrape_registry([outbox_gauges(service.db)]))
    done = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("arabesque.worker").info("signal %d: finishing in-flight effects", signum)
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.start()
    try:
        done.wait()
    finally:
        worker.stop()
        if stop_metrics is not None:
            stop_metrics()
        service.db.dispose()
