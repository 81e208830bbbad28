"""Use cases: a project's plugin secrets (`{secrets.NAME}`; write-only through the API) and the signing secret
of a webhook delivery, sealed at rest with the database's `SecretBox` (`db.secret_box`, see `store/sealed.py`).
A value that does not open raises `SecretKeyError`, never a plain-text fallback.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from arabesque.app._time import iso
from arabesque.app.access.principal import Principal
from arabesque.app.errors import InvalidInput
from arabesque.store import Database, ProjectSecret, WebhookSubscription, utcnow
from arabesque.store.outbox import ClaimedEffect
from arabesque.store.webhooks import project_secret_aad, subscription_secret_aad

__all__ = [
    "SHARED_SECRET",
    "delete_project_secret",
    "list_project_secrets",
    "project_secret",
    "set_project_secret",
    "webhook_secret",
]

SHARED_SECRET = "WEBHOOK_SHARED_SECRET"


def set_project_secret(db: Database, who: Principal, name: str, value: str) -> None:
    """Store a `{secrets.NAME}` value for the project's plugins (write-only: it is never read back)."""
    if not name or len(name) > 200:
        raise InvalidInput("Validation error", [{"path": "name", "message": "1 to 200 characters"}])
    sealed = db.secret_box.seal(value, project_secret_aad(who.project_id, name))
    with db.write() as s:
        row = s.get(ProjectSecret, (who.project_id, name))
        if row is None:
            s.add(ProjectSecret(project_id=who.project_id, name=name, value=sealed))
        else:
            row.value, row.updated_at = sealed, utcnow()


def list_project_secrets(db: Database, who: Principal) -> list[dict[str, Any]]:
    """The project's secrets by name, with when each was last set: never a value (not even sealed)."""
    with db.read() as s:
        rows = s.execute(
            select(ProjectSecret.name, ProjectSecret.updated_at)
            .where(ProjectSecret.project_id == who.project_id)
            .order_by(ProjectSecret.name)
        ).all()
    return [{"name": name, "updatedAt": iso(updated)} for name, updated in rows]


def delete_project_secret(db: Database, who: Principal, name: str) -> None:
    """Remove a secret; removing one the project does not have changes nothing (idempotent, as in Ballerine)."""
    with db.write() as s:
        s.execute(delete(ProjectSecret).where(ProjectSecret.project_id == who.project_id, ProjectSecret.name == name))


def project_secret(db: Database, project_id: str, name: str) -> str | None:
    """A project's `{secrets.NAME}` value, opened with the database's key (`SecretKeyError` if it cannot be)."""
    with db.read() as s:
        row = s.get(ProjectSecret, (project_id, name))
        sealed = row.value if row is not None else None
    return db.secret_box.open(sealed, project_secret_aad(project_id, name)) if sealed is not None else None


def webhook_secret(db: Database, effect: ClaimedEffect) -> str | None:
    """The signing secret of a delivery: its subscription's, else the project's `WEBHOOK_SHARED_SECRET`."""
    with db.read() as s:
        if effect.subscription_id:
            sub = s.get(WebhookSubscription, effect.subscription_id)
            return db.secret_box.open(sub.secret, subscription_secret_aad(sub.id)) if sub is not None else None
    return project_secret(db, effect.project_id, SHARED_SECRET)
