"""The start of every collection-flow use case that changes a runtime: the token checked in the use case's own
transaction, then its runtime locked, its definition and UI definition loaded, and a finished case refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from arabesque.app.collection_flow.access import FlowAccess, access_of
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.workflows.runtime import lock_runtime, require_open
from arabesque.engine import Definition
from arabesque.store import Runtime, Transaction, UiDefinition

__all__ = ["LockedFlow", "lock_flow", "ui_record"]


@dataclass(frozen=True)
class LockedFlow:
    access: FlowAccess
    runtime: Runtime
    definition: Definition


def lock_flow(tx: Transaction, token: str | None, *, open_only: bool = True) -> LockedFlow:
    """The token's runtime, row-locked; Unauthorized for a bad token, Conflict (with `open_only`) when the case is
    finished: a finished case never moves back because its client kept a tab open."""
    access = access_of(tx.conn, token)
    rt = lock_runtime(tx, access.project_id, access.runtime_id)
    defn = definition_for(tx.conn, rt)
    if open_only:
        require_open(rt, defn, "its collection flow accepts no more changes")
    return LockedFlow(access, rt, defn)


def ui_record(conn: Any, access: FlowAccess) -> dict[str, Any] | None:
    """The UI definition the flow shows (its record), or None."""
    if access.ui_definition_id is None:
        return None
    found: dict[str, Any] | None = conn.execute(
        select(UiDefinition.record).where(
            UiDefinition.id == access.ui_definition_id, UiDefinition.project_id == access.project_id
        )
    ).scalar()
    return found
