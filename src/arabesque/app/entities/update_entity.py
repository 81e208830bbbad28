"""Use cases: change an end user's or a business's fields (`PUT /external/end-users/:id`, `/businesses/:id`).

Only the fields given change: each replaces that key of `data` (null removes it) and, for the names and the e-mail,
its column. The correlation id and the approval state are not changed here: the first is the caller's key for the
entity, the second belongs to the workflows that decide it. The entity is looked up in the caller's project only.
"""

from __future__ import annotations

from typing import Any

from arabesque.app.access.principal import Principal
from arabesque.app.entities.queries import Entity, entity_by_key, entity_json
from arabesque.store import Business, Database, EndUser, utcnow

__all__ = ["update_business", "update_end_user"]

_COLUMNS: dict[Entity, dict[str, str]] = {
    EndUser: {"firstName": "first_name", "lastName": "last_name", "email": "email"},
    Business: {"companyName": "company_name"},
}


def update_end_user(db: Database, who: Principal, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    return _update(db, who, EndUser, key, changes)


def update_business(db: Database, who: Principal, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    return _update(db, who, Business, key, changes)


def _update(db: Database, who: Principal, model: Entity, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    with db.write() as s:
        row = entity_by_key(s, model, who.project_id, key, lock=True)
        if changes:
            data = dict(row.data or {})
            for field, value in changes.items():
                if value is None:
                    data.pop(field, None)
                else:
                    data[field] = value
                column = _COLUMNS[model].get(field)
                if column is not None:
                    setattr(row, column, value)
            row.data = data
            row.updated_at = utcnow()
            s.flush()
        return entity_json(row)
