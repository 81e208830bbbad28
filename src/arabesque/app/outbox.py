"""The outbox: write effects in the caller's transaction, wake workers after commit, claim due effects.

Rows move pending -> running (claimed by one worker, leased until `locked_until`, renewed by the worker's
heartbeat) -> done | dead. A lease that runs out (a worker killed with SIGKILL) puts the row back to pending,
so its effect is retried; its outcome still lands once, because applying it checks the claim and the
engine's pending effects in the transaction that marks the row done.

Wake-ups: on PostgreSQL `NOTIFY arabesque_outbox` is sent in the transaction that inserts rows (delivered
at commit to every listening worker, on any machine); in-process, a commit that inserted rows bumps `WAKE`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arabesque.store import Database, OutboxEffect, utcnow

__all__ = [
    "CHANNEL",
    "WAKE",
    "ClaimedEffect",
    "Wakeup",
    "add_effect_row",
    "claim",
    "heartbeat",
    "next_due_in",
    "owned_row",
    "release",
    "requeue_stale",
]

CHANNEL = "arabesque_outbox"
_DIRTY = "arabesque_outbox_dirty"


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


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        WAKE.notify()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY, None)


def add_effect_row(s: Session, row: OutboxEffect) -> None:
    """Add an outbox row to the transaction and arrange the wake-ups for its commit."""
    s.add(row)
    if not s.info.get(_DIRTY):
        s.info[_DIRTY] = True
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text(f"NOTIFY {CHANNEL}"))


@dataclass(frozen=True)
class ClaimedEffect:
    pk: int
    project_id: str
    runtime_id: str
    effect_id: str
    effect_type: str
    plugin: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int | None
    subscription_id: str | None
    created_at: datetime
    worker: str

    @classmethod
    def of(cls, row: OutboxEffect, worker: str) -> ClaimedEffect:
        return cls(
            row.pk,
            row.project_id,
            row.runtime_id,
            row.effect_id,
            row.effect_type,
            row.plugin,
            dict(row.payload),
            row.attempts,
            row.max_attempts,
            row.subscription_id,
            row.created_at,
            worker,
        )


def _skip_locked(s: Session, stmt: Any) -> Any:
    if s.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def claim(db: Database, worker: str, lease: float, limit: int = 1, window: int = 16) -> list[ClaimedEffect]:
    """Claim up to `limit` due effects for `worker`: never one whose `lock_key` already has a running row.

    Two plain index scans, whatever the planner's statistics say: the first `window` due rows in due order
    (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers never wait on each other's candidates), then which
    of their lock keys are running. Two workers racing for rows of one lock key are stopped by the partial
    unique index (the loser claims nothing this round). SQLite: the write transaction holds the database lock.
    """
    now = utcnow()
    try:
        with db.write() as s:
            stmt = (
                select(OutboxEffect)
                .where(OutboxEffect.status == "pending", OutboxEffect.available_at <= now)
                .order_by(OutboxEffect.available_at, OutboxEffect.pk)
                .limit(max(window, limit))
            )
            rows = list(s.scalars(_skip_locked(s, stmt)))
            if not rows:
                return []
            keys = {row.lock_key for row in rows}
            busy = set(
                s.scalars(
                    select(OutboxEffect.lock_key).where(
                        OutboxEffect.status == "running", OutboxEffect.lock_key.in_(keys)
                    )
                )
            )
            claimed = []
            for row in rows:
                if row.lock_key in busy:
                    continue
                busy.add(row.lock_key)
                row.status = "running"
                row.claimed_by = worker
                row.locked_until = now + timedelta(seconds=lease)
                row.attempts += 1
                claimed.append(row)
                if len(claimed) == limit:
                    break
            s.flush()
            return [ClaimedEffect.of(row, worker) for row in claimed]
    except IntegrityError:
        return []  # another worker took a row of the same lock key first


def requeue_stale(db: Database) -> int:
    """Put running rows whose lease ran out (their worker died) back to pending; return how many."""
    now = utcnow()
    with db.write() as s:
        stmt = select(OutboxEffect.pk).where(OutboxEffect.status == "running", OutboxEffect.locked_until < now)
        pks = list(s.scalars(_skip_locked(s, stmt)))
        if pks:
            s.execute(
                update(OutboxEffect)
                .where(OutboxEffect.pk.in_(pks))
                .values(status="pending", claimed_by=None, locked_until=None, available_at=now)
            )
        return len(pks)


def heartbeat(db: Database, worker: str, pks: list[int], lease: float) -> None:
    """Extend the lease of the rows `worker` is running."""
    if not pks:
        return
    with db.write() as s:
        s.execute(
            update(OutboxEffect)
            .where(OutboxEffect.pk.in_(pks), OutboxEffect.claimed_by == worker, OutboxEffect.status == "running")
            .values(locked_until=utcnow() + timedelta(seconds=lease))
        )


def release(db: Database, worker: str) -> None:
    """Give back every row `worker` still holds (graceful shutdown): they are due again at once."""
    with db.write() as s:
        s.execute(
            update(OutboxEffect)
            .where(OutboxEffect.claimed_by == worker, OutboxEffect.status == "running")
            .values(status="pending", claimed_by=None, locked_until=None, attempts=OutboxEffect.attempts - 1)
        )


def next_due_in(db: Database, default: float) -> float:
    """Seconds until the earliest pending row is due (0 if one is due now), at most `default`."""
    with db.read() as s:
        at = s.scalar(
            select(OutboxEffect.available_at)
            .where(OutboxEffect.status == "pending")
            .order_by(OutboxEffect.available_at)
            .limit(1)
        )
    if at is None:
        return default
    if at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    return max(0.0, min(default, (at - utcnow()).total_seconds()))


def owned_row(s: Session, effect: ClaimedEffect) -> OutboxEffect | None:
    """The effect's row, locked, if `effect.worker` still holds the claim; None if the claim was lost."""
    stmt = select(OutboxEffect).where(OutboxEffect.pk == effect.pk)
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = s.scalars(stmt).first()
    if row is None or row.status != "running" or row.claimed_by != effect.worker:
        return None
    return row
