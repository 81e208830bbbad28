"""Use case: everything the case review page shows, read in one transaction, scoped to the project.

Entity data, plugin outputs and child workflows become key/value blocks; documents carry their pages
and decisions; the timeline is the audit log newest first (with the outbox's plugin calls); the graph
is the definition's states and transitions, with the path this case took.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from arabesque.app.access.members import Member
from arabesque.app.cases.case_actions import director_documents
from arabesque.app.cases.edit_document import document_form
from arabesque.app.cases.list_cases import sla_due
from arabesque.app.errors import NotFound
from arabesque.app.workflows.runtime import definition_of, runtime_in_project, snapshot_of
from arabesque.engine import Definition, next_events
from arabesque.store import (
    Business,
    Database,
    EndUser,
    OutboxEffect,
    RuntimeEvent,
    User,
    UserProject,
    WebhookAttempt,
    WorkflowRuntime,
)

__all__ = ["REVISION", "TABS", "case_version", "definition_graph", "get_case", "humanize", "pick_tab"]

TIMELINE_LIMIT = 500
REVISION = "revision"
_HIDDEN_ADDITIONAL = ("ubos", "directors")


def humanize(key: str) -> str:
    out = []
    for i, ch in enumerate(key.replace("_", " ")):
        if ch.isupper() and i and key[i - 1].islower():
            out.append(" ")
        out.append(ch)
    text = "".join(out).strip()
    return text[:1].upper() + text[1:]


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:2000]
    return str(value)


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        if str(key).startswith("__"):
            continue
        label = f"{prefix}{humanize(str(key))}"
        if isinstance(value, dict):
            rows.extend(_flatten(value, f"{label} / "))
        else:
            rows.append((label, _scalar(value)))
    return rows


def _entity_blocks(kind: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The main block (scalars), one block per nested object, one table per list of objects."""
    main: list[tuple[str, str]] = []
    blocks: list[dict[str, Any]] = []
    tables: list[dict[str, Any]] = []

    def take(source: dict[str, Any]) -> None:
        for key, value in source.items():
            if str(key).startswith("__") or key == "additionalInfo":
                continue
            if isinstance(value, dict):
                blocks.append({"title": humanize(key), "rows": _flatten(value)})
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                columns = list(dict.fromkeys(k for v in value for k in v if not str(k).startswith("__")))[:8]
                tables.append(
                    {
                        "title": humanize(key),
                        "columns": [humanize(c) for c in columns],
                        "rows": [[_scalar(v.get(c)) for c in columns] for v in value],
                    }
                )
            else:
                main.append((humanize(key), _scalar(value)))

    take(data)
    extra = data.get("additionalInfo")
    if isinstance(extra, dict):
        take({k: v for k, v in extra.items() if k not in _HIDDEN_ADDITIONAL})
    title = "Company" if kind == "business" else "Individual"
    return [{"title": title, "rows": main}, *blocks, *tables]


def _people_blocks(title: str, people: Any) -> list[dict[str, Any]]:
    """UBOs or directors (`entity.data.additionalInfo.<key>`) as one table, nested objects left out."""
    if not isinstance(people, list):
        return []
    rows = [p for p in people if isinstance(p, dict)]
    if not rows:
        return []
    columns = list(
        dict.fromkeys(
            k for p in rows for k, v in p.items() if not str(k).startswith("__") and not isinstance(v, dict | list)
        )
    )[:8]
    return [
        {
            "title": title,
            "columns": [humanize(c) for c in columns],
            "rows": [[_scalar(p.get(c)) for c in columns] for p in rows],
        }
    ]


def _director_documents(directors: Any) -> list[dict[str, Any]]:
    """Director documents (§5.6.5) for the Directors tab: "Director - First Last" and the same cards."""
    return [
        {
            "index": i,
            "title": "Director - " + (f"{d.get('firstName', '')} {d.get('lastName', '')}".strip() or str(i + 1)),
            "documents": [{**_document(doc), "form": None, "director": i} for doc in docs],
        }
        for i, d, docs in director_documents(directors)
    ]


