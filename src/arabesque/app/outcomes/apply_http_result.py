"""Use cases: apply the final outcome of an HTTP plugin call (or of an e-mail plugin's message, whose outcome has
the same shape), or record a failed attempt to retry later.

Each first takes the effect's row back from the calling worker's claim (`outbox.settle`: an
`UPDATE ... WHERE claimed_by = worker AND status = 'running' RETURNING pk`): a worker whose lease ran out while
it was busy finds its claim gone and changes nothing. The outcome is applied through `engine.apply_outcome`
under the runtime's lock, in the transaction that marks the row done, so it lands exactly once even when the
call itself was made twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arabesque.app.definitions.lookup import definition_for
from arabesque.app.outcomes._within_limits import outcome_within_limits
from arabesque.app.retrying import retrying
from arabesque.app.workflows.runtime import env_of, lock_runtime, snapshot_of
from arabesque.app.workflows.steps import apply_step
from arabesque.engine import HttpOutcome
from arabesque.store import Database, utcnow
from arabesque.store.outbox import ClaimedEffect, settle

__all__ = ["apply_http_result", "retry_http_later"]


def _attempt_details(effect: ClaimedEffect, outcome: HttpOutcome) -> dict[str, Any]:
    details: dict[str, Any] = {"effectId": effect.effect_id, "plugin": effect.plugin, "attempt": effect.attempts}
    if outcome.status is not None:
        details["status"] = outcome.status
    if outcome.error:
        details["error"] = outcome.error
    if effect.effect_type == "email" and isinstance(outcome.body, dict):
        details["email"] = outcome.body  # what was sent (or logged) and how: redacted by effects/email.py
    return details


def apply_http_result(db: Database, effect: ClaimedEffect, outcome: HttpOutcome) -> str:
    """Apply the final outcome of an HTTP effect; return `applied`, `duplicate`, `rejected` or `lost`."""
    awaits = bool(effect.payload.get("awaitsOutcome"))

    def attempt() -> str:
        with db.transaction() as tx:
            rt = lock_runtime(tx, effect.project_id, effect.runtime_id)
            if not settle(tx.conn, [effect], status="done", finished_at=utcnow(), last_error=outcome.error):
                return "lost"
            details = {**_attempt_details(effect, outcome), "attempts": effect.attempts}
            actor = f"worker:{effect.worker}"
            if not awaits:
                tx.runtimes.audit(rt, "plugin outcome", actor, effect.plugin, details=details)
                tx.commit()
                return "applied"
            defn = definition_for(tx.conn, rt)
            result = outcome_within_limits(defn, snapshot_of(rt), outcome, env_of(rt))
            if result.duplicate:
                tx.runtimes.audit(rt, "plugin outcome", actor, effect.plugin, details={**details, "duplicate": True})
                tx.commit()
                return "duplicate"
            if result.rejected:
                details["rejected"] = result.rejected
            apply_step(tx, rt, defn, result, actor, effect.plugin, details, kind="plugin outcome")
            tx.commit()
            return "rejected" if result.rejected else "applied"

    return retrying(attempt)


def retry_http_later(db: Database, effect: ClaimedEffect, outcome: HttpOutcome, delay: float) -> bool:
    """Audit a failed attempt and make the effect due again in `delay` seconds; False if the claim was lost."""

    def attempt() -> bool:
        with db.transaction() as tx:
            rt = lock_runtime(tx, effect.project_id, effect.runtime_id)
            if not settle(
                tx.conn,
                [effect],
                status="pending",
                available_at=utcnow() + timedelta(seconds=delay),
                last_error=outcome.error or f"HTTP {outcome.status}",
            ):
                return False
            details = {**_attempt_details(effect, outcome), "retryInSeconds": round(delay, 3)}
            tx.runtimes.audit(rt, "plugin attempt", f"worker:{effect.worker}", effect.plugin, details=details)
            tx.commit()
            return True

    return retrying(attempt)
