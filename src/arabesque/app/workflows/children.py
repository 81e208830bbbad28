"""Child workflows: start a child for a `ChildStart` effect, and deliver a child's results to its parent.

Locks: `lock_runtime` locks a child's ancestors first, root first, and `start_child` locks the parent
before it creates the child, so every transaction touching a parent and a child takes the locks in the
same order (no deadlock), and the parent is re-read under its lock (no lost update).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app.definitions.lookup import compiled, find_definition, latest_version
from arabesque.app.errors import AppError, TooLarge
from arabesque.app.limits import check_context_size, current_limits
from arabesque.app.workflows._merge import merge_objects
from arabesque.app.workflows.runtime import (
    add_audit,
    apply_step,
    definition_of,
    env_of,
    lock_runtime,
    new_runtime,
    now_ms,
    persist_runtime,
    retrying,
    snapshot_of,
    upsert_entity,
)
from arabesque.engine import BudgetExceeded, Definition, Event, Meter, StepError, start, step
from arabesque.engine.child_callback import child_callback_actions
from arabesque.engine.transformers import TransformError
from arabesque.store import Database, WorkflowRuntime, for_update, utcnow
from arabesque.store.outbox import ClaimedEffect, owned_row

__all__ = ["propagate_to_parent", "start_child"]


def start_child(db: Database, effect: ClaimedEffect) -> str | None:
    """Create the child runtime of a claimed `ChildStart` effect, send its init event, mark the effect done.

    Returns the child's id; None when the claim was lost (another worker owns the effect now). A child that
    cannot be created (unknown definition, bad context) dead-letters the effect and is audited on the parent.
    """

    def tx() -> str | None:
        with db.write() as s:
            parent = lock_runtime(s, effect.project_id, effect.runtime_id)
            row = owned_row(s, effect)
            if row is None:
                return None
            try:
                child = _create_child(s, parent, effect)
            except (AppError, StepError, TransformError) as exc:
                message = getattr(exc, "message", None) or str(exc)
                row.status, row.last_error, row.finished_at = "dead", message, utcnow()
                row.claimed_by = row.locked_until = None
                add_audit(
                    s,
                    parent,
                    "child failed",
                    f"worker:{effect.worker}",
                    effect.plugin,
                    details={"effectId": effect.effect_id, "error": message},
                )
                return None
            row.status, row.finished_at = "done", utcnow()
            row.claimed_by = row.locked_until = None
            return child

    return retrying(tx)


def _create_child(s: Session, parent: WorkflowRuntime, effect: ClaimedEffect) -> str:
    options = effect.payload.get("initOptions") or {}
    definition_id = str(effect.payload.get("definitionId"))
    row = latest_version(s, find_definition(s, parent.project_id, definition_id))
    defn = compiled(row)
    context = dict(options.get("context") or {})
    entity = context.get("entity")
    business_id = end_user_id = None
    if isinstance(entity, dict) and isinstance(entity.get("id"), str) and entity["id"]:
        etype = "individual" if entity.get("type") == "individual" else "business"
        entity_id = upsert_entity(s, parent.project_id, etype, entity)
        context["entity"] = {**entity, "ballerineEntityId": entity_id}
        business_id, end_user_id = (entity_id, None) if etype == "business" else (None, entity_id)
    check_context_size(context)
    snap = start(defn, context)
    config = merge_objects(defn.config, options.get("config") or {})
    actor = f"worker:{effect.worker}"
    child = new_runtime(
        s,
        project_id=parent.project_id,
        definition=row,
        snapshot=snap,
        config=config,
        actor=actor,
        business_id=business_id,
        end_user_id=end_user_id,
        parent=parent,
        audit_details={"parentRuntimeId": parent.id, "effectId": effect.effect_id},
    )
    add_audit(
        s,
        parent,
        "child started",
        actor,
        effect.plugin,
        details={"childRuntimeId": child.id, "definitionId": row.id, "effectId": effect.effect_id},
    )
    init = options.get("event")
    if isinstance(init, str) and init:
        result = step(defn, snap, Event(init), env_of(child))
        apply_step(s, child, defn, result, actor, init)
    persist_runtime(s, child)
    s.flush()
    return child.id


def propagate_to_parent(s: Session, child: WorkflowRuntime, child_defn: Definition) -> None:
    """`config.childCallbackResults` of the parent: write the children's results into
    `parent.childWorkflows.<definitionId>.<childRuntimeId>` and send `deliverEvent` (engine/child_callback.py).

    Runs inside the transaction that stepped the child, whose ancestors `lock_runtime` already locked.
    Refused parent events are audited and swallowed, as in Ballerine.
    """
    parent = s.scalars(
        for_update(s, select(WorkflowRuntime).where(WorkflowRuntime.id == child.parent_runtime_id))
    ).first()
    if parent is None:
        return
    parent_row, parent_defn = definition_of(s, parent)
    s.flush()
    siblings = s.scalars(
        select(WorkflowRuntime).where(
            WorkflowRuntime.parent_runtime_id == parent.id, WorkflowRuntime.definition_id == child.definition_id
        )
    )
    limits = current_limits()
    parent_view = {
        "id": parent.id,
        "projectId": parent.project_id,
        "status": parent.status,
        "context": parent.context,
        "childWorkflowsRuntimeData": [
            {
                "id": c.id,
                "workflowDefinitionId": c.definition_id,
                "status": c.status,
                "tags": c.tags,
                "state": c.state,
                "context": c.context,
            }
            for c in siblings
        ],
    }
    try:
        actions = child_callback_actions(
            parent_definition={**parent_row.record, "config": parent_defn.config},
            parent_runtime=parent_view,
            child_definition={"id": child.definition_id},
            child_runtime={"id": child.id, "workflowDefinitionId": child.definition_id},
            child_runtime_state=child.state,
            is_final=child_defn.is_final(child.state),
            now_ms=now_ms(),
            meter=Meter(limits.evaluation, limits.time_left()),
        )
    except (TransformError, BudgetExceeded) as exc:
        add_audit(s, parent, "child callback failed", "system", None, details={"error": str(exc)})
        return
    actor = f"child:{child.id}"
    for action in actions:
        event = Event(str(action["event"]), action.get("payload"))
        try:
            result = step(parent_defn, snapshot_of(parent), event, env_of(parent))
            apply_step(s, parent, parent_defn, result, actor, event.type, kind="child callback")
        except (StepError, TooLarge) as exc:
            add_audit(
                s,
                parent,
                "child callback refused",
                actor,
                event.type,
                details={"childRuntimeId": child.id, "error": getattr(exc, "message", None) or str(exc)},
            )
