"""Who is calling: the project an API key belongs to, and how audit records name the caller.

`ApiKeyCredentials` is a key not checked yet: the run and event use cases check it with `resolve` in their
own transaction (one statement, no separate transaction or connection checkout), so a revoked or expired
key is refused exactly as `api_keys.authenticate` refuses it, with no cache to go stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from arabesque.app.errors import Unauthorized
from arabesque.observability.logs import annotate
from arabesque.store import ApiKey, Prepared, table, utcnow

__all__ = ["ApiKeyCredentials", "Principal", "resolve"]


@dataclass(frozen=True)
class Principal:
    project_id: str
    actor: str  # e.g. "api-key:arb_1a2b3c4d" — never the key itself


@dataclass(frozen=True)
class ApiKeyCredentials:
    """A well-formed `Authorization: Bearer <key>` whose key has not been looked up yet."""

    key: str


def resolve(s: Session, who: Principal | ApiKeyCredentials) -> Principal:
    """`who` itself, or the principal of its API key (Unauthorized as `api_keys.authenticate` words it); its
    project is named in the request's log lines from then on."""
    if isinstance(who, Principal):
        annotate(project_id=who.project_id)
        return who
    from arabesque.app.access.api_keys import hash_key  # api_keys imports this module

    row = _KEY.first(s.connection(), {"key_hash": hash_key(who.key)})
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
