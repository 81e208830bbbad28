"""JSON-schema rules of UI definitions: the schema check on upload and validation with field errors.

Ballerine's renderer runs these rules with Ajv 8 (`allErrors`, the `email`/`uri`/`date`/`date-time` formats
and the `errorMessage` keyword of ajv-errors). The check reuses the engine's ajv-compatible compile check
(`arabesque.engine.schema.check_schema`) once `errorMessage` and the supported formats are taken out (the
engine's plugins know neither). Validation runs `jsonschema`'s draft-07 validator with ECMAScript patterns
(`arabesque.engine.jsregex`, time-bounded) and returns each error as (context path, message), the path in
the dotted form of the field `valueDestination`s so that the portal can put the message next to its field.

Not replicated: Ajv's `useDefaults` (Ballerine's rules write `default` values into the live context, a
defect in the reference §7 #14), `errorMessage` templates (`${0}`) and its `_`-less ordering subtleties.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Final

import jsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from arabesque.engine.budget import BudgetExceeded, Meter
from arabesque.engine.jsregex import PatternError, compile_js
from arabesque.engine.schema import check_schema
from arabesque.engine.ui_definition._vocabulary import JSON_SCHEMA_FORMATS

__all__ = ["FieldError", "check_rule_schema", "schema_errors"]

FieldError = tuple[str, str]  # (dotted context path, message)
MAX_ERRORS: Final = 200  # a page never needs more; hostile data cannot make the list grow without bound
_DRAFT_2019 = frozenset(
    {"https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2019-09/schema#"}
)


def check_rule_schema(schema: object) -> list[FieldError]:
    """Problems with a rule's schema as (path inside the schema, message); empty when Ajv would compile it."""
    problems: list[FieldError] = []
    stripped = _strip(schema, "", problems)
    if problems:
        return problems
    message = check_schema(stripped)
    return [("", message)] if message else []


def _strip(node: Any, where: str, problems: list[FieldError]) -> Any:
    """A copy without `errorMessage` (checked here) and without the formats Ajv registers (checked here)."""
    if isinstance(node, list):
        return [_strip(item, f"{where}[{i}]", problems) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        at = f"{where}.{key}" if where else key
        if key == "errorMessage":
            if not _is_message_spec(value):
                problems.append((at, "must be a string or an object of strings (ajv-errors)"))
        elif key == "format":
            if value not in JSON_SCHEMA_FORMATS:
                problems.append((at, f"unknown format {value!r}; known: {', '.join(sorted(JSON_SCHEMA_FORMATS))}"))
        elif key == "$schema" and value in _DRAFT_2019:
            continue
        elif key in ("properties", "patternProperties", "definitions", "$defs", "dependencies") and isinstance(
            value, dict
        ):
            out[key] = {k: _strip(v, f"{at}.{k}", problems) for k, v in value.items()}
        elif key in ("const", "enum", "default", "examples"):
            out[key] = value  # data, not schema: an `errorMessage` key in there is a value
        else:
            out[key] = _strip(value, at, problems)
    return out


def _is_message_spec(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        return all(isinstance(v, str) or (isinstance(v, dict) and _is_message_spec(v)) for v in value.values())
    return False


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------

_LABEL: Final = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_EMAIL: Final = re.compile(
    rf"^[a-zA-Z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})*$"
)  # ajv-formats' "fast" email
_URI: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:[^\s]*$")
_DATE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_TIME: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$")


def _is_date(text: str) -> bool:
    match = _DATE.match(text)
    if match is None:
        return False
    try:
        date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def _is_date_time(text: str) -> bool:
    return _DATE_TIME.match(text) is not None and _is_date(text[:10])


_FORMATS: Final[dict[str, Callable[[str], bool]]] = {
    "email": lambda s: _EMAIL.match(s) is not None,
    "uri": lambda s: _URI.match(s) is not None,
    "date": _is_date,
    "date-time": _is_date_time,
}


def _format(validator: Any, fmt: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    check = _FORMATS.get(str(fmt))
    if isinstance(instance, str) and check is not None and not check(instance):
        yield ValidationError(f'must match format "{fmt}"')


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not isinstance(instance, str) or not isinstance(pattern, str):
        return
    try:
        compiled = compile_js(pattern)
    except PatternError:
        return  # refused on upload; a stored definition predating the check must not crash a page
    if compiled.search(instance, Meter()) is None:
        yield ValidationError(f'must match pattern "{pattern}"')


_Validator: Final = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft7Validator, {"format": _format, "pattern": _pattern}
)


def schema_errors(schema: Any, data: Any) -> list[FieldError]:
    """Every error of `data` against `schema` as (dotted context path, message), without duplicates.

    A `required` error points at the missing property (`entity.data.firstName`), as the renderer shows it
    under that field; messages come from the nearest `errorMessage`, else Ajv's wording.
    """
    out: list[FieldError] = []
    try:
        errors = _Validator(schema).iter_errors(data)
        for error in errors:
            for item in _field_errors(schema, error):
                if item not in out:
                    out.append(item)
            if len(out) >= MAX_ERRORS:
                break
    except (jsonschema.exceptions.SchemaError, jsonschema.exceptions.UnknownType, RecursionError) as exc:
        return [("", f"the rule's schema cannot be evaluated: {type(exc).__name__}")]
    except BudgetExceeded as exc:
        return [("", f"the rule could not be checked: {exc.reason}")]
    return out


def _field_errors(schema: Any, error: ValidationError) -> list[FieldError]:
    instance_path: list[str | int] = list(error.absolute_path)
    schema_path = list(error.absolute_schema_path)
    keyword = str(error.validator)
    if keyword == "required" and isinstance(error.validator_value, list) and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if isinstance(p, str) and p not in error.instance]
        prop = _missing_property(error, missing)
        path = _dotted([*instance_path, prop])
        return [(path, _message(schema, schema_path, keyword, error, prop))]
    return [(_dotted(instance_path), _message(schema, schema_path, keyword, error, None))]


def _missing_property(error: ValidationError, missing: list[str]) -> str:
    # jsonschema yields one error per missing property, saying which in its message: "'x' is a required ..."
    for prop in missing:
        if error.message.startswith(repr(prop)):
            return prop
    return missing[0] if missing else ""


def _dotted(path: list[str | int]) -> str:
    out = ""
    for seg in path:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else str(seg))
    return out


