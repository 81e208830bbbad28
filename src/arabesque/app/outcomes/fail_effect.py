"""Use case: an effect whose execution failed in an unexpected way (not an answer from its target) — a failed
attempt like any other: retried later, or dead-lettered, with `last_error` set.

Plugin calls have their own error path (an error outcome and the plugin's `errorAction`, `apply_http_result.py`);
this one is for what has none: a child start that raised, or an outcome that could not be recorded at all.
Without it the claim would just run out and the effect be retried for ever, with nothing said about why.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from arabesque.app.workflows.runtime import add_audit, lock_runtime, retrying
from arabesque.store import Database, OutboxEffect, utcnow
from arabesque.store.outbox import ClaimedEffect

__all__ = ["fail_effect"]


def fail_effect(db: Database, effect: ClaimedEffect, error: str, retry_in: float | None, audit: bool = True) -> bool:
    """Release the claim of `effect` as a failed attempt: due again in `retry_in` seconds, or dead (None). With
    `audit`, the attempt is also in the runtime's audit log (`effect failed`). False if the claim was lost."""
    now = utcnow()
    values: dict[str, object]
    if retry_in is None:
        values = {"status": "dead", "finished_at": now}
    else:
        values = {"status": "pending", "available_at": now + timedelta(seconds=retry_in)}

    def tx() -> bool:
        with db.write() as s:
            rt = lock_runtime(s, effect.project_id, effect.runtime_id) if audit else None
            settled = s.scalars(
                update(OutboxEffect)
                .where(
                    OutboxEffect.pk == effect.pk,
                    OutboxEffect.claimed_by == effect.worker,
                    OutboxEffect.status == "running",
                )
                .values(claimed_by=None, locked_until=None, last_error=error, **values)
                .returning(OutboxEffect.pk)
                .execution_options(synchronize_session=False)
            ).first()
            if settled is None:
                return False
            if rt is not None:
                details: dict[str, object] = {"effectId": effect.effect_id, "attempt": effect.attempts, "error": error}
                if retry_in is not None:
                    details["retryInSeconds"] = round(retry_in, 3)
                add_audit(s, rt, "effect failed", f"worker:{effect.worker}", effect.plugin, details=details)
            return True

    return retrying(tx)
