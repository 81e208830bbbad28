"""Runtime helpers shared by the use cases: locking, snapshots, writing a step, serialising a runtime."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import bindparam, event, insert, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction, make_transient, make_transient_to_detached

from arabesque.app._time import iso
from arabesque.app.definitions.lookup import DefinitionRef, compiled, compiled_for_runtime, remember_for_runtime
from arabesque.app.errors import Conflict, InvalidInput, NotFound
from arabesque.app.limits import budget_error, check_context_size, current_limits
from arabesque.app.webhooks.events import document_changed, emit_webhooks
from arabesque.app.workflows.transition_count import note_transitions
from arabesque.engine import (
    BudgetExceeded,
    Definition,
    Env,
    Event,
    EventRejected,
    Snapshot,
    Step,
    StepFailed,
    next_events,
    step,
)
from arabesque.store import (
    Business,
    EndUser,
    OutboxEffect,
    Prepared,
    PreparedInsert,
    RuntimeEvent,
    WorkflowDefinition,
    WorkflowRuntime,
    for_update,
    table,
    utcnow,
)
from arabesque.store.outbox import add_effect_row

__all__ = [
    "add_audit",
    "apply_step",
    "checked_step",
    "definition_for",
    "definition_of",
    "env_of",
    "lock_runtime",
    "new_id",
    "new_runtime",
    "now_ms",
    "persist_runtime",
    "plugin_options",
    "require_open",
    "retrying",
    "runtime_in_project",
    "runtime_json",
    "snapshot_of",
    "upsert_entity",
]

T = TypeVar("T")


def new_id() -> str:
    return str(uuid.uuid4())


def now_ms() -> int:
    return int(time.time() * 1000)


def retrying(fn: Callable[[], T], attempts: int = 3) -> T:
    """Run a whole transaction again when it lost a race (unique key taken, deadlock, lock timeout)."""
    for attempt in range(attempts):
        try:
            return fn()
        except IntegrityError as exc:
            if attempt == attempts - 1:
                raise Conflict("The request conflicts with a concurrent change; retry it") from exc
        except OperationalError as exc:
            if attempt == attempts - 1 or not _transient(exc):
                raise
    raise AssertionError("unreachable")


def _transient(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(exc.orig)


def lock_runtime(s: Session, project_id: str, runtime_id: str) -> WorkflowRuntime:
    """The runtime, row-locked for this transaction; 404 when it is not in the project.

    A child runtime's ancestors are locked first, root first: every transaction that touches a parent and
    its child takes the locks in that one order, so parent/child updates cannot deadlock, and a child's
    result lands on a parent no one else is changing.
    """
    # The usual case in one statement: a runtime without a parent (`parent_runtime_id` is set when a child
    # is created and never changes) has no ancestors to lock first.
    row = _LOCK_ROOT.first(s.connection(), {"id": runtime_id, "project_id": project_id})
    if row is not None:
        return _attached(s, row)
    chain: list[str] = []
    parent = s.scalar(select(WorkflowRuntime.parent_runtime_id).where(WorkflowRuntime.id == runtime_id))
    while parent is not None and parent not in chain and len(chain) < 16:
        chain.append(parent)
        parent = s.scalar(select(WorkflowRuntime.parent_runtime_id).where(WorkflowRuntime.id == parent))
    for ancestor in reversed(chain):
        s.scalars(for_update(s, select(WorkflowRuntime).where(WorkflowRuntime.id == ancestor))).first()
    rt = s.scalars(
        for_update(
            s,
            select(WorkflowRuntime).where(WorkflowRuntime.id == runtime_id, WorkflowRuntime.project_id == project_id),
        )
    ).first()
    if rt is None:
        raise NotFound(f"No resource with id [{runtime_id}] was found")
    return rt


_rt = table(WorkflowRuntime).c
_RUNTIME_COLUMNS = tuple(c.key for c in _rt)
_LOCK_ROOT = Prepared(
    select(table(WorkflowRuntime))
    .where(_rt.id == bindparam("id"), _rt.project_id == bindparam("project_id"), _rt.parent_runtime_id.is_(None))
    .with_for_update()
)


def _attached(s: Session, row: tuple[Any, ...]) -> WorkflowRuntime:
    """The session's runtime for a full `workflow_runtime` row: the one it holds already (loaded earlier in
    this transaction, as the ORM would return it), else one built from the row and attached, unmodified."""
    found = s.identity_map.get(s.identity_key(WorkflowRuntime, row[0]))
    if isinstance(found, WorkflowRuntime):
        return found
    rt = WorkflowRuntime(**dict(zip(_RUNTIME_COLUMNS, row, strict=True)))
    make_transient_to_detached(rt)
    s.add(rt)
    return rt


def runtime_in_project(s: Session, project_id: str, runtime_id: str) -> WorkflowRuntime | None:
    """The runtime when it belongs to the project (read, not locked); None otherwise, never another project's."""
    return s.scalars(
        select(WorkflowRuntime).where(WorkflowRuntime.id == runtime_id, WorkflowRuntime.project_id == project_id)
    ).first()


