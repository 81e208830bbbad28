"""Definition lookups shared by the use cases: visibility, latest-version resolution, compiled cache."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Pool, bindparam, or_, select
from sqlalchemy.orm import Session

from arabesque.app._time import iso
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.app.limits import check_definition_size
from arabesque.engine import Definition, DefinitionError, load_definition
from arabesque.store import Prepared, Runtime, WorkflowDefinition, WorkflowRuntime, table

__all__ = [
    "DefinitionRef",
    "compiled",
    "compiled_ref",
    "definition_for",
    "definition_json",
    "find_definition",
    "load_or_400",
    "resolve_latest",
    "visible",
]

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


@dataclass(frozen=True)
class DefinitionRef:
    """The columns of a definition row the run path needs (the `record` comes from the compiled cache)."""

    pk: int
    id: str
    project_id: str | None
    name: str
    version: int
    created_at: datetime


_REF_COLS = (
    WorkflowDefinition.pk,
    WorkflowDefinition.id,
    WorkflowDefinition.project_id,
    WorkflowDefinition.name,
    WorkflowDefinition.version,
    WorkflowDefinition.created_at,
)


def resolve_latest(conn: Connection, project_id: str, id_or_name: str) -> DefinitionRef:
    """The latest version of the definition `id_or_name` names, in one statement in the usual case; 404 when
    the project sees none.

    One query fetches the visible rows whose id or name is `id_or_name` (without their `record`); the base
    is `find_definition`'s choice (an id match first, the project's own row winning; else the project's,
    then the public, highest version of that name). When the base's name is `id_or_name` and it belongs to
    the project, every version of that name in its scope was among the rows, so the latest is picked here;
    otherwise (a public template, or an id whose name differs) a second query reads the latest of its scope.
    """
    rows = [DefinitionRef(*r) for r in _CANDIDATES.rows(conn, {"project_id": project_id, "ref": id_or_name})]
    by_id = [r for r in rows if r.id == id_or_name]
    if by_id:
        base = sorted(by_id, key=lambda r: r.project_id is None)[0]  # the project's own id wins
    else:
        by_name = [r for r in rows if r.name == id_or_name]
        if not by_name:
            raise NotFound(f"No workflow definition with id or name [{id_or_name}] was found")
        base = sorted(by_name, key=lambda r: (r.project_id is None, -r.version))[0]
    if base.project_id is not None and base.name == id_or_name:
        return max((r for r in rows if r.name == base.name and r.project_id == base.project_id), key=_version)
    owner = (
        WorkflowDefinition.project_id.is_(None)
        if base.project_id is None
        else WorkflowDefinition.project_id == base.project_id
    )
    latest = conn.execute(
        select(*_REF_COLS)
        .where(owner, WorkflowDefinition.name == base.name)
        .order_by(WorkflowDefinition.version.desc())
        .limit(1)
    ).first()
    return DefinitionRef(*latest) if latest is not None else base


_def = table(WorkflowDefinition).c
_CANDIDATES = Prepared(
    select(_def.pk, _def.id, _def.project_id, _def.name, _def.version, _def.created_at).where(
        or_(_def.project_id == bindparam("project_id"), _def.is_public.is_(True)),
        or_(_def.id == bindparam("ref"), _def.name == bindparam("ref")),
    )
)


def _version(r: DefinitionRef) -> int:
    return r.version


def compiled_ref(conn: Connection, ref: DefinitionRef) -> Definition:
    """The loaded definition of `ref` (its `record` is read, by pk, only when it is not cached yet), also
    remembered for the runtimes made from it: their events then read no definition row."""
    key = (ref.pk, ref.id, ref.version, ref.created_at)
    with _cache_lock:
        found = _cache.get(key)
    if found is None:
        record = conn.execute(select(WorkflowDefinition.record).where(WorkflowDefinition.pk == ref.pk)).scalar_one()
        found = _remember(key, load_definition(record))
    _remember_for_runtimes(conn, (ref.pk, ref.id, ref.version, ref.name), found)
    return found


# Compiled definitions by a runtime's (definition_pk, definition_id, definition_version, definition_name), per
# connection pool (a database): the event path then reads no definition row. Rows never change and are never
# deleted; a pool's cache dies with the pool (the engine), so a test database recreated with the same pks does not
# see another database's definitions.
_by_runtime: weakref.WeakKeyDictionary[Pool, dict[tuple[Any, ...], Definition]] = weakref.WeakKeyDictionary()


def definition_for(conn: Connection, rt: Runtime | WorkflowRuntime) -> Definition:
    """The loaded definition of a runtime (the version it started with), from a per-database cache keyed by
    the runtime's definition columns: the definition row is read once per process, not on every event."""
    key = (rt.definition_pk, rt.definition_id, rt.definition_version, rt.definition_name)
    pool = conn.engine.pool
    with _cache_lock:
        per = _by_runtime.get(pool)
        found = per.get(key) if per is not None else None
    if found is not None:
        return found
    record, created_at = conn.execute(
        select(WorkflowDefinition.record, WorkflowDefinition.created_at).where(
            WorkflowDefinition.pk == rt.definition_pk
        )
    ).one()
    found = _cached((rt.definition_pk, rt.definition_id, rt.definition_version, created_at), record)
    _remember_for_runtimes(conn, key, found)
    return found


def _remember_for_runtimes(conn: Connection, key: tuple[Any, ...], defn: Definition) -> None:
    with _cache_lock:
        per = _by_runtime.setdefault(conn.engine.pool, {})
        if len(per) >= _CACHE_MAX:
            per.clear()
        per[key] = defn


def load_or_400(record: dict[str, Any]) -> Definition:
    """Load a definition being created or upgraded: 413 over the size limits, 400 listing every problem."""
    check_definition_size(record)
    try:
        return load_definition(record)
    except DefinitionError as exc:
        errors = [{"path": p.path, "message": p.message} for p in exc.problems]
        raise InvalidInput("Invalid workflow definition", errors) from exc


def compiled(row: WorkflowDefinition) -> Definition:
    """The loaded definition of a stored row (rows never change, so the cache never goes stale)."""
    return _cached((row.pk, row.id, row.version, row.created_at), row.record)  # ids can be reused after a restore


def _cached(key: tuple[Any, ...], record: dict[str, Any]) -> Definition:
    with _cache_lock:
        found = _cache.get(key)
    return found if found is not None else _remember(key, load_definition(record))


def _remember(key: tuple[Any, ...], defn: Definition) -> Definition:
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
