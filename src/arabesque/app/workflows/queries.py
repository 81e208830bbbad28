"""Use case: read runtimes (one, its context, or a filtered page), scoped to the caller's project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from arabesque.app.access.principal import Principal
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import NotFound
from arabesque.app.workflows.runtime import runtime_json
from arabesque.store import Database, WorkflowRuntime

__all__ = ["ORDER_COLUMNS", "get_context", "get_workflow", "list_workflows", "runtime_in_project"]

ORDER_COLUMNS = {
    "createdAt": WorkflowRuntime.created_at,
    "updatedAt": WorkflowRuntime.updated_at,
    "resolvedAt": WorkflowRuntime.resolved_at,
    "status": WorkflowRuntime.status,
    "state": WorkflowRuntime.state,
    "workflowDefinitionName": WorkflowRuntime.definition_name,
}


def runtime_in_project(s: Session, project_id: str, runtime_id: str) -> WorkflowRuntime | None:
    """The runtime when it belongs to the project (read, not locked); None otherwise, never another project's."""
    return s.scalars(
        select(WorkflowRuntime).where(WorkflowRuntime.id == runtime_id, WorkflowRuntime.project_id == project_id)
    ).first()


def _get(s: Session, who: Principal, runtime_id: str) -> WorkflowRuntime:
    rt = runtime_in_project(s, who.project_id, runtime_id)
    if rt is None:
        raise NotFound(f"No resource with id [{runtime_id}] was found")
    return rt


def get_workflow(db: Database, who: Principal, runtime_id: str) -> dict[str, Any]:
    with db.read() as s:
        rt = _get(s, who, runtime_id)
        return runtime_json(rt, definition_for(s.connection(), rt))


def get_context(db: Database, who: Principal, runtime_id: str) -> dict[str, Any]:
    with db.read() as s:
        return {"context": _get(s, who, runtime_id).context}


def list_workflows(
    db: Database,
    who: Principal,
    *,
    statuses: list[str] | None = None,
    definition: str | None = None,
    entity_id: str | None = None,
    page: int = 1,
    limit: int = 20,
    order_by: str = "createdAt",
    order_direction: str = "desc",
) -> dict[str, Any]:
    conds: list[Any] = [WorkflowRuntime.project_id == who.project_id]
    if statuses:
        conds.append(WorkflowRuntime.status.in_(statuses))
    if definition:
        conds.append(or_(WorkflowRuntime.definition_id == definition, WorkflowRuntime.definition_name == definition))
    if entity_id:
        conds.append(or_(WorkflowRuntime.business_id == entity_id, WorkflowRuntime.end_user_id == entity_id))
    column = ORDER_COLUMNS[order_by]
    order = column.asc() if order_direction == "asc" else column.desc()
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(WorkflowRuntime).where(*conds)) or 0
        rows = s.scalars(
            select(WorkflowRuntime)
            .where(*conds)
            .order_by(order, WorkflowRuntime.id)
            .offset((page - 1) * limit)
            .limit(limit)
        ).all()
        return {
            "results": [runtime_json(r) for r in rows],
            "meta": {"total": total, "pages": -(-total // limit)},
        }
