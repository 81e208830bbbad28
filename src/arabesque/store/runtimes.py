"""The runtime repository: the `workflow_runtime` rows one transaction locks, creates and changes, with the
audit records and outbox rows that go with them.

A use case gets it from its transaction (`tx.runtimes`, `store/transaction.py`). Runtimes are plain data
(`Runtime`): the use case changes their fields, and the transaction's `flush` (part of its `commit`) writes

1. the runtimes added in this transaction, each inserted once, in its state then;
2. for each runtime it locked, one `UPDATE` of the columns whose values changed since they were read or last
   written (assign a new value to change a column: a JSON value changed in place is not seen);
3. the audit records, as one multi-row INSERT;
4. the outbox rows (plugin calls, child starts, webhooks), as one multi-row INSERT.

A run is thus one runtime INSERT in its final state and one audit INSERT, an event one UPDATE and one
audit INSERT, whatever happened in between. Rows are written in that order so each references rows
written before it.

Locks: `lock` takes a runtime's row lock (PostgreSQL `FOR UPDATE`; on SQLite the write transaction holds
the database lock) and locks a child's ancestors first, root first, so every transaction that touches a
parent and its child takes the locks in one order (no deadlock). A runtime locked once is held for the rest
of the transaction: asking for it again returns the same object, changes included.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, insert, select, update

from arabesque.store.entities import EntityKind
from arabesque.store.models import OutboxEffect, RuntimeEvent, WorkflowRuntime, utcnow
from arabesque.store.prepared import Prepared, PreparedInsert, table

__all__ = ["RUNTIME_COLUMNS", "Runtime", "Runtimes"]

_rt = table(WorkflowRuntime).c
RUNTIME_COLUMNS = tuple(c.key for c in _rt)


@dataclass(slots=True, eq=False)
class Runtime:
    """A `workflow_runtime` row as plain data (fields in the table's column order)."""

    id: str
    project_id: str
    definition_pk: int
    definition_id: str
    definition_name: str
    definition_version: int
    business_id: str | None
    end_user_id: str | None
    assignee_id: str | None
    assigned_at: datetime | None
    parent_runtime_id: str | None
    state: str
    status: str
    context: dict[str, Any]
    config: dict[str, Any]
    tags: list[Any]
    pending: dict[str, Any]
    seq: int
    event_count: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None

    @property
    def entity(self) -> tuple[EntityKind, str] | None:
        """The entity it is about: `("business", id)`, `("individual", id)` or None."""
        if self.business_id:
            return "business", self.business_id
        if self.end_user_id:
            return "individual", self.end_user_id
        return None

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in RUNTIME_COLUMNS)


# A row read with `select(workflow_runtime)` becomes a Runtime by position.
assert tuple(f.name for f in fields(Runtime)) == RUNTIME_COLUMNS, "Runtime's fields must follow the table"


