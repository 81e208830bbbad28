"""Differential test: arabesque.engine.jsonlogic against json-logic-js@2.0.2 running in node.

Every case of test_jsonlogic.py plus a Hypothesis-generated batch of random rules over random data goes to
one node process (tests/oracle/jsonlogic-eval.cjs). Results must be equal after a JSON round trip, and
where json-logic-js throws we must raise LogicError. The deliberate differences documented in the module
docstring are listed in KNOWN_DIFFERENCES and checked to be exactly that, not skipped.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_jsonlogic import CASES, ERRORS, MALFORMED

from arabesque.engine.jsonlogic import LogicError, compile_rule

pytestmark = pytest.mark.node

RANDOM_CASES = 400

# (rule, data, why): json-logic-js and Arabesque deliberately disagree on these.
KNOWN_DIFFERENCES: list[tuple[Any, Any, str]] = [
    ({"if": [True, 1, {"nope": 2}]}, None, "unknown operator in a branch never taken: rejected at compile"),
    ({"and": [False, {"nope": 2}]}, None, "unknown operator after a short circuit: rejected at compile"),
    ({"map": [[], {"nope": 2}]}, None, "unknown operator in logic never applied: rejected at compile"),
    ({"var": "toString"}, {}, "prototype members are not data"),
    ({"var": "a.constructor"}, {"a": 1}, "prototype members are not data"),
]

# --- random rules and data -------------------------------------------------------------------------------

_strings = st.sampled_from(
    ["", "0", "1", "a", "b", "ab", " 1 ", "1e3", "0x10", "-2", "1.5", "Infinity", "1,2", "a.b", "null", "é😀"]
)
_numbers = st.one_of(st.integers(-3, 10), st.sampled_from([0.5, -1.5, 2.25, 0.1, 1e21, 1e-7, -0.0, 2**53 + 2]))
_scalars = st.one_of(st.none(), st.booleans(), _numbers, _strings)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "c", "0"]), inner, max_size=3)
    ),
    max_leaves=8,
)
_data = st.one_of(st.dictionaries(st.sampled_from(["a", "b", "c", "0", "1", "length"]), _json, max_size=5), _json)
# var paths; `current` and `accumulator` are what reduce's logic reads
_paths = st.sampled_from(["", "a", "b", "c", "a.b", "a.0", "b.1", "0", "1", "a.length", "length", "x"])
_paths |= st.sampled_from(["c.a.b", "current", "accumulator", "current.a"])
_var: st.SearchStrategy[Any] = st.one_of(
    _paths.map(lambda p: {"var": p}),
    st.tuples(_paths, _scalars).map(lambda t: {"var": list(t)}),
    st.integers(-1, 2).map(lambda i: {"var": i}),
    st.just({"var": []}),
)
_literals = st.one_of(_scalars, st.lists(_scalars, max_size=3), st.sampled_from([{}, {"a": 1, "b": [2]}]))

_EAGER = ["==", "===", "!=", "!==", "<", "<=", ">", ">=", "!", "!!", "+", "-", "*", "/", "%", "min", "max"]
_EAGER += ["cat", "substr", "in", "merge", "log", "var", "missing", "missing_some", "if", "?:", "and", "or"]
_ITERATING = ["map", "filter", "all", "none", "some"]


_COERCING = ["==", "!=", "===", "!==", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "min", "max"]
_COERCING += ["cat", "substr", "in", "!", "!!"]
# Operands that exercise JavaScript coercion directly: scalars, small arrays, {} and undefined.
_operands: st.SearchStrategy[Any] = st.one_of(
    _scalars, st.lists(_scalars, max_size=2), _var, st.sampled_from([{}, {"and": []}])
)


def _extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    eager = st.tuples(st.sampled_from(_EAGER), st.lists(inner, max_size=4)).map(lambda t: {t[0]: t[1]})
    coercing = st.tuples(st.sampled_from(_COERCING), st.lists(_operands, max_size=3)).map(lambda t: {t[0]: t[1]})
    return st.one_of(  # repeated branches weigh the draw towards the plain operators
        eager,
        eager,
        coercing,
        coercing,
        st.tuples(st.sampled_from(_EAGER), inner).map(lambda t: {t[0]: t[1]}),  # the unary shorthand
        st.tuples(st.sampled_from(_ITERATING), inner, inner).map(lambda t: {t[0]: [t[1], t[2]]}),
        st.tuples(inner, inner, st.lists(_json, max_size=1)).map(lambda t: {"reduce": [t[0], t[1], *t[2]]}),
        st.tuples(st.integers(-1, 3), st.one_of(st.lists(_paths, max_size=3), _scalars)).map(
            lambda t: {"missing_some": list(t)}
        ),
    )


_rules = st.recursive(st.one_of(_var, _literals), _extend, max_leaves=12)


def _random_cases(n: int) -> list[tuple[Any, Any]]:
    """Draw n distinct cases up front so that node runs once for all of them (shrinking would rerun node).

    Batches of forty per example keep the draws varied: late examples of a long run drift to a few shapes.
    """
    cases: dict[str, tuple[Any, Any]] = {}

    @settings(
        max_examples=n // 20,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=st.lists(st.tuples(_rules, _data), min_size=40, max_size=40))
    def collect(batch: list[tuple[Any, Any]]) -> None:
        for case in batch:
            cases.setdefault(json.dumps(case), case)

    collect()
    return list(cases.values())[:n]


# --- comparison ----------------------------------------------------------------------------------------


def _canon(value: Any, top: bool = True) -> Any:
    """What JSON.stringify would make of a value, numbers as floats so that True never equals 1."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        x = float(value)
        if math.isfinite(x):
            return x + 0.0  # -0 prints as 0
        if not top:
            return None
        return "\0NaN" if x != x else ("\0Infinity" if x > 0 else "\0-Infinity")
    if isinstance(value, list):
        return [_canon(v, top=False) for v in value]
    return {k: _canon(v, top=False) for k, v in value.items()}


