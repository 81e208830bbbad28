"""The evaluation budget: pathological guards, transformers and patterns are refused with a clear error.

Each case is one that froze or bloated the service before (issue 9, finding 2): a json-logic `reduce`
that merges its accumulator with itself, JMESPath expressions that double a value at every step, a
catastrophic regular expression. Nothing here measures time: a refusal is a `BudgetExceeded` naming the
limit, and the clock-driven limits run on a fake clock the test controls.
"""

from __future__ import annotations

from typing import Any

import pytest

from arabesque.engine import (
    BudgetExceeded,
    Env,
    Event,
    HttpOutcome,
    Limits,
    Meter,
    apply_outcome,
    load_definition,
    start,
    step,
)
from arabesque.engine import schema as ajv
from arabesque.engine.helpers import apply_helpers
from arabesque.engine.jmes import compile_expression
from arabesque.engine.jsonlogic import compile_rule
from arabesque.engine.jsregex import PatternError, compile_js

SMALL = Limits(steps=200_000, value_size=100_000, depth=50, regex_seconds=0.2)

# json-logic: each item doubles the accumulator (a real copy: memory and time double too).
REDUCE_MERGE = {
    "reduce": [
        {"var": "items"},
        {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]},
        [1],
    ]
}
# json-logic: each item doubles the accumulator's logical size by sharing it ([acc, acc]).
REDUCE_SHARE = {"reduce": [{"var": "items"}, [{"var": "accumulator"}, {"var": "accumulator"}], 1]}


def guard_definition(cond: dict[str, Any]) -> dict[str, Any]:
    return {
        "definition": {
            "id": "budget",
            "initial": "a",
            "states": {"a": {"on": {"GO": [{"target": "b", "cond": cond}]}}, "b": {"type": "final"}},
        }
    }


def test_json_logic_reduce_that_doubles_its_accumulator_is_refused() -> None:
    rule = compile_rule(REDUCE_MERGE)
    assert rule.evaluate({"items": list(range(5))}, Meter(SMALL)) == [1] * 32  # small inputs still work
    with pytest.raises(BudgetExceeded) as caught:
        rule.evaluate({"items": list(range(25))}, Meter(SMALL))
    assert caught.value.limit in ("steps", "value_size")


def test_json_logic_shared_accumulator_is_measured_not_walked() -> None:
    # 60 doublings: a logical size of 2**60, found in 60 memoised lookups, never copied.
    with pytest.raises(BudgetExceeded) as caught:
        compile_rule(REDUCE_SHARE).evaluate({"items": list(range(60))}, Meter(SMALL))
    assert caught.value.limit in ("value_size", "depth")


def test_json_logic_string_doubling_is_refused_by_value_size() -> None:
    rule = {"reduce": [{"var": "items"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]}
    with pytest.raises(BudgetExceeded) as caught:
        compile_rule(rule).evaluate({"items": list(range(40))}, Meter(SMALL))
    assert caught.value.limit == "value_size"


def test_jmespath_doubling_with_flatten_is_refused() -> None:
    expression = " | ".join(["[@, @][]"] * 40)
    with pytest.raises(BudgetExceeded) as caught:
        compile_expression(expression).search({"a": 1}, Meter(SMALL))
    assert caught.value.limit == "steps"


@pytest.mark.parametrize(
    "expression",
    [
        "(" + " | ".join(["[@, @]"] * 40) + ") == `1`",  # a deep comparison walks it
        "to_string(" + " | ".join(["[@, @]"] * 40) + ")",  # so does printing it
        "length(to_string(" + " | ".join(["[@, @]"] * 18) + "))",
    ],
)
def test_jmespath_shared_doubling_is_refused_when_walked(expression: str) -> None:
    with pytest.raises(BudgetExceeded) as caught:
        compile_expression(expression).search({"a": "x" * 50}, Meter(SMALL))
    assert caught.value.limit in ("value_size", "depth", "steps")


def test_a_guard_over_budget_names_its_place_in_the_definition() -> None:
    definition = load_definition(guard_definition({"type": "json-logic", "options": {"rule": REDUCE_MERGE}}))
    snapshot = start(definition, {"items": list(range(30))})
    with pytest.raises(BudgetExceeded) as caught:
        step(definition, snapshot, Event("GO"), Env(limits=SMALL))
    assert caught.value.path == "definition.states.a.on.GO[0].cond"
    assert str(caught.value).startswith("definition.states.a.on.GO[0].cond: the evaluation ")


def test_everyday_guards_pass_under_the_default_budget() -> None:
    cond = {"type": "jmespath", "options": {"rule": "length(documents[?decision.status]) == length(documents)"}}
    definition = load_definition(guard_definition(cond))
    docs = [{"id": str(i), "decision": {"status": "approved"}, "pages": [{"uri": "x" * 100}]} for i in range(500)]
    result = step(definition, start(definition, {"documents": docs}), Event("GO"), Env())
    assert result.snapshot.state == "b"


def test_the_hosts_clock_ends_a_step_that_runs_out_of_time() -> None:
    calls = 0

    def time_left() -> float:  # the host's clock, faked: time is up on the second reading
        nonlocal calls
        calls += 1
        return 1.0 if calls < 2 else 0.0

    rule = {"map": [{"var": "items"}, {"+": [{"var": ""}, 1]}]}
    definition = load_definition(guard_definition({"type": "json-logic", "options": {"rule": rule}}))
    env = Env(limits=Limits(step_seconds=2.0), time_left=time_left)
    with pytest.raises(BudgetExceeded) as caught:
        step(definition, start(definition, {"items": list(range(100_000))}), Event("GO"), env)
    assert caught.value.limit == "time"
    assert "ran past the step's time limit of 2 s" in str(caught.value)


def test_values_nested_deeper_than_the_limit_are_refused() -> None:
    wrap = {"reduce": [{"var": "items"}, [{"var": "accumulator"}], 0]}
    with pytest.raises(BudgetExceeded) as caught:
        compile_rule(wrap).evaluate({"items": list(range(80))}, Meter(SMALL))
    assert caught.value.limit == "depth"


# --- regular expressions ------------------------------------------------------------------------------

CATASTROPHIC = "^(a|a)+$"  # exponential backtracking on "aaaa…!"


def test_a_catastrophic_pattern_in_a_plugin_schema_is_cut_by_the_regex_timeout() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": CATASTROPHIC}}}
    with pytest.raises(BudgetExceeded) as caught:
        ajv.validate(schema, {"name": "a" * 40 + "!"}, Meter(SMALL))
    assert caught.value.limit == "regex"
    assert "a regular expression did not finish matching within 0.2 s (matching /^(a|a)+$/)" in str(caught.value)


def test_a_catastrophic_pattern_in_the_regex_helper_is_cut_too() -> None:
    mapping = [{"source": "name", "target": "out", "method": "regex", "value": CATASTROPHIC}]
    with pytest.raises(BudgetExceeded):
        apply_helpers(mapping, {"name": "a" * 40 + "!"}, 0, Meter(SMALL))


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^(?<year>\\d{4})-\\k<year>$", "2024-2024", True),  # named group and named backreference
        ("^(a)\\1$", "aa", True),  # numbered backreference
        ("^(?=.*\\d)[a-z\\d]+$", "abc1", True),  # lookahead
        ("^(?=.*\\d)[a-z\\d]+$", "abc", False),
        ("(?<=EUR )\\d+", "EUR 12", True),  # lookbehind (ES2018)
        ("^\\d+$", "١٢٣", False),  # \d is ASCII in ECMAScript
        ("^\\w+$", "é", False),  # so is \w
        ("^[a-z]+$", "abc\n", False),  # $ is the very end, not before a final newline
        ("^a.c$", "a\nc", False),  # . stops at line terminators
        ("^\\s$", "\u00a0", True),  # \s is Unicode white space
        ("[^]", "\n", True),  # ECMAScript's "any character" class
    ],
)
def test_patterns_keep_ecmascript_semantics(pattern: str, text: str, matches: bool) -> None:
    assert (compile_js(pattern).search(text, Meter()) is not None) is matches


