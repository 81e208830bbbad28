"""The edit form of a document on the case page, from the definition's `documentsSchema`: the type choices of
its category (`app/cases/edit_document.py` `document_entries`) and the chosen type's properties as fields."""

from __future__ import annotations

from typing import Any

from arabesque.app.cases.edit_document import document_entries

__all__ = ["document_form"]


def _kind(schema: dict[str, Any]) -> str:
    if isinstance(schema.get("enum"), list):
        return "select"
    t = schema.get("type")
    if t == "boolean":
        return "checkbox"
    if t in ("number", "integer"):
        return "number"
    if schema.get("format") == "date":
        return "date"
    if schema.get("format") == "date-time":
        return "datetime-local"
    return "text"


def document_form(
    documents_schema: Any,
    doc: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """The form of one document (None when the definition describes no document of its category)."""
    entries = document_entries(documents_schema, doc)
    if not entries:
        return None
    types = list(dict.fromkeys(str(e.get("type")) for e in entries if e.get("type")))
    chosen = (values or {}).get("type", doc.get("type"))
    entry = next((e for e in entries if e.get("type") == chosen), entries[0])
    raw_schema = entry.get("propertiesSchema")
    schema: dict[str, Any] = raw_schema if isinstance(raw_schema, dict) else {}
    required = set(schema.get("required") or [])
    raw_current = doc.get("properties")
    current: dict[str, Any] = raw_current if isinstance(raw_current, dict) else {}
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if values is not None:
            value: Any = values.get(f"prop.{name}", "")
        else:
            value = current.get(name, prop.get("default", ""))
        fields.append(
            {
                "name": name,
                "label": prop.get("title") or name,
                "kind": _kind(prop),
                "options": [str(o) for o in prop.get("enum") or []],
                "value": "" if value is None else value,
                "required": name in required,
                "min": prop.get("minimum"),
                "max": prop.get("maximum"),
                "error": (errors or {}).get(f"prop.{name}"),
            }
        )
    return {
        "category": doc.get("category"),
        "types": types,
        "type": entry.get("type"),
        "typeError": (errors or {}).get("type"),
        "fields": fields,
    }
