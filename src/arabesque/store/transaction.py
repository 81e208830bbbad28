"""The unit of work of a use case that changes runtimes: one write transaction that the use case opens and
commits explicitly.

    with db.transaction() as tx:
        rt = tx.runtimes.lock(project_id, runtime_id)
        ...                                # change `rt`, tx.runtimes.audit(...), tx.runtimes.add_effect(...)
        tx.commit()

Leaving the block without `commit()` rolls everything back. `commit()` first writes what the repositories hold
(`flush`: runtimes, audit records, outbox rows, see `store/runtimes.py`), then commits; when outbox rows were
written, the workers are woken: PostgreSQL's `NOTIFY` goes in the same transaction (delivered at commit to
every listening worker), and the in-process workers' `WAKE` is bumped after the commit; then the callbacks the
use case registered with `after_commit` run (e.g. counting its transitions for the metrics: nothing is counted
for a transaction that rolls back). Nothing happens in session or connection event listeners.

The transaction runs on one pooled connection. On SQLite it starts with `BEGIN IMMEDIATE` (the database's
write lock, `store/db.py`); on PostgreSQL the repositories take row locks (`FOR UPDATE`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine, text

from arabesque.store.entities import Entities
from arabesque.store.prepared import Prepared
from arabesque.store.runtimes import Runtimes
from arabesque.store.wakeup import CHANNEL, WAKE
from arabesque.store.webhooks import Subscriptions

__all__ = ["Transaction"]


class Transaction:
    """One write transaction and the repositories over it (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        conn = engine.connect()
        try:
            conn.begin()
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.runtimes = Runtimes(conn)
        self.entities = Entities(conn)
        self.subscriptions = Subscriptions(conn)
        self._notifies = conn.dialect.name == "postgresql"
        self._notified = False
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.conn.close()  # rolls back unless committed; the connection goes back to the pool

    def flush(self) -> None:
        """Write what the repositories hold now, in the transaction (`commit` does it anyway); a query that must
        see those rows comes after it."""
        self.runtimes.flush()
        if self.runtimes.wrote_effects and self._notifies and not self._notified:
            _NOTIFY.rows(self.conn, {})  # delivered at commit, to every listening worker on any machine
            self._notified = True

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        """Write what the repositories hold, commit, then wake this process's workers if outbox rows were
        written, and run the `after_commit` callbacks."""
        self.flush()
        self.conn.commit()
        if self.runtimes.wrote_effects:
            WAKE.notify()
        for callback in self._after_commit:
            callback()


_NOTIFY = Prepared(text(f"NOTIFY {CHANNEL}"))
