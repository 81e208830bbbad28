"""Use case: delete the records that have outlived their use, in small batches.

- finished outbox rows (`done`, `dead`) and webhook delivery attempts: after `finished` (30 days by default).
  A delivery pruned from the outbox leaves the delivery log and can no longer be redelivered.
- idempotency records: after `idempotency.TTL` (24 h), past which a repeated key runs the request again anyway.
- sign-in counters: once untouched for `login.FORGET_AFTER` (a day), when the throttle forgets them anyway;
- Case Management sessions: once expired.

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

from arabesque.app.access.login import FORGET_AFTER
from arabesque.app.workflows.idempotency import TTL
from arabesque.store import (
    Database,
    IdempotencyRecord,
    LoginCounter,
    OutboxEffect,
    WebhookAttempt,
    WebSession,
    utcnow,
)

__all__ = ["Retention", "prune"]


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept; `finished` None keeps finished effects and attempts for ever."""

    finished: timedelta | None = timedelta(days=30)
    idempotency: timedelta = TTL
    sign_in_counters: timedelta = timedelta(seconds=FORGET_AFTER)
    batch: int = 500


def prune(
    db: Database,
    policy: Retention,
    now: datetime | None = None,
    stop: Callable[[], bool] = lambda: False,
    wall_clock: Callable[[], float] = time.time,
) -> dict[str, int]:
    """Delete what `policy` no longer keeps, batch by batch until none is left or `stop()`; return the number of
    rows deleted per table. `wall_clock` is the clock of `login_counter.updated_at` (epoch seconds)."""
    now = now or utcnow()
    work: list[tuple[Any, Any, ColumnElement[bool]]] = []
    if policy.finished is not None:
        cutoff = now - policy.finished
        finished = and_(OutboxEffect.status.in_(("done", "dead")), OutboxEffect.finished_at < cutoff)
        work.append((OutboxEffect, OutboxEffect.pk, finished))
        work.append((WebhookAttempt, WebhookAttempt.pk, WebhookAttempt.created_at < cutoff))
    work.append((IdempotencyRecord, IdempotencyRecord.pk, IdempotencyRecord.created_at < now - policy.idempotency))
    forgotten = wall_clock() - policy.sign_in_counters.total_seconds()
    work.append((LoginCounter, LoginCounter.key, LoginCounter.updated_at <= forgotten))
    work.append((WebSession, WebSession.token_hash, WebSession.expires_at <= now))
    deleted: dict[str, int] = {}
    for model, key, condition in work:
        total = 0
        while not stop():
            n = _delete_batch(db, key, condition, policy.batch)
            total += n
            if n < policy.batch:
                break
        deleted[model.__tablename__] = total
    return deleted


def _delete_batch(db: Database, key: Any, condition: ColumnElement[bool], limit: int) -> int:
    """Delete up to `limit` rows matching `condition`, chosen by their primary key column `key`."""
    with db.write() as s:
        candidates = select(key).where(condition).limit(limit)
        if s.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        keys = list(s.scalars(candidates))
        if keys:
            s.execute(delete(key.class_).where(key.in_(keys)).execution_options(synchronize_session=False))
        return len(keys)
