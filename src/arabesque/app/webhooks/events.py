"""Workflow webhook events, written to the outbox in the transaction that caused them.

One outbox row per (event, matching subscription): subscriptions come from the runtime's
`config.subscriptions` (`[{type: "webhook", url, events}]`, as in Ballerine) and from the project's
`WebhookSubscription`s. The payload carries Ballerine's fields (service.md §5.3) plus `id` (the event id)
and `timestamp`; the outbox row's `effect_id` is the delivery's `webhook-id`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, SessionTransaction

from arabesque import __version__
from arabesque.app._time import iso
from arabesque.app.webhooks.environment import environment_name
from arabesque.store import (
    Business,
    EndUser,
    OutboxEffect,
    Prepared,
    User,
    WebhookSubscription,
    WorkflowRuntime,
    table,
    utcnow,
)
from arabesque.store.outbox import add_effect_row

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
    for sub_id, url, events in _subscriptions(s, rt.project_id):
        if name in (events or []) or "*" in (events or []):
            out.append((url, sub_id))
    return out


_SUBS = "arabesque_webhook_subscriptions"


def _subscriptions(s: Session, project_id: str) -> list[tuple[str, str, list[Any] | None]]:
    """The project's live subscriptions (id, url, events), read once per transaction: a use case that
    emits several events (created, state changed, completed) looks them up once."""
    cache: dict[str, list[tuple[str, str, list[Any] | None]]] = s.info.setdefault(_SUBS, {})
    found = cache.get(project_id)
    if found is None:
        found = [(r[0], r[1], r[2]) for r in _LIVE_SUBSCRIPTIONS.rows(s.connection(), {"project_id": project_id})]
        cache[project_id] = found
    return found


_sub = table(WebhookSubscription).c
_LIVE_SUBSCRIPTIONS = Prepared(
    select(_sub.id, _sub.url, _sub.events).where(_sub.project_id == bindparam("project_id"), _sub.deleted_at.is_(None))
)


@event.listens_for(Session, "after_transaction_end")
def _forget_subscriptions(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SUBS, None)
        session.info.pop(_CORRELATION, None)


_CORRELATION = "arabesque_webhook_correlation_ids"


def _entity(s: Session, rt: WorkflowRuntime) -> tuple[str | None, str | None]:
    """(entity id, correlation id), looked up once per transaction (correlation ids never change)."""
    model: type[Business] | type[EndUser]
    if rt.business_id:
        entity_id, model = rt.business_id, Business
    elif rt.end_user_id:
        entity_id, model = rt.end_user_id, EndUser
    else:
        return None, None
    cache: dict[str, str | None] = s.info.setdefault(_CORRELATION, {})
    if entity_id not in cache:
        with s.no_autoflush:
            cache[entity_id] = s.scalar(select(model.correlation_id).where(model.id == entity_id))
    return entity_id, cache[entity_id]


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
        "environment": environment_name(),
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
