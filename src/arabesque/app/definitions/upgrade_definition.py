"""Use case: add a new version of a definition; running instances keep the version they started with.

Each key given in the body (`definition`, `extensions`, `config`, `contextSchema`, `documentsSchema`,
`displayName`) replaces that key of the latest version's record; the result is validated by the engine.
"""

from __future__ import annotations

import uuid
from typing import Any

from arabesque.app.access.principal import Principal
from arabesque.app.definitions.lookup import definition_json, load_or_400, resolve_latest
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.store import Database, WorkflowDefinition

__all__ = ["UPGRADABLE", "upgrade_definition"]

UPGRADABLE = ("definition", "extensions", "config", "contextSchema", "documentsSchema", "displayName")


def upgrade_definition(db: Database, who: Principal, id_or_name: str, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(UPGRADABLE))
    if unknown:
        raise InvalidInput(
            "Validation error",
            [{"path": k, "message": f"cannot be upgraded; allowed: {UPGRADABLE}"} for k in unknown],
        )
    with db.write() as s:
        ref = resolve_latest(s.connection(), who.project_id, id_or_name)
        if ref.project_id != who.project_id:
            raise NotFound(f"No workflow definition with id or name [{id_or_name}] was found in your project")
        latest = s.get(WorkflowDefinition, ref.pk)
        assert latest is not None
        record = {**latest.record, **changes}
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
        s.flush()
        return definition_json(row)
