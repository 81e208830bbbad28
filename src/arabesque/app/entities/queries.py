"""Use cases: read businesses and end users of the caller's project: one by id or by correlation id, a page of
them, and the workflows of one (another project's entity is a 404)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arabesque.app._time import iso
from arabesque.app.access.principal import Principal
from arabesque.app.definitions.lookup import definition_json
from arabesque.app.errors import NotFound
from arabesque.app.workflows.runtime import runtime_json
from arabesque.store import Business, Database, EndUser, WorkflowDefinition, WorkflowRuntime, for_update

__all__ = [
    "Entity",
    "business_json",
    "end_user_json",
    "entity_by_key",
    "entity_json",
    "entity_workflows",
    "get_business",
    "get_end_user",
    "list_entities",
]

Entity = type[Business] | type[EndUser]


def _label(model: Entity) -> str:
    return "business" if model is Business else "end user"


def entity_by_key(s: Session, model: Entity, project_id: str, key: str, lock: bool = False) -> Any:
    """The project's entity whose id, else whose correlation id, is `key` (row-locked with `lock`, for a change);
    NotFound otherwise."""
    for col in (model.id, model.correlation_id):
        stmt = select(model).where(model.project_id == project_id, col == key)
        row = s.scalars(for_update(s, stmt) if lock else stmt).first()
        if row is not None:
            return row
    raise NotFound(f"No {_label(model)} with id [{key}] was found")


def _common(row: Business | EndUser) -> dict[str, Any]:
    return {
        "id": row.id,
        "projectId": row.project_id,
        "correlationId": row.correlation_id,
        "approvalState": row.approval_state,
        "data": row.data,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def business_json(row: Business) -> dict[str, Any]:
    return {**_common(row), "companyName": row.company_name}


def end_user_json(row: EndUser) -> dict[str, Any]:
    return {**_common(row), "firstName": row.first_name, "lastName": row.last_name, "email": row.email}


def entity_json(row: Business | EndUser) -> dict[str, Any]:
    return business_json(row) if isinstance(row, Business) else end_user_json(row)


def get_business(db: Database, who: Principal, key: str) -> dict[str, Any]:
    with db.read() as s:
        return business_json(entity_by_key(s, Business, who.project_id, key))


def get_end_user(db: Database, who: Principal, key: str) -> dict[str, Any]:
    with db.read() as s:
        return end_user_json(entity_by_key(s, EndUser, who.project_id, key))


def list_entities(db: Database, who: Principal, model: Entity, page: int, limit: int) -> dict[str, Any]:
    """A page of the project's businesses or end users, newest first."""
    with db.read() as s:
        where = model.project_id == who.project_id
        total = s.scalar(select(func.count()).select_from(model).where(where)) or 0
        rows: Any = s.scalars(
            select(model)
            .where(where)
            .order_by(model.created_at.desc(), model.id)
            .offset((page - 1) * limit)
            .limit(limit)
        ).all()
        return {"items": [entity_json(r) for r in rows], "meta": {"total": total, "pages": -(-total // limit)}}


def entity_workflows(
    db: Database, who: Principal, model: Entity, key: str, page: int, limit: int
) -> list[dict[str, Any]]:
    """The workflows of one business or end user, newest first, each with its definition version (as Ballerine's
    `GET /external/end-users/:id/workflows`: `[{workflowRuntimeData, workflowDefinition}]`)."""
    link = WorkflowRuntime.business_id if model is Business else WorkflowRuntime.end_user_id
    with db.read() as s:
        entity = entity_by_key(s, model, who.project_id, key)
        rows = s.execute(
            select(WorkflowRuntime, WorkflowDefinition)
            .join(WorkflowDefinition, WorkflowDefinition.pk == WorkflowRuntime.definition_pk)
            .where(WorkflowRuntime.project_id == who.project_id, link == entity.id)
            .order_by(WorkflowRuntime.created_at.desc(), WorkflowRuntime.id)
            .offset((page - 1) * limit)
            .limit(limit)
        ).all()
        return [{"workflowRuntimeData": runtime_json(rt), "workflowDefinition": definition_json(d)} for rt, d in rows]
