"""Use case: copy a definition version the project can see (its own or a public template) as version 1 of a new
name in the caller's project (Ballerine's `POST /workflow-definition/:id/copy`).

The copy always belongs to the caller's project and is never public, whatever the source was: Ballerine keeps
the source's project and `isPublic`, so copying a template publishes a new template to every tenant (its D2).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from arabesque.app.access.principal import Principal
from arabesque.app.collection_flow.ui_definitions import copy_ui_definition
from arabesque.app.definitions.create_definition import insert_definition
from arabesque.app.definitions.lookup import definition_json, find_definition
from arabesque.app.errors import Conflict
from arabesque.store import Database

__all__ = ["copy_definition"]


def copy_definition(
    db: Database, who: Principal, id_or_name: str, name: str, display_name: str | None = None
) -> dict[str, Any]:
    with db.write() as s:
        source = find_definition(s, who.project_id, id_or_name)
        record = {k: v for k, v in source.record.items() if k not in ("id", "version")}
        record["name"] = name
        if display_name is not None:
            record["displayName"] = display_name
        try:
            row = insert_definition(s, who.project_id, record, created_by=who.actor)
        except IntegrityError as exc:  # PostgreSQL: a concurrent copy took the name first
            raise Conflict(f"A workflow definition named [{name}] was just created; choose another name") from exc
        copy_ui_definition(s, source.pk, row)  # the copy brings its collection flow along
        return definition_json(row)
