"""Use cases: projects (tenants) from the command line: create one, list them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from arabesque.app.errors import Conflict, InvalidInput
from arabesque.store import Customer, Database, Project

__all__ = ["DEFAULT_CUSTOMER", "create_project", "list_projects"]

DEFAULT_CUSTOMER = "default"  # the customer first start creates


def create_project(db: Database, name: str, customer: str | None = None) -> str:
    """A new project `name` of `customer` (created when missing; the default customer when None); its id."""
    name, customer = name.strip(), (customer or DEFAULT_CUSTOMER).strip()
    errors = [
        {"path": path, "message": "Between 1 and 200 characters."}
        for path, value in (("name", name), ("customer", customer))
        if not 1 <= len(value) <= 200
    ]
    if errors:
        raise InvalidInput("Validation error", errors)
    with db.write() as s:
        owner = s.scalars(select(Customer).where(Customer.name == customer)).first()
        if owner is None:
            owner = Customer(id=str(uuid.uuid4()), name=customer, display_name=customer)
            s.add(owner)
            s.flush()
        elif s.scalars(select(Project.id).where(Project.customer_id == owner.id, Project.name == name)).first():
            raise Conflict(f"Customer {customer!r} already has a project {name!r}")
        project = Project(id=str(uuid.uuid4()), customer_id=owner.id, name=name)
        s.add(project)
        return project.id


def list_projects(db: Database) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.execute(
            select(Project.id, Project.name, Customer.name)
            .join(Customer, Customer.id == Project.customer_id)
            .order_by(Project.created_at, Project.id)
        ).all()
    return [{"id": pid, "name": name, "customer": customer} for pid, name, customer in rows]
