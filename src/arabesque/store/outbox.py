"""The outbox queue: claim due effects, renew, requeue, release and settle claims. (Rows are written by the
transaction that caused them, `store/runtimes.py`; workers are woken as `store/wakeup.py` says.)

Rows move pending -> running (claimed by one worker, leased until `locked_until`, renewed by the worker's
heartbeat) -> done | dead. A lease that ran out more than a grace period ago (a worker killed with SIGKILL; the
grace spares a worker whose heartbeat is merely late on a busy machine, or whose clock is a little behind)
puts the row back to pending, so its effect is retried; its outcome still lands once, because applying it
checks the claim and the engine's pending effects in the transaction that marks the row done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from arabesque.store.models import OutboxEffect, utcnow
from arabesque.store.session import Database
from arabesque.store.wakeup import CHANNEL, WAKE, Wakeup

__all__ = [
    "CHANNEL",
    "WAKE",
    "ClaimedEffect",
    "Wakeup",
    "claim",
    "heartbeat",
    "next_due_in",
    "release",
    "requeue_stale",
    "settle",
]

STALE = "claim expired: its worker stopped renewing it (killed or stalled) before recording an outcome"


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


def _skip_locked(s: Session, stmt: Any) -> Any:
    if s.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


_CLAIM_COLUMNS = (
    OutboxEffect.pk,
    OutboxEffect.project_id,
    OutboxEffect.runtime_id,
    OutboxEffect.effect_id,
    OutboxEffect.effect_type,
    OutboxEffect.plugin,
    OutboxEffect.payload,
    OutboxEffect.attempts,
    OutboxEffect.max_attempts,
    OutboxEffect.subscription_id,
    OutboxEffect.created_at,
)


def claim(db: Database, worker: str, lease: float, limit: int = 1, window: int = 16) -> list[ClaimedEffect]:
    """Claim up to `limit` due effects for `worker` in one transaction: never one whose `lock_key` already
    has a running row, and at most one row per `lock_key` per batch.

    Two statements, whatever the batch size: the first `max(window, limit)` due rows in due order whose lock
    key is not running (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers never wait on each other's
    candidates), then one `UPDATE ... RETURNING` that marks the chosen rows running and reads them. The
    running keys are a `NOT IN` (lock_key is NOT NULL): PostgreSQL reads them once into a hash (a scan of the
    few running rows) and filters the `(status, available_at)` index scan with it, with or without table
    statistics; a `NOT EXISTS` is planned as an anti-join that, before the first ANALYZE, compares every
    pending row with every running one. Two workers racing for rows of
    one lock key are stopped by that partial unique index (the loser claims nothing this round). SQLite: the
    write transaction holds the database lock.
    """
    now = utcnow()
    running = aliased(OutboxEffect)
    try:
        with db.write() as s:
            stmt = (
                select(OutboxEffect.pk, OutboxEffect.lock_key)
                .where(
                    OutboxEffect.status == "pending",
                    OutboxEffect.available_at <= now,
                    OutboxEffect.lock_key.not_in(select(running.lock_key).where(running.status == "running")),
                )
                .order_by(OutboxEffect.available_at, OutboxEffect.pk)
                .limit(max(window, limit))
            )
            chosen: list[int] = []
            keys: set[str] = set()
            for pk, key in s.execute(_skip_locked(s, stmt)):
                if key not in keys:
                    keys.add(key)
                    chosen.append(pk)
                    if len(chosen) == limit:
                        break
            if not chosen:
                return []
            rows = list(
                s.execute(
                    update(OutboxEffect)
                    .where(OutboxEffect.pk.in_(chosen))
                    .values(
                        status="running",
                        claimed_by=worker,
                        locked_until=now + timedelta(seconds=lease),
                        attempts=OutboxEffect.attempts + 1,
                    )
                    .returning(*_CLAIM_COLUMNS)
                    .execution_options(synchronize_session=False)
                )
            )
            order = {pk: i for i, pk in enumerate(chosen)}
            rows.sort(key=lambda r: order[r.pk])
            return [
                ClaimedEffect(
                    r.pk,
                    r.project_id,
                    r.runtime_id,
                    r.effect_id,
                    r.effect_type,
                    r.plugin,
                    dict(r.payload),
                    r.attempts,
                    r.max_attempts,
                    r.subscription_id,
                    r.created_at,
                    worker,
                )
                for r in rows
            ]
    except IntegrityError:
        return []  # another worker took a row of the same lock key first


def requeue_stale(db: Database, grace: float = 0.0) -> int:
    """Put running rows whose lease ran out more than `grace` seconds ago (their worker died) back to pending;
    return how many."""
    now = utcnow()
    with db.write() as s:
        expired = now - timedelta(seconds=grace)
        stmt = select(OutboxEffect.pk).where(OutboxEffect.status == "running", OutboxEffect.locked_until < expired)
        pks = list(s.scalars(_skip_locked(s, stmt)))
        if pks:
            s.execute(
                update(OutboxEffect)
                .where(OutboxEffect.pk.in_(pks))
                .values(status="pending", claimed_by=None, locked_until=None, available_at=now, last_error=STALE)
            )
        return len(pks)


def heartbeat(db: Database, worker: str, pks: list[int], lease: float) -> None:
    """Extend the lease of the rows `worker` is running.

    Rows another transaction has locked are skipped rather than waited for (PostgreSQL `SKIP LOCKED`): the
    only transactions that lock a row this worker runs are its own outcome being recorded (the row is about
    to stop running) and a stale requeue (the lease already ran out). Waiting for them would delay the
    renewal of every other row past its lease on a busy machine.
    """
    if not pks:
        return
    with db.write() as s:
        mine = _skip_locked(
            s,
            select(OutboxEffect.pk).where(
                OutboxEffect.pk.in_(pks), OutboxEffect.claimed_by == worker, OutboxEffect.status == "running"
            ),
        )
        s.execute(
            update(OutboxEffect)
            .where(OutboxEffect.pk.in_(mine))
            .values(locked_until=utcnow() + timedelta(seconds=lease))
            .execution_options(synchronize_session=False)
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


def settle(conn: Connection, effects: Sequence[ClaimedEffect], **values: Any) -> set[int]:
    """Release the claims of `effects` (all held by one worker) with `values`, in one statement; return
    the pks whose claim was still held (the others were lost to a stale requeue and are left alone)."""
    if not effects:
        return set()
    stmt = (
        update(OutboxEffect)
        .where(
            OutboxEffect.pk.in_([e.pk for e in effects]),
            OutboxEffect.claimed_by == effects[0].worker,
            OutboxEffect.status == "running",
        )
        .values(claimed_by=None, locked_until=None, **values)
        .returning(OutboxEffect.pk)
    )
    return set(conn.execute(stmt).scalars())
