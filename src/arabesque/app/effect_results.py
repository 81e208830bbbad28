"""Use cases the worker calls with what an effect did: each is one transaction, keyed by the claim.

Every function first checks that the calling worker still holds the effect's claim (`owned_row`); a worker
whose lease ran out while it was busy finds its claim gone and changes nothing. An HTTP outcome is applied
through `engine.apply_outcome` under the runtime's lock, in the transaction that marks the row done, so it
lands exactly once even when the call itself was made twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from arabesque.app._runtime import add_audit, apply_step, definition_of, env_of, lock_runtime, retrying, snapshot_of
from arabesque.app.outbox import ClaimedEffect, owned_row
from arabesque.engine import HttpOutcome, apply_outcome
from arabesque.store import Database, ProjectSecret, ProjectSetting, WebhookAttempt, utcnow

__all__ = [
    "EGRESS_HOSTS",
    "apply_http_result",
    "finish_effect",
    "project_allowed_hosts",
    "project_secret",
    "record_webhook_attempt",
    "retry_http_later",
    "webhook_secret",
]

EGRESS_HOSTS = "egress.allowedHosts"


def _attempt_details(effect: ClaimedEffect, outcome: HttpOutcome) -> dict[str, Any]:
    details: dict[str, Any] = {"effectId": effect.effect_id, "plugin": effect.plugin, "attempt": effect.attempts}
    if outcome.status is not None:
        details["status"] = outcome.status
    if outcome.error:
        details["error"] = outcome.error
    return details


def apply_http_result(db: Database, effect: ClaimedEffect, outcome: HttpOutcome) -> str:
    """Apply the final outcome of an HTTP effect; return `applied`, `duplicate`, `rejected` or `lost`."""
    awaits = bool(effect.payload.get("awaitsOutcome"))

    def tx() -> str:
        with db.write() as s:
            rt = lock_runtime(s, effect.project_id, effect.runtime_id)
            row = owned_row(s, effect)
            if row is None:
                return "lost"
            row.status, row.finished_at, row.claimed_by, row.locked_until = "done", utcnow(), None, None
            row.last_error = outcome.error
            details = {**_attempt_details(effect, outcome), "attempts": effect.attempts}
            actor = f"worker:{effect.worker}"
            if not awaits:
                add_audit(s, rt, "plugin outcome", actor, effect.plugin, details=details)
                return "applied"
            _, defn = definition_of(s, rt)
            result = apply_outcome(defn, snapshot_of(rt), outcome, env_of(rt))
            if result.duplicate:
                add_audit(s, rt, "plugin outcome", actor, effect.plugin, details={**details, "duplicate": True})
                return "duplicate"
            if result.rejected:
                details["rejected"] = result.rejected
            apply_step(s, rt, defn, result, actor, effect.plugin, details, kind="plugin outcome")
            return "rejected" if result.rejected else "applied"

    return retrying(tx)


def retry_http_later(db: Database, effect: ClaimedEffect, outcome: HttpOutcome, delay: float) -> bool:
    """Audit a failed attempt and make the effect due again in `delay` seconds; False if the claim was lost."""

    def tx() -> bool:
        with db.write() as s:
            rt = lock_runtime(s, effect.project_id, effect.runtime_id)
            row = owned_row(s, effect)
            if row is None:
                return False
            row.status, row.claimed_by, row.locked_until = "pending", None, None
            row.available_at = utcnow() + timedelta(seconds=delay)
            row.last_error = outcome.error or f"HTTP {outcome.status}"
            details = {**_attempt_details(effect, outcome), "retryInSeconds": round(delay, 3)}
            add_audit(s, rt, "plugin attempt", f"worker:{effect.worker}", effect.plugin, details=details)
            return True

    return retrying(tx)


def finish_effect(db: Database, effect: ClaimedEffect, status: str = "done", error: str | None = None) -> bool:
    """Mark an effect with nothing to apply (a notification without subscribers) done or dead."""

    def tx() -> bool:
        with db.write() as s:
            row = owned_row(s, effect)
            if row is None:
                return False
            row.status, row.finished_at, row.claimed_by, row.locked_until = status, utcnow(), None, None
            row.last_error = error
            return True

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
    """Log one delivery attempt; then the row is done (2xx), due again in `retry_in` s, or dead."""

    def tx() -> bool:
        with db.write() as s:
            row = owned_row(s, effect)
            if row is None:
                return False
            now = utcnow()
            next_at = now + timedelta(seconds=retry_in) if retry_in is not None and not dead else None
            s.add(
                WebhookAttempt(
                    project_id=effect.project_id,
                    outbox_pk=effect.pk,
                    subscription_id=effect.subscription_id,
                    attempt=effect.attempts,
                    status_code=status_code,
                    error=error,
                    latency_ms=latency_ms,
                    next_retry_at=next_at,
                    created_at=now,
                )
            )
            row.claimed_by, row.locked_until = None, None
            row.last_error = error or (f"HTTP {status_code}" if status_code and status_code >= 300 else None)
            if next_at is not None:
                row.status, row.available_at = "pending", next_at
            else:
                row.status, row.finished_at = ("dead" if dead else "done"), now
            return True

    return retrying(tx)


def project_secret(db: Database, project_id: str, name: str) -> str | None:
    with db.read() as s:
        row = s.get(ProjectSecret, (project_id, name))
        return row.value if row is not None else None


def project_allowed_hosts(db: Database, project_id: str) -> list[str]:
    with db.read() as s:
        value = s.scalar(
            select(ProjectSetting.value).where(
                ProjectSetting.project_id == project_id, ProjectSetting.key == EGRESS_HOSTS
            )
        )
    return [str(h) for h in value] if isinstance(value, list) else []


def webhook_secret(db: Database, effect: ClaimedEffect) -> str | None:
    """The signing secret of a delivery: its subscription's, else the project's `WEBHOOK_SHARED_SECRET`."""
    from arabesque.store import WebhookSubscription

    with db.read() as s:
        if effect.subscription_id:
            sub = s.get(WebhookSubscription, effect.subscription_id)
            return sub.secret if sub is not None else None
    return project_secret(db, effect.project_id, "WEBHOOK_SHARED_SECRET")
