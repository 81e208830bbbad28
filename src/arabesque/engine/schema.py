"""JSON Schema (draft-07) validation with ajv 8 `{allErrors: true}` semantics and wording.

Ballerine validates plugin requests/responses with `new Ajv({allErrors: true}).validate(schema, data)` and
joins the errors as `${instancePath} - ${message}` with `" | "`. Matching that text exactly needs ajv's
error *set* and *order*, not only its wording: ajv reports errors in the order its generated code runs
(keyword groups: untyped keywords, then number, string, array and object keywords, each group in ajv's
rule order; `required` in array order; `properties` in schema order; one error per additional property;
failing `anyOf`/`oneOf`/`contains` branches report their own errors before the keyword's error...). The
`jsonschema` library yields a different error set (one error for all additional properties, branch
errors hidden in `context`, `$ref` overriding siblings...), so this module evaluates the schema itself,
keyword by keyword in ajv's order. It still uses `jsonschema`'s draft-07 meta-schema (patched where
ajv's copy differs) to reject invalid schemas with ajv's `schema is invalid: ...` text.

Schemas ajv refuses to compile (meta-schema violations, unknown keywords in strict mode, any `format`
since Ballerine registers no formats, unresolvable `$ref`) make `validate` raise `SchemaError` with ajv's
message; `check_schema` returns that message instead.

Patterns are ECMAScript regular expressions (`arabesque.engine.jsregex`), matched within the meter's time;
every keyword applied to a value counts a step, so a schema's work is bounded like any evaluation's.

Not replicated: remote/`$id`-based `$ref`s, `strict mode` checks other than unknown keywords/formats,
`$data`, the JavaScript regular-expression syntax listed in `arabesque.engine.jsregex`.
"""

from __future__ import annotations

import copy
import json
import math
from functools import lru_cache
from typing import Any

import jsonschema

from arabesque.engine.budget import Meter
from arabesque.engine.jmes import strict_deep_equal
from arabesque.engine.js import js_number_to_string
from arabesque.engine.jsregex import JsPattern, PatternError, compile_js

__all__ = ["SchemaError", "check_schema", "validate"]


class SchemaError(ValueError):
    """The schema itself is invalid (ajv would throw while compiling it)."""


_KNOWN_KEYWORDS = frozenset(
    [
        "$async", "$schema", "$id", "$defs", "$vocabulary", "$comment", "definitions", "id", "$ref",
        "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "maxLength", "minLength",
        "pattern", "maxProperties", "minProperties", "required", "maxItems", "minItems", "uniqueItems",
        "type", "nullable", "const", "enum", "not", "anyOf", "oneOf", "allOf", "if", "then", "else",
        "propertyNames",
        "additionalProperties", "dependencies", "properties", "patternProperties", "additionalItems", "items",
        "contains", "format", "title", "description", "default", "deprecated", "readOnly", "writeOnly",
        "examples", "contentMediaType", "contentEncoding", "contentSchema",
    ]
)  # fmt: skip

# ajv's RULES: the untyped group first, then the typed groups, each in rule order.
_UNTYPED = ("$ref", "type", "const", "enum", "not", "anyOf", "oneOf", "allOf", "if")
_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("number", ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "format")),
    ("string", ("maxLength", "minLength", "pattern", "format")),
    ("array", ("maxItems", "minItems", "additionalItems", "items", "contains", "uniqueItems")),
    (
        "object",
        (
            "maxProperties", "minProperties", "required", "propertyNames", "additionalProperties",
            "dependencies", "properties", "patternProperties",
        ),
    ),
)  # fmt: skip
_GROUP_KEYWORDS = {group: frozenset(kws) for group, kws in _GROUPS}
_LIMIT_NUMBER = {"maximum": "<=", "minimum": ">=", "exclusiveMaximum": "<", "exclusiveMinimum": ">"}
_DRAFT7_IDS = ("http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema")

Errors = list[tuple[str, str]]


# --------------------------------------------------------------------------------------------------
# JSON types as ajv sees them
# --------------------------------------------------------------------------------------------------


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _has_type(value: Any, t: str) -> bool:
    if t == "number":
        return _is_num(value)
    if t == "integer":
        return _is_num(value) and float(value).is_integer()
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "null":
        return value is None
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    return False


def _num(v: Any) -> str:
    return js_number_to_string(v) if _is_num(v) else str(v)


def _ptr(key: str | int) -> str:
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def _always_valid(schema: Any) -> bool:
    return schema is True or (isinstance(schema, dict) and not any(k in _KNOWN_KEYWORDS for k in schema))


def _regex(pattern: str) -> JsPattern:
    return compile_js(pattern)