def require_open(rt: WorkflowRuntime, defn: Definition, refusal: str) -> None:
    """409 `Workflow <id> is <status>; <refusal>` unless the runtime is active and not in a final state."""
    if rt.status != "active" or defn.is_final(rt.state):
        raise Conflict(f"Workflow {rt.id} is {rt.status}; {refusal}")


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


def definition_of(s: Session, rt: WorkflowRuntime) -> tuple[WorkflowDefinition, Definition]:
    row = s.get(WorkflowDefinition, rt.definition_pk)
    assert row is not None
    return row, compiled(row)


def definition_for(s: Session, rt: WorkflowRuntime) -> Definition:
    """`definition_of(s, rt)[1]`, from a per-database cache keyed by the runtime's definition columns:
    the definition row (and its `record`) is read once per process, not on every event."""
    key = (rt.definition_pk, rt.definition_id, rt.definition_version, rt.definition_name)
    found = compiled_for_runtime(s, *key)
    if found is not None:
        return found
    _, defn = definition_of(s, rt)
    remember_for_runtime(s, *key, defn)
    return defn


def snapshot_of(rt: WorkflowRuntime) -> Snapshot:
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


def env_of(rt: WorkflowRuntime) -> Env:
    """The engine's view of `rt` for a step starting now, with the service's evaluation limits and time."""
    return current_limits().env(rt.id, rt.config or {}, now_ms())


