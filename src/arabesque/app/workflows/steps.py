"""Stepping a runtime through the engine, and writing the step: the new snapshot, one audit record per
transition, one outbox row per effect, the webhooks the change implies, the entity's approval in a final state,
and the parent's callback when the runtime is a child. All of it goes into the use case's transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from arabesque.app.collection_flow.reopen import REVISION_TAG, reopened_context
from arabesque.app.collection_flow.tokens import has_collection_flow, revoke_runtime_tokens
from arabesque.app.errors import InvalidInput
from arabesque.app.limits import budget_error, check_context_size
from arabesque.app.webhooks.events import document_changed, emit_webhooks
from arabesque.app.workflows.transition_count import count_when_committed
from arabesque.engine import (
    BudgetExceeded,
    Definition,
    Env,
    Event,
    EventRejected,
    FlowTokenRequest,
    Snapshot,
    Step,
    StepFailed,
    step,
)
from arabesque.store import Runtime, Transaction, utcnow

__all__ = ["apply_step", "checked_step", "plugin_options"]


def checked_step(defn: Definition, snap: Snapshot, event: Event, env: Env) -> Step:
    """`engine.step`, with a refused event, a failed step or one over the evaluation budget turned into a
    400 naming what went wrong (and, for the budget, which limit and where in the definition)."""
    try:
        return step(defn, snap, event, env)
    except BudgetExceeded as exc:
        raise budget_error(exc) from exc
    except EventRejected as exc:
        allowed = list(exc.allowed)
        raise InvalidInput(
            f"Event {exc.event} does not exist for the current state {exc.state!r}; allowed: {allowed}",
            [
                {
                    "path": "name",
                    "message": f"{exc.event!r} is not accepted in state {exc.state!r}; allowed: {allowed}",
                }
            ],
        ) from exc
    except StepFailed as exc:
        raise InvalidInput(f"Event {event.type} failed: {exc}", [{"path": "payload", "message": str(exc)}]) from exc


def apply_step(
    tx: Transaction,
    rt: Runtime,
    defn: Definition,
    result: Step,
    actor: str,
    event: str,
    payload: Any = None,
    kind: str = "event",
) -> None:
    """Write the step's snapshot, one audit record per transition and one outbox row per effect.

    Raises `TooLarge` (413), before changing anything, when the new context is over the context limit."""
    before_state, before_context, before_status = rt.state, rt.context, rt.status
    snap = result.snapshot
    if REVISION_TAG in snap.tags and REVISION_TAG not in (rt.tags or []):
        # A revision request re-opens the collection flow's pages with documents to replace (part of this step).
        reopened = reopened_context(tx.conn, rt, snap.context)
        if reopened is not None:
            snap = replace(snap, context=reopened)
    context_changed = snap.context != before_context
    if context_changed:
        check_context_size(snap.context)
    now = utcnow()
    rt.state = snap.state
    rt.context = snap.context
    rt.status = snap.status
    rt.tags = list(snap.tags)
    rt.pending = dict(snap.pending)
    rt.seq = snap.seq
    rt.updated_at = now
    if snap.status == "completed" and rt.resolved_at is None:
        rt.resolved_at = now
    details: dict[str, Any] = {"contextChanged": context_changed}
    if payload is not None:
        details["payload"] = payload
    count_when_committed(tx, rt.definition_id, result.transitions)
    transitions = result.transitions or ((event, before_state, snap.state),)
    for i, (ev, frm, to) in enumerate(transitions):
        tx.runtimes.audit(rt, kind if i == 0 else "transition", actor, ev, frm, to, details if i == 0 else {})
    token_requests = []
    for effect in result.effects:
        if isinstance(effect, FlowTokenRequest):
            token_requests.append(effect)  # answered below, in this transaction: no outbox row
            continue
        body = effect.to_json()
        options = plugin_options(defn, effect.plugin)
        if "timeoutSeconds" in options:
            body["timeoutSeconds"] = options["timeoutSeconds"]
        tx.runtimes.add_effect(
            rt,
            lock_key=rt.id,
            effect_id=effect.id,
            effect_type=effect.type,
            plugin=effect.plugin,
            payload=body,
            max_attempts=options.get("maxAttempts"),
        )
    if snap.state != before_state:
        emit_webhooks(tx, rt, "workflow.state.changed")
    if snap.status == "completed" and before_status != "completed":
        emit_webhooks(tx, rt, "workflow.completed")
    if snap.status != "active" and before_status == "active" and has_collection_flow(snap.context):
        revoke_runtime_tokens(tx.conn, rt.id)  # a finished case collects nothing more: its links close with it
    if document_changed(before_context, snap.context):
        emit_webhooks(tx, rt, "workflow.context.document.changed")
    entity = rt.entity
    if entity is not None and defn.is_final(snap.state) and snap.state in ("approved", "rejected"):
        tx.entities.set_approval(*entity, snap.state.upper())
    if rt.parent_runtime_id is not None:
        # children.py steps the parent through apply_step in turn (a grandparent's callback, and so on).
        from arabesque.app.workflows.children import propagate_to_parent

        propagate_to_parent(tx, rt, defn)
    for request in token_requests:
        # attach-ui-definition: the token is issued and the plugin's callback sent, through apply_step again.
        from arabesque.app.collection_flow.attach import answer_token_request

        answer_token_request(tx, rt, defn, request, actor)


def plugin_options(defn: Definition, plugin: str) -> dict[str, Any]:
    """Arabesque's per-plugin delivery options from the definition record: `timeoutSeconds` (default 30)
    and `maxAttempts` (default 5), on the plugin's entry in any `extensions` list."""
    extensions = defn.record.get("extensions")
    out: dict[str, Any] = {}
    for entries in extensions.values() if isinstance(extensions, dict) else []:
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("name") == plugin:
                timeout = entry.get("timeoutSeconds")
                if isinstance(timeout, int | float) and timeout > 0:
                    out["timeoutSeconds"] = float(timeout)
                attempts = entry.get("maxAttempts")
                if isinstance(attempts, int) and attempts > 0:
                    out["maxAttempts"] = attempts
                return out
    return out
