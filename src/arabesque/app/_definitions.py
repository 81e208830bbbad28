"""Definition lookups shared by the use cases: visibility, latest-version resolution, compiled cache."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from arabesque.app._time import iso
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.engine import Definition, DefinitionError, load_definition
from arabesque.store import WorkflowDefinition

__all__ = ["compiled", "definition_json", "find_definition", "latest_version", "load_or_400", "visible"]

_cache: dict[tuple[Any, ...], Definition] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 512


def visible(project_id: str) -> Any:
    """Rows a project can read: its own definitions and public templates."""
    return or_(WorkflowDefinition.project_id == project_id, WorkflowDefinition.is_public.is_(True))


def find_definition(s: Session, project_id: str, id_or_name: str) -> WorkflowDefinition:
    """The definition with this id, else the latest version with this name; 404 otherwise."""
    rows = s.scalars(select(WorkflowDefinition).where(visible(project_id), WorkflowDefinition.id == id_or_name)).all()
    if rows:
        return sorted(rows, key=lambda r: r.project_id is None)[0]  # the project's own id wins
    row = s.scalars(
        select(WorkflowDefinition)
        .where(visible(project_id), WorkflowDefinition.name == id_or_name)
        .order_by(WorkflowDefinition.project_id.is_(None), WorkflowDefinition.version.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(f"No workflow definition with id or name [{id_or_name}] was found")
    return row


def latest_version(s: Session, row: WorkflowDefinition) -> WorkflowDefinition:
    """The highest version of `row`'s name in the same scope (project or public)."""
    owner = (
        WorkflowDefinition.project_id.is_(None)
        if row.project_id is None
        else WorkflowDefinition.project_id == row.project_id
    )
    latest = s.scalars(
        select(WorkflowDefinition)
        .where(owner, WorkflowDefinition.name == row.name)
        .order_by(WorkflowDefinition.version.desc())
        .limit(1)
    ).first()
    return latest or row


def load_or_400(record: dict[str, Any]) -> Definition:
    try:
        return load_definition(record)
    except DefinitionError as exc:
        errors = [{"path": p.path, "message": p.message} for p in exc.problems]
        raise InvalidInput("Invalid workflow definition", errors) from exc


def compiled(row: WorkflowDefinition) -> Definition:
    """The loaded definition of a stored row (rows never change, so the cache never goes stale)."""
    key = (row.pk, row.id, row.version, row.created_at)  # row ids can be reused after a restore
    with _cache_lock:
        found = _cache.get(key)
    if found is not None:
        return found
    defn = load_definition(row.record)
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[key] = defn
    return defn


def definition_json(row: WorkflowDefinition) -> dict[str, Any]:
    rec = row.record
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "displayName": row.display_name,
        "definitionType": row.definition_type,
        "definition": rec.get("definition"),
        "extensions": rec.get("extensions"),
        "config": rec.get("config"),
        "contextSchema": rec.get("contextSchema"),
        "documentsSchema": rec.get("documentsSchema"),
        "isPublic": row.is_public,
        "projectId": row.project_id,
        "createdBy": row.created_by,
        "createdAt": iso(row.created_at),
    }
