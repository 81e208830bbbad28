"""Who is calling: the project an API key belongs to, and how audit records name the caller.

`ApiKeyCredentials` is a key not checked yet: the run and event use cases check it with `resolve` in their
own transaction (one statement, no separate transaction or connection checkout). Every key is checked by
`principal_of_key`, the one lookup of a key (`api_keys.authenticate` uses it too), with no cache to go stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import Connection, bindparam, select

from arabesque.app.errors import Unauthorized
from arabesque.observability.logs import annotate
from arabesque.store import ApiKey, Prepared, table, utcnow

__all__ = ["ApiKeyCredentials", "Principal", "credentials", "hash_key", "principal_of_key", "resolve"]


@dataclass(frozen=True)
class Principal:
    project_id: str
    actor: str  # e.g. "api-key:arb_1a2b3c4d" — never the key itself


@dataclass(frozen=True)
class ApiKeyCredentials:
    """A well-formed `Authorization: Bearer <key>` whose key has not been looked up yet."""

    key: str


def credentials(authorization: str | None) -> ApiKeyCredentials:
    """The key of an `Authorization: Bearer <key>` header, not looked up yet; Unauthorized saying what is wrong
    with a missing or malformed header."""
    if not authorization:
        raise Unauthorized("Missing Authorization header")
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Authorization must be 'Bearer <api key>'")
    return ApiKeyCredentials(key.strip())


def hash_key(key: str) -> str:
    """What is stored of an API key: its SHA-256 (the key has 256 bits of entropy, so a fast hash will do)."""
    return hashlib.sha256(key.encode()).hexdigest()


def resolve(conn: Connection, who: Principal | ApiKeyCredentials) -> Principal:
    """`who` itself, or the principal of its API key (`principal_of_key`), checked on `conn`; its project is named
    in the request's log lines from then on."""
    if isinstance(who, Principal):
        annotate(project_id=who.project_id)
        return who
    return principal_of_key(conn, who.key)


def principal_of_key(conn: Connection, key: str) -> Principal:
    """The principal of an API key; Unauthorized when it is unknown, revoked or expired."""
    row = _KEY.first(conn, {"key_hash": hash_key(key)})
    if row is None:
        raise Unauthorized("Invalid API key")
    project_id, prefix, expires, revoked = row
    if revoked is not None:
        raise Unauthorized("API key revoked")
    if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) <= utcnow():
        raise Unauthorized("API key expired")
    annotate(project_id=project_id)
    return Principal(project_id=project_id, actor=f"api-key:{prefix}")


_key = table(ApiKey).c
_KEY = Prepared(
    select(_key.project_id, _key.prefix, _key.expires_at, _key.revoked_at).where(_key.key_hash == bindparam("key_hash"))
)
