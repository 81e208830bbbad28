"""`arabesque worker`: run a standalone worker until SIGTERM or SIGINT, then shut down gracefully."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from arabesque.cli.serve import open_service
from arabesque.worker.runner import Worker, WorkerSettings

__all__ = ["run_worker"]


def run_worker(concurrency: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request costs more than the request
    service = open_service(seed=False)
    worker = Worker(service.db, WorkerSettings.from_env(concurrency))
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
        service.db.dispose()
