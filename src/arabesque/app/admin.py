"""Use cases of the admin pages: workflow definitions (versions, JSON, upload), the project's API keys, and
its webhook subscriptions with their delivery log.

Reading definitions is open to every member; uploading a version, managing keys and webhooks need `admin`.
The webhook functions are admin-only wrappers around `arabesque.app.webhooks` (the API's use cases).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from arabesque.app._definitions import compiled, visible
from arabesque.app.api_keys import CreatedKey, create_api_key, revoke_api_key
from arabesque.app.case_view import definition_graph
from arabesque.app.create_definition import create_definition
from arabesque.app.errors import InvalidInput, NotFound
from arabesque.app.members import Member, require_role
from arabesque.app.upgrade_definition import UPGRADABLE, upgrade_definition
from arabesque.app.webhook_events import EVENTS
from arabesque.app.webhooks import (
    create_subscription,
    delete_subscription,
    list_deliveries,
    list_subscriptions,
    redeliver,
)
from arabesque.store import ApiKey, Database, WorkflowDefinition

__all__ = [
    "WEBHOOK_EVENTS",
    "add_webhook",
    "create_key",
    "definition_detail",
    "definition_versions",
    "list_keys",
    "redeliver_webhook",
    "remove_webhook",
    "revoke_key",
    "upload_definition",
    "webhook_detail",
    "webhooks",
]

WEBHOOK_EVENTS = ("*", *EVENTS)


def definition_versions(db: Database, member: Member) -> list[dict[str, Any]]:
    """Every definition name the project sees, with its versions newest first."""
    with db.read() as s:
        rows = s.scalars(
            select(WorkflowDefinition)
            .where(visible(member.project_id))
            .order_by(WorkflowDefinition.name, WorkflowDefinition.version.desc())
        ).all()
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            entry = out.setdefault(r.name, {"name": r.name, "displayName": r.display_name or r.name, "versions": []})
            entry["versions"].append(
                {
                    "id": r.id,
                    "version": r.version,
                    "createdAt": r.created_at,
                    "createdBy": r.created_by,
                    "public": r.project_id is None,
                }
            )
        return list(out.values())


def definition_detail(db: Database, member: Member, definition_id: str) -> dict[str, Any]:
    with db.read() as s:
        row = s.scalars(
            select(WorkflowDefinition).where(visible(member.project_id), WorkflowDefinition.id == definition_id)
        ).first()
        if row is None:
            raise NotFound(f"No workflow definition with id [{definition_id}]")
        return {
            "id": row.id,
            "name": row.name,
            "displayName": row.display_name or row.name,
            "version": row.version,
            "json": json.dumps(row.record, indent=2, ensure_ascii=False),
            "graph": definition_graph(compiled(row)),
            "editable": row.project_id == member.project_id,
        }


def upload_definition(db: Database, member: Member, text: str) -> dict[str, Any]:
    """A definition record as JSON: a new version when the project has its name, else version 1."""
    require_role(member, "admin")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("Invalid JSON", [{"path": "json", "message": f"line {exc.lineno}: {exc.msg}"}]) from exc
    if not isinstance(record, dict):
        raise InvalidInput("Invalid workflow definition", [{"path": "json", "message": "must be a JSON object"}])
    name = record.get("name") or record.get("id")
    with db.read() as s:
        exists = (
            isinstance(name, str)
            and s.scalars(
                select(WorkflowDefinition.pk).where(
                    WorkflowDefinition.project_id == member.project_id, WorkflowDefinition.name == name
                )
            ).first()
            is not None
        )
    if exists:
        changes = {k: record[k] for k in UPGRADABLE if k in record}
        return upgrade_definition(db, member.principal, str(name), changes)
    record.pop("version", None)
    return create_definition(db, member.principal, record)


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


def create_key(db: Database, member: Member, name: str) -> CreatedKey:
    require_role(member, "admin")
    return create_api_key(db, member.project_id, name.strip()[:200])


def revoke_key(db: Database, member: Member, key_id: str) -> None:
    require_role(member, "admin")
    with db.read() as s:
        row = s.scalars(select(ApiKey).where(ApiKey.id == key_id, ApiKey.project_id == member.project_id)).first()
        if row is None:
            raise NotFound(f"No API key with id [{key_id}]")
    revoke_api_key(db, key_id)


# --- webhook subscriptions ------------------------------------------------------------------------------


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
