"""The fields of the "Add Case Manually" form, generated from the entity's JSON Schema (`app/cases/entity_form.py`),
with their current raw values and errors. Field names are dotted paths from the context (`entity.data.companyName`,
`entity.data.ubos.0.firstName`), the same paths the validation errors carry, so every error lands next to its
field. Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Any

from arabesque.app.cases.entity_form import SKIPPED_FIELDS, field_kind, rows_of
from arabesque.app.cases.pickers import COUNTRIES, INDUSTRIES

__all__ = ["build_fields"]

_ROW = re.compile(r"\.\d+$")  # the path of an array's row: `entity.data.additionalInfo.ubos.0`


def _options(schema: dict[str, Any]) -> list[tuple[str, str]]:
    if schema.get("enum"):
        return [(str(v), str(v).replace("_", " ").capitalize()) for v in schema["enum"] if v is not None]
    return [(str(o["const"]), str(o.get("title") or o["const"])) for o in schema.get("oneOf") or []]


def _label(name: str, schema: dict[str, Any], ui: dict[str, Any]) -> str:
    if ui.get("ui:title") or ui.get("ui:label"):
        return str(ui.get("ui:title") or ui.get("ui:label"))
    if schema.get("title"):
        return str(schema["title"])
    if name == "id":
        return "Correlation ID"
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ")
    return words[:1].upper() + words[1:]


def build_fields(
    schema: dict[str, Any],
    ui: dict[str, Any],
    form: dict[str, str],
    errors: dict[str, list[str]],
    path: str = "entity",
    required: bool = True,
) -> list[dict[str, Any]]:
    """The fields of an object schema, with their current raw values and errors."""
    out = []
    req = set(schema.get("required") or [])
    order = [str(k) for k in ui.get("ui:order") or [] if k in (schema.get("properties") or {})]
    names = order + [k for k in (schema.get("properties") or {}) if k not in order]
    for name in names:
        sub = (schema.get("properties") or {})[name]
        raw_ui = ui.get(name)
        sub_ui: dict[str, Any] = raw_ui if isinstance(raw_ui, dict) else {}
        if name in SKIPPED_FIELDS or not isinstance(sub, dict) or sub_ui.get("hidden") or sub.get("hidden"):
            continue
        if name == "id" and _ROW.search(path) and field_kind(sub, name) == "text":
            continue  # a row's id (a UBO's) is generated on submit (`entity_form.parse_form`)
        fpath = f"{path}.{name}"
        kind = field_kind(sub, name)
        if sub_ui.get("ui:widget") == "hidden":
            kind = "hidden"
        field: dict[str, Any] = {
            "name": fpath,
            "label": _label(name, sub, sub_ui),
            "kind": kind,
            "required": name in req and required,
            # required only once its section is filled in (a field of an optional object)
            "conditional": name in req and not required,
            "help": sub.get("description") or (sub_ui.get("ui:help") if sub_ui else None),
            "errors": errors.get(fpath, []),
        }
        if fpath == "entity.id":
            field["help"] = field["help"] or "Leave blank to generate one."
            field["required"] = False
        if kind == "hidden":
            field["value"] = str(sub.get("const", sub.get("default", "")))
        elif kind == "object":
            field["children"] = build_fields(sub, sub_ui, form, errors, fpath, name in req and required)
        elif kind == "array":
            items = sub.get("items") or {}
            n = rows_of(form, fpath)
            field["rows"] = [
                build_fields(items, sub_ui.get("items") or {}, form, errors, f"{fpath}.{i}", True) for i in range(n)
            ]
            field["rowErrors"] = [errors.get(f"{fpath}.{i}", []) for i in range(n)]
            field["count"] = n
        else:
            default = sub.get("default")
            initial = "" if default is None else str(default)
            field["value"] = form.get(fpath, initial.lower() if kind == "checkbox" else initial)
            if kind == "select":
                field["options"] = _options(sub)
            elif kind == "country":
                field["options"] = COUNTRIES
            elif kind == "industry":
                field["options"] = [(i, i) for i in INDUSTRIES]
            if kind == "number" or kind == "integer":
                field["min"], field["max"] = sub.get("minimum"), sub.get("maximum")
        out.append(field)
    return out
