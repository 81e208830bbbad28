"""Use case: first start. Migrate, and on an empty database create the default customer and project,
load the example definitions, and create an admin user and an API key (returned once, never stored)."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from arabesque.app.access.api_keys import create_api_key
from arabesque.app.cases.queues import seed_queues
from arabesque.app.definitions.create_definition import insert_definition
from arabesque.store import Customer, Database, Project, User, UserProject

__all__ = ["ADMIN_EMAIL", "FirstStart", "bootstrap", "create_tenant"]

ADMIN_EMAIL = "admin@arabesque.local"


@dataclass(frozen=True)
class FirstStart:
    project_id: str
    admin_email: str
    admin_password: str
    api_key: str
    definitions: list[str]


def create_tenant(db: Database, customer: str, project: str = "default") -> str:
    """Create a customer with one project; returns the project id."""
    with db.write() as s:
        cust = Customer(id=str(uuid.uuid4()), name=customer, display_name=customer)
        s.add(cust)
        s.flush()
        proj = Project(id=str(uuid.uuid4()), customer_id=cust.id, name=project)
        s.add(proj)
        return proj.id


def bootstrap(db: Database, examples_dir: Path | None) -> FirstStart | None:
    """Apply migrations; on a database without customers, seed it and return the one-time credentials."""
    db.upgrade()
    with db.read() as s:
        if s.scalars(select(Customer).limit(1)).first() is not None:
            return None
    project_id = create_tenant(db, "default")
    loaded = []
    password = secrets.token_urlsafe(18)
    with db.write() as s:
        for path in sorted(examples_dir.glob("*.json")) if examples_dir and examples_dir.is_dir() else []:
            record = json.loads(path.read_text())
            loaded.append(insert_definition(s, project_id, record, created_by="SYSTEM").id)
        s.flush()
        seed_queues(s, project_id)
        user = User(
            id=str(uuid.uuid4()),
            email=ADMIN_EMAIL,
            first_name="Admin",
            last_name="",
            password_hash=PasswordHasher().hash(password),
        )
        s.add(user)
        s.flush()
        s.add(UserProject(user_id=user.id, project_id=project_id, role="admin", status="active"))
    key = create_api_key(db, project_id, name="first start")
    return FirstStart(project_id, ADMIN_EMAIL, password, key.key, loaded)