# --------------------------------------------------------------------------------------------------
# The evaluator
# --------------------------------------------------------------------------------------------------


class _Validator:
    def __init__(self, root: Any, *, meta: bool = False, meter: Meter | None = None) -> None:
        self.root = root
        self.meta = meta  # validating against the meta-schema: `format` is ignored
        self.meter = Meter() if meter is None else meter

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"can't resolve reference {ref} from id #")
        node = self.root
        for part in ref[1:].split("/")[1:] if ref not in ("#", "#/") else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaError(f"can't resolve reference {ref} from id #")
        return node

    def run(self, schema: Any, data: Any, path: str, errors: Errors) -> bool:
        """Validate `data` at `path` against `schema`, appending errors; True when valid."""
        start = len(errors)
        self.meter.tick()
        if schema is True:
            return True
        if schema is False:
            errors.append((path, "boolean schema is false"))
            return False
        if not isinstance(schema, dict):
            return True
        if "$ref" in schema and not any(k in _KNOWN_KEYWORDS and k != "$ref" for k in schema):
            return self.run(self.resolve(schema["$ref"]), data, path, errors)

        types: list[str] = []
        if "type" in schema:
            types = list(schema["type"]) if isinstance(schema["type"], list) else [schema["type"]]
            if schema.get("nullable") is True and "null" not in types:
                types.append("null")
        type_ok = not types or any(_has_type(data, t) for t in types)
        single_group = (
            len(types) == 1 and types[0] in _GROUP_KEYWORDS and any(k in schema for k in _GROUP_KEYWORDS[types[0]])
        )
        type_message = "must be " + ",".join(str(t) for t in types)
        if types and not single_group and not type_ok:
            errors.append((path, type_message))

        for keyword in _UNTYPED:
            if keyword in schema and keyword != "type":
                self.keyword(keyword, schema, data, path, errors)
        for group, keywords in _GROUPS:
            if _has_type(data, group):
                for keyword in keywords:
                    if keyword in schema:
                        self.keyword(keyword, schema, data, path, errors)
            elif single_group and types[0] == group and not type_ok:
                errors.append((path, type_message))
        return len(errors) == start

    def sub(self, schema: Any, data: Any, path: str) -> tuple[bool, Errors]:
        errs: Errors = []
        return self.run(schema, data, path, errs), errs

    def keyword(self, kw: str, schema: dict[str, Any], data: Any, path: str, errors: Errors) -> None:
        value = schema[kw]
        if kw == "$ref":
            self.run(self.resolve(value), data, path, errors)
        elif kw == "const":
            if not strict_deep_equal(data, value):
                errors.append((path, "must be equal to constant"))
        elif kw == "enum":
            if isinstance(value, list) and not any(strict_deep_equal(data, v) for v in value):
                errors.append((path, "must be equal to one of the allowed values"))
        elif kw == "not":
            if self.sub(value, data, path)[0]:
                errors.append((path, "must NOT be valid"))
        elif kw == "anyOf":
            collected: Errors = []
            for sub in value:
                ok, errs = self.sub(sub, data, path)
                if ok:
                    break
                collected.extend(errs)
            else:
                errors.extend(collected)
                errors.append((path, "must match a schema in anyOf"))
        elif kw == "oneOf":
            collected = []
            valid = False
            for i, sub in enumerate(value):
                ok, errs = self.sub(sub, data, path)
                collected.extend(errs)
                if i > 0 and ok and valid:
                    valid = False
                elif ok:
                    valid = True
            if not valid:
                errors.extend(collected)
                errors.append((path, "must match exactly one schema in oneOf"))
        elif kw == "allOf":
            for sub in value:
                self.run(sub, data, path, errors)
        elif kw == "if":
            has_then = "then" in schema and not _always_valid(schema["then"])
            has_else = "else" in schema and not _always_valid(schema["else"])
            if not (has_then or has_else):
                return
            clause = "then" if self.sub(value, data, path)[0] else "else"
            if (clause == "then" and has_then) or (clause == "else" and has_else):
                ok, errs = self.sub(schema[clause], data, path)
                if not ok:
                    errors.extend(errs)
                    errors.append((path, f'must match "{clause}" schema'))
        elif kw in _LIMIT_NUMBER:
            if _is_num(value):
                bad = {
                    "maximum": data > value,
                    "minimum": data < value,
                    "exclusiveMaximum": data >= value,
                    "exclusiveMinimum": data <= value,
                }[kw]
                if bad:
                    errors.append((path, f"must be {_LIMIT_NUMBER[kw]} {_num(value)}"))
        elif kw == "multipleOf":
            if _is_num(value) and value != 0:
                q = float(data) / float(value)
                if not (math.isfinite(q) and q == math.trunc(q) and abs(q) < 1e21):
                    errors.append((path, f"must be multiple of {_num(value)}"))
        elif kw == "format":
            if not self.meta:
                raise SchemaError(f'unknown format "{value}" ignored in schema')
        elif kw in ("maxLength", "minLength"):
            if _is_num(value) and (len(data) > value if kw == "maxLength" else len(data) < value):
                word = "more" if kw == "maxLength" else "fewer"
                errors.append((path, f"must NOT have {word} than {_num(value)} characters"))
        elif kw == "pattern":
            if isinstance(value, str) and not _regex(value).search(data, self.meter):
                errors.append((path, f'must match pattern "{value}"'))
        elif kw in ("maxItems", "minItems", "maxProperties", "minProperties"):
            if _is_num(value):
                size = len(data)
                bad = size > value if kw.startswith("max") else size < value
                if bad:
                    word = "more" if kw.startswith("max") else "fewer"
                    noun = "items" if kw.endswith("Items") else "properties"
                    errors.append((path, f"must NOT have {word} than {_num(value)} {noun}"))
        elif kw == "additionalItems":
            items = schema.get("items")
            if isinstance(items, list) and len(data) > len(items):
                if value is False:
                    errors.append((path, f"must NOT have more than {len(items)} items"))
                elif not _always_valid(value):
                    for i in range(len(items), len(data)):
                        self.run(value, data[i], path + _ptr(i), errors)
        elif kw == "items":
            if isinstance(value, list):
                for i, sub in enumerate(value[: len(data)]):
                    self.run(sub, data[i], path + _ptr(i), errors)
            else:
                for i, item in enumerate(data):
                    self.run(value, item, path + _ptr(i), errors)
        elif kw == "contains":
            collected = []
            for i, item in enumerate(data):
                ok, errs = self.sub(value, item, path + _ptr(i))
                if ok:
                    return
                collected.extend(errs)
            errors.extend(collected)
            errors.append((path, "must contain at least 1 valid item(s)"))
        elif kw == "uniqueItems":
            if value is True:
                self.unique(schema, data, path, errors)
        elif kw == "required":
            if isinstance(value, list):
                for prop in value:
                    if isinstance(prop, str) and prop not in data:
                        errors.append((path, f"must have required property '{prop}'"))
        elif kw == "propertyNames":
            for key in data:
                ok, errs = self.sub(value, key, path)
                if not ok:
                    errors.extend(errs)
                    errors.append((path, "property name must be valid"))
        elif kw == "additionalProperties":
            raw_props = schema.get("properties")
            props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
            patterns = [p for p in schema.get("patternProperties") or {} if isinstance(p, str)]
            for key in data:
                if key in props or any(_regex(p).search(key, self.meter) for p in patterns):
                    continue
                if value is False:
                    errors.append((path, "must NOT have additional properties"))
                elif not _always_valid(value):
                    self.run(value, data[key], path + _ptr(key), errors)
        elif kw == "dependencies":
            if not isinstance(value, dict):
                return
            for prop, deps in value.items():
                if isinstance(deps, list) and prop in data:
                    missing_word = "property" if len(deps) == 1 else "properties"
                    for dep in deps:
                        if dep not in data:
                            errors.append(
                                (
                                    path,
                                    f"must have {missing_word} {', '.join(deps)} when property {prop} is present",
                                )
                            )
            for prop, deps in value.items():
                if not isinstance(deps, list) and prop in data:
                    self.run(deps, data, path, errors)
        elif kw == "properties":
            if isinstance(value, dict):
                for prop, sub in value.items():
                    if prop in data:
                        self.run(sub, data[prop], path + _ptr(prop), errors)
        elif kw == "patternProperties" and isinstance(value, dict):
            for pattern, sub in value.items():
                for key in data:
                    if _regex(pattern).search(key, self.meter):
                        self.run(sub, data[key], path + _ptr(key), errors)

    def unique(self, schema: dict[str, Any], data: list[Any], path: str, errors: Errors) -> None:
        items = schema.get("items")
        item_types: list[str] = []
        if isinstance(items, dict) and "type" in items:
            item_types = items["type"] if isinstance(items["type"], list) else [items["type"]]
        if item_types and not any(t in ("object", "array") for t in item_types):
            indices: dict[tuple[str, Any], int] = {}
            for i in range(len(data) - 1, -1, -1):
                item = data[i]
                if not any(_has_type(item, t) for t in item_types):
                    continue
                key = ("s" if isinstance(item, str) else "v", json.dumps(item))
                if _is_num(item):
                    key = ("v", js_number_to_string(item))
                if key in indices:
                    j = indices[key]
                    errors.append((path, f"must NOT have duplicate items (items ## {j} and {i} are identical)"))
                    return
                indices[key] = i
            return
        for i in range(len(data) - 1, -1, -1):
            self.meter.tick(i + 1)
            for j in range(i - 1, -1, -1):
                if strict_deep_equal(data[i], data[j]):
                    errors.append((path, f"must NOT have duplicate items (items ## {j} and {i} are identical)"))
                    return


