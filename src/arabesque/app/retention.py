"""Use case: delete the records that have outlived their use, in small batches.

- finished outbox rows (`done`, `dead`) and webhook delivery attempts: after `finished` (30 days by default).
  A delivery pruned from the outbox leaves the delivery log and can no longer be redelivered.
- idempotency records: after `idempotency.TTL` (24 h), past which a repeated key runs the request again anyway.
- sign-in failures: after the sign-in throttle's window (15 min), past which they no longer count.

The audit log (`runtime_event`) is never pruned. Each batch is its own short transaction (at most `batch`
rows, PostgreSQL `SKIP LOCKED`, so two workers pruning at once neither wait nor collide) and the work stops
between batches when asked to: pruning never holds long locks, however much there is to delete.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select

from arabesque.app.idempotency import TTL
from arabesque.store import Database, IdempotencyRecord, LoginFailure, OutboxEffect, WebhookAttempt, utcnow

__all__ = ["SIGN_IN_WINDOW", "Retention", "prune"]

SIGN_IN_WINDOW = timedelta(seconds=900)  # the sign-in throttle's window (app/login.py LoginThrottle)


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept; `finished` None keeps finished effects and attempts for ever."""

    finished: timedelta | None = timedelta(days=30)
    idempotency: timedelta = TTL
    sign_in_failures: timedelta = SIGN_IN_WINDOW
    batch: int = 500


def prune(
    db: Database,
    policy: Retention,
    now: datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
    wall_clock: Callable[[], float] = time.time,
) -> dict[str, int]:
    """Delete what `policy` no longer keeps, batch by batch until none is left or `stop()`; return the number of
    rows deleted per table. `wall_clock` is the clock of `login_failure.at` (epoch seconds)."""
    now = now or utcnow()
    work: list[tuple[Any, ColumnElement[bool]]] = []
    if policy.finished is not None:
        cutoff = now - policy.finished
        finished = and_(OutboxEffect.status.in_(("done", "dead")), OutboxEffect.finished_at < cutoff)
        work.append((OutboxEffect, finished))
        work.append((WebhookAttempt, WebhookAttempt.created_at < cutoff))
    work.append((IdempotencyRecord, IdempotencyRecord.created_at < now - policy.idempotency))
    work.append((LoginFailure, LoginFailure.at < wall_clock() - policy.sign_in_failures.total_seconds()))
    deleted: dict[str, int] = {}
    for model, condition in work:
        total = 0
        while not stop():
            n = _delete_batch(db, model, condition, policy.batch)
            total += n
            if n < policy.batch:
                break
        deleted[model.__tablename__] = total
    return deleted


def _delete_batch(db: Database, model: Any, condition: ColumnElement[bool], limit: int) -> int:
    with db.write() as s:
        candidates = select(model.pk).where(condition).limit(limit)
        if s.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        pks = list(s.scalars(candidates))
        if pks:
            s.execute(delete(model).where(model.pk.in_(pks)).execution_options(synchronize_session=False))
        return len(pks)
