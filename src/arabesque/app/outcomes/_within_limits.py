"""Applying a plugin's HTTP outcome within the context limit, so that no limit leaves an effect stuck."""

from __future__ import annotations

from dataclasses import replace

from arabesque.app.errors import TooLarge
from arabesque.app.limits import check_context_size
from arabesque.engine import Definition, Env, HttpOutcome, Snapshot, Step, apply_outcome

__all__ = ["outcome_within_limits"]


def outcome_within_limits(defn: Definition, snap: Snapshot, outcome: HttpOutcome, env: Env) -> Step:
    """`engine.apply_outcome`, kept within `ARABESQUE_MAX_CONTEXT_BYTES`.

    A response that would grow the context past the limit is applied as the plugin's error instead (its
    `pluginsOutput` error and `errorAction`, as for any failed call); if even that does not fit, the effect
    is only settled (no longer pending) and the refusal reported in `Step.rejected`. A response whose
    handling goes over an evaluation limit is already the plugin's error (see `ApiPlugin.record_outcome`).
    """
    result = apply_outcome(defn, snap, outcome, env)
    problem = _too_large(result, snap)
    if problem is None:
        return result
    failed = HttpOutcome(outcome.effect_id, outcome.status, outcome.status_text, error=problem)
    result = apply_outcome(defn, snap, failed, env)
    if _too_large(result, snap) is None:
        return result
    pending = {k: v for k, v in snap.pending.items() if k != outcome.effect_id}
    return Step(replace(snap, pending=pending), rejected=problem)


def _too_large(result: Step, before: Snapshot) -> str | None:
    if result.duplicate or result.snapshot.context is before.context:
        return None
    try:
        check_context_size(result.snapshot.context)
    except TooLarge as exc:
        return f"The plugin's result was not kept: {exc.message}"
    return None
