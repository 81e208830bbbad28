"""Who is signed in to the Case Management application: a user, their role, and the current project.

Roles, highest first: `admin` (everything), `reviewer` (works cases), `viewer` (reads only). The checks
here are the server-side gate every use case called from the web application goes through.
"""

from __future__ import annotations

from dataclasses import dataclass

from arabesque.app.errors import Forbidden
from arabesque.app.principal import Principal

__all__ = ["ROLES", "Member", "require_role", "top_role"]

ROLES = ("admin", "reviewer", "viewer")
_RANK = {"viewer": 1, "reviewer": 2, "admin": 3}


def top_role(roles: list[str] | tuple[str, ...]) -> str:
    """The highest known role in `roles`; `viewer` when there is none."""
    known = [r for r in roles if r in _RANK]
    return max(known, key=lambda r: _RANK[r]) if known else "viewer"


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    name: str
    role: str
    project_id: str
    projects: tuple[tuple[str, str], ...] = ()  # (id, name) of every project the user belongs to

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