def _message(schema: Any, schema_path: list[Any], keyword: str, error: ValidationError, prop: str | None) -> str:
    nodes = _schemas_along(schema, schema_path[:-1])
    own = nodes[-1][1]
    spec = own.get("errorMessage") if isinstance(own, dict) else None
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        by_keyword = spec.get(keyword)
        if isinstance(by_keyword, str):
            return by_keyword
        if isinstance(by_keyword, dict) and prop is not None and isinstance(by_keyword.get(prop), str):
            return str(by_keyword[prop])
        if isinstance(spec.get("_"), str):
            return str(spec["_"])
    # ajv-errors: a string `errorMessage`, or `properties.<name>`, of an enclosing schema covers its children
    for consumed, node in reversed(nodes[:-1]):
        outer = node.get("errorMessage") if isinstance(node, dict) else None
        if isinstance(outer, str):
            return outer
        rest = schema_path[consumed:]
        if isinstance(outer, dict) and len(rest) >= 2 and rest[0] == "properties":
            named = outer.get("properties")
            if isinstance(named, dict) and isinstance(named.get(rest[1]), str):
                return str(named[rest[1]])
    return _ajv_wording(keyword, error, prop)


_NAMED_SUBSCHEMAS: Final = frozenset({"properties", "patternProperties", "definitions", "$defs", "dependencies"})
_LISTED_SUBSCHEMAS: Final = frozenset({"allOf", "anyOf", "oneOf", "items"})


def _schemas_along(schema: Any, path: list[Any]) -> list[tuple[int, Any]]:
    """The schemas `path` passes through, each with how many path parts lead to it (the root first)."""
    nodes: list[tuple[int, Any]] = [(0, schema)]
    node, i = schema, 0
    while i < len(path) and isinstance(node, dict):
        key = path[i]
        child = node.get(key) if isinstance(key, str) else None
        if key in _NAMED_SUBSCHEMAS or (key in _LISTED_SUBSCHEMAS and isinstance(child, list)):
            if i + 1 >= len(path):
                break
            container, sub = child, path[i + 1]
            if (isinstance(container, dict) and sub in container) or (
                isinstance(container, list) and isinstance(sub, int) and sub < len(container)
            ):
                node = container[sub]
            else:
                break
            i += 2
        elif child is not None:
            node = child
            i += 1
        else:
            break
        nodes.append((i, node))
    return nodes


def _ajv_wording(keyword: str, error: ValidationError, prop: str | None) -> str:
    value: Any = error.validator_value
    wording = {
        "required": f"must have required property '{prop}'",
        "type": f"must be {value if isinstance(value, str) else ','.join(str(v) for v in list(value or []))}",
        "minLength": f"must NOT have fewer than {value} characters",
        "maxLength": f"must NOT have more than {value} characters",
        "minItems": f"must NOT have fewer than {value} items",
        "maxItems": f"must NOT have more than {value} items",
        "minimum": f"must be >= {value}",
        "maximum": f"must be <= {value}",
        "exclusiveMinimum": f"must be > {value}",
        "exclusiveMaximum": f"must be < {value}",
        "enum": "must be equal to one of the allowed values",
        "const": "must be equal to constant",
        "anyOf": 'must match a schema in "anyOf"',
        "oneOf": 'must match exactly one schema in "oneOf"',
        "not": 'must NOT be valid according to schema in "not"',
        "uniqueItems": "must NOT have duplicate items",
    }
    return wording.get(keyword, error.message)
