"""Use case: add a new version of a definition; running instances keep the version they started with.

Each key given in the body (`definition`, `extensions`, `config`, `contextSchema`, `documentsSchema`,
`displayName`) replaces that key of the latest version's record; the result is validated by the engine.
`add_version` is the step every change of a definition goes through (the upgrade, and the sub-resources of
`definition_parts.py`): the latest version of the project's own definition, edited, validated, stored as the next
version, in the caller's project only (a public template is never changed: copy it first).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arabesque.app.access.principal import Principal
from arabesque.app.collection_flow.ui_definitions import copy_ui_definition, split_ui_definition, store_ui_definition
from arabesque.app.definitions.lookup import definition_json, load_or_400, resolve_latest
from arabesque.app.errors import Conflict, InvalidInput, NotFound
from arabesque.store import Database, WorkflowDefinition

__all__ = ["UPGRADABLE", "add_version", "upgrade_definition"]

UPGRADABLE = ("definition", "extensions", "config", "contextSchema", "documentsSchema", "displayName", "uiDefinition")


def upgrade_definition(db: Database, who: Principal, id_or_name: str, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(UPGRADABLE))
    if unknown:
        raise InvalidInput(
            "Validation error",
            [{"path": k, "message": f"cannot be upgraded; allowed: {UPGRADABLE}"} for k in unknown],
        )
    with db.write() as s:
        return definition_json(add_version(s, who, id_or_name, lambda record: {**record, **changes}))


def add_version(
    s: Session, who: Principal, id_or_name: str, edit: Callable[[dict[str, Any]], dict[str, Any]]
) -> WorkflowDefinition:
    """Store `edit(latest record)` as the next version of the project's definition `id_or_name`.

    NotFound for a definition the project does not own (another project's, or a public template); the engine's
    problems as InvalidInput, the size limits as TooLarge; Conflict when a concurrent change took the version."""
    ref = resolve_latest(s.connection(), who.project_id, id_or_name)
    if ref.project_id != who.project_id:
        raise NotFound(f"No workflow definition with id or name [{id_or_name}] was found in your project")
    latest = s.get(WorkflowDefinition, ref.pk)
    assert latest is not None
    # The stored record has no `uiDefinition` (it is its own record): one in the edited record was given now.
    record, ui = split_ui_definition(edit(dict(latest.record)))
    version = latest.version + 1
    new_id = str(uuid.uuid4())
    record.update({"id": new_id, "version": version})
    load_or_400(record)
    row = WorkflowDefinition(
        id=new_id,
        project_id=who.project_id,
        is_public=False,
        name=latest.name,
        version=version,
        display_name=record.get("displayName"),
        definition_type=latest.definition_type,
        record=record,
        created_by=who.actor,
    )
    s.add(row)
    try:
        s.flush()
    except IntegrityError as exc:  # PostgreSQL: another change stored this version first
        raise Conflict(f"Version {version} of [{latest.name}] was just added by another change; retry") from exc
    if ui is not None:
        store_ui_definition(s, row, ui)
    else:
        copy_ui_definition(s, latest.pk, row)
    return row
