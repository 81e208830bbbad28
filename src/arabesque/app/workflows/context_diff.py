"""What a context change did, for the audit trail: documents added, removed or replaced (with the decision the
old document had, so a decision is never lost from the trail when a PATCH replaces the documents array), and the
other fields changed (path, old value, new value).

Bounded whatever the context holds: at most `MAX_CHANGES` fields, `MAX_DEPTH` levels, values cut to
`MAX_VALUE` characters.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_CHANGES", "context_diff", "document_ref"]

MAX_CHANGES = 50
MAX_DEPTH = 8
MAX_VALUE = 200
_REF_KEYS = ("id", "category", "type")


def document_ref(doc: dict[str, Any]) -> dict[str, Any]:
    """What the audit keeps of a document: its id, category and type, and its decision when it has one."""
    ref = {k: doc.get(k) for k in _REF_KEYS if doc.get(k) is not None}
    decision = doc.get("decision")
    if isinstance(decision, dict) and decision.get("status"):
        ref["decision"] = {k: v for k, v in decision.items() if v is not None}
    return ref


def _short(value: Any) -> Any:
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    if isinstance(value, str) and len(value) > MAX_VALUE:
        return value[: MAX_VALUE - 1] + "…"
    return value


def _documents(before: Any, after: Any) -> dict[str, list[dict[str, Any]]]:
    old = [d for d in before if isinstance(d, dict)] if isinstance(before, list) else []
    new = [d for d in after if isinstance(d, dict)] if isinstance(after, list) else []

    def key(i: int, d: dict[str, Any]) -> str:
        return str(d.get("id")) if d.get("id") is not None else f"#{i}"

    old_by = {key(i, d): d for i, d in enumerate(old)}
    new_by = {key(i, d): d for i, d in enumerate(new)}
    out: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "replaced": []}
    for k, d in old_by.items():
        if k not in new_by:
            out["removed"].append(document_ref(d))
        elif new_by[k] != d:
            out["replaced"].append({**document_ref(d), "now": document_ref(new_by[k])})
    out["added"] = [document_ref(d) for k, d in new_by.items() if k not in old_by]
    return {k: v[:MAX_CHANGES] for k, v in out.items() if v}


def _fields(before: Any, after: Any, path: str, depth: int, out: list[dict[str, Any]]) -> None:
    if len(out) >= MAX_CHANGES or before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict) and depth < MAX_DEPTH:
        for k in list(dict.fromkeys([*before, *after])):
            if not path and k == "documents":
                continue
            _fields(before.get(k), after.get(k), f"{path}.{k}" if path else str(k), depth + 1, out)
        return
    out.append({"path": path, "from": _short(before), "to": _short(after)})


def context_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`{"documents": {added, removed, replaced}, "fields": [{path, from, to}]}`, empty parts left out."""
    out: dict[str, Any] = {}
    docs = _documents(before.get("documents"), after.get("documents"))
    if docs:
        out["documents"] = docs
    fields: list[dict[str, Any]] = []
    _fields(before, after, "", 0, fields)
    if fields:
        out["fields"] = fields
    return out
