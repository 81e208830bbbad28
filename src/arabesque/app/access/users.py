"""Use cases: users of the Case Management application and their memberships (create, add to a project, sign
in, list, change a member's role or status, change a password).

A user is a person (email, name, password); a membership is that person in one project, with a role and a
status. An admin sees and changes the memberships of their own project only: adding someone who already has an
account creates a membership here and changes nothing else about them (not their password, not their other
memberships). Passwords are hashed with argon2id; a failed sign-in never says whether the email exists.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from arabesque.app.access.api_keys import _resolve_project
from arabesque.app.access.members import ROLES, STATUSES, Member, member_in, require_role
from arabesque.app.access.web_sessions import end_sessions
from arabesque.app.errors import Conflict, InvalidInput, NotFound, Unauthorized
from arabesque.store import Database, Project, User, UserProject

__all__ = [
    "MIN_PASSWORD",
    "CreatedUser",
    "add_user",
    "change_password",
    "create_user",
    "list_members",
    "list_users",
    "load_member",
    "my_memberships",
    "set_password",
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
    role: str  # the role of the new membership: what they are in this project
    project_id: str
    password: str  # shown once when it was generated; "" otherwise
    existing: bool = False  # the account existed: only a membership was added, the password is unchanged


def _checked(email: str, role: str, password: str | None) -> tuple[str, list[dict[str, str]]]:
    email = email.strip().lower()
    errors = []
    if not _EMAIL.match(email) or len(email) > 320:
        errors.append({"path": "email", "message": "Enter a valid email address."})
    if role not in ROLES:
        errors.append({"path": "role", "message": f"Choose one of {', '.join(ROLES)}."})
    if password is not None:
        errors.extend(_password_errors(password, "password"))
    return email, errors


def _password_errors(password: str, path: str) -> list[dict[str, str]]:
    if len(password) < MIN_PASSWORD:
        return [{"path": path, "message": f"At least {MIN_PASSWORD} characters."}]
    return []


def create_user(
    db: Database, email: str, role: str, project: str | None = None, password: str | None = None, name: str = ""
) -> CreatedUser:
    """Make `email` a member of `project` (id or name; the only project when omitted) with `role`: a new user,
    or a new membership of an existing one (whose password, name and other memberships stay as they are)."""
    email, errors = _checked(email, role, password)
    if errors:
        raise InvalidInput("Validation error", errors)
    generated = password is None
    password = password if password is not None else secrets.token_urlsafe(15)
    hashed = _hasher.hash(password)  # before the write transaction: argon2 is slow on purpose
    with db.write() as s:
        project_id = _resolve_project(s, project)
        user = s.scalars(select(User).where(User.email == email)).first()
        if user is not None:
            if s.get(UserProject, (user.id, project_id)) is not None:
                raise Conflict(f"{email} already belongs to this project")
            s.add(UserProject(user_id=user.id, project_id=project_id, role=role, status="active"))
            return CreatedUser(user.id, email, role, project_id, "", existing=True)
        first, _, last = name.strip().partition(" ")
        user = User(
            id=str(uuid.uuid4()),
            email=email,
            first_name=first,
            last_name=last,
            password_hash=hashed,
        )
        s.add(user)
        s.flush()
        s.add(UserProject(user_id=user.id, project_id=project_id, role=role, status="active"))
        return CreatedUser(user.id, email, role, project_id, password if generated else "")


def add_user(db: Database, member: Member, email: str, role: str, password: str, name: str = "") -> CreatedUser:
    """An admin adds a user to the current project (a blank password is generated and shown once)."""
    require_role(member, "admin")
    return create_user(db, email, role, member.project_id, password or None, name)


def verify_login(db: Database, email: str, password: str) -> str:
    """The id of the user with this email and password who is an active member of some project; Unauthorized
    otherwise (the same message and, with the dummy hash, the same time whether or not the email exists)."""
    with db.read() as s:
        user = s.scalars(select(User).where(User.email == email.strip().lower())).first()
        stored = user.password_hash if user is not None else _dummy_hash()
        active = user is not None and bool(
            s.scalar(select(exists().where(UserProject.user_id == user.id, UserProject.status == "active")))
        )
    if not _matches(stored, password) or user is None or not active:
        raise Unauthorized("Invalid email or password")
    if _hasher.check_needs_rehash(stored):
        with db.write() as s:
            row = s.get(User, user.id)
            if row is not None:
                row.password_hash = _hasher.hash(password)
    return user.id


def _matches(stored: str, password: str) -> bool:
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return True


def load_member(db: Database, user_id: str, project_id: str | None = None) -> Member | None:
    """The user as an active member of `project_id` (of their first active project when None); None when the
    user is gone or that membership is missing or disabled."""
    with db.read() as s:
        user = s.get(User, user_id)
        return member_in(s, user, project_id) if user is not None else None


def _memberships(s: Session, project_id: str) -> list[dict[str, Any]]:
    rows = s.execute(
        select(User, UserProject.role, UserProject.status)
        .join(UserProject, UserProject.user_id == User.id)
        .where(UserProject.project_id == project_id)
        .order_by(User.email)
    ).all()
    return [
        {
            "id": u.id,
            "email": u.email,
            "name": f"{u.first_name} {u.last_name}".strip() or u.email,
            "role": role,
            "status": status,
            "createdAt": u.created_at,
        }
        for u, role, status in rows
    ]


def list_users(db: Database, member: Member) -> list[dict[str, Any]]:
    """The members of the current project, with their role and status here (every role may read it: the
    assignee picker needs it)."""
    with db.read() as s:
        return _memberships(s, member.project_id)


def my_memberships(db: Database, member: Member) -> list[dict[str, str]]:
    """The signed-in user's active memberships: every project and their role there."""
    with db.read() as s:
        rows = s.execute(
            select(Project.id, Project.name, UserProject.role)
            .join(UserProject, UserProject.project_id == Project.id)
            .where(UserProject.user_id == member.user_id, UserProject.status == "active")
            .order_by(Project.created_at, Project.id)
        ).all()
    return [{"id": pid, "name": name, "role": role} for pid, name, role in rows]


