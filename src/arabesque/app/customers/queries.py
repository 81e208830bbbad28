"""Use case: the customer and the project of the calling API key (Ballerine's `GET /external/customers/me`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from arabesque.app._time import iso
from arabesque.app.access.principal import Principal
from arabesque.app.errors import NotFound
from arabesque.store import Customer, Database, Project

__all__ = ["current_customer"]


def current_customer(db: Database, who: Principal) -> dict[str, Any]:
    with db.read() as s:
        found = s.execute(
            select(Customer, Project)
            .join(Project, Project.customer_id == Customer.id)
            .where(Project.id == who.project_id)
        ).first()
        if found is None:  # a key outlives no project in practice; answer as for any missing resource
            raise NotFound("The project of this API key no longer exists")
        customer, project = found
        return {
            "id": customer.id,
            "name": customer.name,
            "displayName": customer.display_name,
            "createdAt": iso(customer.created_at),
            "project": {"id": project.id, "name": project.name, "createdAt": iso(project.created_at)},
        }