def _ours(rule: Any, data: Any) -> Any:
    try:
        return ("result", json.dumps(_canon(compile_rule(rule).evaluate(data)), sort_keys=True))
    except LogicError:
        return ("error",)


def _theirs(outcome: dict[str, Any]) -> Any:
    if "error" in outcome:
        return ("error",)
    if "special" in outcome:
        special = {"undefined": None, "function": "\0function"}.get(outcome["special"], "\0" + outcome["special"])
        return ("result", json.dumps(special))
    return ("result", json.dumps(_canon(outcome["result"]), sort_keys=True))


def _node(oracle_dir: Path, cases: list[tuple[Any, Any]]) -> list[Any]:
    node = shutil.which("node")
    assert node
    payload = json.dumps([{"rule": r, "data": d} for r, d in cases], allow_nan=False)
    proc = subprocess.run(
        [node, "jsonlogic-eval.cjs"],
        input=payload,
        cwd=oracle_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    outcomes = json.loads(proc.stdout)
    assert len(outcomes) == len(cases)
    return [_theirs(o) for o in outcomes]


@pytest.fixture(scope="module")
def node_outcomes(oracle_dir: Path) -> dict[str, list[Any]]:
    groups: dict[str, list[tuple[Any, Any]]] = {
        "table": [(r, d) for r, d, _ in CASES],
        "errors": ERRORS,
        "malformed": [(r, None) for r in MALFORMED if r not in [k[0] for k in KNOWN_DIFFERENCES]],
        "known": [(r, d) for r, d, _ in KNOWN_DIFFERENCES],
        "random": _random_cases(RANDOM_CASES),
    }
    flat = [case for cases in groups.values() for case in cases]
    outcomes = iter(_node(oracle_dir, flat))
    return {name: [(case, next(outcomes)) for case in cases] for name, cases in groups.items()}


def _mismatches(pairs: list[Any]) -> list[str]:
    bad = []
    for (rule, data), theirs in pairs:
        ours = _ours(rule, data)
        if ours != theirs:
            bad.append(f"rule={json.dumps(rule)} data={json.dumps(data)}: ours={ours} json-logic-js={theirs}")
    return sorted(bad, key=len)


@pytest.mark.parametrize("group", ["table", "errors", "malformed", "random"])
def test_matches_json_logic_js(node_outcomes: dict[str, list[Any]], group: str) -> None:
    mismatches = _mismatches(node_outcomes[group])
    assert not mismatches, f"{len(mismatches)} differ, shortest first:\n" + "\n".join(mismatches[:15])


def test_table_throws_where_expected(node_outcomes: dict[str, list[Any]]) -> None:
    assert all(theirs == ("error",) for _, theirs in node_outcomes["errors"] + node_outcomes["malformed"])


def test_random_cases_cover_both_outcomes(node_outcomes: dict[str, list[Any]]) -> None:
    outcomes = [theirs for _, theirs in node_outcomes["random"]]
    assert len(outcomes) >= RANDOM_CASES // 2
    assert ("error",) in outcomes
    assert sum(o != ("error",) for o in outcomes) > len(outcomes) // 2


def test_known_differences_are_exactly_those(node_outcomes: dict[str, list[Any]]) -> None:
    for ((rule, data), theirs), (_, _, why) in zip(node_outcomes["known"], KNOWN_DIFFERENCES, strict=True):
        ours = _ours(rule, data)
        assert ours != theirs, f"no longer a difference ({why}): {rule}"
        assert theirs[0] == "result", why  # json-logic-js answers; we reject the rule or read null
