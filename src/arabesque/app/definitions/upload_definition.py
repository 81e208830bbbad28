"""Use case: the admin page's upload of a definition record as JSON: a new version when the project has its name,
else version 1. Needs `admin`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from arabesque.app.access.members import Member, require_role
from arabesque.app.definitions.create_definition import create_definition
from arabesque.app.definitions.upgrade_definition import UPGRADABLE, upgrade_definition
from arabesque.app.errors import InvalidInput
from arabesque.store import Database, WorkflowDefinition

__all__ = ["upload_definition"]


def upload_definition(db: Database, member: Member, text: str) -> dict[str, Any]:
    """A definition record as JSON: a new version when the project has its name, else version 1."""
    require_role(member, "admin")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("Invalid JSON", [{"path": "json", "message": f"line {exc.lineno}: {exc.msg}"}]) from exc
    if not isinstance(record, dict):
        raise InvalidInput("Invalid workflow definition", [{"path": "json", "message": "must be a JSON object"}])
    name = record.get("name") or record.get("id")
    with db.read() as s:
        exists = (
            isinstance(name, str)
            and s.scalars(
                select(WorkflowDefinition.pk).where(
                    WorkflowDefinition.project_id == member.project_id, WorkflowDefinition.name == name
                )
            ).first()
            is not None
        )
    if exists:
        changes = {k: record[k] for k in UPGRADABLE if k in record}
        return upgrade_definition(db, member.principal, str(name), changes)
    record.pop("version", None)
    return create_definition(db, member.principal, record)