# The case page's tabs (Ballerine's DefaultBlocks, §5.4), in order: `?activeTab=<id>`.
TABS = (
    ("summary", "Summary"),
    ("documents", "Documents"),
    ("ubos", "UBOs"),
    ("directors", "Directors"),
    ("pluginsOutput", "Plugin outputs"),
    ("customData", "Custom Data"),
)


def pick_tab(tabs: list[dict[str, Any]], requested: str | None) -> str:
    """The requested tab when it exists and has content, else the first tab with content (else Summary)."""
    enabled = [t["id"] for t in tabs if t["enabled"]]
    if requested in enabled:
        return str(requested)
    return enabled[0] if enabled else "summary"


def definition_graph(defn: Definition) -> dict[str, Any]:
    """States (tags, final) and transitions (event, target) in definition order, for the diagram."""
    states = []
    for name, node in defn.states.items():
        edges = []
        for event, candidates in node.on.items():
            for c in candidates:
                if c.target:
                    edges.append({"event": event, "target": c.target})
        for c in node.always:
            if c.target:
                edges.append({"event": "always", "target": c.target})
        states.append({"name": name, "tags": list(node.tags), "final": node.final, "edges": edges})
    return {"initial": defn.initial, "states": states}


def _actor(actor: str, names: dict[str, str]) -> str:
    if actor.startswith("user:"):
        return names.get(actor[5:], actor[5:])
    return actor


def _document(doc: dict[str, Any]) -> dict[str, Any]:
    decision = doc.get("decision") if isinstance(doc.get("decision"), dict) else {}
    pages = []
    for page in doc.get("pages") or []:
        if isinstance(page, dict):
            pages.append(
                {
                    "fileId": page.get("ballerineFileId"),
                    "uri": page.get("uri") if str(page.get("uri") or "").startswith(("https://", "http://")) else None,
                    "type": str(page.get("type") or ""),
                    "fileName": page.get("fileName") or "",
                    "side": ((page.get("metadata") or {}) if isinstance(page.get("metadata"), dict) else {}).get(
                        "side"
                    ),
                }
            )
    props = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
    return {
        "id": doc.get("id"),
        "title": " - ".join(humanize(str(x)) for x in (doc.get("category"), doc.get("type")) if x) or "Document",
        "issuer": (doc.get("issuer") or {}).get("country") if isinstance(doc.get("issuer"), dict) else None,
        "properties": _flatten(props or {}),
        "pages": pages,
        "decision": decision or {},
        "status": (decision or {}).get("status"),
    }


