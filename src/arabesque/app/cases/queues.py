"""Use cases: queues (filters) of the Case Management application: an entity type and definition names.

Every member reads the queues of the current project; only admins create, edit and delete them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app.access.members import Member, require_role
from arabesque.app.definitions.lookup import compiled, visible
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.store import Database, Queue, WorkflowDefinition

__all__ = [
    "ENTITIES",
    "definition_choices",
    "delete_queue",
    "entity_of_record",
    "get_queue",
    "list_queues",
    "save_queue",
    "seed_queues",
]

ENTITIES = {"businesses": "Businesses", "individuals": "Individuals"}


def _json(row: Queue) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "entity": row.entity,
        "definitionNames": list(row.definition_ids or []),
    }


def list_queues(db: Database, member: Member) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.scalars(select(Queue).where(Queue.project_id == member.project_id).order_by(Queue.name)).all()
        return [_json(r) for r in rows]


def _latest_by_name(s: Session, project_id: str) -> dict[str, WorkflowDefinition]:
    latest: dict[str, WorkflowDefinition] = {}
    rows = s.scalars(select(WorkflowDefinition).where(visible(project_id)).order_by(WorkflowDefinition.version)).all()
    for row in rows:
        if row.name not in latest or row.project_id is not None:
            latest[row.name] = row
    return latest


def get_queue(db: Database, member: Member, queue_id: str) -> dict[str, Any]:
    """The queue, with its definitions (latest versions): display names, state tags, manual creation."""
    with db.read() as s:
        row = s.scalars(select(Queue).where(Queue.id == queue_id, Queue.project_id == member.project_id)).first()
        if row is None:
            raise NotFound(f"No queue with id [{queue_id}]")
        latest = _latest_by_name(s, member.project_id)
        out = _json(row)
        definitions = []
        for name in out["definitionNames"]:
            d = latest.get(name)
            if d is None:
                continue
            defn = compiled(d)
            definitions.append(
                {
                    "id": d.id,
                    "name": d.name,
                    "displayName": d.display_name or d.name,
                    "version": d.version,
                    "manualCreation": bool(defn.config.get("enableManualCreation")),
                    "stateTags": {state: list(node.tags) for state, node in defn.states.items()},
                }
            )
        out["definitions"] = definitions
        return out


def entity_of_record(record: dict[str, Any]) -> str | None:
    """`businesses` or `individuals` when the definition's context schema fixes the entity type."""
    schema = (record.get("contextSchema") or {}).get("schema") or {}
    etype = (((schema.get("properties") or {}).get("entity") or {}).get("properties") or {}).get("type") or {}
    const = etype.get("const") or (etype.get("enum") or [None])[0]
    return {"business": "businesses", "individual": "individuals"}.get(str(const)) if const else None


def definition_choices(db: Database, member: Member) -> list[dict[str, Any]]:
    """Definition names a queue can show (latest version of each)."""
    with db.read() as s:
        return [
            {"name": name, "displayName": row.display_name or name, "entity": entity_of_record(row.record)}
            for name, row in sorted(_latest_by_name(s, member.project_id).items())
        ]


def save_queue(
    db: Database, member: Member, queue_id: str | None, name: str, entity: str, definition_names: list[str]
) -> str:
    """Create (no id) or update a queue; returns its id. Admins only."""
    require_role(member, "admin")
    name = name.strip()
    errors = []
    if not name or len(name) > 200:
        errors.append({"path": "name", "message": "A name of 1 to 200 characters is required."})
    if entity not in ENTITIES:
        errors.append({"path": "entity", "message": "Choose businesses or individuals."})
    with db.write() as s:
        known = _latest_by_name(s, member.project_id)
        unknown = [n for n in definition_names if n not in known]
        if unknown:
            errors.append({"path": "definitions", "message": f"Unknown workflow definitions: {', '.join(unknown)}"})
        if not definition_names:
            errors.append({"path": "definitions", "message": "Choose at least one workflow definition."})
        clash = s.scalars(
            select(Queue).where(Queue.project_id == member.project_id, Queue.name == name, Queue.id != (queue_id or ""))
        ).first()
        if clash is not None:
            errors.append({"path": "name", "message": "Another queue has this name."})
        if errors:
            raise InvalidInput("Validation error", errors)
        if queue_id is None:
            row = Queue(id=str(uuid.uuid4()), project_id=member.project_id, name=name, entity=entity)
            s.add(row)
        else:
            found = s.scalars(select(Queue).where(Queue.id == queue_id, Queue.project_id == member.project_id)).first()
            if found is None:
                raise NotFound(f"No queue with id [{queue_id}]")
            row = found
            row.name, row.entity = name, entity
        row.definition_ids = list(dict.fromkeys(definition_names))
        s.flush()
        return row.id


def delete_queue(db: Database, member: Member, queue_id: str) -> None:
    require_role(member, "admin")
    with db.write() as s:
        row = s.scalars(select(Queue).where(Queue.id == queue_id, Queue.project_id == member.project_id)).first()
        if row is None:
            raise NotFound(f"No queue with id [{queue_id}]")
        s.delete(row)


def seed_queues(s: Session, project_id: str) -> None:
    """First start: one queue per entity type over the definitions whose context schema fixes it."""
    groups: dict[str, list[str]] = {}
    for name, row in sorted(_latest_by_name(s, project_id).items()):
        entity = entity_of_record(row.record)
        if entity is not None:
            groups.setdefault(entity, []).append(name)
    for entity, names in groups.items():
        queue = Queue(id=str(uuid.uuid4()), project_id=project_id, name=ENTITIES[entity], entity=entity)
        queue.definition_ids = names
        s.add(queue)
