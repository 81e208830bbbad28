"""API keys: create (the plaintext is returned once), revoke, authenticate; the admin page's list, create and revoke
(`admin` only, in the member's project).

A key is `arb_<8 hex prefix>_<43 random url-safe chars>`. Only its SHA-256 is stored: the key has 256
bits of entropy, so a fast hash is enough and lookups stay one indexed equality per request.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app.access.members import Member, require_role
from arabesque.app.access.principal import Principal, credentials, hash_key, principal_of_key
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.store import ApiKey, Database, Project, utcnow

__all__ = [
    "MAX_KEY_NAME",
    "CreatedKey",
    "authenticate",
    "create_api_key",
    "create_key",
    "hash_key",
    "list_keys",
    "revoke_api_key",
    "revoke_key",
]


@dataclass(frozen=True)
class CreatedKey:
    id: str
    prefix: str
    project_id: str
    key: str


def create_api_key(
    db: Database, project: str | None = None, name: str = "", expires_at: datetime | None = None
) -> CreatedKey:
    """Create a key for `project` (id or name; the only project when omitted)."""
    with db.write() as s:
        project_id = _resolve_project(s, project)
        prefix = secrets.token_hex(4)
        key = f"arb_{prefix}_{secrets.token_urlsafe(32)}"
        row = ApiKey(
            id=str(uuid.uuid4()),
            project_id=project_id,
            name=name,
            prefix=f"arb_{prefix}",
            key_hash=hash_key(key),
            expires_at=expires_at,
        )
        s.add(row)
        return CreatedKey(id=row.id, prefix=row.prefix, project_id=project_id, key=key)


def revoke_api_key(db: Database, key_or_prefix: str) -> str:
    """Revoke the key given by its id, its display prefix or the key itself; returns the key id."""
    with db.write() as s:
        row = s.scalars(
            select(ApiKey).where(
                (ApiKey.id == key_or_prefix)
                | (ApiKey.prefix == key_or_prefix)
                | (ApiKey.key_hash == hash_key(key_or_prefix))
            )
        ).first()
        if row is None:
            raise NotFound(f"No API key {key_or_prefix!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return row.id


def authenticate(db: Database, authorization: str | None) -> Principal:
    """The principal of an `Authorization: Bearer <key>` header, or Unauthorized."""
    key = credentials(authorization).key
    with db.read() as s:
        return principal_of_key(s.connection(), key)


def _resolve_project(s: Session, project: str | None) -> str:
    if project:
        by_id = s.get(Project, project)
        if by_id is not None:
            return by_id.id
        named = s.scalars(select(Project.id).where(Project.name == project).limit(2)).all()
        if len(named) != 1:
            raise NotFound(
                f"No project {project!r}" if not named else f"Several projects are named {project!r}: give its id"
            )
        return named[0]
    rows = s.scalars(select(Project).order_by(Project.created_at).limit(2)).all()
    if len(rows) != 1:
        raise NotFound("Name the project (--project): " + ("none exists" if not rows else "there are several"))
    return rows[0].id


def list_keys(db: Database, member: Member) -> list[dict[str, Any]]:
    require_role(member, "admin")
    with db.read() as s:
        rows = s.scalars(
            select(ApiKey).where(ApiKey.project_id == member.project_id).order_by(ApiKey.created_at.desc())
        ).all()
        return [
            {
                "id": r.id,
                "prefix": r.prefix,
                "name": r.name,
                "createdAt": r.created_at,
                "revokedAt": r.revoked_at,
                "expiresAt": r.expires_at,
            }
            for r in rows
        ]


MAX_KEY_NAME = 200


def create_key(db: Database, member: Member, name: str) -> CreatedKey:
    require_role(member, "admin")
    name = name.strip()
    if not name:
        raise InvalidInput(
            "Validation error", [{"path": "name", "message": "Name the key (e.g. the system using it)."}]
        )
    if len(name) > MAX_KEY_NAME:
        raise InvalidInput("Validation error", [{"path": "name", "message": f"At most {MAX_KEY_NAME} characters."}])
    return create_api_key(db, member.project_id, name)


def revoke_key(db: Database, member: Member, key_id: str) -> None:
    require_role(member, "admin")
    with db.read() as s:
        row = s.scalars(select(ApiKey).where(ApiKey.id == key_id, ApiKey.project_id == member.project_id)).first()
        if row is None:
            raise NotFound(f"No API key with id [{key_id}]")
    revoke_api_key(db, key_id)
