"""The "Add Case Manually" form's schema and its values parsed back and validated (`web/case_form.py` builds the
fields to render from the same schema).

Pure functions, no I/O. Field names are dotted paths from the context (`entity.data.companyName`,
`entity.data.ubos.0.firstName`), the same paths the validation errors carry, so every error lands
next to its field. Arrays of objects keep their row count in a hidden `__rows.<path>` input.
"""

from __future__ import annotations

import uuid
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.validators import validator_for

from arabesque.app.bounded_schema import bounded_errors, bounded_validator
from arabesque.app.limits import budget_error, current_limits
from arabesque.engine import BudgetExceeded, Meter

__all__ = [
    "COUNTRY_PATTERN",
    "SKIPPED_FIELDS",
    "entity_schema",
    "field_kind",
    "friendly",
    "parse_form",
    "row_has_generated_id",
    "rows_of",
    "schema_errors",
]

SKIPPED_FIELDS = {"ballerineEntityId"}
COUNTRY_PATTERN = "^[A-Z]{2}$"
_FORMAT_KINDS = {"email": "email", "date": "date", "date-time": "datetime-local"}
_MAX_ROWS = 50


def entity_schema(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema of `context.entity`, uiSchema): the initial state's `meta.inputSchema.dataSchema` as in
    Ballerine, else the context schema's `entity`, else a generic entity with free-form data."""
    definition = record.get("definition") or {}
    initial = (definition.get("states") or {}).get(definition.get("initial")) or {}
    input_schema = (initial.get("meta") or {}).get("inputSchema") or {}
    data_schema = input_schema.get("dataSchema")
    ui = input_schema.get("uiSchema") or {}
    if isinstance(data_schema, dict) and data_schema:
        inner = data_schema.get("schema")
        return (inner if isinstance(inner, dict) and "type" not in data_schema else data_schema), ui
    context = (record.get("contextSchema") or {}).get("schema") or {}
    entity = (context.get("properties") or {}).get("entity")
    if isinstance(entity, dict) and entity.get("properties"):
        return entity, ui
    return {
        "type": "object",
        "required": ["type", "id", "data"],
        "properties": {
            "type": {"type": "string", "enum": ["business", "individual"], "default": "business"},
            "id": {"type": "string", "minLength": 1},
            "data": {"type": "object"},
        },
    }, ui


def field_kind(schema: dict[str, Any], name: str = "") -> str:
    """How a property is entered: hidden, select, object, array (of objects), list, checkbox, number, country,
    industry, email, text... (`name` helps: a `country` text field gets the country picker)."""
    if "const" in schema:
        return "hidden"
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if schema.get("enum") or (schema.get("oneOf") and all("const" in o for o in schema["oneOf"])):
        return "select"
    if t == "object" or "properties" in schema:
        return "object"
    if t == "array":
        items = schema.get("items") or {}
        is_objects = isinstance(items, dict) and (items.get("type") == "object" or "properties" in items)
        return "array" if is_objects else "list"
    if t == "boolean":
        return "checkbox"
    if t in ("number", "integer"):
        return t
    fmt = schema.get("format")
    if fmt in _FORMAT_KINDS:
        return _FORMAT_KINDS[str(fmt)]
    lowered = name.lower()
    if schema.get("pattern") == COUNTRY_PATTERN or lowered.endswith("country") or lowered == "nationality":
        return "country"
    if "industry" in lowered:
        return "industry"
    if "email" in lowered:
        return "email"
    return "text"


def rows_of(form: dict[str, str], path: str) -> int:
    """The number of rows the form has for the array at `path` (its hidden `__rows.<path>` input)."""
    try:
        return max(0, min(_MAX_ROWS, int(form.get(f"__rows.{path}", "1"))))
    except ValueError:
        return 1


