"""The entity repository: the businesses and end users (individuals) a transaction's runtimes are about.

Like the runtime repository it runs on one transaction's connection (`tx.entities`) and remembers what it
read for the rest of the transaction (a correlation id never changes).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from arabesque.store.models import Business, EndUser, utcnow
from arabesque.store.prepared import Prepared, table

__all__ = ["Entities", "EntityKind"]

EntityKind = Literal["business", "individual"]


class Entities:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._correlation_ids: dict[str, str | None] = {}

    def upsert(
        self, kind: EntityKind, project_id: str, correlation_id: str, data: dict[str, Any] | None, fresh_id: str
    ) -> str:
        """Insert the entity as `fresh_id`, or, when the project has one with this correlation id, update
        its `updated_at` and (when `data` is given) its data; its id either way. The row stays locked until
        the transaction ends."""
        now = utcnow()
        fields = data or {}
        values: dict[str, Any] = {
            "id": fresh_id,
            "project_id": project_id,
            "correlation_id": correlation_id,
            "data": fields,
            "approval_state": "NEW",
            "created_at": now,
            "updated_at": now,
        }
        if kind == "business":
            values["company_name"] = str(fields.get("companyName") or "")
        else:
            values["first_name"] = str(fields.get("firstName") or "")
            values["last_name"] = str(fields.get("lastName") or "")
            values["email"] = fields.get("email")
        row = _UPSERTS[kind, data is not None].first(self._conn, values)
        assert row is not None  # INSERT ... ON CONFLICT DO UPDATE ... RETURNING always returns the row
        self._correlation_ids[str(row[0])] = correlation_id
        return str(row[0])

    def correlation_id(self, kind: EntityKind, entity_id: str) -> str | None:
        """The entity's correlation id (the caller's own id for it), read once per transaction."""
        if entity_id not in self._correlation_ids:
            found = _CORRELATION_IDS[kind].first(self._conn, {"id": entity_id})
            self._correlation_ids[entity_id] = found[0] if found is not None else None
        return self._correlation_ids[entity_id]

    def set_approval(self, kind: EntityKind, entity_id: str, state: str) -> None:
        """Record the entity's approval state (`APPROVED`, `REJECTED`), as the final state of a case says."""
        model = _MODELS[kind]
        self._conn.execute(update(model).where(model.id == entity_id).values(approval_state=state, updated_at=utcnow()))


_MODELS: dict[EntityKind, type[Business] | type[EndUser]] = {"business": Business, "individual": EndUser}


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


_UPSERTS: dict[tuple[EntityKind, bool], Prepared] = {
    ("business", True): _upsert(Business, ("company_name",), True),
    ("business", False): _upsert(Business, ("company_name",), False),
    ("individual", True): _upsert(EndUser, ("first_name", "last_name", "email"), True),
    ("individual", False): _upsert(EndUser, ("first_name", "last_name", "email"), False),
}
_CORRELATION_IDS: dict[EntityKind, Prepared] = {
    kind: Prepared(select(table(model).c.correlation_id).where(table(model).c.id == bindparam("id")))
    for kind, model in _MODELS.items()
}
