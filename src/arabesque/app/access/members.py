"""Who is signed in to the Case Management application: a user, their role, and the current project.

Roles, highest first: `admin` (everything), `reviewer` (works cases), `viewer` (reads only). A role belongs to
a membership (a user in one project), so the same person may be an admin of one project and a viewer of
another. The checks here are the server-side gate every use case called from the web application goes
through.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app.access.principal import Principal
from arabesque.app.errors import Forbidden
from arabesque.store import Project, User, UserProject

__all__ = ["ROLES", "STATUSES", "Member", "member_in", "require_role"]

ROLES = ("admin", "reviewer", "viewer")
STATUSES = ("active", "disabled")
_RANK = {"viewer": 1, "reviewer": 2, "admin": 3}


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    name: str
    role: str
    project_id: str
    projects: tuple[tuple[str, str], ...] = ()  # (id, name) of every project the user is an active member of

    @property
    def principal(self) -> Principal:
        return Principal(self.project_id, f"user:{self.email}")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_work(self) -> bool:
        return _RANK.get(self.role, 0) >= _RANK["reviewer"]

    def has(self, role: str) -> bool:
        return _RANK.get(self.role, 0) >= _RANK[role]


def require_role(member: Member, role: str) -> None:
    """Refuse (403) unless the member's role is `role` or higher."""
    if not member.has(role):
        raise Forbidden(f"This action needs the {role} role; you are a {member.role}")


def member_in(s: Session, user: User, project_id: str | None) -> Member | None:
    """`user` as an active member of `project_id` (of their first active project when None), with the list of
    their active projects; None when that membership is missing or disabled."""
    rows = s.execute(
        select(Project.id, Project.name, UserProject.role)
        .join(UserProject, UserProject.project_id == Project.id)
        .where(UserProject.user_id == user.id, UserProject.status == "active")
        .order_by(Project.created_at, Project.id)
    ).all()
    roles = {pid: role for pid, _, role in rows}
    current = project_id if project_id is not None else (rows[0][0] if rows else None)
    if current is None or current not in roles:
        return None
    return Member(
        user_id=user.id,
        email=user.email,
        name=f"{user.first_name} {user.last_name}".strip() or user.email,
        role=roles[current],
        project_id=current,
        projects=tuple((pid, name) for pid, name, _ in rows),
    )
