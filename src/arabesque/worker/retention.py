"""The worker's periodic retention job: prune old outbox rows, delivery attempts, idempotency records and sign-in
failures (`app/retention.py`) every `interval` seconds, in its own thread.

Every worker process runs it (a deployment needs no separate cron); several at once share the work through
`SKIP LOCKED`. The first run comes at a random point of the first minute, so workers restarted together do
not all prune at once, and a worker restarted more often than `interval` still prunes.
"""

from __future__ import annotations

import logging
import random
import threading

from arabesque.app.retention import Retention, prune
from arabesque.store import Database, database_unavailable
from arabesque.worker.gate import DatabaseGate

__all__ = ["RetentionJob"]

log = logging.getLogger("arabesque.worker")


class RetentionJob(threading.Thread):
    def __init__(
        self, db: Database, policy: Retention, interval: float, stop: threading.Event, gate: DatabaseGate
    ) -> None:
        super().__init__(name="arabesque-retention", daemon=True)
        self.db, self.policy, self.interval, self.stop, self.gate = db, policy, interval, stop, gate
        self.runs = 0  # completed runs

    def run(self) -> None:
        wait = random.uniform(0.0, min(60.0, self.interval))
        while not self.stop.wait(wait):
            wait = self.interval
            if not self.gate.open:  # the database is down: try at the next interval
                continue
            try:
                deleted = prune(self.db, self.policy, stop=self.stop.is_set)
            except Exception as exc:
                if database_unavailable(exc):
                    self.gate.down(exc)
                else:
                    log.exception("retention: pruning failed; trying again in %.0f s", self.interval)
                continue
            self.runs += 1
            if any(deleted.values()):
                log.info("retention: deleted %s", ", ".join(f"{n} {table}" for table, n in deleted.items() if n))