# --------------------------------------------------------------------------------------------------
# Compile-time checks (what makes ajv throw)
# --------------------------------------------------------------------------------------------------


def _meta_schema() -> dict[str, Any]:
    meta: dict[str, Any] = copy.deepcopy(jsonschema.Draft7Validator.META_SCHEMA)
    meta["properties"]["enum"] = {"type": "array", "items": True, "minItems": 1, "uniqueItems": True}
    return meta


_META = _meta_schema()


def _strict_walk(validator: _Validator, schema: Any, where: str, seen: set[int]) -> None:
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen.add(id(schema))
    for key in schema:
        if key not in _KNOWN_KEYWORDS:
            raise SchemaError(f'strict mode: unknown keyword: "{key}"')

    def walk(sub: Any, suffix: str) -> None:
        _strict_walk(validator, sub, where + suffix, seen)

    for keyword in (*_UNTYPED, *(kw for _, kws in _GROUPS for kw in kws)):
        if keyword not in schema:
            continue
        value = schema[keyword]
        if keyword == "$ref":
            walk(validator.resolve(value), "")
        elif keyword == "format":
            raise SchemaError(f'unknown format "{value}" ignored in schema at path "{where}"')
        elif keyword in ("not", "contains", "propertyNames", "additionalProperties", "additionalItems"):
            walk(value, f"/{keyword}")
        elif keyword in ("anyOf", "oneOf", "allOf"):
            for i, sub in enumerate(value):
                walk(sub, f"/{keyword}/{i}")
        elif keyword == "if":
            walk(value, "/if")
            for clause in ("then", "else"):
                if clause in schema:
                    walk(schema[clause], f"/{clause}")
        elif keyword == "items":
            if isinstance(value, list):
                for i, sub in enumerate(value):
                    walk(sub, f"/items/{i}")
            else:
                walk(value, "/items")
        elif keyword in ("properties", "patternProperties", "dependencies"):
            for name, sub in value.items():
                if not isinstance(sub, list):
                    walk(sub, f"/{keyword}/{name.replace('~', '~0').replace('/', '~1')}")


