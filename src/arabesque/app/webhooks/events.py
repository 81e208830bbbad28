"""Workflow webhook events, written to the outbox in the transaction that caused them.

One outbox row per (event, matching subscription): subscriptions come from the runtime's
`config.subscriptions` (`[{type: "webhook", url, events}]`, as in Ballerine) and from the project's
`WebhookSubscription`s. The payload carries Ballerine's fields (service.md §5.3) plus `id` (the event id)
and `timestamp`; the outbox row's `effect_id` is the delivery's `webhook-id`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from arabesque import __version__
from arabesque.app._time import iso
from arabesque.app.webhooks.environment import environment_name
from arabesque.store import Runtime, Transaction, User, utcnow

__all__ = ["EVENTS", "document_changed", "emit_webhooks"]

EVENTS = (
    "workflow.created",
    "workflow.state.changed",
    "workflow.completed",
    "workflow.context.document.changed",
)


def emit_webhooks(tx: Transaction, rt: Runtime, name: str) -> int:
    """Add one delivery (an outbox row) per subscription that wants `name` for `rt`; return how many."""
    targets = _targets(tx, rt, name)
    if not targets:
        return 0
    body = _payload(tx, rt, name)
    for url, subscription_id in targets:
        tx.runtimes.add_effect(
            rt,
            lock_key=f"wh:{rt.id}",
            effect_id=f"msg_{uuid.uuid4().hex}",
            effect_type="webhook",
            plugin=name,
            payload={"url": url, "eventName": name, "body": body},
            subscription_id=subscription_id,
        )
    return len(targets)


def _targets(tx: Transaction, rt: Runtime, name: str) -> list[tuple[str, str | None]]:
    """(url, subscription id) for every subscription that wants `name`; config ones have no id."""
    out: list[tuple[str, str | None]] = []
    subs = (rt.config or {}).get("subscriptions")
    for sub in subs if isinstance(subs, list) else []:
        if (
            isinstance(sub, dict)
            and sub.get("type") == "webhook"
            and isinstance(sub.get("url"), str)
            and name in (sub.get("events") or [])
        ):
            out.append((sub["url"], None))
    for sub_id, url, events in tx.subscriptions.live(rt.project_id):
        if name in (events or []) or "*" in (events or []):
            out.append((url, sub_id))
    return out


def _payload(tx: Transaction, rt: Runtime, name: str) -> dict[str, Any]:
    entity = rt.entity
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "eventName": name,
        "apiVersion": __version__,
        "timestamp": iso(utcnow()),
        "workflowCreatedAt": iso(rt.created_at),
        "workflowResolvedAt": iso(rt.resolved_at),
        "workflowDefinitionId": rt.definition_id,
        "workflowRuntimeId": rt.id,
        "ballerineEntityId": entity[1] if entity is not None else None,
        "correlationId": tx.entities.correlation_id(*entity) if entity is not None else None,
        "environment": environment_name(),
    }
    if name == "workflow.state.changed":
        body["state"] = rt.state
    if name == "workflow.completed":
        body["workflowStatus"] = rt.status
        body["workflowFinalState"] = rt.state
    if name == "workflow.context.document.changed":
        assignee = None
        if rt.assignee_id:
            assignee = tx.conn.execute(
                select(User.id, User.first_name, User.last_name, User.email).where(User.id == rt.assignee_id)
            ).first()
        body["assignee"] = (
            {
                "id": assignee.id,
                "firstName": assignee.first_name,
                "lastName": assignee.last_name,
                "email": assignee.email,
            }
            if assignee
            else None
        )
        body["assignedAt"] = iso(rt.assigned_at)
    body["data"] = rt.context
    return body


def _decisions(context: dict[str, Any]) -> dict[str, Any]:
    docs = context.get("documents") if isinstance(context, dict) else None
    out: dict[str, Any] = {}
    for doc in docs if isinstance(docs, list) else []:
        if isinstance(doc, dict) and doc.get("id") is not None:
            decision = doc.get("decision")
            out[str(doc["id"])] = decision.get("status") if isinstance(decision, dict) else None
    return out


def document_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a document that existed before got a decision, or its decision status changed."""
    old, new = _decisions(before), _decisions(after)
    return any(doc_id in new and new[doc_id] != status for doc_id, status in old.items())