def list_members(db: Database, project: str | None) -> list[dict[str, Any]]:
    """The members of `project` (id or name; the only project when omitted), for the command line."""
    with db.read() as s:
        return _memberships(s, _resolve_project(s, project))


def update_user(db: Database, member: Member, user_id: str, role: str | None = None, status: str | None = None) -> None:
    """An admin changes a member's role or status (active/disabled) in the current project, not their own, and
    not anywhere else. The member's sessions in this project end: they sign in again with what they now are."""
    require_role(member, "admin")
    errors = []
    if user_id == member.user_id:
        errors.append({"path": "user", "message": "You cannot change your own membership."})
    if role is not None and role not in ROLES:
        errors.append({"path": "role", "message": f"Choose one of {', '.join(ROLES)}."})
    if status is not None and status not in STATUSES:
        errors.append({"path": "status", "message": "Choose active or disabled."})
    if errors:
        raise InvalidInput("Validation error", errors)
    with db.write() as s:
        membership = s.get(UserProject, (user_id, member.project_id))
        if membership is None:
            raise NotFound(f"No user with id [{user_id}] in this project")
        if (role is None or role == membership.role) and (status is None or status == membership.status):
            return
        membership.role = role or membership.role
        membership.status = status or membership.status
        end_sessions(s, user_id, project_id=member.project_id)


def change_password(
    db: Database, member: Member, current: str, new: str, confirm: str, keep_session: str | None = None
) -> None:
    """The signed-in user changes their own password; every other session of theirs ends (`keep_session`, the
    token hash of the session making the change, stays)."""
    errors = _password_errors(new, "new_password")
    if new != confirm:
        errors.append({"path": "confirm_password", "message": "The two new passwords differ."})
    with db.read() as s:
        user = s.get(User, member.user_id)
        stored = user.password_hash if user is not None else _dummy_hash()
    if not _matches(stored, current) or user is None:
        errors.insert(0, {"path": "current_password", "message": "Wrong password."})
    if errors:
        raise InvalidInput("Validation error", errors)
    _store_password(db, member.user_id, new, keep_session)


def set_password(db: Database, email: str, password: str | None = None) -> str:
    """Set a user's password from the command line (generated when None; returned) and end all their sessions."""
    if password is not None and (errors := _password_errors(password, "password")):
        raise InvalidInput("Validation error", errors)
    password = password if password is not None else secrets.token_urlsafe(15)
    with db.read() as s:
        user_id = s.scalar(select(User.id).where(User.email == email.strip().lower()))
    if user_id is None:
        raise NotFound(f"No user {email.strip().lower()!r}")
    _store_password(db, user_id, password, keep_session=None)
    return password


def _store_password(db: Database, user_id: str, password: str, keep_session: str | None) -> None:
    hashed = _hasher.hash(password)  # outside the write transaction: argon2 is slow on purpose
    with db.write() as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(f"No user with id [{user_id}]")
        user.password_hash = hashed
        end_sessions(s, user_id, keep=keep_session)