class Runtimes:
    """The runtimes of one transaction, on its connection (see the module docstring)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # Every runtime this transaction holds (locked or added), with its values as last written
        # (None: added, not inserted yet), in the order it got them: parents before their children.
        self._held: dict[str, Runtime] = {}
        self._written: dict[str, tuple[Any, ...] | None] = {}
        self._audit: list[dict[str, Any]] = []
        self._effects: list[dict[str, Any]] = []
        self.wrote_effects = False  # whether a flush of this transaction wrote outbox rows (workers to wake)

    # --- reading (and locking) --------------------------------------------------------------------------

    def lock(self, project_id: str, runtime_id: str) -> Runtime | None:
        """The runtime, row-locked until the transaction ends (its ancestors first, root first); None when it
        is not in the project."""
        held = self._held.get(runtime_id)
        if held is not None:
            return held if held.project_id == project_id else None
        key = {"id": runtime_id, "project_id": project_id}
        # The usual case in one statement: a runtime without a parent (`parent_runtime_id` is set when a child
        # is created and never changes) has no ancestors to lock first.
        row = _LOCK_ROOT.first(self._conn, key)
        if row is None:
            for ancestor in reversed(self._ancestors(project_id, runtime_id)):
                if ancestor not in self._held:
                    self._hold(_LOCK.first(self._conn, {"id": ancestor, "project_id": project_id}))
            row = _LOCK.first(self._conn, key)
        return self._hold(row)

    def lock_parent(self, child: Runtime) -> Runtime | None:
        """The parent of `child`, locked (already held when `child` was locked through `lock`)."""
        if child.parent_runtime_id is None:
            return None
        return self.lock(child.project_id, child.parent_runtime_id)

    def lock_active(self, project_id: str, entity: tuple[EntityKind, str], definition_name: str) -> Runtime | None:
        """The oldest active runtime of `definition_name` for `entity` (`("business" | "individual", id)`),
        locked; None when there is none."""
        kind, entity_id = entity
        params = {"project_id": project_id, "entity_id": entity_id, "name": definition_name}
        return self._hold(_LOCK_ACTIVE[kind].first(self._conn, params))

    def children(self, parent: Runtime, definition_id: str) -> list[Runtime]:
        """The children of `parent` made from `definition_id`, oldest first, as this transaction has them: its
        pending changes are written first. Those it does not hold are read, not locked, and not written."""
        self.flush()
        rows = _CHILDREN.rows(self._conn, {"parent_id": parent.id, "definition_id": definition_id})
        return [self._held.get(row[0]) or Runtime(*row) for row in rows]

    def _ancestors(self, project_id: str, runtime_id: str) -> list[str]:
        """The ids of the runtime's parent, grandparent, ... (read, not locked)."""
        chain: list[str] = []
        parent = _PARENT_ID.first(self._conn, {"id": runtime_id, "project_id": project_id})
        while parent is not None and parent[0] is not None and parent[0] not in chain and len(chain) < 16:
            chain.append(parent[0])
            parent = _PARENT_ID.first(self._conn, {"id": parent[0], "project_id": project_id})
        return chain

    def _hold(self, row: tuple[Any, ...] | None) -> Runtime | None:
        if row is None:
            return None
        rt = Runtime(*row)
        self._held[rt.id] = rt
        self._written[rt.id] = row
        return rt

    # --- writing ------------------------------------------------------------------------------------------

    def add(self, rt: Runtime) -> None:
        """A new runtime, inserted by the next flush in its state then."""
        self._held[rt.id] = rt
        self._written[rt.id] = None

    def audit(
        self,
        rt: Runtime,
        kind: str,
        actor: str,
        event: str | None = None,
        from_state: str | None = None,
        to_state: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append one audit record to the runtime's log (`seq` = its next `event_count`)."""
        rt.event_count += 1
        self._audit.append(
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

    def add_effect(
        self,
        rt: Runtime,
        *,
        lock_key: str,
        effect_id: str,
        effect_type: str,
        plugin: str,
        payload: dict[str, Any],
        max_attempts: int | None = None,
        subscription_id: str | None = None,
    ) -> None:
        """Add an outbox row for `rt`, due at once: executed by a worker after the commit."""
        now = utcnow()
        self._effects.append(
            {
                "project_id": rt.project_id,
                "runtime_id": rt.id,
                "lock_key": lock_key,
                "effect_id": effect_id,
                "effect_type": effect_type,
                "plugin": plugin,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "available_at": now,
                "created_at": now,
                "claimed_by": None,
                "locked_until": None,
                "max_attempts": max_attempts,
                "last_error": None,
                "finished_at": None,
                "subscription_id": subscription_id,
            }
        )

    def flush(self) -> None:
        """Write what this transaction changed since the last flush, in the module docstring's order."""
        for rt_id, rt in self._held.items():
            written = self._written[rt_id]
            values = rt.values()
            if written is None:
                _INSERT.rows(self._conn, dict(zip(RUNTIME_COLUMNS, values, strict=True)))
            else:
                changed = tuple(
                    c
                    for c, new, old in zip(RUNTIME_COLUMNS, values, written, strict=True)
                    if new is not old and new != old
                )
                if not changed:
                    continue
                params = {c: getattr(rt, c) for c in changed}
                params["runtime_id_"] = rt_id
                _update(changed).rows(self._conn, params)
            self._written[rt_id] = values
        if self._audit:
            rows, self._audit = self._audit, []
            _INSERT_AUDIT.rows(self._conn, rows)
        if self._effects:
            effects, self._effects = self._effects, []
            _INSERT_EFFECTS.rows(self._conn, effects)
            self.wrote_effects = True


def _all_columns_where(*conditions: ColumnElement[bool]) -> Any:
    return select(table(WorkflowRuntime)).where(*conditions)


_LOCK = Prepared(
    _all_columns_where(_rt.id == bindparam("id"), _rt.project_id == bindparam("project_id")).with_for_update()
)
_LOCK_ROOT = Prepared(
    _all_columns_where(
        _rt.id == bindparam("id"), _rt.project_id == bindparam("project_id"), _rt.parent_runtime_id.is_(None)
    ).with_for_update()
)
_PARENT_ID = Prepared(
    select(_rt.parent_runtime_id).where(_rt.id == bindparam("id"), _rt.project_id == bindparam("project_id"))
)
_LOCK_ACTIVE = {
    kind: Prepared(
        _all_columns_where(
            _rt.project_id == bindparam("project_id"),
            column == bindparam("entity_id"),
            _rt.definition_name == bindparam("name"),
            _rt.status == "active",
        )
        .order_by(_rt.created_at)
        .limit(1)
        .with_for_update()
    )
    for kind, column in (("business", _rt.business_id), ("individual", _rt.end_user_id))
}
_CHILDREN = Prepared(
    _all_columns_where(
        _rt.parent_runtime_id == bindparam("parent_id"), _rt.definition_id == bindparam("definition_id")
    ).order_by(_rt.created_at, _rt.id)
)
_INSERT = Prepared(insert(table(WorkflowRuntime)).values({c: bindparam(c) for c in RUNTIME_COLUMNS}))
_INSERT_AUDIT = PreparedInsert(table(RuntimeEvent), [c.key for c in table(RuntimeEvent).c if c.key != "pk"])
_INSERT_EFFECTS = PreparedInsert(table(OutboxEffect), [c.key for c in table(OutboxEffect).c if c.key != "pk"])
_UPDATES: dict[tuple[str, ...], Prepared] = {}  # by changed columns: a handful of shapes in practice


def _update(changed: tuple[str, ...]) -> Prepared:
    found = _UPDATES.get(changed)
    if found is None:
        found = _UPDATES[changed] = Prepared(
            update(table(WorkflowRuntime))
            .where(_rt.id == bindparam("runtime_id_"))
            .values({c: bindparam(c) for c in changed})
        )
    return found
