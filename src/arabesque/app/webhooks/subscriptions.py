"""Use cases: a project's webhook subscriptions (create, list, delete), their delivery log, redelivery; and the
admin pages' versions of them (`admin` only, in the member's project).

A subscription's secret (`whsec_<base64>`, Standard Webhooks) is returned once, by `create_subscription`;
listings never show it. It is stored sealed with the database's `SecretBox`
(`db.secret_box`, see `store/sealed.py`). Deliveries are outbox rows; their attempts are `WebhookAttempt` rows.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from sqlalchemy import select

from arabesque.app._ids import new_id
from arabesque.app._time import iso
from arabesque.app.access.members import Member, require_role
from arabesque.app.access.principal import Principal
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.app.webhooks.events import EVENTS
from arabesque.store import Database, OutboxEffect, WebhookAttempt, WebhookSubscription, utcnow
from arabesque.store.outbox import WAKE
from arabesque.store.webhooks import subscription_secret_aad

__all__ = [
    "WEBHOOK_EVENTS",
    "add_webhook",
    "create_subscription",
    "delete_subscription",
    "list_deliveries",
    "list_subscriptions",
    "redeliver",
    "redeliver_webhook",
    "remove_webhook",
    "webhook_detail",
    "webhooks",
]


def _subscription_json(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "events": list(row.events or []),
        "description": row.description,
        "createdAt": iso(row.created_at),
    }


def create_subscription(
    db: Database, who: Principal, url: str, events: list[str], description: str = ""
) -> dict[str, Any]:
    unknown = [e for e in events if e not in EVENTS and e != "*"]
    errors = [{"path": "events", "message": f"unknown event {e!r}; known: {list(EVENTS)}"} for e in unknown]
    if not url.startswith(("http://", "https://")):
        errors.append({"path": "url", "message": "an http(s) URL is required"})
    if not events:
        errors.append({"path": "events", "message": "at least one event is required"})
    if errors:
        raise InvalidInput("Validation error", errors)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    subscription_id = new_id()
    sealed = db.secret_box.seal(secret, subscription_secret_aad(subscription_id))
    row = WebhookSubscription(
        id=subscription_id,
        project_id=who.project_id,
        url=url,
        events=list(events),
        secret=sealed,
        description=description,
    )
    with db.write() as s:
        s.add(row)
    return {**_subscription_json(row), "secret": secret}


def list_subscriptions(db: Database, who: Principal) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.project_id == who.project_id, WebhookSubscription.deleted_at.is_(None))
            .order_by(WebhookSubscription.created_at)
        )
        return [_subscription_json(r) for r in rows]


def _subscription(s: Any, who: Principal, subscription_id: str) -> WebhookSubscription:
    row = s.get(WebhookSubscription, subscription_id)
    if row is None or row.project_id != who.project_id or row.deleted_at is not None:
        raise NotFound(f"No resource with id [{subscription_id}] was found")
    return row  # type: ignore[no-any-return]


def delete_subscription(db: Database, who: Principal, subscription_id: str) -> None:
    """Stop new deliveries; the delivery log stays readable by id, pending retries are dead-lettered."""
    with db.write() as s:
        row = _subscription(s, who, subscription_id)
        row.deleted_at = utcnow()
        for effect in s.scalars(
            select(OutboxEffect).where(
                OutboxEffect.subscription_id == subscription_id, OutboxEffect.status == "pending"
            )
        ):
            effect.status, effect.last_error, effect.finished_at = "dead", "subscription deleted", utcnow()


def list_deliveries(db: Database, who: Principal, subscription_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest deliveries of a subscription, each with its attempts (status code, latency, next retry)."""
    with db.read() as s:
        _subscription(s, who, subscription_id)
        rows = list(
            s.scalars(
                select(OutboxEffect)
                .where(OutboxEffect.subscription_id == subscription_id)
                .order_by(OutboxEffect.created_at.desc(), OutboxEffect.pk.desc())
                .limit(limit)
            )
        )
        attempts: dict[int, list[dict[str, Any]]] = {r.pk: [] for r in rows}
        if rows:
            for a in s.scalars(
                select(WebhookAttempt).where(WebhookAttempt.outbox_pk.in_(list(attempts))).order_by(WebhookAttempt.pk)
            ):
                attempts[a.outbox_pk].append(
                    {
                        "attempt": a.attempt,
                        "statusCode": a.status_code,
                        "error": a.error,
                        "latencyMs": a.latency_ms,
                        "at": iso(a.created_at),
                        "nextRetryAt": iso(a.next_retry_at),
                    }
                )
        return [
            {
                "id": r.effect_id,
                "eventName": r.plugin,
                "workflowRuntimeId": r.runtime_id,
                "status": r.status,
                "attempts": attempts[r.pk],
                "nextAttemptAt": iso(r.available_at) if r.status == "pending" else None,
                "createdAt": iso(r.created_at),
                "lastError": r.last_error,
            }
            for r in rows
        ]


def redeliver(db: Database, who: Principal, subscription_id: str, delivery_id: str) -> dict[str, Any]:
    """Deliver again now (same `webhook-id`): a dead or delivered delivery goes back to pending."""
    with db.write() as s:
        _subscription(s, who, subscription_id)
        row = s.scalars(
            select(OutboxEffect).where(
                OutboxEffect.subscription_id == subscription_id,
                OutboxEffect.effect_id == delivery_id,
                OutboxEffect.project_id == who.project_id,
            )
        ).first()
        if row is None:
            raise NotFound(f"No delivery with id [{delivery_id}] was found")
        if row.status != "running":
            row.status, row.available_at, row.finished_at, row.created_at = "pending", utcnow(), None, utcnow()
    WAKE.notify()
    return {"id": delivery_id, "status": "pending"}


# --- the admin pages ------------------------------------------------------------------------------------

WEBHOOK_EVENTS = ("*", *EVENTS)


def webhooks(db: Database, member: Member) -> list[dict[str, Any]]:
    """The project's live subscriptions (never their secrets)."""
    require_role(member, "admin")
    return list_subscriptions(db, member.principal)


def add_webhook(db: Database, member: Member, url: str, events: list[str], description: str) -> dict[str, Any]:
    """A new subscription; the result carries its signing secret, shown once."""
    require_role(member, "admin")
    unique = list(dict.fromkeys(events))
    return create_subscription(db, member.principal, url.strip(), unique, description.strip()[:500])


def remove_webhook(db: Database, member: Member, subscription_id: str) -> None:
    require_role(member, "admin")
    delete_subscription(db, member.principal, subscription_id)


def webhook_detail(db: Database, member: Member, subscription_id: str, limit: int = 50) -> dict[str, Any]:
    """A subscription and its newest deliveries, each with its attempts."""
    require_role(member, "admin")
    found = next((w for w in list_subscriptions(db, member.principal) if w["id"] == subscription_id), None)
    if found is None:
        raise NotFound(f"No webhook subscription with id [{subscription_id}]")
    return {**found, "deliveries": list_deliveries(db, member.principal, subscription_id, limit)}


def redeliver_webhook(db: Database, member: Member, subscription_id: str, delivery_id: str) -> dict[str, Any]:
    require_role(member, "admin")
    return redeliver(db, member.principal, subscription_id, delivery_id)
