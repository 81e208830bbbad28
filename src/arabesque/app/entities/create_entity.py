"""Use cases: create an end user, a business, or an end user with its business (linked), in the caller's project.

The fields come as Ballerine names them (`firstName`, `companyName`, `registrationNumber`, ...). Those the
search and the lists use have columns (names, e-mail, approval state); every field is also kept in `data`, as
`/run` keeps an entity's `data`, so an entity reads the same however it was created. The correlation id is the
caller's key for the entity, unique in the project (a new UUID when none is given); a taken one is a 409.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arabesque.app.access.principal import Principal
from arabesque.app.entities.queries import Entity, business_json, end_user_json
from arabesque.app.errors import Conflict
from arabesque.store import Business, Database, EndUser, EndUserBusiness, utcnow

__all__ = ["create_business", "create_end_user", "create_end_user_with_business"]


def create_end_user(db: Database, who: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    with db.write() as s:
        row = _insert(s, EndUser, _end_user(who.project_id, fields))
        return end_user_json(row)


def create_business(db: Database, who: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    with db.write() as s:
        row = _insert(s, Business, _business(who.project_id, fields))
        return business_json(row)


def create_end_user_with_business(
    db: Database, who: Principal, fields: dict[str, Any], company_name: str
) -> dict[str, str]:
    """The end user, a business named `company_name` (a new correlation id), and the link between them."""
    with db.write() as s:
        user = _insert(s, EndUser, _end_user(who.project_id, fields))
        business = _insert(s, Business, _business(who.project_id, {"companyName": company_name}))
        s.add(EndUserBusiness(end_user_id=user.id, business_id=business.id, project_id=who.project_id))
        s.flush()
        return {"endUserId": user.id, "businessId": business.id}


def _data(fields: dict[str, Any]) -> dict[str, Any]:
    """What `data` keeps: every field given a value, but the identity and the approval state (columns only)."""
    return {k: v for k, v in fields.items() if v is not None and k not in ("correlationId", "approvalState")}


def _correlation_id(fields: dict[str, Any]) -> str:
    return fields.get("correlationId") or str(uuid.uuid4())


def _end_user(project_id: str, fields: dict[str, Any]) -> EndUser:
    now = utcnow()
    return EndUser(
        id=str(uuid.uuid4()),
        project_id=project_id,
        correlation_id=_correlation_id(fields),
        first_name=fields["firstName"],
        last_name=fields["lastName"],
        email=fields.get("email"),
        data=_data(fields),
        approval_state=fields.get("approvalState") or "NEW",
        created_at=now,
        updated_at=now,
    )


def _business(project_id: str, fields: dict[str, Any]) -> Business:
    now = utcnow()
    return Business(
        id=str(uuid.uuid4()),
        project_id=project_id,
        correlation_id=_correlation_id(fields),
        company_name=fields["companyName"],
        data=_data(fields),
        approval_state=fields.get("approvalState") or "NEW",
        created_at=now,
        updated_at=now,
    )


def _insert(s: Session, model: Entity, row: Any) -> Any:
    taken = s.scalar(
        select(model.id).where(model.project_id == row.project_id, model.correlation_id == row.correlation_id)
    )
    if taken is None:
        s.add(row)
        try:
            s.flush()  # a concurrent insert of the same correlation id fails here (the transaction rolls back)
            return row
        except IntegrityError:
            pass
    label = "A business" if model is Business else "An end user"
    raise Conflict(
        f"{label} with correlation id [{row.correlation_id}] already exists",
        [{"path": "correlationId", "message": "already used in this project"}],
    )