def get_case(db: Database, member: Member, runtime_id: str) -> dict[str, Any]:
    with db.read() as s:
        rt = _case_row(s, member, runtime_id)
        row, defn = definition_of(s, rt)
        users = s.execute(
            select(User.id, User.email, User.first_name, User.last_name, UserProject.role, UserProject.status)
            .join(UserProject, UserProject.user_id == User.id)
            .where(UserProject.project_id == member.project_id)
            .order_by(User.email)
        ).all()
        names = {u[1]: (f"{u[2]} {u[3]}".strip() or u[1]) for u in users}
        by_id = {u[0]: (f"{u[2]} {u[3]}".strip() or u[1]) for u in users}
        entity: Business | EndUser | None = None
        if rt.business_id:
            entity = s.get(Business, rt.business_id)
        elif rt.end_user_id:
            entity = s.get(EndUser, rt.end_user_id)
        events = s.scalars(
            select(RuntimeEvent)
            .where(RuntimeEvent.runtime_id == rt.id)
            .order_by(RuntimeEvent.seq.desc())
            .limit(TIMELINE_LIMIT)
        ).all()
        effects = s.scalars(
            select(OutboxEffect).where(OutboxEffect.runtime_id == rt.id).order_by(OutboxEffect.pk.desc()).limit(100)
        ).all()
        last_attempts: dict[int, WebhookAttempt] = {}
        webhook_pks = [e.pk for e in effects if e.effect_type == "webhook"]
        if webhook_pks:
            for attempt in s.scalars(
                select(WebhookAttempt).where(WebhookAttempt.outbox_pk.in_(webhook_pks)).order_by(WebhookAttempt.pk)
            ):
                last_attempts[attempt.outbox_pk] = attempt
        children_rows = s.scalars(
            select(WorkflowRuntime)
            .where(WorkflowRuntime.parent_runtime_id == rt.id, WorkflowRuntime.project_id == member.project_id)
            .order_by(WorkflowRuntime.created_at)
        ).all()
        children = []
        reuploads: list[dict[str, Any]] = []
        for child in children_rows:
            cdata = ((child.context or {}).get("entity") or {}).get("data") or {}
            cname = f"{cdata.get('firstName', '')} {cdata.get('lastName', '')}".strip() or cdata.get("companyName")
            docs = [d for d in (child.context or {}).get("documents") or [] if isinstance(d, dict)]
            child_events: list[str] = []
            if child.status == "active":
                _child_row, child_defn = definition_of(s, child)
                if not child_defn.is_final(child.state):
                    child_events = [e for e in next_events(child_defn, snapshot_of(child)) if e != "DEEP_MERGE_CONTEXT"]
            if REVISION in child_events and _wants_reupload(docs):
                reuploads.append({"id": child.id, "event": REVISION, "name": cname or child.id[:8]})
            children.append(
                {
                    "id": child.id,
                    "name": cname or child.id[:8],
                    "workflow": child.definition_name,
                    "state": child.state,
                    "status": child.status,
                    "tags": list(child.tags or []),
                    "decisions": [
                        (d.get("category") or d.get("type") or "document", (d.get("decision") or {}).get("status"))
                        for d in docs
                    ],
                    "nextEvents": child_events,
                }
            )
        parent = None
        if rt.parent_runtime_id:
            parent = {"id": rt.parent_runtime_id}

    context = rt.context or {}
    raw_entity = context.get("entity")
    entity_ctx: dict[str, Any] = raw_entity if isinstance(raw_entity, dict) else {}
    kind = "business" if rt.business_id else "individual"
    raw_data = entity_ctx.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    if isinstance(entity, Business):
        ename = entity.company_name
    elif isinstance(entity, EndUser):
        ename = f"{entity.first_name} {entity.last_name}".strip()
    else:
        ename = ""
    raw_plugins = context.get("pluginsOutput")
    plugins: dict[str, Any] = raw_plugins if isinstance(raw_plugins, dict) else {}
    plugin_blocks = [
        {"title": humanize(k), "rows": _flatten(v) if isinstance(v, dict) else [("Value", _scalar(v))]}
        for k, v in plugins.items()
    ]
    timeline = [_timeline_item(e, names, by_id) for e in events]
    for eff in effects:
        if eff.effect_type == "webhook":
            timeline.append(_webhook_item(eff, last_attempts.get(eff.pk)))
            continue
        timeline.append(
            {
                "at": eff.created_at,
                "kind": "effect",
                "actor": "worker",
                "title": f"{eff.effect_type} {eff.plugin}: {eff.status}",
                "detail": f"attempts: {eff.attempts}" if eff.attempts else "",
            }
        )
    timeline.sort(key=lambda t: _sort_key(t["at"]), reverse=True)
    path: list[tuple[str, str]] = []
    for e in sorted(events, key=lambda e: e.seq):
        if e.from_state and e.to_state and e.from_state != e.to_state:
            path.append((e.from_state, e.to_state))
    active = rt.status == "active" and not defn.is_final(rt.state)
    allowed = [e for e in next_events(defn, snapshot_of(rt)) if e != "DEEP_MERGE_CONTEXT"] if active else []
    is_assignee = rt.assignee_id == member.user_id
    can_act = active and member.can_work and (member.is_admin or is_assignee)
    documents = [_document(d) for d in context.get("documents") or [] if isinstance(d, dict)]
    raw_docs = [d for d in context.get("documents") or [] if isinstance(d, dict)]
    extra = data.get("additionalInfo") if isinstance(data.get("additionalInfo"), dict) else {}
    ubo_blocks = _people_blocks("UBOs (user-provided)", (extra or {}).get("ubos"))
    director_blocks = _people_blocks("Directors (user-provided)", (extra or {}).get("directors"))
    director_docs = _director_documents((extra or {}).get("directors"))
    raw_custom = context.get("customData")
    custom_blocks = (
        [{"title": "Custom data", "rows": _flatten(raw_custom)}] if isinstance(raw_custom, dict) and raw_custom else []
    )
    entity_blocks = [b for b in _entity_blocks(kind, data) if b["rows"]]
    sizes = {
        "summary": len(entity_blocks),
        "documents": len(documents),
        "ubos": len(ubo_blocks) + len(children),
        "directors": len(director_blocks) + len(director_docs),
        "pluginsOutput": len(plugin_blocks),
        "customData": len(custom_blocks),
    }
    tabs = [
        {
            "id": tid,
            "label": label,
            "count": len(documents) if tid == "documents" else (len(children) or None if tid == "ubos" else None),
            "enabled": sizes[tid] > 0,
        }
        for tid, label in TABS
    ]
    documents_schema = (row.record or {}).get("documentsSchema")
    for shown, raw in zip(documents, raw_docs, strict=True):
        shown["form"] = document_form(documents_schema, raw) if can_act and not shown["status"] else None
        shown["raw"] = raw
    if REVISION in allowed and _wants_reupload(raw_docs):
        reuploads.insert(0, {"id": rt.id, "event": REVISION, "name": ename or "this case"})
    return {
        "id": rt.id,
        "name": ename or entity_ctx.get("id") or "N/A",
        "kind": kind,
        "correlationId": entity_ctx.get("id"),
        "workflow": {
            "id": row.id,
            "name": row.name,
            "displayName": row.display_name or row.name,
            "version": row.version,
        },
        "state": rt.state,
        "status": rt.status,
        "tags": list(rt.tags or []),
        "createdAt": rt.created_at,
        "updatedAt": rt.updated_at,
        "createdBy": _actor(rt.created_by, names),
        "dueAt": _due(rt),
        "assignee": {"id": rt.assignee_id, "name": by_id.get(rt.assignee_id, "?")} if rt.assignee_id else None,
        "assignedAt": rt.assigned_at,
        "users": [
            {"id": u[0], "name": by_id[u[0]], "email": u[1]}
            for u in users
            if u[5] == "active" and u[4] in ("admin", "reviewer")
        ],
        "entityBlocks": entity_blocks,
        "uboBlocks": ubo_blocks,
        "directorBlocks": director_blocks,
        "directorDocuments": director_docs,
        "customBlocks": custom_blocks,
        "tabs": tabs,
        "pluginBlocks": plugin_blocks,
        "documents": documents,
        "documentsSchema": documents_schema,
        "children": children,
        "parent": parent,
        "nextEvents": allowed,
        "reuploads": reuploads,
        "timeline": timeline,
        "graph": definition_graph(defn),
        "path": path,
        "version": _version(rt),
        "permissions": {
            "act": can_act,
            "assign": active and member.can_work,
            "note": member.can_work,
            "isAssignee": is_assignee,
        },
    }


