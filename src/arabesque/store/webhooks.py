"""Webhook subscriptions and the delivery log; per-project secrets and settings.

Deliveries themselves are outbox rows (`OutboxEffect.effect_type == "webhook"`); every attempt at one is a
`WebhookAttempt`.

Secrets are stored sealed (`store/sealed.py`): `WebhookSubscription.secret` and `ProjectSecret.value` hold
`arb1:<key id>:<ciphertext>`, never the plain value, each bound to its row by the associated data below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, ForeignKey, Index, Integer, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from arabesque.store.models import Base, BigId, JSONType, utcnow
from arabesque.store.prepared import Prepared, table

__all__ = [
    "LiveSubscription",
    "ProjectSecret",
    "ProjectSetting",
    "Subscriptions",
    "WebhookAttempt",
    "WebhookSubscription",
    "project_secret_aad",
    "subscription_secret_aad",
]


def subscription_secret_aad(subscription_id: str) -> str:
    """The associated data that binds a subscription's sealed secret to that subscription."""
    return f"webhook_subscription:{subscription_id}"


def project_secret_aad(project_id: str, name: str) -> str:
    """The associated data that binds a sealed `{secrets.NAME}` value to its project and name."""
    return f"project_secret:{project_id}:{name}"  # the id has no ':', so the name is what follows it


class WebhookSubscription(Base):
    """A project's webhook endpoint: the events it wants and the secret that signs them (shown once)."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (Index(None, "project_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[Any]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(Text)  # sealed
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class WebhookAttempt(Base):
    """One attempt at delivering one webhook (an outbox row): the delivery log."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index(None, "outbox_pk", "attempt"), Index(None, "created_at"))  # retention (0008)
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"))
    outbox_pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    subscription_id: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectSecret(Base):
    """A `{secrets.NAME}` value for a project's plugins; write-only through the API, never logged."""

    __tablename__ = "project_secret"
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # sealed
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectSetting(Base):
    """A project setting, e.g. `egress.allowedHosts` (hosts plugins may reach on private addresses)."""

    __tablename__ = "project_setting"
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


LiveSubscription = tuple[str, str, list[Any] | None]  # (id, url, events)


class Subscriptions:
    """The webhook subscriptions one transaction delivers to (`tx.subscriptions`)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._live: dict[str, list[LiveSubscription]] = {}

    def live(self, project_id: str) -> list[LiveSubscription]:
        """The project's subscriptions that are not deleted, read once per transaction: a use case that emits
        several events (created, state changed, completed) looks them up once."""
        found = self._live.get(project_id)
        if found is None:
            rows = _LIVE.rows(self._conn, {"project_id": project_id})
            found = self._live[project_id] = [(r[0], r[1], r[2]) for r in rows]
        return found


_sub = table(WebhookSubscription).c
_LIVE = Prepared(
    select(_sub.id, _sub.url, _sub.events).where(_sub.project_id == bindparam("project_id"), _sub.deleted_at.is_(None))
)