@lru_cache(maxsize=256)
def _check_text(schema_text: str) -> str | None:
    schema = json.loads(schema_text)
    if isinstance(schema, dict) and "$schema" in schema and schema["$schema"] not in _DRAFT7_IDS:
        return f'no schema with key or ref "{schema["$schema"]}"'
    meta_errors: Errors = []
    _Validator(_META, meta=True).run(_META, schema, "", meta_errors)
    if meta_errors:
        return "schema is invalid: " + ", ".join(f"data{p} {m}" for p, m in meta_errors)
    try:
        _strict_walk(_Validator(schema), schema, "#", set())
        for pattern in _patterns(schema):
            _regex(pattern)
    except SchemaError as e:
        return str(e)
    except PatternError as e:
        return f"Invalid regular expression: {e}"
    return None


def _patterns(schema: Any) -> list[str]:
    out: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                out.append(value)
            elif key == "patternProperties" and isinstance(value, dict):
                out.extend(value)
            out.extend(_patterns(value))
    elif isinstance(schema, list):
        for item in schema:
            out.extend(_patterns(item))
    return out


def _schema_text(schema: Any) -> str:
    try:
        return json.dumps(schema, sort_keys=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise SchemaError(f"schema is not JSON: {e}") from None


def check_schema(schema: Any) -> str | None:
    """The message ajv would throw when compiling `schema`, or None when it compiles."""
    try:
        return _check_text(_schema_text(schema))
    except SchemaError as e:
        return str(e)


def validate(schema: Any, data: Any, meter: Meter | None = None) -> str | None:
    """None when `data` is valid, else ajv's joined error text (`"<instancePath> - <message> | ..."`).

    Raises `SchemaError` (with ajv's compile message) when the schema itself is invalid, `BudgetExceeded`
    when validating goes over the meter's limits (default: `Limits()`).
    """
    problem = check_schema(schema)
    if problem is not None:
        raise SchemaError(problem)
    errors: Errors = []
    try:
        if _Validator(schema, meter=meter).run(schema, data, "", errors):
            return None
    except RecursionError:
        return "Maximum call stack size exceeded"  # a schema that refers to itself without descending
    return " | ".join(f"{path} - {message}" for path, message in errors)
