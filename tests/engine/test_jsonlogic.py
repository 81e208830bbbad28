"""json-logic with json-logic-js@2.0.2 semantics: a table of cases (also run against node by
test_jsonlogic_differential.py), truthiness, malformed rules, compile-once."""

from __future__ import annotations

import math
from typing import Any

import pytest

from arabesque.engine import jsonlogic
from arabesque.engine.js import js_truthy
from arabesque.engine.jsonlogic import CompiledRule, LogicError, compile_rule

NAN = math.nan
INF = math.inf

DATA = {
    "a": 1,
    "s": "hello",
    "n": None,
    "z": 0,
    "e": "",
    "l": [1, 2, 3],
    "el": [],
    "o": {"b": {"c": 42}, "arr": [{"x": 5}]},
    "eo": {},
    "t": True,
}

# (rule, data, expected). Expected values are what json-logic-js@2.0.2 returns, with `undefined` as None.
CASES: list[tuple[Any, Any, Any]] = [
    # literals
    (1, None, 1),
    ("x", None, "x"),
    (None, None, None),
    ([1, {"var": "a"}], DATA, [1, 1]),
    ({}, None, {}),
    ({"a": {"var": "x"}, "b": 2}, None, {"a": {"var": "x"}, "b": 2}),
    # var
    ({"var": "a"}, DATA, 1),
    ({"var": ["a"]}, DATA, 1),
    ({"var": "o.b.c"}, DATA, 42),
    ({"var": "o.arr.0.x"}, DATA, 5),
    ({"var": "l.1"}, DATA, 2),
    ({"var": 1}, [10, 20], 20),
    ({"var": "l.length"}, DATA, 3),
    ({"var": "s.1"}, DATA, "e"),
    ({"var": "s.length"}, DATA, 5),
    ({"var": "missing"}, DATA, None),
    ({"var": ["missing", "dflt"]}, DATA, "dflt"),
    ({"var": ["n", "dflt"]}, DATA, None),
    ({"var": ["n.x", "dflt"]}, DATA, "dflt"),
    ({"var": ["a.x", "dflt"]}, DATA, "dflt"),
    ({"var": ["l.01", "dflt"]}, DATA, "dflt"),
    ({"var": ""}, 7, 7),
    ({"var": []}, {"q": 1}, {"q": 1}),
    ({"var": None}, "abc", "abc"),
    ({"var": {"cat": ["o", ".b"]}}, DATA, {"c": 42}),
    # missing, missing_some
    ({"missing": ["a", "x", "e", "n", "z"]}, DATA, ["x", "e", "n"]),
    ({"missing": [["a", "x"]]}, DATA, ["x"]),
    ({"missing": [["x"], "y"]}, DATA, ["x"]),
    ({"missing": []}, DATA, []),
    ({"missing": {"merge": ["a", "q"]}}, DATA, ["q"]),
    ({"missing_some": [1, ["a", "x"]]}, DATA, []),
    ({"missing_some": [2, ["a", "x", "y"]]}, DATA, ["x", "y"]),
    ({"missing_some": [0, ["x"]]}, DATA, []),
    # if, ?:
    ({"if": [True, "yes", "no"]}, None, "yes"),
    ({"if": [[], "yes", "no"]}, None, "no"),
    ({"if": [{"var": "eo"}, "yes", "no"]}, DATA, "yes"),
    ({"if": ["0", "yes", "no"]}, None, "yes"),
    ({"if": [False, 1, False, 2, 3]}, None, 3),
    ({"if": [False, 1, True, 2, 3]}, None, 2),
    ({"if": [False, 1]}, None, None),
    ({"if": []}, None, None),
    ({"if": ["only"]}, None, "only"),
    ({"if": [False, 1, False, 2]}, None, None),
    ({"?:": [0, "a", "b"]}, None, "b"),
    # == and != (JavaScript loose equality)
    ({"==": [None, 0]}, None, False),
    ({"==": [None, None]}, None, True),
    ({"==": [None, ""]}, None, False),
    ({"==": ["", 0]}, None, True),
    ({"==": ["0", 0]}, None, True),
    ({"==": ["0", False]}, None, True),
    ({"==": ["", False]}, None, True),
    ({"==": [[], 0]}, None, True),
    ({"==": [[], False]}, None, True),
    ({"==": [[], ""]}, None, True),
    ({"==": [[1], 1]}, None, True),
    ({"==": [[1, 2], "1,2"]}, None, True),
    ({"==": [[], []]}, None, False),
    ({"==": [{"var": "l"}, {"var": "l"}]}, DATA, True),
    ({"==": [True, "1"]}, None, True),
    ({"==": [True, 2]}, None, False),
    ({"==": [1, "1.0"]}, None, True),
    ({"==": [1, " 1 "]}, None, True),
    ({"==": [16, "0x10"]}, None, True),
    ({"==": ["a", "a"]}, None, True),
    ({"==": [{"var": "eo"}, "[object Object]"]}, DATA, True),
    ({"==": [{"and": []}, None]}, None, True),
    ({"==": [1]}, None, False),
    ({"==": []}, None, True),
    ({"!=": [None, 0]}, None, True),
    ({"!=": ["1", 1]}, None, False),
    # === and !==
    ({"===": [1, 1.0]}, None, True),
    ({"===": [1, "1"]}, None, False),
    ({"===": [True, 1]}, None, False),
    ({"===": [None, None]}, None, True),
    ({"===": [{"and": []}, None]}, None, False),
    ({"!==": [1, "1"]}, None, True),
    ({"!==": [0, False]}, None, True),
    # ! and !!
    ({"!": [[]]}, None, True),
    ({"!": []}, None, True),
    ({"!": "0"}, None, False),
    ({"!": {"var": "eo"}}, DATA, False),
    ({"!!": [[]]}, None, False),
    ({"!!": [[0]]}, None, True),
    ({"!!": [{}]}, None, True),
    ({"!!": ["0"]}, None, True),
    ({"!!": [""]}, None, False),
    ({"!!": [{"/": [0, 0]}]}, None, False),
    # or, and
    ({"or": [False, 0, "a"]}, None, "a"),
    ({"or": [False, []]}, None, []),
    ({"or": []}, None, None),
    ({"and": [1, "a", 0, 2]}, None, 0),
    ({"and": [1, {"var": "eo"}]}, DATA, {}),
    ({"and": [1, [], 2]}, None, []),
    ({"and": []}, None, None),
    ({"and": [True]}, None, True),
    # comparisons
    ({"<": [1, 2]}, None, True),
    ({"<": ["10", "9"]}, None, True),
    ({"<": ["10", 9]}, None, False),
    ({"<": ["a", "b"]}, None, True),
    ({"<": ["a", 1]}, None, False),
    ({">=": ["a", 1]}, None, False),
    ({"<": [None, 1]}, None, True),
    ({"<=": [None, 0]}, None, True),
    ({"<": [[2], 10]}, None, True),
    ({"<": [False, True]}, None, True),
    ({"<": [1, 2, 3]}, None, True),
    ({"<": [1, 3, 2]}, None, False),
    ({"<": [1, 1, 3]}, None, False),
    ({"<=": [1, 1, 3]}, None, True),
    ({"<=": [1, 4, 3]}, None, False),
    ({">": [2, 1]}, None, True),
    ({">": [3, 2, 1]}, None, True),
    ({">": ["b", "a"]}, None, True),
    ({">=": [1, 1]}, None, True),
    ({">=": ["", 0]}, None, True),
    ({"<": [{"var": "x"}, 5]}, {}, True),
    ({"<": [{"and": []}, 5]}, None, False),
    ({"<": []}, None, False),
    # arithmetic
    ({"+": [1, 2]}, None, 3),
    ({"+": ["1", 2]}, None, 3),
    ({"+": ["1.5abc", 1]}, None, 2.5),
    ({"+": [0.1, 0.2]}, None, 0.30000000000000004),
    ({"+": []}, None, 0),
    ({"+": "3"}, None, 3),
    ({"+": ["a"]}, None, NAN),
    ({"+": [None, 1]}, None, NAN),
    ({"+": [True, 1]}, None, NAN),
    ({"+": [[1], 1]}, None, 2),
    ({"*": [2, "3"]}, None, 6),
    ({"*": [2, 0.5]}, None, 1),
    ({"*": ["abc"]}, None, "abc"),
    ({"*": [1.5, 1.5]}, None, 2.25),
    ({"-": [5, "2"]}, None, 3),
    ({"-": [2]}, None, -2),
    ({"-": ["3"]}, None, -3),
    ({"-": [None, 1]}, None, -1),
    ({"-": ["a", 1]}, None, NAN),
    ({"/": [6, 3]}, None, 2),
    ({"/": [1, 4]}, None, 0.25),
    ({"/": [1, 0]}, None, INF),
    ({"/": [-1, 0]}, None, -INF),
    ({"/": [0, 0]}, None, NAN),
    ({"%": [7, 3]}, None, 1),
    ({"%": [-7, 3]}, None, -1),
    ({"%": [7.5, 2]}, None, 1.5),
    ({"%": [7, 0]}, None, NAN),
    ({"min": [3, 1, 2]}, None, 1),
    ({"min": [1, "0"]}, None, 0),
    ({"min": [1, None]}, None, 0),
    ({"min": [1, "x"]}, None, NAN),
    ({"min": []}, None, INF),
    ({"max": [1, "3"]}, None, 3),
    ({"max": [1, True]}, None, 1),
    ({"max": []}, None, -INF),
    # strings
    ({"cat": ["a", 1, None, [1, [2, 3]], True, 1.5, {"var": "eo"}]}, DATA, "a11,2,3true1.5[object Object]"),
    ({"cat": []}, None, ""),
    ({"cat": [1e21, 1e-7, 123456.789, -0.5]}, None, "1e+211e-7123456.789-0.5"),
    ({"cat": [{"/": [1, 3]}]}, None, "0.3333333333333333"),
    ({"substr": ["jsonlogic", 4]}, None, "logic"),
    ({"substr": ["jsonlogic", -5]}, None, "logic"),
    ({"substr": ["jsonlogic", 1, 3]}, None, "son"),
    ({"substr": ["jsonlogic", 4, -2]}, None, "log"),
    ({"substr": ["jsonlogic", 0, "-2"]}, None, ""),
    ({"substr": [12345, 1, 2]}, None, "23"),
    ({"substr": [None, 1]}, None, "ull"),
    ({"substr": ["abc", "x"]}, None, "abc"),
    ({"substr": ["a😀b", 1, 2]}, None, "😀"),
    ({"in": ["Spring", "Springfield"]}, None, True),
    ({"in": [1, "a1"]}, None, True),
    ({"in": ["", "abc"]}, None, True),
    ({"in": ["a", ""]}, None, False),
    ({"in": ["b", ["a", "b"]]}, None, True),
    ({"in": ["1", [1]]}, None, False),
    ({"in": [1, None]}, None, False),
    ({"in": ["b", {"var": "o"}]}, DATA, False),
    ({"in": []}, None, False),
    # arrays
    ({"merge": [1, [2, [3]], "x"]}, None, [1, 2, [3], "x"]),
    ({"merge": []}, None, []),
    ({"merge": [{"var": "l"}, {"var": "el"}]}, DATA, [1, 2, 3]),
    ({"map": [{"var": "l"}, {"*": [{"var": ""}, 2]}]}, DATA, [2, 4, 6]),
    ({"map": [{"var": "x"}, {"var": ""}]}, DATA, []),
    ({"map": ["abc", {"var": ""}]}, None, []),
    ({"map": [[1, 2]]}, None, [None, None]),
    ({"filter": [[0, 1, [], {"var": "eo"}, "0", ""], {"var": ""}]}, DATA, [1, {}, "0"]),
    ({"filter": [{"var": "l"}, {">": [{"var": ""}, 1]}]}, DATA, [2, 3]),
    ({"filter": [5, True]}, None, []),
    ({"reduce": [{"var": "l"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}, DATA, 6),
    ({"reduce": [{"var": "l"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}]}, DATA, NAN),
    (
        {"reduce": [{"var": "l"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, {"var": "a"}]},
        DATA,
        NAN,
    ),
    ({"reduce": [{"var": "x"}, {"var": "current"}, {"var": "a"}]}, DATA, {"var": "a"}),
    (
        {"reduce": [[1, 2], {"var": ""}]},
        None,
        {"current": 2, "accumulator": {"current": 1, "accumulator": None}},
    ),
    (
        {"reduce": [[1, 2], {"var": ""}, {"and": []}]},
        None,
        {"current": 2, "accumulator": {"current": 1, "accumulator": {"and": []}}},
    ),
    ({"all": [[1, 2], {">": [{"var": ""}, 0]}]}, None, True),
    ({"all": [[1, 0], {"var": ""}]}, None, False),
    ({"all": [[], True]}, None, False),
    ({"all": ["ab", True]}, None, False),
    ({"none": [[0, ""], {"var": ""}]}, None, True),
    ({"none": [[0, 1], {"var": ""}]}, None, False),
    ({"none": [[], True]}, None, True),
    ({"some": [[0, [], {"var": ""}], {"var": ""}]}, None, False),
    ({"some": [[0, [0]], {"var": ""}]}, None, True),
    ({"some": [[], True]}, None, False),
    # log returns its argument (without printing)
    ({"log": "x"}, None, "x"),
    ({"log": [[1, 2]]}, None, [1, 2]),
    ({"log": []}, None, None),
    # undefined inside results
    ({"merge": [{"and": []}, 1]}, None, [None, 1]),
    ({"in": [{"and": []}, [{"or": []}]]}, None, True),
    ({"in": [None, [{"or": []}]]}, None, False),
]

ERRORS: list[tuple[Any, Any]] = [
    ({"*": []}, None),
    ({"missing_some": [1]}, None),
    ({"missing_some": [1, None]}, {}),
    ({"missing": [{"var": "rule"}]}, {"rule": {"nope": 1}}),
]

MALFORMED: list[Any] = [
    {"nope": [1]},
    {"": 1},
    {"Math.abs": [1]},
    {"var.length": []},
    {"upper": "a"},
    [1, {"+": [{"frob": []}]}],
    {"if": [True, {"unknown_op": 2}, 1]},
]


def _same(actual: Any, expected: Any) -> bool:
    """Equality that tells NaN from NaN-less values and bool from int, as a JSON round trip would."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_same(actual[k], v) for k, v in expected.items())
        )
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize(("rule", "data", "expected"), CASES, ids=[repr(c[0])[:60] for c in CASES])
def test_case(rule: Any, data: Any, expected: Any) -> None:
    assert _same(compile_rule(rule).evaluate(data), expected)


@pytest.mark.parametrize(("rule", "data"), ERRORS, ids=[repr(c[0]) for c in ERRORS])
def test_runtime_error(rule: Any, data: Any) -> None:
    compiled = compile_rule(rule)
    with pytest.raises(LogicError):
        compiled.evaluate(data)


@pytest.mark.parametrize("rule", MALFORMED, ids=repr)
def test_malformed_rule_is_rejected_at_compile_time(rule: Any) -> None:
    with pytest.raises(LogicError, match=r"^Unrecognized operation "):
        compile_rule(rule)


def test_unknown_operator_is_rejected_even_where_never_reached() -> None:
    # A deliberate difference: json-logic-js only throws when it reaches the operator.
    with pytest.raises(LogicError, match=r"^Unrecognized operation nope$"):
        compile_rule({"if": [True, 1, {"nope": 2}]})


def test_unknown_operator_message_matches_json_logic_js() -> None:
    with pytest.raises(LogicError) as exc:
        compile_rule({"and": [True, {"frobnicate": [1]}]})
    assert str(exc.value) == "Unrecognized operation frobnicate"


@pytest.mark.parametrize("rule", [{1, 2}, b"x", {"==": [object(), 1]}], ids=repr)
def test_non_json_rule_is_rejected(rule: Any) -> None:
    with pytest.raises(LogicError):
        compile_rule(rule)


def test_integral_results_are_ints() -> None:
    for rule in ({"+": [1, 2]}, {"*": [1.5, 2]}, {"/": [6, 3]}, {"-": ["5", 2.0]}, {"max": [1, 2.0]}):
        result = compile_rule(rule).evaluate(None)
        assert type(result) is int, rule


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([], True),
        ({}, True),
        ([0], True),
        ({"a": 0}, True),
        ("0", True),
        ("false", True),
        (" ", True),
        (1, True),
        (-0.5, True),
        (INF, True),
        (True, True),
        (0, False),
        (0.0, False),
        (-0.0, False),
        (NAN, False),
        ("", False),
        (None, False),
        (False, False),
    ],
    ids=repr,
)
def test_js_truthy(value: Any, expected: bool) -> None:
    assert js_truthy(value) is expected


def test_guard_results_use_javascript_truthiness() -> None:
    # A guard's raw result goes to xstate: `[]` from var is a passing guard, `!!` of it is not.
    data: dict[str, Any] = {"tags": []}
    assert js_truthy(compile_rule({"var": "tags"}).evaluate(data)) is True
    assert js_truthy(compile_rule({"!!": {"var": "tags"}}).evaluate(data)) is False


def test_compiles_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = {"and": [{"==": [{"var": "kind"}, "business"]}, {">": [{"var": "score"}, 50]}]}
    compiled = compile_rule(rule)
    assert isinstance(compiled, CompiledRule)

    def no_compiling(_rule: Any) -> Any:
        raise AssertionError("evaluate re-parsed the rule")

    monkeypatch.setattr(jsonlogic, "_compile", no_compiling)
    assert compiled.evaluate({"kind": "business", "score": 70}) is True
    assert compiled.evaluate({"kind": "person", "score": 70}) is False


def test_results_do_not_alias_the_rule_or_the_data() -> None:
    rule = {"if": [True, {"a": [1], "b": 2}]}
    compiled = compile_rule(rule)
    compiled.evaluate(None)["a"].append(9)
    rule["if"][1]["b"] = 3  # type: ignore[index]
    assert compiled.evaluate(None) == {"a": [1], "b": 2}
    data = {"l": [1]}
    compile_rule({"var": "l"}).evaluate(data).append(2)
    assert data == {"l": [1]}


def test_deep_recursion_is_a_logic_error() -> None:
    rule: Any = 1
    for _ in range(5000):
        rule = {"!": [rule]}
    with pytest.raises(LogicError):
        compile_rule(rule).evaluate(None)
