"""Use case: record webhook delivery attempts, a batch in one transaction.

Attempts touch no runtime, so a batch of them is settled together (`outbox.settle`, one statement per outcome)
and logged with one multi-row insert into `webhook_attempt` (the delivery log of the admin pages and the API).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from arabesque.app.retrying import retrying
from arabesque.store import Database, WebhookAttempt, utcnow
from arabesque.store.outbox import ClaimedEffect, settle

__all__ = ["WebhookResult", "record_webhook_attempt", "record_webhook_attempts"]


@dataclass(frozen=True)
class WebhookResult:
    """One delivery attempt to record: its answer (or error), and whether to retry it in `retry_in` s or
    dead-letter it; neither means delivered."""

    effect: ClaimedEffect
    status_code: int | None
    error: str | None
    latency_ms: int
    retry_in: float | None = None
    dead: bool = False


def record_webhook_attempts(db: Database, results: Sequence[WebhookResult]) -> set[int]:
    """Log a batch of delivery attempts in one transaction; each row is then done (2xx), due again in its
    `retry_in` s, or dead. Return the pks recorded (an effect whose claim was lost is not: its new owner
    records it). Delivered rows are settled by one statement, the attempt log by one multi-row insert."""
    if not results:
        return set()

    def tx() -> set[int]:
        now = utcnow()
        groups: dict[tuple[str, str, datetime | None, str | None], list[WebhookResult]] = {}
        for r in results:
            next_at = now + timedelta(seconds=r.retry_in) if r.retry_in is not None and not r.dead else None
            status = "pending" if next_at is not None else ("dead" if r.dead else "done")
            error = r.error or (f"HTTP {r.status_code}" if r.status_code and r.status_code >= 300 else None)
            groups.setdefault((r.effect.worker, status, next_at, error), []).append(r)
        with db.write() as s:
            owned: set[int] = set()
            for (_, status, next_at, error), items in groups.items():
                values: dict[str, Any] = {"status": status, "last_error": error}
                if next_at is not None:
                    values["available_at"] = next_at
                else:
                    values["finished_at"] = now
                owned |= settle(s.connection(), [r.effect for r in items], **values)
            log = [
                {
                    "project_id": r.effect.project_id,
                    "outbox_pk": r.effect.pk,
                    "subscription_id": r.effect.subscription_id,
                    "attempt": r.effect.attempts,
                    "status_code": r.status_code,
                    "error": r.error,
                    "latency_ms": r.latency_ms,
                    "next_retry_at": now + timedelta(seconds=r.retry_in)
                    if r.retry_in is not None and not r.dead
                    else None,
                    "created_at": now,
                }
                for r in results
                if r.effect.pk in owned
            ]
            if log:
                s.execute(insert(WebhookAttempt), log)
            return owned

    return retrying(tx)


def record_webhook_attempt(
    db: Database,
    effect: ClaimedEffect,
    status_code: int | None,
    error: str | None,
    latency_ms: int,
    retry_in: float | None,
    dead: bool = False,
) -> bool:
    """Log one delivery attempt (`record_webhook_attempts` for one)."""
    result = WebhookResult(effect, status_code, error, latency_ms, retry_in, dead)
    return effect.pk in record_webhook_attempts(db, [result])
