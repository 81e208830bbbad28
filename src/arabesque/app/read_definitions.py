"""Use case: read definitions (one, or a page of the project's and the public ones)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from arabesque.app._definitions import definition_json, find_definition, visible
from arabesque.app.principal import Principal
from arabesque.store import Database, WorkflowDefinition

__all__ = ["get_definition", "list_definitions"]


def get_definition(db: Database, who: Principal, id_or_name: str) -> dict[str, Any]:
    with db.read() as s:
        return definition_json(find_definition(s, who.project_id, id_or_name))


def list_definitions(db: Database, who: Principal, page: int, limit: int) -> dict[str, Any]:
    with db.read() as s:
        where = visible(who.project_id)
        total = s.scalar(select(func.count()).select_from(WorkflowDefinition).where(where)) or 0
        rows = s.scalars(
            select(WorkflowDefinition)
            .where(where)
            .order_by(WorkflowDefinition.created_at.desc(), WorkflowDefinition.pk.desc())
            .offset((page - 1) * limit)
            .limit(limit)
        ).all()
        return {
            "items": [definition_json(r) for r in rows],
            "meta": {"total": total, "pages": -(-total // limit) if limit else 0},
        }
