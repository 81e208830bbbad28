# ruff: noqa: E501  (long expected messages and fixture-like data tables)
"""arabesque.engine.schema: ajv 8 `{allErrors: true}` validation and wording (fixture 52), plus a
differential run of every case against ajv in one node process."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from arabesque.engine.schema import SchemaError, check_schema, validate
from matching import assert_matches, reference_cases


def _result(schema: Any, data: Any) -> dict[str, Any]:
    message = validate(schema, data)
    return {"isValid": True} if message is None else {"isValid": False, "errorMessage": message}


@pytest.mark.parametrize("case", reference_cases(52))
def test_reference_fixture_52(case: dict[str, Any]) -> None:
    assert_matches(case["expect"]["result"], _result(case["schema"], case["data"]))


# (schema, data, expected result) — each also checked against ajv by the differential test below.
CASES: list[tuple[Any, Any, dict[str, Any]]] = [
    (
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "minLength": 3, "pattern": "^x"},
                "b": {"type": "array", "items": {"type": "integer"}, "maxItems": 1, "uniqueItems": True},
            },
            "required": ["c", "a"],
            "additionalProperties": False,
        },
        {"a": "yy", "b": [1, 1.5, 1], "z": 1},
        {
            "isValid": False,
            "errorMessage": " - must have required property 'c' |  - must NOT have additional properties | /a - must NOT have fewer than 3 characters | /a - must match pattern \"^x\" | /b - must NOT have more than 1 items | /b/1 - must be integer | /b - must NOT have duplicate items (items ## 2 and 0 are identical)",
        },
    ),
    ({"type": ["string", "number"]}, None, {"isValid": False, "errorMessage": " - must be string,number"}),
    (
        {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
        5,
        {"isValid": False, "errorMessage": " - must be object"},
    ),
    ({"required": ["a"], "properties": {"a": {"type": "string"}}}, 5, {"isValid": True}),
    (
        {"type": "string", "format": "email"},
        "x",
        {"compileError": 'unknown format "email" ignored in schema at path "#"'},
    ),
    ({"type": "object", "foo": 1}, {}, {"compileError": 'strict mode: unknown keyword: "foo"'}),
    (
        {"enum": [1, 2], "const": 3, "minimum": 5, "exclusiveMaximum": 0, "multipleOf": 2},
        3,
        {
            "isValid": False,
            "errorMessage": " - must be equal to one of the allowed values |  - must be >= 5 |  - must be < 0 |  - must be multiple of 2",
        },
    ),
    (
        {"oneOf": [{"type": "string"}, {"type": "number"}]},
        True,
        {
            "isValid": False,
            "errorMessage": " - must be string |  - must be number |  - must match exactly one schema in oneOf",
        },
    ),
    (
        {"anyOf": [{"type": "string"}, {"type": "number"}]},
        True,
        {
            "isValid": False,
            "errorMessage": " - must be string |  - must be number |  - must match a schema in anyOf",
        },
    ),
    ({"not": {"type": "string"}}, "x", {"isValid": False, "errorMessage": " - must NOT be valid"}),
    (
        {"type": "integer", "minimum": 1, "maximum": 3},
        1.5,
        {"isValid": False, "errorMessage": " - must be integer"},
    ),
    (
        {"type": "string", "maxLength": 2},
        "😀😀😀",
        {"isValid": False, "errorMessage": " - must NOT have more than 2 characters"},
    ),
    (
        {"type": "array", "minItems": 2, "contains": {"type": "string"}},
        [1],
        {
            "isValid": False,
            "errorMessage": " - must NOT have fewer than 2 items | /0 - must be string |  - must contain at least 1 valid item(s)",
        },
    ),
    (
        {"type": "object", "minProperties": 2, "maxProperties": 0, "propertyNames": {"pattern": "^a"}},
        {"b": 1},
        {
            "isValid": False,
            "errorMessage": ' - must NOT have more than 0 properties |  - must NOT have fewer than 2 properties |  - must match pattern "^a" |  - property name must be valid',
        },
    ),
    (
        {"type": "object", "dependencies": {"a": ["b", "c"]}},
        {"a": 1},
        {
            "isValid": False,
            "errorMessage": " - must have properties b, c when property a is present |  - must have properties b, c when property a is present",
        },
    ),
    (
        {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}, "else": {"required": ["c"]}},
        {"a": 1},
        {
            "isValid": False,
            "errorMessage": " - must have required property 'b' |  - must match \"then\" schema",
        },
    ),
    (
        {"type": "array", "items": [{"type": "string"}], "additionalItems": False},
        ["a", 1],
        {"isValid": False, "errorMessage": " - must NOT have more than 1 items"},
    ),
    (
        {
            "type": "object",
            "patternProperties": {"^x": {"type": "number"}},
            "additionalProperties": {"type": "string"},
        },
        {"xa": "s", "b": 2},
        {"isValid": False, "errorMessage": "/b - must be string | /xa - must be number"},
    ),
    (
        {"type": "numbr"},
        1,
        {
            "compileError": "schema is invalid: data/type must be equal to one of the allowed values, data/type must be array, data/type must match a schema in anyOf"
        },
    ),
    (
        {"properties": {"a": {"$ref": "#/definitions/s"}}, "definitions": {"s": {"type": "string"}}},
        {"a": 1},
        {"isValid": False, "errorMessage": "/a - must be string"},
    ),
    (
        {"type": "object", "properties": {"a/b": {"type": "string"}, "c~d": {"type": "string"}}},
        {"a/b": 1, "c~d": 2},
        {"isValid": False, "errorMessage": "/a~1b - must be string | /c~0d - must be string"},
    ),
    (
        {"allOf": [{"type": "string"}, {"minLength": 2}]},
        1,
        {"isValid": False, "errorMessage": " - must be string"},
    ),
    (
        {"type": "object", "required": ["a", "b"], "properties": {"b": {"type": "string"}}},
        {"b": 1},
        {"isValid": False, "errorMessage": " - must have required property 'a' | /b - must be string"},
    ),
    (
        {"type": "string", "minLength": 1, "format": "date-time"},
        "",
        {"compileError": 'unknown format "date-time" ignored in schema at path "#"'},
    ),
    (
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "object",
                    "properties": {"b": {"type": "array", "items": {"type": "object", "required": ["c"]}}},
                }
            },
        },
        {"a": {"b": [{}, {"c": 1}, {}]}},
        {
            "isValid": False,
            "errorMessage": "/a/b/0 - must have required property 'c' | /a/b/2 - must have required property 'c'",
        },
    ),
    (
        {"exclusiveMinimum": 5, "maximum": 1},
        3,
        {"isValid": False, "errorMessage": " - must be <= 1 |  - must be > 5"},
    ),
    (True, 1, {"isValid": True}),
    (False, 1, {"isValid": False, "errorMessage": " - boolean schema is false"}),
    (
        {"type": "object", "properties": {"a": False}},
        {"a": 1},
        {"isValid": False, "errorMessage": "/a - boolean schema is false"},
    ),
    ({"type": "null"}, 0, {"isValid": False, "errorMessage": " - must be null"}),
    ({"type": "boolean"}, 0, {"isValid": False, "errorMessage": " - must be boolean"}),
    ({"const": {"a": 1}}, {"a": 2}, {"isValid": False, "errorMessage": " - must be equal to constant"}),
    # ECMAScript pattern semantics (arabesque.engine.jsregex), checked against ajv too
    (
        {"type": "string", "pattern": "^[a-z]+$"},
        "abc\n",
        {"isValid": False, "errorMessage": ' - must match pattern "^[a-z]+$"'},
    ),
    ({"type": "string", "pattern": "^(?<y>\\d{2})-\\k<y>$"}, "12-12", {"isValid": True}),
    (
        {"type": "string", "pattern": "^\\d+$"},
        "\u0661\u0662",
        {"isValid": False, "errorMessage": ' - must match pattern "^\\d+$"'},
    ),
    ({"type": "string", "pattern": "(?<=EUR )\\d+"}, "EUR 5", {"isValid": True}),
]


@pytest.mark.parametrize(("schema", "data", "expected"), CASES)
def test_ajv_messages(schema: Any, data: Any, expected: dict[str, Any]) -> None:
    if "compileError" in expected:
        assert check_schema(schema) == expected["compileError"]
        with pytest.raises(SchemaError, match=r"."):
            validate(schema, data)
    else:
        assert check_schema(schema) is None
        assert _result(schema, data) == expected


def test_nested_paths_and_multiple_errors() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"type": "object", "properties": {"b": {"type": "string"}}}}},
        "required": ["a", "z"],
    }
    assert validate(schema, {"a": [{"b": 1}, {"b": "x"}, {"b": None}]}) == (
        " - must have required property 'z' | /a/0/b - must be string | /a/2/b - must be string"
    )


def test_validator_cache_is_by_value() -> None:
    schema = {"type": "string"}
    assert validate(schema, 1) == " - must be string"
    assert validate(dict(schema), "x") is None


# --- differential test against ajv ---------------------------------------------------------------------


@pytest.mark.node
def test_differential_against_ajv(oracle_dir: Path) -> None:
    node = shutil.which("node")
    assert node
    batch = [[s, d] for s, d, _ in CASES] + [[c.values[0]["schema"], c.values[0]["data"]] for c in reference_cases(52)]
    proc = subprocess.run(
        [node, str(oracle_dir / "ajv-eval.cjs")],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        check=True,
    )
    problems = []
    for (schema, data), answer in zip(batch, json.loads(proc.stdout), strict=True):
        try:
            ours = _result(schema, data)
        except SchemaError as e:
            ours = {"compileError": str(e)}
        if ours != answer:
            problems.append(f"{schema!r} / {data!r}: ajv {answer}, arabesque {ours}")
    assert not problems, "\n".join(problems)
