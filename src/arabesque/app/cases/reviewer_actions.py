"""What a reviewer may do to a case from the back office, and what stops an approval.

- Reviewer events: the definition's approve-, reject- and revision-like events (by name), plus any listed in
  `config.reviewerEvents`; never a built-in (`UPDATE_CONTEXT`...), a child callback (`childCallbackResults[]
  .deliverEvent`) or another event the client or the system sends (`RESUBMITTED`, `START`...).
- Labels: `config.labels[<event or state>]` when the definition gives one, else a state's first tag's label,
  else the name made readable; so pages and flash messages never show raw names.
- Approval blockers: approve-like events are refused while a document of the case, of its directors or of
  an open child case is undecided or awaiting re-upload; the reason names the documents.

Pure: the use cases pass in the definition and the contexts they read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from arabesque.engine import Definition
from arabesque.engine.definition import BUILTIN_EVENTS

__all__ = [
    "MAX_REASON",
    "Kind",
    "approval_blockers",
    "blocker_message",
    "decision_kind",
    "document_name",
    "event_label",
    "humanize",
    "is_reviewer_event",
    "reviewer_events",
    "state_label",
    "tag_label",
]

MAX_REASON = 1000
Kind = Literal["approve", "reject", "revision", "other"]

# A word of the event's name, singular or past tense: `approve`, `APPROVED`, `request_revision`, `decline`.
_KIND_WORDS: dict[str, Kind] = {
    "approve": "approve",
    "approved": "approve",
    "accept": "approve",
    "reject": "reject",
    "rejected": "reject",
    "decline": "reject",
    "declined": "reject",
    "revision": "revision",
    "revisions": "revision",
    "revise": "revision",
}
_WORD = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|[0-9]+")
_TAG_LABELS = {
    "manual_review": "Manual review",
    "revision": "Revisions",
    "collection_flow": "Collection in progress",
    "pending_process": "Pending ID verification",
    "data_enrichment": "Awaiting 3rd-party data",
    "failure": "Failed",
}
_SHOWN_DOCUMENTS = 3


def humanize(name: str) -> str:
    """`KYC_RESPONDED` → "Kyc responded", `manualReview` → "Manual review"."""
    words = [w.lower() for w in _WORD.findall(name)]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else name


def tag_label(tag: str) -> str:
    return _TAG_LABELS.get(tag, humanize(tag))


def decision_kind(event: str) -> Kind:
    for word in _WORD.findall(event):
        kind = _KIND_WORDS.get(word.lower())
        if kind is not None:
            return kind
    return "other"


def _labels(defn: Definition) -> dict[str, Any]:
    labels = defn.config.get("labels")
    return labels if isinstance(labels, dict) else {}


def _child_callbacks(defn: Definition) -> set[str]:
    entries = defn.config.get("childCallbackResults")
    return {
        str(e["deliverEvent"])
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and isinstance(e.get("deliverEvent"), str)
    }


def reviewer_events(defn: Definition) -> set[str]:
    """Every event of the definition a reviewer may send (see the module docstring)."""
    listed = defn.config.get("reviewerEvents")
    extra = {str(e) for e in listed} if isinstance(listed, list) else set()
    names = {e for node in defn.states.values() for e in node.allowed} | set(defn.root_on)
    internal = set(BUILTIN_EVENTS) | _child_callbacks(defn)
    return {e for e in names if e not in internal and (e in extra or decision_kind(e) != "other")}


def is_reviewer_event(defn: Definition, event: str) -> bool:
    return event in reviewer_events(defn)


def event_label(defn: Definition | None, event: str) -> str:
    label = _labels(defn).get(event) if defn is not None else None
    if isinstance(label, str) and label:
        return label
    return {"revision": "Ask for re-uploads"}.get(decision_kind(event), "") or humanize(event)


def state_label(defn: Definition, state: str) -> str:
    label = _labels(defn).get(state)
    if isinstance(label, str) and label:
        return label
    tags = defn.tags_of(state)
    return tag_label(tags[0]) if tags else humanize(state)


def document_name(doc: dict[str, Any]) -> str:
    """ "Passport (ID document)": the type, then the category, made readable."""
    kind = humanize(str(doc.get("type") or "")) if doc.get("type") else ""
    category = humanize(str(doc.get("category") or "")) if doc.get("category") else ""
    if kind and category and kind != category:
        return f"{kind} ({category})"
    return kind or category or "Document"


def _pending(docs: Iterable[Any]) -> list[tuple[dict[str, Any], str]]:
    out = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        decision = doc.get("decision") if isinstance(doc.get("decision"), dict) else {}
        status = (decision or {}).get("status")
        if status == "revision":
            out.append((doc, "awaiting re-upload"))
        elif status not in ("approved", "rejected"):
            out.append((doc, "undecided"))
    return out


def _directors(context: dict[str, Any]) -> list[dict[str, Any]]:
    entity = context.get("entity")
    data = entity.get("data") if isinstance(entity, dict) else None
    extra = data.get("additionalInfo") if isinstance(data, dict) else None
    directors = extra.get("directors") if isinstance(extra, dict) else None
    return [d for d in directors if isinstance(d, dict)] if isinstance(directors, list) else []


def _person(data: dict[str, Any]) -> str:
    return f"{data.get('firstName') or ''} {data.get('lastName') or ''}".strip()


def approval_blockers(context: dict[str, Any], open_children: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
    """Each document that stops an approval, as "Passport (ID document): undecided"; the director's or the
    child case's name in front when it is theirs. `open_children`: (name, context) of each active child."""
    out = [f"{document_name(d)}: {why}" for d, why in _pending(context.get("documents") or [])]
    for director in _directors(context):
        extra = director.get("additionalInfo") if isinstance(director.get("additionalInfo"), dict) else {}
        owner = _person(director) or "Director"
        out += [f"{owner}'s {document_name(d)}: {why}" for d, why in _pending((extra or {}).get("documents") or [])]
    for name, child_context in open_children:
        out += [f"{name}'s {document_name(d)}: {why}" for d, why in _pending(child_context.get("documents") or [])]
    return out


def blocker_message(blockers: list[str]) -> str:
    """One sentence for the disabled button and the refused request (bounded, whatever the case holds)."""
    if not blockers:
        return ""
    shown = "; ".join(blockers[:_SHOWN_DOCUMENTS])
    more = len(blockers) - _SHOWN_DOCUMENTS
    return f"Decide every document before approving ({shown}{f'; and {more} more' if more > 0 else ''})."