def _wants_reupload(documents: list[dict[str, Any]]) -> bool:
    """Some document is marked "re-upload needed" (`decision.status == "revision"`)."""
    return any(isinstance(d.get("decision"), dict) and d["decision"].get("status") == REVISION for d in documents)


def _sort_key(at: datetime | None) -> float:
    return at.timestamp() if at is not None else 0.0


def _due(rt: WorkflowRuntime) -> datetime | None:
    return sla_due(rt.created_at, rt.config or {})


def _case_row(s: Session, member: Member, runtime_id: str) -> WorkflowRuntime:
    """The case, in the member's project; 404 otherwise (never another project's data)."""
    rt = runtime_in_project(s, member.project_id, runtime_id)
    if rt is None:
        raise NotFound(f"No case with id [{runtime_id}]")
    return rt


def _version(rt: WorkflowRuntime) -> str:
    return f"{rt.event_count}:{rt.updated_at.isoformat() if rt.updated_at else ''}"


def case_version(db: Database, member: Member, runtime_id: str) -> str:
    """A token that changes whenever the case changes (the open page polls it to refresh)."""
    with db.read() as s:
        rt = _case_row(s, member, runtime_id)
        return _version(rt)


_DELIVERY = {"done": "delivered", "dead": "failed", "pending": "pending", "running": "sending"}


