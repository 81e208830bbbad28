"""PostgreSQL LISTEN: wake the local workers when any process commits new outbox rows."""

from __future__ import annotations

import logging
import threading

import psycopg
from sqlalchemy.engine import make_url

from arabesque.store.outbox import CHANNEL, Wakeup

__all__ = ["Listener", "libpq_url"]

log = logging.getLogger("arabesque.worker")


def libpq_url(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener(threading.Thread):
    """A daemon thread on its own connection: every NOTIFY on the channel bumps `wake`; reconnects on error."""

    def __init__(self, url: str, wake: Wakeup, stop: threading.Event) -> None:
        super().__init__(name="arabesque-listen", daemon=True)
        self.url, self.wake, self.stop = libpq_url(url), wake, stop
        self.ready = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    self.wake.notify()  # anything committed while we were not listening
                    while not self.stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=64):
                            self.wake.notify()
            except psycopg.Error as exc:
                log.warning("outbox listener: %s; reconnecting", type(exc).__name__)
                self.stop.wait(1.0)
