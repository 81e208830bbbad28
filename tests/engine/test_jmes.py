"""arabesque.engine.jmes: JMESPath with jmespath.js 0.16 semantics (fixture 51's jmespath cases live in
test_transformers.py); plus a differential run against jmespath.js in one node process."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from arabesque.engine.jmes import JmesError, compile_expression, search
from arabesque.engine.js import js_number_to_string

# (expression, data, expected) — each checked against jmespath.js 0.16 by test_differential below.
CASES: list[tuple[str, Any, Any]] = [
    # the Ballerine idioms
    (
        "merge({ status: error != `null` && 'ERROR' || 'SUCCESS' }, @)",
        {"error": None},
        {"status": "SUCCESS", "error": None},
    ),
    (
        "merge({ status: error != `null` && 'ERROR' || 'SUCCESS' }, @)",
        {"error": "x"},
        {"status": "ERROR", "error": "x"},
    ),
    (
        "{name: entity.data.companyName, ids: entity.ubos[].id}",
        {"entity": {"data": {"companyName": "A"}, "ubos": [{"id": 1}]}},
        {"name": "A", "ids": [1]},
    ),
    (
        "length(childWorkflows.k.*.[result.d][]) == length(childWorkflows.k.*[])",
        {"childWorkflows": {"k": {"a": {"result": {"d": 1}}, "b": {}}}},
        False,
    ),
    # merge ignores non-object arguments after the first (Python's library raises)
    ("merge({a: `1`}, `false`)", {}, {"a": 1}),
    ("merge({a: `1`}, `null`, @)", {"b": 2}, {"a": 1, "b": 2}),
    ("merge(`{}`, 'ab', `[5]`)", {}, {"0": 5, "1": "b"}),
    # bare true/false/null are field references
    ("{a: false, b: true, c: null}", {"false": 1}, {"a": 1, "b": None, "c": None}),
    # to_number is JavaScript's +value
    ("to_number('1e3')", {}, 1000),
    ("to_number('')", {}, 0),
    ("to_number(' 12 ')", {}, 12),
    ("to_number('0x10')", {}, 16),
    ("to_number('1.5')", {}, 1.5),
    ("to_number('abc')", {}, None),
    ("to_number(`true`)", {}, None),
    # ordering comparisons use JavaScript's < on any values
    ("a < b", {"a": "a", "b": "b"}, True),
    ("a < b", {"a": None, "b": 1}, True),
    ("a > b", {"a": "10", "b": 9}, True),
    ("a <= b", {"a": [1], "b": [1]}, True),
    ("a < b", {"a": {}, "b": 1}, False),
    ("a >= b", {"a": "x", "b": 1}, False),
    ("a[?b > `1`].b", {"a": [{"b": 2}, {"b": "3"}, {"b": None}, {"b": "x"}]}, [2, "3"]),
    # strict equality
    ("a == b", {"a": 1, "b": 1.0}, True),
    ("a == b", {"a": True, "b": 1}, False),
    ("a == b", {"a": [True], "b": [1]}, False),
    ("a == b", {"a": {"x": [1, {"y": None}]}, "b": {"x": [1, {"y": None}]}}, True),
    # functions
    ("to_string(a)", {"a": 1.0}, "1"),
    ("to_string(a)", {"a": {"x": [1, 2.5, "é"]}}, '{"x":[1,2.5,"é"]}'),
    ("to_string(`0.000001`)", {}, "0.000001"),
    ("to_string(`1.5e-7`)", {}, "1.5e-7"),
    ("to_string(`1e21`)", {}, "1e+21"),
    ("sort(@)", [10, 9, 1, 100], [1, 10, 100, 9]),
    ("sort(@)", ["b", "a", "B"], ["B", "a", "b"]),
    ("sort_by(@, &a)[].a", [{"a": 3}, {"a": 1}, {"a": 2}], [1, 2, 3]),
    ("min_by(@, &a)", [{"a": "x"}, {"a": "y"}], None),
    ("max_by(@, &a)", [{"a": 5}, {"a": 10}], {"a": 10}),
    ("length(a)", {"a": "😀"}, 2),
    ("contains(a, b)", {"a": [{"x": 1}], "b": {"x": 1}}, False),
    ("contains(a, b)", {"a": [1, "1"], "b": 1}, True),
    ("contains('null', `null`)", {}, True),
    ("avg(@)", [], None),
    ("type(a)", {"a": 1.5}, "number"),
    ("not_null(a, b)", {"b": 2}, 2),
    ("keys(@)", {"b": 1, "a": 2}, ["b", "a"]),
    # literals
    ("`foo`", {}, "foo"),
    ("'it\\'s'", {}, "it's"),
    ("!a", {"a": 0}, False),
    ("a || b", {"a": 0, "b": 1}, 0),
    ("a && b", {"a": [], "b": 1}, []),
    ("@[1:0:-1]", [1, 2, 3], [2]),
    ("missing.path", {}, None),
    # whitespace is collapsed, inside literals too
    ("{a:   'x    y'}", {}, {"a": "x y"}),
    ("foo\n  .bar", {"foo": {"bar": 1}}, 1),
]

SYNTAX_ERRORS = ["{}", "dsa: .unknwonvalue.id}", "a[", "`[1, 2`", "foo ==", "&&"]
RUNTIME_ERRORS: list[tuple[str, Any]] = [
    ("merge(`[]`)", {}),
    ("sort(@)", [1, "x"]),
    ("sort_by(@, &a)", [{"a": 1}, {"a": "x"}]),
    ("join(`,`, @)", ["a", 1]),
    ("unknown_fn(@)", {}),
    ("abs('x')", {}),
]


@pytest.mark.parametrize(("expr", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_search(expr: str, data: Any, expected: Any) -> None:
    result = search(expr, data)
    assert json.dumps(result, sort_keys=True) == json.dumps(expected, sort_keys=True)


@pytest.mark.parametrize("expr", SYNTAX_ERRORS)
def test_syntax_errors_raise_jmes_error(expr: str) -> None:
    with pytest.raises(JmesError):
        compile_expression(expr)


@pytest.mark.parametrize(("expr", "data"), RUNTIME_ERRORS, ids=[c[0] for c in RUNTIME_ERRORS])
def test_runtime_errors_raise_jmes_error(expr: str, data: Any) -> None:
    compiled = compile_expression(expr)
    with pytest.raises(JmesError):
        compiled.search(data)


def test_compiled_expression_is_reusable_and_records_source() -> None:
    compiled = compile_expression("a  .\n b")
    assert compiled.expression == "a . b"
    assert compiled.source == "a  .\n b"
    assert compiled.search({"a": {"b": 1}}) == 1
    assert compiled.search({"a": {"b": 2}}) == 2


def test_collapse_can_be_disabled() -> None:
    assert compile_expression("'x  y'", collapse=False).search({}) == "x  y"
    assert compile_expression("'x  y'").search({}) == "x y"


def test_search_does_not_mutate_input() -> None:
    data = {"a": [{"b": 2}, {"b": 1}], "c": {"d": 1}}
    before = json.dumps(data)
    search("merge(c, {e: `1`})", data)
    search("sort_by(a, &b)", data)
    assert json.dumps(data) == before


@pytest.mark.parametrize(
    ("value", "text"),
    [(1, "1"), (1.0, "1"), (0.1, "0.1"), (1e21, "1e+21"), (123456789012345680000.0, "123456789012345680000"),
     (1e-7, "1e-7"), (-2.5, "-2.5"), (5e-324, "5e-324"), (0.000001, "0.000001")],
)  # fmt: skip
def test_js_number_to_string(value: float, text: str) -> None:
    assert js_number_to_string(value) == text


# --- differential test against jmespath.js 0.16 --------------------------------------------------------


@pytest.mark.node
def test_differential_against_jmespath_js(oracle_dir: Path) -> None:
    node = shutil.which("node")
    assert node
    batch = [[e, d] for e, d, _ in CASES] + [[e, {}] for e in SYNTAX_ERRORS] + [[e, d] for e, d in RUNTIME_ERRORS]
    proc = subprocess.run(
        [node, str(oracle_dir / "jmespath-eval.cjs")],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        cwd=oracle_dir,
        check=True,
    )
    answers = json.loads(proc.stdout)
    problems = []
    for (expr, data), answer in zip(batch, answers, strict=True):
        try:
            ours: dict[str, Any] = {"ok": json.loads(json.dumps(search(expr, data)))}
        except JmesError:
            ours = {"error": True}
        theirs = {"ok": answer["ok"]} if "ok" in answer else {"error": True}
        if json.dumps(ours, sort_keys=True) != json.dumps(theirs, sort_keys=True):
            problems.append(f"{expr!r} on {data!r}: jmespath.js {answer}, arabesque {ours}")
    assert not problems, "\n".join(problems)
