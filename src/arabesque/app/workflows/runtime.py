"""A runtime as the use cases see it: locked (or 404), still open or not, its engine snapshot and environment,
a new one, its JSON.

Stepping it and writing the step (snapshot, audit records, outbox rows) is `steps.py`; the rows themselves are the
transaction's (`store/runtimes.py`, `store/transaction.py`).
"""

from __future__ import annotations

from typing import Any

from arabesque.app._ids import new_id
from arabesque.app._time import iso, now_ms
from arabesque.app.definitions.lookup import DefinitionRef
from arabesque.app.errors import Conflict, NotFound
from arabesque.app.limits import current_limits
from arabesque.app.webhooks.events import emit_webhooks
from arabesque.engine import Definition, Env, Snapshot, next_events
from arabesque.store import Runtime, Transaction, WorkflowRuntime, utcnow

__all__ = [
    "add_runtime",
    "env_of",
    "lock_runtime",
    "new_runtime",
    "require_open",
    "runtime_json",
    "snapshot_of",
]


def lock_runtime(tx: Transaction, project_id: str, runtime_id: str) -> Runtime:
    """The runtime, row-locked for the transaction (a child's ancestors first, root first); 404 when it is not
    in the project."""
    rt = tx.runtimes.lock(project_id, runtime_id)
    if rt is None:
        raise NotFound(f"No resource with id [{runtime_id}] was found")
    return rt


def require_open(rt: Runtime, defn: Definition, refusal: str) -> None:
    """409 `Workflow <id> is <status>; <refusal>` unless the runtime is active and not in a final state."""
    if rt.status != "active" or defn.is_final(rt.state):
        raise Conflict(f"Workflow {rt.id} is {rt.status}; {refusal}")


def snapshot_of(rt: Runtime | WorkflowRuntime) -> Snapshot:
    return Snapshot.from_json(
        {
            "state": rt.state,
            "context": rt.context,
            "status": rt.status,
            "tags": rt.tags or [],
            "pending": rt.pending or {},
            "seq": rt.seq,
        }
    )


def env_of(rt: Runtime) -> Env:
    """The engine's view of `rt` for a step starting now, with the service's evaluation limits and time."""
    return current_limits().env(rt.id, rt.config or {}, now_ms())


def new_runtime(
    *,
    project_id: str,
    definition: DefinitionRef,
    snapshot: Snapshot,
    config: dict[str, Any],
    actor: str,
    business_id: str | None,
    end_user_id: str | None,
    parent: Runtime | None = None,
) -> Runtime:
    """A new runtime at `snapshot`, in memory only: `add_runtime` adds it to a transaction."""
    now = utcnow()
    return Runtime(
        id=new_id(),
        project_id=project_id,
        definition_pk=definition.pk,
        definition_id=definition.id,
        definition_name=definition.name,
        definition_version=definition.version,
        business_id=business_id,
        end_user_id=end_user_id,
        assignee_id=None,
        assigned_at=None,
        parent_runtime_id=parent.id if parent is not None else None,
        state=snapshot.state,
        status=snapshot.status,
        context=snapshot.context,
        config=config,
        tags=list(snapshot.tags),
        pending=dict(snapshot.pending),
        seq=snapshot.seq,
        event_count=0,
        created_by=actor,
        created_at=now,
        updated_at=now,
        resolved_at=None,
    )


def add_runtime(tx: Transaction, rt: Runtime, actor: str, audit_details: dict[str, Any] | None = None) -> None:
    """Add a runtime made by `new_runtime` to the transaction, with its "created" audit record and its
    `workflow.created` webhooks. It is inserted by the transaction's flush, in its state then: a caller can
    still step it (e.g. through `config.initialEvent`) and have it written once, in its final state."""
    tx.runtimes.add(rt)
    details = {"definitionVersion": rt.definition_version, **(audit_details or {})}
    tx.runtimes.audit(rt, "created", actor, None, None, rt.state, details)
    emit_webhooks(tx, rt, "workflow.created")


def runtime_json(rt: Runtime | WorkflowRuntime, defn: Definition | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rt.id,
        "projectId": rt.project_id,
        "workflowDefinitionId": rt.definition_id,
        "workflowDefinitionName": rt.definition_name,
        "workflowDefinitionVersion": rt.definition_version,
        "state": rt.state,
        "status": rt.status,
        "tags": rt.tags or [],
        "context": rt.context,
        "config": rt.config or {},
        "businessId": rt.business_id,
        "endUserId": rt.end_user_id,
        "assigneeId": rt.assignee_id,
        "assignedAt": iso(rt.assigned_at),
        "parentRuntimeDataId": rt.parent_runtime_id,
        "createdBy": rt.created_by,
        "createdAt": iso(rt.created_at),
        "updatedAt": iso(rt.updated_at),
        "resolvedAt": iso(rt.resolved_at),
    }
    if defn is not None:
        out["nextEvents"] = [] if rt.status != "active" else next_events(defn, snapshot_of(rt))
    return out
