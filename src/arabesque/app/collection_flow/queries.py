"""Use cases: what a token holder may read (`GET /collection-flow/customer`, `/user`, `/context`, `/active-flow`,
`/configuration/:language`). Each checks the token and reads its own runtime, end user and project only.

Unlike Ballerine (reference §7.4), the customer answer carries no webhook subscriptions, configuration, features or
project rows: only what a page shows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from arabesque.app._time import iso
from arabesque.app.collection_flow._flow import ui_record
from arabesque.app.collection_flow.access import FlowAccess, access_of
from arabesque.app.collection_flow.end_user import flow_end_user_json
from arabesque.app.collection_flow.revision import revision_request
from arabesque.app.collection_flow.translate import translate_tree
from arabesque.app.definitions.lookup import definition_for
from arabesque.app.errors import NotFound
from arabesque.store import Customer, Database, EndUser, Project, WorkflowDefinition, WorkflowRuntime

__all__ = ["flow_active", "flow_configuration", "flow_context", "flow_customer", "flow_user"]


def _runtime(s: Any, access: FlowAccess) -> WorkflowRuntime:
    rt = s.scalars(
        select(WorkflowRuntime).where(
            WorkflowRuntime.id == access.runtime_id, WorkflowRuntime.project_id == access.project_id
        )
    ).first()
    if rt is None:
        raise NotFound(f"No resource with id [{access.runtime_id}] was found")
    return rt  # type: ignore[no-any-return]


def flow_customer(db: Database, token: str | None) -> dict[str, Any]:
    """The customer whose project the token belongs to, as its pages show it."""
    with db.read() as s:
        access = access_of(s.connection(), token)
        customer = s.scalars(
            select(Customer).join(Project, Project.customer_id == Customer.id).where(Project.id == access.project_id)
        ).first()
        if customer is None:
            raise NotFound("The project of this link no longer exists")
        return {
            "id": customer.id,
            "name": customer.name,
            "displayName": customer.display_name,
            "logoImageUri": None,
            "faviconImageUri": None,
            "websiteUrl": None,
            "language": None,
            "country": None,
            "createdAt": iso(customer.created_at),
        }


def flow_user(db: Database, token: str | None) -> dict[str, Any]:
    """The token's end user; NotFound when the token has none (or it was removed)."""
    with db.read() as s:
        access = access_of(s.connection(), token)
        row = None
        if access.end_user_id is not None:
            row = s.scalars(
                select(EndUser).where(EndUser.id == access.end_user_id, EndUser.project_id == access.project_id)
            ).first()
        if row is None:
            raise NotFound("This collection-flow link has no end user")
        return flow_end_user_json(row)


def flow_context(db: Database, token: str | None) -> dict[str, Any]:
    """`{context, state, config}` of the token's runtime, and `revision`: the pages a reviewer's revision request
    re-opened, with the reasons (`revision.py`)."""
    with db.read() as s:
        conn = s.connection()
        access = access_of(conn, token)
        rt = _runtime(s, access)
        revision = revision_request(ui_record(conn, access), rt.context or {})
        return {"context": rt.context, "state": rt.state, "config": rt.config or {}, "revision": revision.to_json()}


def flow_active(db: Database, token: str | None) -> dict[str, Any]:
    """Ballerine's legacy `active-flow` answer (reference §2.2), for any definition: the runtime's state, whether
    it is finished, its documents and its flow progress."""
    with db.read() as s:
        access = access_of(s.connection(), token)
        rt = _runtime(s, access)
        context = rt.context or {}
        return {
            "result": {
                "id": rt.id,
                "status": rt.state,
                "isFinished": rt.status != "active",
                "documents": context.get("documents") or [],
                "flowConfig": context.get("flowConfig") or {},
            }
        }


def flow_configuration(db: Database, token: str | None, language: str) -> dict[str, Any]:
    """The flow's UI definition in `language` (reference §2.5): the definition's id and config, `uiOptions`,
    `uiSchema` (pages translated, with the `theme`), the browser statechart, and the languages it is written in.
    NotFound when the definition version has no UI definition."""
    with db.read() as s:
        conn = s.connection()
        access = access_of(conn, token)
        ui = ui_record(conn, access)
        if ui is None:
            raise NotFound("This workflow has no collection-flow UI definition")
        rt = _runtime(s, access)
        definition_row = s.get(WorkflowDefinition, rt.definition_pk)
        assert definition_row is not None
        config = definition_for(conn, rt).record.get("config") or {}
    locales: dict[str, Any] = ui["locales"] if isinstance(ui.get("locales"), dict) else {}
    schema: dict[str, Any] = ui["uiSchema"] if isinstance(ui.get("uiSchema"), dict) else {}
    elements = translate_tree(schema.get("elements") or [], locales, language, rt.context or {})
    out: dict[str, Any] = {
        "id": definition_row.id,
        "config": config,
        "uiOptions": ui.get("uiOptions"),
        "uiSchema": {"elements": elements, "theme": ui.get("theme")},
        "language": language if language in locales else "en",
        "languages": sorted(locales) or ["en"],
    }
    if isinstance(ui.get("definition"), dict):
        out["definition"] = ui["definition"]
    return out
