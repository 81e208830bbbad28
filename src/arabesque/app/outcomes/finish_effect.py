"""Use cases: mark effects with nothing to apply (a notification without subscribers, a child already started)
done or dead, releasing the worker's claim (`outbox.settle`; a claim already lost changes nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from arabesque.app.retrying import retrying
from arabesque.store import Database, utcnow
from arabesque.store.outbox import ClaimedEffect, settle

__all__ = ["finish_effect", "finish_effects"]


def finish_effect(db: Database, effect: ClaimedEffect, status: str = "done", error: str | None = None) -> bool:
    """Mark an effect with nothing to apply (a notification without subscribers) done or dead."""

    def tx() -> bool:
        with db.write() as s:
            return bool(settle(s.connection(), [effect], status=status, finished_at=utcnow(), last_error=error))

    return retrying(tx)


def finish_effects(db: Database, effects: Sequence[ClaimedEffect]) -> set[int]:
    """Mark a batch of effects with nothing to apply done, in one transaction; return the pks still held."""
    if not effects:
        return set()

    def tx() -> set[int]:
        with db.write() as s:
            owned: set[int] = set()
            by_worker: dict[str, list[ClaimedEffect]] = {}
            for e in effects:
                by_worker.setdefault(e.worker, []).append(e)
            for items in by_worker.values():
                owned |= settle(s.connection(), items, status="done", finished_at=utcnow(), last_error=None)
            return owned

    return retrying(tx)
