"""Use case: store a new workflow definition (version 1 of its name), validated by the engine."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from arabesque.app.access.principal import Principal
from arabesque.app.collection_flow.ui_definitions import split_ui_definition, store_ui_definition
from arabesque.app.definitions.lookup import definition_json, load_or_400
from arabesque.app.errors import Conflict, InvalidInput
from arabesque.store import Database, WorkflowDefinition

__all__ = ["create_definition", "insert_definition"]


def create_definition(db: Database, who: Principal, record: dict[str, Any]) -> dict[str, Any]:
    with db.write() as s:
        row = insert_definition(s, who.project_id, record, created_by=who.actor)
        return definition_json(row)


def insert_definition(s: Any, project_id: str | None, record: dict[str, Any], created_by: str) -> WorkflowDefinition:
    """Validate `record` and insert it as version 1 (or `record["version"]`) in `project_id`; its `uiDefinition`,
    when given, is validated and kept as the version's UI definition record."""
    record, ui = split_ui_definition(dict(record))
    defn_id = record.get("id")
    name = record.get("name") or defn_id
    if name is None:
        inner = record.get("definition")
        name = inner.get("id") if isinstance(inner, dict) else None
    problems = []
    if defn_id is not None and (not isinstance(defn_id, str) or not defn_id.strip()):
        problems.append({"path": "id", "message": "must be a non-empty string"})
    if not isinstance(name, str) or not name.strip():
        problems.append({"path": "name", "message": "a name (or an id) is required"})
    version = record.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append({"path": "version", "message": "must be a positive integer"})
    if problems:
        raise InvalidInput("Invalid workflow definition", problems)
    load_or_400(record)
    assert isinstance(name, str)
    defn_id = defn_id or str(uuid.uuid4())
    clash = s.scalars(
        select(WorkflowDefinition).where(
            WorkflowDefinition.project_id == project_id if project_id else WorkflowDefinition.project_id.is_(None),
            (WorkflowDefinition.id == defn_id)
            | ((WorkflowDefinition.name == name) & (WorkflowDefinition.version == version)),
        )
    ).first()
    if clash is not None:
        what = f"id [{defn_id}]" if clash.id == defn_id else f"name [{name}] version {version}"
        raise Conflict(f"A workflow definition with {what} already exists; upgrade it to add a version")
    record.update({"id": defn_id, "name": name, "version": version})
    row = WorkflowDefinition(
        id=defn_id,
        project_id=project_id,
        is_public=project_id is None,
        name=name,
        version=version,
        display_name=record.get("displayName"),
        definition_type=record.get("definitionType") or "statechart-json",
        record=record,
        created_by=created_by,
    )
    s.add(row)
    s.flush()
    if ui is not None:
        if project_id is None:
            raise InvalidInput("Invalid workflow definition", [{"path": "uiDefinition", "message": _PUBLIC_UI}])
        store_ui_definition(s, row, ui)
    return row


# Ballerine keeps UI definitions per project, even for a public definition (reference §1.5).
_PUBLIC_UI = "a public template carries no UI definition: add it to the copy in your project"
