"""Use case: read a business or an end user by id or by correlation id, within the caller's project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from arabesque.app._time import iso
from arabesque.app.access.principal import Principal
from arabesque.app.errors import NotFound
from arabesque.store import Business, Database, EndUser

__all__ = ["get_business", "get_end_user"]


def _find(db: Database, who: Principal, model: type[Business] | type[EndUser], key: str) -> Any:
    with db.read() as s:
        for col in (model.id, model.correlation_id):
            row = s.scalars(select(model).where(model.project_id == who.project_id, col == key)).first()
            if row is not None:
                return row
    raise NotFound(f"No {'business' if model is Business else 'end user'} with id [{key}] was found")


def _common(row: Business | EndUser) -> dict[str, Any]:
    return {
        "id": row.id,
        "projectId": row.project_id,
        "correlationId": row.correlation_id,
        "approvalState": row.approval_state,
        "data": row.data,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def get_business(db: Database, who: Principal, key: str) -> dict[str, Any]:
    row: Business = _find(db, who, Business, key)
    return {**_common(row), "companyName": row.company_name}


def get_end_user(db: Database, who: Principal, key: str) -> dict[str, Any]:
    row: EndUser = _find(db, who, EndUser, key)
    return {**_common(row), "firstName": row.first_name, "lastName": row.last_name, "email": row.email}
