"""Waking the outbox workers when a commit added due rows.

In-process: `WAKE`, a generation counter the workers of this process sleep on; a transaction that wrote outbox
rows bumps it after its commit (`store/transaction.py`). Across processes (PostgreSQL): `NOTIFY` on `CHANNEL`,
sent in that transaction, so PostgreSQL delivers it at commit to every listening worker, on any machine
(`worker/listener.py` turns it into a `WAKE` of its own process).
"""

from __future__ import annotations

import threading

__all__ = ["CHANNEL", "WAKE", "Wakeup"]

CHANNEL = "arabesque_outbox"


class Wakeup:
    """A generation counter with a condition: `wait(since)` returns once `notify()` ran after `since`."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait(self, since: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._generation != since, timeout)


WAKE = Wakeup()