@pytest.mark.parametrize("pattern", ["a{4294967294}", "(?:a{1000}){1000}"])
def test_patterns_too_large_to_compile_are_refused_like_syntax_errors(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_js(pattern)
    assert ajv.check_schema({"pattern": pattern}) is not None


# --- plugins ------------------------------------------------------------------------------------------


def plugin_definition(response_transform: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "definition": {
            "id": "plugin",
            "initial": "idle",
            "states": {
                "idle": {"on": {"START": "checking"}},
                "checking": {"on": {"OK": "done", "FAILED": "failed"}},
                "done": {"type": "final"},
                "failed": {"type": "final"},
            },
        },
        "extensions": {
            "apiPlugins": [
                {
                    "name": "vendor",
                    "url": "https://vendor.example/check",
                    "method": "POST",
                    "stateNames": ["checking"],
                    "successAction": "OK",
                    "errorAction": "FAILED",
                    "request": {"transform": [{"transformer": "jmespath", "mapping": "{id: entity.id}"}]},
                    "response": {"transform": response_transform},
                }
            ]
        },
    }


def test_a_response_transform_over_budget_is_the_plugins_error() -> None:
    definition = load_definition(plugin_definition([{"transformer": "json-logic", "mapping": REDUCE_MERGE}]))
    env = Env(limits=SMALL)
    started = step(definition, start(definition, {"entity": {"id": "e1"}}), Event("START"), env)
    [call] = started.effects
    outcome = HttpOutcome(call.id, 200, "OK", {"items": list(range(30))}, True)
    result = apply_outcome(definition, started.snapshot, outcome, env)
    assert result.snapshot.state == "failed" and result.snapshot.pending == {}
    error = result.snapshot.context["pluginsOutput"]["vendor"]["error"]
    assert error.startswith("extensions.apiPlugins[0].response.transform[0]: the evaluation ")


# --- placeholders ---------------------------------------------------------------------------------------


def test_placeholders_are_found_as_ballerines_pattern_finds_them() -> None:
    import random
    import re

    from arabesque.engine.plugins.placeholders import placeholders

    reference = re.compile(r"\{(.*?)\}")  # Ballerine's, quadratic on "{{{{…"
    rnd = random.Random(9)
    for _ in range(5_000):
        text = "".join(rnd.choice("{}a.\n") for _ in range(rnd.randint(0, 24)))
        assert placeholders(text) == [(m.start(), m.end()) for m in reference.finditer(text)], text


def test_interpolation_substitutes_each_placeholder_where_it_stands() -> None:
    from arabesque.engine.plugins.placeholders import interpolate

    data = {"entity": {"id": 7}, "a": "{b}"}
    text = "https://x/{entity.id}/{secret.KEY}?q={missing}&a={a}&b={b}"
    assert interpolate(text, data) == "https://x/7/{secret.KEY}?q={missing}&a={b}&b={b}"
    assert interpolate("{" * 200_000, data) == "{" * 200_000  # linear: 40 KB of these took 7 s before