def parse_form(schema: dict[str, Any], form: dict[str, str], path: str = "entity") -> dict[str, Any]:
    """The object the form's values describe: blanks are left out, numbers and booleans converted
    (a value that does not convert is kept as text, so validation reports it)."""
    out: dict[str, Any] = {}
    required = set(schema.get("required") or [])
    for name, sub in (schema.get("properties") or {}).items():
        if name in SKIPPED_FIELDS or not isinstance(sub, dict):
            continue
        fpath = f"{path}.{name}"
        kind = field_kind(sub, name)
        if kind == "hidden":
            if "const" in sub or "default" in sub:
                out[name] = sub.get("const", sub.get("default"))
            continue
        if kind == "object":
            value = parse_form(sub, form, fpath)
            if value or name in required:  # an empty required object: validation names its missing fields
                out[name] = value
        elif kind == "array":
            items = sub.get("items") or {}
            rows = [parse_form(items, form, f"{fpath}.{i}") for i in range(rows_of(form, fpath))]
            rows = [_with_row_id(items, r) for r in rows if r]
            if rows:
                out[name] = rows
        elif kind == "checkbox":
            if form.get(fpath) in ("true", "on", "1"):
                out[name] = True
            elif f"__bool.{fpath}" in form:
                out[name] = False
        else:
            raw = form.get(fpath, "").strip()
            if raw == "":
                continue
            if kind == "list":
                out[name] = [x.strip() for x in raw.split(",") if x.strip()]
            elif kind in ("number", "integer"):
                try:
                    number = float(raw)
                    out[name] = int(number) if kind == "integer" and number.is_integer() else number
                except ValueError:
                    out[name] = raw
            else:
                out[name] = raw
    return out


def row_has_generated_id(items: dict[str, Any]) -> bool:
    """Rows of this array get a generated `id` (a UBO's, say): no one types a correlation id per row."""
    prop = (items.get("properties") or {}).get("id")
    return isinstance(prop, dict) and field_kind(prop, "id") == "text"


def _with_row_id(items: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    if row_has_generated_id(items) and not str(row.get("id") or "").strip():
        return {"id": str(uuid.uuid4()), **row}
    return row


def _custom_message(where: Any, validator: str) -> str | None:
    """A definition's own text for an error (`errorMessage`, as ajv-errors: a string, or one per keyword)."""
    custom = where.get("errorMessage") if isinstance(where, dict) else None
    if isinstance(custom, str) and custom.strip():
        return custom.strip()[:300]
    if isinstance(custom, dict) and isinstance(custom.get(validator), str):
        return str(custom[validator]).strip()[:300]
    return None


def friendly(error_validator: str, message: str, instance: Any, schema: Any, where: Any = None) -> str:
    """Error texts a reviewer understands: the definition's `errorMessage` when it gives one; never a regex.
    `schema` is the keyword's value, `where` the (sub)schema holding it."""
    if error_validator == "required" or (error_validator == "minLength" and instance == ""):
        return "This field is required."
    custom = _custom_message(where, error_validator)
    if custom:
        return custom
    if error_validator == "pattern":
        if schema == COUNTRY_PATTERN:
            return "Choose a country from the list (its two-letter code, e.g. GB)."
        if "@" in str(schema):
            return "Please provide a valid email address."
        return "Is not in the expected format."
    if error_validator == "format" and schema == "email":
        return "Please provide a valid email address."
    if error_validator == "type":
        return f"Must be a {schema}." if isinstance(schema, str) else "Has the wrong type."
    if error_validator == "enum":
        return "Choose a value from the list."
    if error_validator == "minItems":
        return f"Add at least {schema} item(s)."
    return message


def schema_errors(schema: dict[str, Any], value: Any, prefix: str = "entity") -> dict[str, list[str]]:
    """Every violation of `schema` by `value`, keyed by field path."""
    cls = validator_for(schema, default=Draft7Validator)
    validator = bounded_validator(schema, format_checker=cls.FORMAT_CHECKER)
    out: dict[str, list[str]] = {}
    limits = current_limits()
    try:
        found = bounded_errors(validator, value, Meter(limits.evaluation, limits.time_left()), "inputSchema")
    except BudgetExceeded as exc:
        raise budget_error(exc, "inputSchema") from exc
    for err in found:
        parts = [prefix, *(str(p) for p in err.absolute_path)]
        if err.validator == "required" and isinstance(err.instance, dict):
            wanted: list[Any] = list(err.validator_value) if isinstance(err.validator_value, list) else []
            missing = [p for p in wanted if p not in err.instance and repr(p) in err.message]
            if missing:
                parts.append(str(missing[0]))
        out.setdefault(".".join(parts), []).append(
            friendly(str(err.validator), err.message, err.instance, err.validator_value, err.schema)
        )
    return out
