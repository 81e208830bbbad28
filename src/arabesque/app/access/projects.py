"""Use cases: projects (tenants) from the command line: create one, list them; a project's egress allow-list."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from arabesque.app.errors import Conflict, InvalidInput
from arabesque.store import Customer, Database, Project, ProjectSetting

__all__ = ["DEFAULT_CUSTOMER", "EGRESS_HOSTS", "create_project", "list_projects", "project_allowed_hosts"]

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


EGRESS_HOSTS = "egress.allowedHosts"


def project_allowed_hosts(db: Database, project_id: str) -> list[str]:
    """The hosts the project's plugin calls may reach besides public addresses (`egress.allowedHosts`)."""
    with db.read() as s:
        value = s.scalar(
            select(ProjectSetting.value).where(
                ProjectSetting.project_id == project_id, ProjectSetting.key == EGRESS_HOSTS
            )
        )
    return [str(h) for h in value] if isinstance(value, list) else []
