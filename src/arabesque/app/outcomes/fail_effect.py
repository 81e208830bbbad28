"""Use case: an effect whose execution failed in an unexpected way (not an answer from its target) — a failed
attempt like any other: retried later, or dead-lettered, with `last_error` set.

Plugin calls have their own error path (an error outcome and the plugin's `errorAction`, `apply_http_result.py`);
this one is for what has none: a child start that raised, or an outcome that could not be recorded at all.
Without it the claim would just run out and the effect be retried for ever, with nothing said about why.
"""

from __future__ import annotations

from datetime import timedelta

from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import lock_runtime
from arabesque.store import Database, utcnow
from arabesque.store.outbox import ClaimedEffect, settle

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

    def attempt() -> bool:
        with db.transaction() as tx:
            rt = lock_runtime(tx, effect.project_id, effect.runtime_id) if audit else None
            if not settle(tx.conn, [effect], last_error=error, **values):
                return False
            if rt is not None:
                details: dict[str, object] = {"effectId": effect.effect_id, "attempt": effect.attempts, "error": error}
                if retry_in is not None:
                    details["retryInSeconds"] = round(retry_in, 3)
                tx.runtimes.audit(rt, "effect failed", f"worker:{effect.worker}", effect.plugin, details=details)
            tx.commit()
            return True

    return retrying(attempt)
