"""Use cases: Case Management sessions, kept in the database.

The browser holds a random token (inside the signed session cookie); the `web_session` row, keyed by the
token's SHA-256, says whose session it is, the current project, the CSRF token every form must send back,
and when it expires (12 hours after sign-in). Every request looks the row up, so ending a session is deleting
its row: a copy of the cookie taken before sign-out, a password change, a role change or a disabled
membership is refused from then on.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from arabesque.app.access.members import Member, member_in
from arabesque.app.errors import Unauthorized
from arabesque.store import Database, User, WebSession, utcnow

__all__ = [
    "SESSION_LIFETIME",
    "ActiveSession",
    "StartedSession",
    "end_session",
    "end_sessions",
    "hash_token",
    "prune_expired",
    "resume_session",
    "start_session",
    "switch_project",
]

SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class ActiveSession:
    token_hash: str
    csrf: str
    member: Member


@dataclass(frozen=True)
class StartedSession:
    token: str  # for the cookie; never stored
    session: ActiveSession


def hash_token(token: str) -> str:
    # The token has 256 random bits: a fast hash is enough, and a leaked table signs nobody in.
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, user_id: str, now: datetime | None = None) -> StartedSession:
    """A new session for a user who just proved who they are, in their first active project."""
    now = now or utcnow()
    with db.write() as s:
        _prune(s, now)  # one indexed delete per sign-in keeps the table to the live sessions
        user = s.get(User, user_id)
        member = member_in(s, user, None) if user is not None else None
        if member is None:  # disabled everywhere since the password was checked
            raise Unauthorized("Invalid email or password")
        token = secrets.token_urlsafe(32)
        row = WebSession(
            token_hash=hash_token(token),
            user_id=user_id,
            project_id=member.project_id,
            csrf=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        s.add(row)
        return StartedSession(token, ActiveSession(row.token_hash, row.csrf, member))


def resume_session(db: Database, token: str, now: datetime | None = None) -> ActiveSession | None:
    """The live session of this token, with the member as of now (role and projects read afresh); None when
    the session ended or expired, or its user is no longer an active member of its current project."""
    token_hash = hash_token(token)
    with db.read() as s:
        found = s.execute(
            select(WebSession.csrf, WebSession.project_id, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == token_hash, WebSession.expires_at > (now or utcnow()))
        ).first()
        if found is None:
            return None
        csrf, project_id, user = found
        member = member_in(s, user, project_id)
    return ActiveSession(token_hash, csrf, member) if member is not None else None


def switch_project(db: Database, active: ActiveSession, project_id: str) -> bool:
    """Make `project_id` the session's current project, if the member is active there."""
    if project_id not in {pid for pid, _ in active.member.projects}:
        return False
    with db.write() as s:
        s.execute(update(WebSession).where(WebSession.token_hash == active.token_hash).values(project_id=project_id))
    return True


def end_session(db: Database, token_hash: str) -> None:
    with db.write() as s:
        s.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def end_sessions(s: Session, user_id: str, project_id: str | None = None, keep: str | None = None) -> None:
    """End a user's sessions (those whose current project is `project_id`, when given; all but `keep`), in
    the caller's transaction: the change that calls for it and the sign-out commit together."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if project_id is not None:
        stmt = stmt.where(WebSession.project_id == project_id)
    if keep is not None:
        stmt = stmt.where(WebSession.token_hash != keep)
    s.execute(stmt)


def prune_expired(db: Database, now: datetime | None = None) -> int:
    """Delete the sessions expired at `now`; returns how many. Called at each sign-in; a retention job may
    call it too."""
    with db.write() as s:
        return _prune(s, now or utcnow())


def _prune(s: Session, now: datetime) -> int:
    result = s.execute(delete(WebSession).where(WebSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