def _webhook_item(eff: OutboxEffect, last: WebhookAttempt | None) -> dict[str, Any]:
    """A webhook delivery: the event, the endpoint's host, the outcome and the last attempt's answer."""
    payload = eff.payload if isinstance(eff.payload, dict) else {}
    url = str(payload.get("url") or "")
    host = urlsplit(url).netloc or url
    parts = []
    if last is not None:
        parts.append(f"HTTP {last.status_code}" if last.status_code else (last.error or "no response")[:200])
    if eff.attempts:
        parts.append(f"{eff.attempts} attempt{'s' if eff.attempts != 1 else ''}")
    if eff.status not in ("done", "pending") and eff.last_error and (last is None or last.error != eff.last_error):
        parts.append(eff.last_error[:200])
    return {
        "at": eff.created_at,
        "kind": "webhook",
        "actor": "worker",
        "title": f"Webhook {eff.plugin} → {host}: {_DELIVERY.get(eff.status, eff.status)}",
        "detail": " · ".join(parts),
    }


def _timeline_item(e: RuntimeEvent, names: dict[str, str], by_id: dict[str, str]) -> dict[str, Any]:
    d = e.details or {}
    actor = _actor(e.actor, names)
    if e.kind == "note":
        title, detail = "Note", str(d.get("text", ""))
    elif e.kind == "assign":
        who = d.get("assigneeId")
        title, detail = (f"Assigned to {by_id.get(who, d.get('assignee') or who)}" if who else "Unassigned"), ""
    elif e.kind == "decision":
        dec = (d.get("payload") or {}).get("decision") or {}
        status = dec.get("status") or "cleared"
        reason = dec.get("revisionReason") or dec.get("rejectionReason") or ""
        title = f"Document {status}"
        detail = " — ".join(x for x in (reason, dec.get("comment") or "") if x)
        if e.from_state != e.to_state:
            title += f" · {e.from_state} → {e.to_state}"
    elif e.kind == "document":
        raw_payload_d = d.get("payload")
        payload_d: dict[str, Any] = raw_payload_d if isinstance(raw_payload_d, dict) else {}
        title = f"Document edited: {payload_d.get('type') or ''}".rstrip(": ")
        detail = ", ".join(f"{k}={v}" for k, v in sorted((payload_d.get("properties") or {}).items()))
    elif e.kind == "created":
        title, detail = f"Case created in {e.to_state}", ""
    elif e.kind == "patch":
        title, detail = "Updated", ", ".join(sorted(k for k in d if k != "contextChanged"))
    else:
        moved = f"{e.from_state} → {e.to_state}" if e.from_state != e.to_state else f"stayed in {e.to_state}"
        title = f"{e.event or e.kind}: {moved}"
        raw_payload = d.get("payload")
        payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
        detail = str(payload.get("reason") or "")
    return {"at": e.created_at, "kind": e.kind, "actor": actor, "title": title, "detail": detail}
