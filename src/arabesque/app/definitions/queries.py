"""Use cases: read definitions: one, a page of the project's and the public ones (the API); every name with its
versions, and one version with its JSON and compiled form (the admin pages, open to every member)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from arabesque.app.access.members import Member
from arabesque.app.access.principal import Principal
from arabesque.app.definitions.lookup import compiled, definition_json, find_definition, visible
from arabesque.app.errors import NotFound
from arabesque.store import Database, WorkflowDefinition

__all__ = ["definition_detail", "definition_versions", "get_definition", "list_definitions"]


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


def definition_versions(db: Database, member: Member) -> list[dict[str, Any]]:
    """Every definition name the project sees, with its versions newest first."""
    with db.read() as s:
        rows = s.scalars(
            select(WorkflowDefinition)
            .where(visible(member.project_id))
            .order_by(WorkflowDefinition.name, WorkflowDefinition.version.desc())
        ).all()
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            entry = out.setdefault(r.name, {"name": r.name, "displayName": r.display_name or r.name, "versions": []})
            entry["versions"].append(
                {
                    "id": r.id,
                    "version": r.version,
                    "createdAt": r.created_at,
                    "createdBy": r.created_by,
                    "public": r.project_id is None,
                }
            )
        return list(out.values())


def definition_detail(db: Database, member: Member, definition_id: str) -> dict[str, Any]:
    with db.read() as s:
        row = s.scalars(
            select(WorkflowDefinition).where(visible(member.project_id), WorkflowDefinition.id == definition_id)
        ).first()
        if row is None:
            raise NotFound(f"No workflow definition with id [{definition_id}]")
        return {
            "id": row.id,
            "name": row.name,
            "displayName": row.display_name or row.name,
            "version": row.version,
            "json": json.dumps(row.record, indent=2, ensure_ascii=False),
            "definition": compiled(row),
            "editable": row.project_id == member.project_id,
        }
