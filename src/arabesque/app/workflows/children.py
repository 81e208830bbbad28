"""Child workflows: start a child for a `ChildStart` effect, and deliver a child's results to its parent.

Locks: `lock_runtime` locks a child's ancestors first, root first, and `start_child` locks the parent
before it creates the child, so every transaction touching a parent and a child takes the locks in the
same order (no deadlock), and the parent is re-read under its lock (no lost update).
"""

from __future__ import annotations

from typing import Any

from arabesque.app._ids import new_id
from arabesque.app._time import now_ms
from arabesque.app.definitions.lookup import compiled_ref, definition_for, resolve_latest
from arabesque.app.errors import AppError, TooLarge
from arabesque.app.limits import check_context_size, current_limits
from arabesque.app.retrying import retrying
from arabesque.app.workflows._merge import merge_objects
from arabesque.app.workflows.runtime import add_runtime, env_of, lock_runtime, new_runtime, snapshot_of
from arabesque.app.workflows.steps import apply_step
from arabesque.engine import BudgetExceeded, Definition, Event, Meter, StepError, start, step
from arabesque.engine.child_callback import child_callback_actions
from arabesque.engine.transformers import TransformError
from arabesque.store import Database, EntityKind, Runtime, Transaction, utcnow
from arabesque.store.outbox import ClaimedEffect, settle

__all__ = ["propagate_to_parent", "start_child"]


def start_child(db: Database, effect: ClaimedEffect) -> str | None:
    """Create the child runtime of a claimed `ChildStart` effect, send its init event, mark the effect done.

    Returns the child's id; None when the claim was lost (another worker owns the effect now: nothing is
    committed). A child that cannot be created (unknown definition, bad context, a refused init event) is not
    created: the effect is dead-lettered and the failure audited on the parent.
    """

    def attempt() -> str | None:
        with db.transaction() as tx:
            parent = lock_runtime(tx, effect.project_id, effect.runtime_id)
            child: Runtime | None = None
            try:
                child = _create_child(tx, parent, effect)
            except (AppError, StepError, TransformError) as exc:
                message = getattr(exc, "message", None) or str(exc)
                tx.runtimes.audit(
                    parent,
                    "child failed",
                    f"worker:{effect.worker}",
                    effect.plugin,
                    details={"effectId": effect.effect_id, "error": message},
                )
                outcome: dict[str, Any] = {"status": "dead", "last_error": message}
            else:
                outcome = {"status": "done"}
            if not settle(tx.conn, [effect], finished_at=utcnow(), **outcome):
                return None  # the claim was lost: leaving without a commit rolls all of this back
            tx.commit()
            return child.id if child is not None else None

    return retrying(attempt)


def _create_child(tx: Transaction, parent: Runtime, effect: ClaimedEffect) -> Runtime:
    """The child, added to the transaction, stepped through its init event. Everything that can refuse it (the
    definition, the context's size, the init event) is checked before anything is added."""
    options = effect.payload.get("initOptions") or {}
    ref = resolve_latest(tx.conn, parent.project_id, str(effect.payload.get("definitionId")))
    defn = compiled_ref(tx.conn, ref)
    context = dict(options.get("context") or {})
    entity = context.get("entity")
    business_id = end_user_id = None
    if isinstance(entity, dict) and isinstance(entity.get("id"), str) and entity["id"]:
        kind: EntityKind = "individual" if entity.get("type") == "individual" else "business"
        entity_id = tx.entities.upsert(kind, parent.project_id, entity["id"], entity.get("data"), new_id())
        context["entity"] = {**entity, "ballerineEntityId": entity_id}
        business_id, end_user_id = (entity_id, None) if kind == "business" else (None, entity_id)
    check_context_size(context)
    snap = start(defn, context)
    actor = f"worker:{effect.worker}"
    child = new_runtime(
        project_id=parent.project_id,
        definition=ref,
        snapshot=snap,
        config=merge_objects(defn.config, options.get("config") or {}),
        actor=actor,
        business_id=business_id,
        end_user_id=end_user_id,
        parent=parent,
    )
    init = options.get("event")
    result = step(defn, snap, Event(init), env_of(child)) if isinstance(init, str) and init else None
    if result is not None and result.snapshot.context != snap.context:
        check_context_size(result.snapshot.context)
    add_runtime(tx, child, actor, {"parentRuntimeId": parent.id, "effectId": effect.effect_id})
    tx.runtimes.audit(
        parent,
        "child started",
        actor,
        effect.plugin,
        details={"childRuntimeId": child.id, "definitionId": ref.id, "effectId": effect.effect_id},
    )
    if result is not None:
        apply_step(tx, child, defn, result, actor, str(init))
    return child


def propagate_to_parent(tx: Transaction, child: Runtime, child_defn: Definition) -> None:
    """`config.childCallbackResults` of the parent: write the children's results into
    `parent.childWorkflows.<definitionId>.<childRuntimeId>` and send `deliverEvent` (engine/child_callback.py).

    Runs inside the transaction that stepped the child, whose ancestors `lock_runtime` already locked.
    Refused parent events are audited and swallowed, as in Ballerine.
    """
    parent = tx.runtimes.lock_parent(child)
    if parent is None:
        return
    parent_defn = definition_for(tx.conn, parent)
    siblings = tx.runtimes.children(parent, child.definition_id)
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
            parent_definition={**parent_defn.record, "config": parent_defn.config},
            parent_runtime=parent_view,
            child_definition={"id": child.definition_id},
            child_runtime={"id": child.id, "workflowDefinitionId": child.definition_id},
            child_runtime_state=child.state,
            is_final=child_defn.is_final(child.state),
            now_ms=now_ms(),
            meter=Meter(limits.evaluation, limits.time_left()),
        )
    except (TransformError, BudgetExceeded) as exc:
        tx.runtimes.audit(parent, "child callback failed", "system", None, details={"error": str(exc)})
        return
    actor = f"child:{child.id}"
    for action in actions:
        event = Event(str(action["event"]), action.get("payload"))
        try:
            result = step(parent_defn, snapshot_of(parent), event, env_of(parent))
            apply_step(tx, parent, parent_defn, result, actor, event.type, kind="child callback")
        except (StepError, TooLarge) as exc:
            tx.runtimes.audit(
                parent,
                "child callback refused",
                actor,
                event.type,
                details={"childRuntimeId": child.id, "error": getattr(exc, "message", None) or str(exc)},
            )
