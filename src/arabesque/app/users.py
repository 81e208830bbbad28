"""Use cases: users of the Case Management application (create, sign in, list, change role or status).

Passwords are hashed with argon2id; a failed sign-in never says whether the email exists.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from arabesque.app.api_keys import _resolve_project
from arabesque.app.errors import Conflict, InvalidInput, NotFound, Unauthorized
from arabesque.app.members import ROLES, Member, require_role, top_role
from arabesque.store import Database, Project, User, UserProject

__all__ = [
    "CreatedUser",
    "add_user",
    "create_user",
    "list_users",
    "load_member",
    "update_user",
    "verify_login",
]

_hasher = PasswordHasher()
_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so both cases take the same time."""
    if not _dummy:
        _dummy.append(_hasher.hash("not a real password"))
    return _dummy[0]


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD = 10


@dataclass(frozen=True)
class CreatedUser:
    id: str
    email: str
    role: str
    project_id: str
    password: str  # shown once when it was generated


def _checked(email: str, role: str, password: str | None) -> tuple[str, list[dict[str, str]]]:
    email = email.strip().lower()
    errors = []
    if not _EMAIL.match(email):
        errors.append({"path": "email", "message": "Enter a valid email address."})
    if role not in ROLES:
        errors.append({"path": "role", "message": f"Choose one of {', '.join(ROLES)}."})
    if password is not None and len(password) < MIN_PASSWORD:
        errors.append({"path": "password", "message": f"At least {MIN_PASSWORD} characters."})
    return email, errors


def create_user(
    db: Database, email: str, role: str, project: str | None = None, password: str | None = None, name: str = ""
) -> CreatedUser:
    """Create a user in `project` (id or name; the only project when omitted), or add an existing one to it."""
    email, errors = _checked(email, role, password)
    if errors:
        raise InvalidInput("Validation error", errors)
    generated = password is None
    password = password if password is not None else secrets.token_urlsafe(15)
    with db.write() as s:
        project_id = _resolve_project(s, project)
        user = s.scalars(select(User).where(User.email == email)).first()
        if user is not None:
            if s.get(UserProject, (user.id, project_id)) is not None:
                raise Conflict(f"{email} already belongs to this project")
            s.add(UserProject(user_id=user.id, project_id=project_id))
            return CreatedUser(user.id, email, top_role(user.roles or []), project_id, "")
        first, _, last = name.strip().partition(" ")
        user = User(
            id=str(uuid.uuid4()),
            email=email,
            first_name=first,
            last_name=last,
            password_hash=_hasher.hash(password),
            roles=[role],
        )
        s.add(user)
        s.flush()
        s.add(UserProject(user_id=user.id, project_id=project_id))
        return CreatedUser(user.id, email, role, project_id, password if generated else "")


def add_user(db: Database, member: Member, email: str, role: str, password: str, name: str = "") -> CreatedUser:
    """An admin adds a user to the current project (a blank password is generated and shown once)."""
    require_role(member, "admin")
    return create_user(db, email, role, member.project_id, password or None, name)


def verify_login(db: Database, email: str, password: str) -> str:
    """The id of the active user with this email and password; Unauthorized otherwise."""
    with db.read() as s:
        user = s.scalars(select(User).where(User.email == email.strip().lower())).first()
        stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user = None
    if user is None or user.status != "active":
        raise Unauthorized("Invalid email or password")
    if _hasher.check_needs_rehash(stored):
        with db.write() as s:
            row = s.get(User, user.id)
            if row is not None:
                row.password_hash = _hasher.hash(password)
    return user.id


def load_member(db: Database, user_id: str, project_id: str | None = None) -> Member | None:
    """The signed-in member for a session: None when the user is gone, inactive or in no project.

    `project_id` is the session's current project; when the user no longer belongs to it, the first of
    their projects is used instead.
    """
    with db.read() as s:
        user = s.get(User, user_id)
        if user is None or user.status != "active":
            return None
        projects = s.execute(
            select(Project.id, Project.name)
            .join(UserProject, UserProject.project_id == Project.id)
            .where(UserProject.user_id == user_id)
            .order_by(Project.created_at, Project.id)
        ).all()
        if not projects:
            return None
        ids = [p[0] for p in projects]
        current = project_id if project_id in ids else ids[0]
        name = f"{user.first_name} {user.last_name}".strip() or user.email
        return Member(
            user_id=user.id,
            email=user.email,
            name=name,
            role=top_role(user.roles or []),
            project_id=current,
            projects=tuple((p[0], p[1]) for p in projects),
        )


def list_users(db: Database, member: Member) -> list[dict[str, Any]]:
    """The users of the current project (every role may read it: the assignee picker needs it)."""
    with db.read() as s:
        rows = s.scalars(
            select(User)
            .join(UserProject, UserProject.user_id == User.id)
            .where(UserProject.project_id == member.project_id)
            .order_by(User.email)
        ).all()
        return [
            {
                "id": u.id,
                "email": u.email,
                "name": f"{u.first_name} {u.last_name}".strip() or u.email,
                "role": top_role(u.roles or []),
                "status": u.status,
                "createdAt": u.created_at,
            }
            for u in rows
        ]


def update_user(db: Database, member: Member, user_id: str, role: str | None = None, status: str | None = None) -> None:
    """An admin changes a project user's role or status (active/disabled); not their own."""
    require_role(member, "admin")
    if user_id == member.user_id:
        raise InvalidInput("Validation error", [{"path": "user", "message": "You cannot change your own account."}])
    if role is not None and role not in ROLES:
        raise InvalidInput("Validation error", [{"path": "role", "message": f"Choose one of {', '.join(ROLES)}."}])
    if status is not None and status not in ("active", "disabled"):
        raise InvalidInput("Validation error", [{"path": "status", "message": "Choose active or disabled."}])
    with db.write() as s:
        if s.get(UserProject, (user_id, member.project_id)) is None:
            raise NotFound(f"No user with id [{user_id}] in this project")
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(f"No user with id [{user_id}] in this project")
        if role is not None:
            user.roles = [role]
        if status is not None:
            user.status = status
