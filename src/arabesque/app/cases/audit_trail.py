"""A case's audit trail as an analyst reads it: who ("Jane Doe", "API key Onboarding", "System", "Client") did
what to which object (a document by its name and type, a field), with the changes a context update made; and
the system's noise (plugin attempts, webhook deliveries, worker outcomes) marked `system`, for the page to
group under a collapsed "System" filter. The same entries are exported as CSV or JSON.

Pure: it reads a `Case` (`get_case.py`) and never prints a raw `None`, state or event name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from arabesque.app.cases.get_case import Case, CaseEffect, CaseEvent
from arabesque.app.cases.reviewer_actions import decision_kind, document_name, event_label, humanize, state_label
from arabesque.engine import Definition

__all__ = ["CSV_COLUMNS", "TrailEntry", "actor_name", "audit_trail", "csv_safe", "trail_rows"]

# Record kinds written by the worker or the engine on its own: shown only under "System".
_SYSTEM_KINDS = {"plugin attempt", "effect failed", "plugin outcome", "child failed", "child callback failed"}
_CLIENT_PREFIXES = ("client:", "collection-flow", "collection:", "end-user:", "enduser:", "token:")
_DECIDED = {
    "approved": "Approved the document",
    "rejected": "Rejected the document",
    "revision": "Asked to re-upload the document",
    "revised": "Marked the document as re-uploaded",
}
_CASE_DECIDED = {
    "approve": "Approved the case",
    "reject": "Rejected the case",
    "revision": "Sent the case back for re-uploads",
}
_WAS = {"approved": "approved", "rejected": "rejected", "revision": "marked for re-upload", "revised": "re-uploaded"}
_DELIVERY = {"done": "delivered", "dead": "failed", "pending": "pending", "running": "sending"}
CSV_COLUMNS = ("at", "who", "action", "object", "detail", "changes", "system")


@dataclass(frozen=True)
class TrailEntry:
    at: datetime | None
    who: str
    action: str
    object: str = ""
    detail: str = ""
    changes: list[str] = field(default_factory=list)
    system: bool = False
    kind: str = ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A value as a reader sees it: never "None"."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


class _Names:
    def __init__(self, case: Case) -> None:
        self.by_email = {m.email: (f"{m.first_name} {m.last_name}".strip() or m.email) for m in case.members}
        self.by_id = {m.id: (f"{m.first_name} {m.last_name}".strip() or m.email) for m in case.members}
        self.keys = case.api_keys

    def actor(self, actor: str) -> str:
        if actor.startswith("user:"):
            return self.by_email.get(actor[5:], actor[5:])
        if actor.startswith("api-key:"):
            prefix = actor[8:]
            return f"API key {self.keys.get(prefix) or prefix}"
        if actor.startswith(_CLIENT_PREFIXES):
            return "Client"
        return "System"  # workers, child callbacks, the engine


def _moved(defn: Definition, frm: str | None, to: str | None) -> str:
    if frm and to and frm != to:
        return f"{state_label(defn, frm)} → {state_label(defn, to)}"
    return ""


def _document_object(details: dict[str, Any], context: dict[str, Any]) -> str:
    ref = details.get("document")
    if not isinstance(ref, dict):  # older records: look the document up in today's context
        doc_id = details.get("documentId")
        found = [d for d in context.get("documents") or [] if isinstance(d, dict) and d.get("id") == doc_id]
        ref = found[0] if found else {}
    name = document_name(ref) if ref else "a document"
    return f"{name} of director {details['director'] + 1}" if isinstance(details.get("director"), int) else name


def _doc_line(verb: str, ref: dict[str, Any]) -> str:
    line = f"{verb} {document_name(ref)}"
    decision = _obj(ref.get("decision")) or None
    if decision and decision.get("status"):
        why = decision.get("revisionReason") or decision.get("rejectionReason") or ""
        was = _WAS.get(decision["status"], "decided")
        line += f" (it was {was}{': ' + why if why else ''})"
    return line


def _changes(diff: Any) -> list[str]:
    """The lines of a context diff (`app/workflows/context_diff.py`)."""
    if not isinstance(diff, dict):
        return []
    lines: list[str] = []
    docs = _obj(diff.get("documents"))
    for ref in docs.get("added") or []:
        lines.append(_doc_line("Added", ref))
    for ref in docs.get("removed") or []:
        lines.append(_doc_line("Removed", ref))
    for ref in docs.get("replaced") or []:
        lines.append(_doc_line("Replaced", ref))
    for change in diff.get("fields") or []:
        if isinstance(change, dict):
            lines.append(f"{change.get('path')}: {_text(change.get('from'))} → {_text(change.get('to'))}")
    return lines


def _event_entry(e: CaseEvent, who: str, case: Case, names: _Names) -> TrailEntry:
    d = e.details
    defn = case.definition
    system = e.kind in _SYSTEM_KINDS or who == "System"
    if e.kind == "note":
        return TrailEntry(e.at, who, "Added a note", detail=_text(d.get("text")), kind=e.kind)
    if e.kind == "assign":
        target = d.get("assigneeId")
        action = (
            f"Assigned the case to {names.by_id.get(target, d.get('assignee') or 'a member')}"
            if target
            else "Unassigned the case"
        )
        return TrailEntry(e.at, who, action, kind=e.kind)
    if e.kind == "decision":
        payload = _obj(d.get("payload")) or d
        dec = _obj(payload.get("decision"))
        status = dec.get("status")
        action = (
            _DECIDED.get(status, "Cleared the decision on the document")
            if status
            else "Cleared the decision on the document"
        )
        reason = dec.get("revisionReason") or dec.get("rejectionReason") or ""
        detail = " — ".join(str(x) for x in (reason, dec.get("comment")) if x)
        moved = _moved(defn, e.from_state, e.to_state)
        changes = [f"Case moved: {moved}"] if moved else []
        return TrailEntry(e.at, who, action, _document_object(payload, case.context), detail, changes, kind=e.kind)
    if e.kind == "document":
        payload = _obj(d.get("payload")) or d
        previous = _obj(payload.get("previous"))
        old_props = _obj(previous.get("properties"))
        new_props = _obj(payload.get("properties"))
        changes = [
            f"{humanize(k)}: {_text(old_props.get(k))} → {_text(new_props.get(k))}"
            for k in sorted(set(old_props) | set(new_props))
            if old_props.get(k) != new_props.get(k)
        ]
        if previous and previous.get("type") != payload.get("type"):
            changes.insert(0, f"Type: {_text(previous.get('type'))} → {_text(payload.get('type'))}")
        return TrailEntry(
            e.at, who, "Edited the document", _document_object(payload, case.context), "", changes, kind=e.kind
        )
    if e.kind == "created":
        where = state_label(defn, e.to_state) if e.to_state else ""
        return TrailEntry(e.at, who, "Created the case", detail=f"Started in {where}" if where else "", kind=e.kind)
    if e.kind == "patch":
        changes = _changes(d.get("changes"))
        if "tags" in d:
            changes.append(f"Tags: {', '.join(str(t) for t in d['tags'] or []) or '(none)'}")
        if "assigneeId" in d:
            target = d.get("assigneeId")
            changes.append(f"Assignee: {names.by_id.get(target, 'a member') if target else 'unassigned'}")
        if "context" in d and not d.get("changes"):
            changes.append("No field changed")
        return TrailEntry(e.at, who, "Updated the case data", changes=changes, kind=e.kind)
    if e.kind in ("plugin attempt", "plugin outcome", "effect failed", "child failed", "child callback failed"):
        name = humanize(e.event) if e.event else "a plugin"
        outcome = {
            "plugin attempt": f"Attempt of {name} failed; retrying",
            "plugin outcome": f"{name} answered",
            "effect failed": f"{name} failed",
            "child failed": f"Could not start the child case ({name})",
            "child callback failed": "Could not apply a child case's result",
        }[e.kind]
        status = d.get("status") or d.get("statusCode")
        error = d.get("error") or ""
        detail = " · ".join(str(x) for x in (f"HTTP {status}" if status else "", error) if x)[:300]
        moved = _moved(defn, e.from_state, e.to_state)
        return TrailEntry(
            e.at,
            "System",
            outcome,
            detail=detail,
            changes=[f"Case moved: {moved}"] if moved else [],
            system=True,
            kind=e.kind,
        )
    # An event (a reviewer's, the client's, the API's) or an automatic transition.
    moved = _moved(defn, e.from_state, e.to_state)
    if e.kind == "transition":
        action = f"Moved on automatically ({event_label(defn, e.event)})" if e.event else "Moved on automatically"
    elif e.kind == "child callback":
        action = f"A child case finished ({event_label(defn, e.event) if e.event else 'result received'})"
    elif e.event:
        action = _CASE_DECIDED.get(decision_kind(e.event)) or event_label(defn, e.event)
    else:
        action = humanize(e.kind)
    payload = _obj(d.get("payload"))
    detail = str(payload.get("reason") or "")
    return TrailEntry(e.at, who, action, "", detail, [f"Case moved: {moved}"] if moved else [], system, e.kind)


def _effect_entry(eff: CaseEffect) -> TrailEntry:
    if eff.effect_type == "webhook":
        host = urlsplit(eff.url).netloc or eff.url or "an endpoint"
        parts = []
        if eff.attempted:
            parts.append(
                f"HTTP {eff.attempt_status}" if eff.attempt_status else (eff.attempt_error or "no response")[:200]
            )
        if eff.attempts:
            parts.append(f"{eff.attempts} attempt{'s' if eff.attempts != 1 else ''}")
        if eff.status not in ("done", "pending") and eff.last_error and eff.attempt_error != eff.last_error:
            parts.append(eff.last_error[:200])
        action = f"Webhook {eff.plugin} to {host}: {_DELIVERY.get(eff.status, eff.status)}"
        return TrailEntry(eff.at, "System", action, detail=" · ".join(parts), system=True, kind="webhook")
    action = f"{humanize(eff.effect_type)} {humanize(eff.plugin)}: {_DELIVERY.get(eff.status, eff.status)}"
    detail = f"{eff.attempts} attempt{'s' if eff.attempts != 1 else ''}" if eff.attempts else ""
    return TrailEntry(eff.at, "System", action, detail=detail, system=True, kind="effect")


def actor_name(case: Case, actor: str) -> str:
    """Who an actor is, as the trail says it: a member's name, "API key <name>", "System" or "Client"."""
    return _Names(case).actor(actor)


def audit_trail(case: Case) -> list[TrailEntry]:
    """Every entry of the case's trail, newest first."""
    names = _Names(case)
    entries = [_event_entry(e, names.actor(e.actor), case, names) for e in case.events]
    entries += [_effect_entry(eff) for eff in case.effects]
    entries.sort(key=lambda t: t.at.timestamp() if t.at is not None else 0.0, reverse=True)
    return entries


def csv_safe(cell: str) -> str:
    """A spreadsheet never runs a cell as a formula: one starting with = + - @ (or a tab or CR) is quoted."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def trail_rows(entries: list[TrailEntry]) -> list[dict[str, Any]]:
    """The entries as plain records (the JSON export; the CSV's rows, in `CSV_COLUMNS` order)."""
    return [
        {
            "at": t.at.isoformat() if t.at is not None else "",
            "who": t.who,
            "action": t.action,
            "object": t.object,
            "detail": t.detail,
            "changes": t.changes,
            "system": t.system,
        }
        for t in entries
    ]
