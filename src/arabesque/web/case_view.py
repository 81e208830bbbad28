"""The case review page's view of a case (`app/cases/get_case.py`): entity data, plugin outputs and child
workflows as key/value blocks and tables, documents with their pages, decisions and edit forms, the tabs, and
the timeline (the audit log and the outbox's calls, newest first); the overview and the KYB review views come
from `web/case_review.py`. Pure: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from arabesque.app.cases.audit_trail import actor_name, audit_trail
from arabesque.app.cases.case_actions import director_documents
from arabesque.app.cases.get_case import Case
from arabesque.app.cases.reviewer_actions import (
    MAX_REASON,
    approval_blockers,
    blocker_message,
    decision_kind,
    event_label,
    state_label,
)
from arabesque.engine import Definition
from arabesque.web.case_review import case_overview, humanize, kyc_entries, review_blocks, ubo_rows
from arabesque.web.diagram import definition_graph
from arabesque.web.document_form import document_form

__all__ = ["TABS", "case_view", "humanize", "pick_tab"]

_HIDDEN_ADDITIONAL = ("ubos", "directors")


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


# The case page's tabs (Ballerine's DefaultBlocks, §5.4, plus KYC and plugin outputs), in order:
# `?activeTab=<id>`.
TABS = (
    ("summary", "Summary"),
    ("companyInformation", "Company information"),
    ("associatedCompanies", "Associated companies"),
    ("ubos", "UBOs"),
    ("directors", "Directors"),
    ("documents", "Documents"),
    ("kyc", "KYC"),
    ("customData", "Custom Data"),
    ("pluginsOutput", "Plugin outputs"),
)


def pick_tab(tabs: list[dict[str, Any]], requested: str | None) -> str:
    """The requested tab when it exists and has content, else the first tab with content (else Summary)."""
    enabled = [t["id"] for t in tabs if t["enabled"]]
    if requested in enabled:
        return str(requested)
    return enabled[0] if enabled else "summary"


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


def case_view(case: Case) -> dict[str, Any]:
    """What the case page's templates read, from the case's plain data."""
    by_id = {m.id: (f"{m.first_name} {m.last_name}".strip() or m.email) for m in case.members}
    context = case.context
    raw_entity = context.get("entity")
    entity_ctx: dict[str, Any] = raw_entity if isinstance(raw_entity, dict) else {}
    raw_data = entity_ctx.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    trail = [asdict(t) for t in audit_trail(case)]
    timeline = [t for t in trail if not t["system"]]
    system_timeline = [t for t in trail if t["system"]]
    children = [
        {
            "id": child.id,
            "name": child.name,
            "workflow": child.workflow,
            "state": child.state,
            "status": child.status,
            "tags": child.tags,
            "decisions": [
                (d.get("category") or d.get("type") or "document", (d.get("decision") or {}).get("status"))
                for d in child.documents
            ],
            "nextEvents": child.next_events,
            # the server refuses an approval while a child's document is undecided: say so on its button too
            "actions": _actions(
                None, child.next_events, blocker_message(approval_blockers({"documents": child.documents}, []))
            ),
        }
        for child in case.children
    ]
    raw_docs = [d for d in context.get("documents") or [] if isinstance(d, dict)]
    documents = [_document(d) for d in raw_docs]
    extra = data.get("additionalInfo") if isinstance(data.get("additionalInfo"), dict) else {}
    director_blocks = _people_blocks("Directors (user-provided)", (extra or {}).get("directors"))
    director_docs = _director_documents((extra or {}).get("directors"))
    raw_custom = context.get("customData")
    custom_blocks = (
        [{"title": "Custom data", "rows": _flatten(raw_custom)}] if isinstance(raw_custom, dict) and raw_custom else []
    )
    entity_blocks = [b for b in _entity_blocks(case.kind, data) if b["rows"]]
    review = review_blocks(case, data)
    ubos = ubo_rows(case, (extra or {}).get("ubos"))
    kyc = kyc_entries(case, raw_docs)
    owner_children = [c for c in case.children if c.entity.get("type") != "business"]
    sizes = {
        "summary": len(entity_blocks) + 1,  # the case overview is always there
        "companyInformation": len(review["company"]) if case.kind == "business" else 0,
        "associatedCompanies": len(review["associated"]) + (1 if review["associatedListed"] else 0),
        "documents": len(documents),
        "ubos": len(ubos) + len(owner_children),
        "directors": len(director_blocks) + len(director_docs),
        "kyc": len(kyc),
        "pluginsOutput": len(review["plugins"]),
        "customData": len(custom_blocks),
    }
    counts = {"documents": len(documents), "ubos": len(ubos) or len(owner_children) or None}
    tabs = [{"id": tid, "label": label, "count": counts.get(tid), "enabled": sizes[tid] > 0} for tid, label in TABS]
    can_act = case.permissions.act
    for shown, raw in zip(documents, raw_docs, strict=True):
        shown["form"] = document_form(case.documents_schema, raw) if can_act and not shown["status"] else None
        shown["raw"] = raw
    return {
        "id": case.id,
        "name": case.entity_name or entity_ctx.get("id") or "N/A",
        "kind": case.kind,
        "correlationId": entity_ctx.get("id"),
        "workflow": {
            "id": case.definition_id,
            "name": case.definition_name,
            "displayName": case.display_name,
            "version": case.definition_version,
        },
        "state": case.state,
        "status": case.status,
        "tags": case.tags,
        "createdAt": case.created_at,
        "updatedAt": case.updated_at,
        "createdBy": actor_name(case, case.created_by),
        "dueAt": case.due_at,
        "assignee": {"id": case.assignee_id, "name": by_id.get(case.assignee_id, "?")} if case.assignee_id else None,
        "assignedAt": case.assigned_at,
        "users": [
            {"id": m.id, "name": by_id[m.id], "email": m.email}
            for m in case.members
            if m.status == "active" and m.role in ("admin", "reviewer")
        ],
        "entityBlocks": entity_blocks,
        "directorBlocks": director_blocks,
        "directorDocuments": director_docs,
        "customBlocks": custom_blocks,
        "tabs": tabs,
        "overview": case_overview(case),
        "review": review,
        "uboRows": ubos,
        "ownerChildren": [c for c in children if c["id"] in {o.id for o in owner_children}],
        "kyc": kyc,
        "documents": documents,
        "documentsSchema": case.documents_schema,
        "children": children,
        "parent": {"id": case.parent_id} if case.parent_id else None,
        "nextEvents": case.next_events,
        "actions": _actions(case.definition, case.next_events, case.approve_blocked),
        "approveBlocked": case.approve_blocked,
        "stateLabel": state_label(case.definition, case.state),
        "reuploads": case.reuploads,
        "timeline": timeline,
        "systemTimeline": system_timeline,
        "graph": definition_graph(case.definition),
        "path": case.moves or case.path,
        "version": case.version,
        "maxReason": MAX_REASON,
        "permissions": {
            "act": can_act,
            "assign": case.permissions.assign,
            "note": case.permissions.note,
            "isAssignee": case.permissions.is_assignee,
        },
    }


def _actions(defn: Definition | None, events: list[str], approve_blocked: str) -> list[dict[str, Any]]:
    """The reviewer's buttons: label, kind (approve, reject, revision, other), and why one is disabled."""
    out = []
    for ev in events:
        kind = decision_kind(ev)
        out.append(
            {
                "event": ev,
                "label": event_label(defn, ev),
                "kind": kind,
                "blocked": approve_blocked if kind == "approve" else "",
                "needsReason": kind in ("reject", "revision"),
            }
        )
    return out