def add_audit(
    s: Session,
    rt: WorkflowRuntime,
    kind: str,
    actor: str,
    event: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit record (`seq` = the runtime's next `event_count`).

    The rows are buffered in the session and written at commit, after every runtime row (`_before_commit`),
    as one multi-row INSERT: a use case's audit records cost one statement.
    """
    rt.event_count += 1
    s.info.setdefault(_AUDIT, []).append(
        {
            "runtime_id": rt.id,
            "project_id": rt.project_id,
            "seq": rt.event_count,
            "kind": kind,
            "actor": actor,
            "event": event,
            "from_state": from_state,
            "to_state": to_state,
            "details": details or {},
            "created_at": utcnow(),
        }
    )


_AUDIT = "arabesque_audit_rows"
_NEW = "arabesque_new_runtimes"


def persist_runtime(s: Session, rt: WorkflowRuntime) -> None:
    """Insert a runtime made by `new_runtime`, in its current state, and attach it to the session (later
    changes are written by the next flush, `_write_runtimes`); nothing for a runtime already stored. Rows
    that reference a new runtime are written after this: the next flush and the commit call it first."""
    new: list[WorkflowRuntime] = s.info.get(_NEW, [])
    if rt not in new:
        return
    new.remove(rt)
    _INSERT_RUNTIME.rows(s.connection(), {c: getattr(rt, c) for c in _RUNTIME_COLUMNS})
    make_transient_to_detached(rt)
    s.add(rt)


_INSERT_RUNTIME = Prepared(insert(table(WorkflowRuntime)).values({c: bindparam(c) for c in _RUNTIME_COLUMNS}))
_INSERT_AUDIT = PreparedInsert(table(RuntimeEvent), [c.key for c in table(RuntimeEvent).c if c.key != "pk"])


@event.listens_for(Session, "before_flush")
def _write_runtimes(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    """Runtime rows are written here, before the unit of work runs: new ones inserted, changed ones updated
    with one prepared statement (the unit of work costs several times more CPU for a single-row UPDATE, on
    every event). Other rows (outbox, entities) are then flushed by the ORM after the runtimes they
    reference."""
    for rt in list(session.info.get(_NEW, ())):
        persist_runtime(session, rt)
    for obj in list(session.dirty):
        if isinstance(obj, WorkflowRuntime):
            _update_runtime(session, obj)


def _update_runtime(s: Session, rt: WorkflowRuntime) -> None:
    unmodified = inspect(rt).unmodified  # the attributes not set since the row was read or written
    changed = tuple(c for c in _RUNTIME_COLUMNS if c not in unmodified)
    if changed:
        stmt = _UPDATES.get(changed)
        if stmt is None:
            stmt = _UPDATES[changed] = Prepared(
                update(table(WorkflowRuntime))
                .where(_rt.id == bindparam("runtime_id_"))
                .values({c: bindparam(c) for c in changed})
            )
        stmt.rows(s.connection(), {"runtime_id_": rt.id, **{c: getattr(rt, c) for c in changed}})
    # Re-attach it unmodified (as written), so the unit of work leaves it alone.
    s.expunge(rt)
    make_transient(rt)
    make_transient_to_detached(rt)
    s.add(rt)


_UPDATES: dict[tuple[str, ...], Prepared] = {}  # by changed columns: a handful of shapes in practice


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    for rt in list(session.info.get(_NEW, ())):
        persist_runtime(session, rt)
    if session.info.get(_AUDIT):
        session.flush()  # the rows the audit records reference
        _INSERT_AUDIT.rows(session.connection(), session.info.pop(_AUDIT))


@event.listens_for(Session, "after_transaction_end")
def _forget_buffers(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_AUDIT, None)
        session.info.pop(_NEW, None)


def apply_step(
    s: Session,
    rt: WorkflowRuntime,
    defn: Definition,
    step: Step,
    actor: str,
    event: str,
    payload: Any = None,
    kind: str = "event",
) -> None:
    """Write the step's snapshot, one audit record per transition and one outbox row per effect.

    Raises `TooLarge` (413), before changing anything, when the new context is over the context limit."""
    before_state, before_context, before_status = rt.state, rt.context, rt.status
    snap = step.snapshot
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
    note_transitions(s, rt.definition_id, step.transitions)
    transitions = step.transitions or ((event, before_state, snap.state),)
    for i, (ev, frm, to) in enumerate(transitions):
        add_audit(s, rt, kind if i == 0 else "transition", actor, ev, frm, to, details if i == 0 else {})
    for effect in step.effects:
        payload = effect.to_json()
        options = plugin_options(defn, effect.plugin)
        if "timeoutSeconds" in options:
            payload["timeoutSeconds"] = options["timeoutSeconds"]
        add_effect_row(
            s,
            OutboxEffect(
                project_id=rt.project_id,
                runtime_id=rt.id,
                lock_key=rt.id,
                effect_id=effect.id,
                effect_type=effect.type,
                plugin=effect.plugin,
                payload=payload,
                max_attempts=options.get("maxAttempts"),
            ),
        )
    if snap.state != before_state:
        emit_webhooks(s, rt, "workflow.state.changed")
    if snap.status == "completed" and before_status != "completed":
        emit_webhooks(s, rt, "workflow.completed")
    if document_changed(before_context, snap.context):
        emit_webhooks(s, rt, "workflow.context.document.changed")
    if defn.is_final(snap.state) and snap.state in ("approved", "rejected"):
        entity = _entity_of(s, rt)
        if entity is not None:
            entity.approval_state = snap.state.upper()
    if rt.parent_runtime_id is not None:
        from arabesque.app.workflows.children import propagate_to_parent

        propagate_to_parent(s, rt, defn)


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


def _entity_of(s: Session, rt: WorkflowRuntime) -> Business | EndUser | None:
    if rt.business_id:
        return s.get(Business, rt.business_id)
    if rt.end_user_id:
        return s.get(EndUser, rt.end_user_id)
    return None


def runtime_json(rt: WorkflowRuntime, defn: Definition | None = None) -> dict[str, Any]:
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


def new_runtime(
    s: Session,
    *,
    project_id: str,
    definition: DefinitionRef | WorkflowDefinition,
    snapshot: Snapshot,
    config: dict[str, Any],
    actor: str,
    business_id: str | None,
    end_user_id: str | None,
    parent: WorkflowRuntime | None = None,
    audit_details: dict[str, Any] | None = None,
) -> WorkflowRuntime:
    """A new runtime at `snapshot`, with its "created" audit record and the `workflow.created` webhooks.
    It is inserted by `persist_runtime` (at the latest by the next flush or the commit), so a caller can
    still step it (e.g. through `config.initialEvent`) and have it written once, in its final state."""
    now = utcnow()
    runtime = WorkflowRuntime(
        id=new_id(),
        project_id=project_id,
        definition_pk=definition.pk,
        definition_id=definition.id,
        definition_name=definition.name,
        definition_version=definition.version,
        business_id=business_id,
        end_user_id=end_user_id,
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
        assignee_id=None,
        assigned_at=None,
    )
    s.info.setdefault(_NEW, []).append(runtime)
    details = {"definitionVersion": definition.version, **(audit_details or {})}
    add_audit(s, runtime, "created", actor, None, None, snapshot.state, details)
    emit_webhooks(s, runtime, "workflow.created")
    return runtime


def upsert_entity(s: Session, project_id: str, etype: str, entity: dict[str, Any], fresh_id: str | None = None) -> str:
    """Insert the entity (as `fresh_id`, default a new id) or update its data; returns its id. The
    statement row-locks it until commit."""
    data = entity.get("data")
    now = utcnow()
    values: dict[str, Any] = {
        "id": fresh_id or new_id(),
        "project_id": project_id,
        "correlation_id": entity["id"],
        "data": data or {},
        "approval_state": "NEW",
        "created_at": now,
        "updated_at": now,
    }
    if etype == "business":
        values["company_name"] = str((data or {}).get("companyName") or "")
    else:
        values["first_name"] = str((data or {}).get("firstName") or "")
        values["last_name"] = str((data or {}).get("lastName") or "")
        values["email"] = (data or {}).get("email")
    row = _UPSERTS[etype, data is not None].first(s.connection(), values)
    assert row is not None  # INSERT ... ON CONFLICT DO UPDATE ... RETURNING always returns the row
    return str(row[0])


def _upsert(model: type[Business] | type[EndUser], own: tuple[str, ...], with_data: bool) -> Prepared:
    """Insert an entity, or on its (project, correlation id) update `updated_at`, and its data and
    `own` columns when the request carried data. One statement for both databases: SQLite's compiler renders
    PostgreSQL's `ON CONFLICT ... DO UPDATE` construct the same way."""
    entities = table(model)
    columns = ("id", "project_id", "correlation_id", "data", "approval_state", "created_at", "updated_at", *own)
    stmt = pg_insert(entities).values({c: bindparam(c) for c in columns})
    updated = ("updated_at", "data", *own) if with_data else ("updated_at",)
    return Prepared(
        stmt.on_conflict_do_update(
            index_elements=["project_id", "correlation_id"], set_={c: stmt.excluded[c] for c in updated}
        ).returning(entities.c.id)
    )


_UPSERTS = {
    ("business", True): _upsert(Business, ("company_name",), True),
    ("business", False): _upsert(Business, ("company_name",), False),
    ("individual", True): _upsert(EndUser, ("first_name", "last_name", "email"), True),
    ("individual", False): _upsert(EndUser, ("first_name", "last_name", "email"), False),
}
