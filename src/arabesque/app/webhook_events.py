"""Workflow webhook events, written to the outbox in the transaction that caused them.

One outbox row per (event, matching subscription): subscriptions come from the runtime's
`config.subscriptions` (`[{type: "webhook", url, events}]`, as in Ballerine) and from the project's
`WebhookSubscription`s. The payload carries Ballerine's fields (service.md §5.3) plus `id` (the event id)
and `timestamp`; the outbox row's `effect_id` is the delivery's `webhook-id`.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque import __version__
from arabesque.app._time import iso
from arabesque.app.outbox import add_effect_row
from arabesque.store import Business, EndUser, OutboxEffect, User, WebhookSubscription, WorkflowRuntime, utcnow

__all__ = ["EVENTS", "document_changed", "emit_webhooks"]

EVENTS = (
    "workflow.created",
    "workflow.state.changed",
    "workflow.completed",
    "workflow.context.document.changed",
)


def _targets(s: Session, rt: WorkflowRuntime, name: str) -> list[tuple[str, str | None]]:
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
    rows = s.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.project_id == rt.project_id, WebhookSubscription.deleted_at.is_(None)
        )
    )
    for row in rows:
        if name in (row.events or []) or "*" in (row.events or []):
            out.append((row.url, row.id))
    return out


def _entity(s: Session, rt: WorkflowRuntime) -> tuple[str | None, str | None]:
    if rt.business_id:
        b = s.get(Business, rt.business_id)
        return rt.business_id, b.correlation_id if b else None
    if rt.end_user_id:
        e = s.get(EndUser, rt.end_user_id)
        return rt.end_user_id, e.correlation_id if e else None
    return None, None


def _payload(s: Session, rt: WorkflowRuntime, name: str) -> dict[str, Any]:
    entity_id, correlation_id = _entity(s, rt)
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "eventName": name,
        "apiVersion": __version__,
        "timestamp": iso(utcnow()),
        "workflowCreatedAt": iso(rt.created_at),
        "workflowResolvedAt": iso(rt.resolved_at),
        "workflowDefinitionId": rt.definition_id,
        "workflowRuntimeId": rt.id,
        "ballerineEntityId": entity_id,
        "correlationId": correlation_id,
        "environment": os.environ.get("ARABESQUE_ENVIRONMENT", "production"),
    }
    if name == "workflow.state.changed":
        body["state"] = rt.state
    if name == "workflow.completed":
        body["workflowStatus"] = rt.status
        body["workflowFinalState"] = rt.state
    if name == "workflow.context.document.changed":
        assignee = s.get(User, rt.assignee_id) if rt.assignee_id else None
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


def emit_webhooks(s: Session, rt: WorkflowRuntime, name: str) -> int:
    """Write one delivery per matching subscription of `name` for `rt`; return how many."""
    targets = _targets(s, rt, name)
    if not targets:
        return 0
    body = _payload(s, rt, name)
    for url, subscription_id in targets:
        add_effect_row(
            s,
            OutboxEffect(
                project_id=rt.project_id,
                runtime_id=rt.id,
                lock_key=f"wh:{rt.id}",
                effect_id=f"msg_{uuid.uuid4().hex}",
                effect_type="webhook",
                plugin=name,
                payload={"url": url, "eventName": name, "body": body},
                subscription_id=subscription_id,
            ),
        )
    return len(targets)


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
