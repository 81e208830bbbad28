"""arabesque.engine.js: a table of cases per public function, each with the JavaScript that gives the expected value.

`test_cases_agree_with_node` evaluates every JavaScript expression in node and checks it against the table.
Cases marked "was:" pin a difference between the copies these functions replaced, settled by node.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from arabesque.engine import js
from arabesque.engine.js import (
    JS_WHITESPACE,
    UNDEFINED,
    js_entries,
    js_join,
    js_less_than,
    js_loose_equal,
    js_number_to_string,
    js_parse_float,
    js_property,
    js_spread,
    js_strict_equal,
    js_string,
    js_to_number,
    js_to_primitive,
    js_truthy,
    json_stringify,
)

NAN = math.nan
INF = math.inf
SHARED: list[Any] = [1]

# (function, arguments, expected, JavaScript expression giving the expected value)
Case = tuple[Callable[..., Any], tuple[Any, ...], Any, str]

CASES: list[Case] = [
    # --- property access value[key]
    (js_property, ({"a": 1}, "a"), 1, "({a: 1})['a']"),
    (js_property, ([5, 6], "1"), 6, "[5, 6]['1']"),
    (js_property, ([5, 6], "01"), None, "[5, 6]['01'] ?? null"),
    (js_property, ([5, 6], "length"), 2, "[5, 6].length"),
    (js_property, ("😀a", "length"), 3, "'😀a'.length"),
    (js_property, (3, "a"), None, "(3).a ?? null"),
    # --- Number.prototype.toString
    (js_number_to_string, (1,), "1", "String(1)"),
    (js_number_to_string, (1.0,), "1", "String(1.0)"),
    (js_number_to_string, (0.1,), "0.1", "String(0.1)"),
    (js_number_to_string, (-2.5,), "-2.5", "String(-2.5)"),
    (js_number_to_string, (-0.0,), "0", "String(-0)"),
    (js_number_to_string, (1e21,), "1e+21", "String(1e21)"),
    (js_number_to_string, (1e25,), "1e+25", "String(1e25)"),
    (js_number_to_string, (123456789012345680000.0,), "123456789012345680000", "String(123456789012345680000)"),
    (js_number_to_string, (1e-7,), "1e-7", "String(1e-7)"),
    (js_number_to_string, (0.000001,), "0.000001", "String(0.000001)"),
    (js_number_to_string, (1.5e-5,), "0.000015", "String(1.5e-5)"),  # was: "1.5e-5" (js._number)
    (js_number_to_string, (5e-324,), "5e-324", "String(5e-324)"),
    (js_number_to_string, (NAN,), "NaN", "String(NaN)"),
    (js_number_to_string, (INF,), "Infinity", "String(Infinity)"),
    (js_number_to_string, (-INF,), "-Infinity", "String(-Infinity)"),
    # ints are doubles: was "9007199254740993" and "12345678901234567890" (jmes), "1180591620717411303424" (js)
    (js_number_to_string, (2**53 + 1,), "9007199254740992", "String(9007199254740993)"),
    (js_number_to_string, (12345678901234567890,), "12345678901234567000", "String(12345678901234567890)"),
    (js_number_to_string, (2**70,), "1.1805916207174113e+21", "String(2**70)"),
    (js_number_to_string, (10**400,), "Infinity", "String(Number('1' + '0'.repeat(400)))"),  # was: OverflowError
    # --- String()
    (js_string, (None,), "null", "String(null)"),
    (js_string, (UNDEFINED,), "undefined", "String(undefined)"),
    (js_string, (True,), "true", "String(true)"),
    (js_string, (False,), "false", "String(false)"),
    (js_string, ("é😀",), "é😀", "String('é😀')"),
    (js_string, (3,), "3", "String(3)"),
    (js_string, (1.5e-5,), "0.000015", "String(1.5e-5)"),  # was: "1.5e-5" (js.js_string)
    (js_string, ([1, [2, 3.5]],), "1,2,3.5", "String([1, [2, 3.5]])"),
    (js_string, ([None, UNDEFINED, [None], 1],), ",,,1", "String([null, undefined, [null], 1])"),
    (js_string, ([],), "", "String([])"),
    (js_string, ({"a": 1},), "[object Object]", "String({a: 1})"),
    (js_string, ([{}],), "[object Object]", "String([{}])"),
    # --- Array.prototype.join
    (js_join, ([1, None, "a", UNDEFINED, [2, 3]], "-"), "1--a--2,3", "[1, null, 'a', undefined, [2, 3]].join('-')"),
    (js_join, ([], ","), "", "[].join(',')"),
    # --- ToPrimitive (default hint)
    (js_to_primitive, ([1, 2],), "1,2", "`${[1, 2]}`"),
    (js_to_primitive, ({},), "[object Object]", "`${{}}`"),
    (js_to_primitive, (5,), 5, "5"),
    (js_to_primitive, (None,), None, "null"),
    # --- Number() / ToNumber
    (js_to_number, (None,), 0.0, "Number(null)"),
    (js_to_number, (UNDEFINED,), NAN, "Number(undefined)"),
    (js_to_number, (True,), 1.0, "Number(true)"),
    (js_to_number, ("",), 0.0, "Number('')"),
    (js_to_number, (" 12 ",), 12.0, "Number(' 12 ')"),
    (js_to_number, ("\u3000 12 \ufeff\u2028",), 12.0, "Number('\\u3000 12 \\ufeff\\u2028')"),
    (js_to_number, ("\u180e1",), NAN, "Number('\\u180e1')"),
    (js_to_number, ("\x1c1",), NAN, "Number('\\x1c1')"),
    (js_to_number, ("1e3",), 1000.0, "Number('1e3')"),
    (js_to_number, (".5e1",), 5.0, "Number('.5e1')"),
    (js_to_number, ("5.",), 5.0, "Number('5.')"),
    (js_to_number, ("0x10",), 16.0, "Number('0x10')"),
    (js_to_number, ("0B11",), 3.0, "Number('0B11')"),
    (js_to_number, ("0o17",), 15.0, "Number('0o17')"),
    (js_to_number, ("0b12",), NAN, "Number('0b12')"),
    (js_to_number, ("+0x10",), NAN, "Number('+0x10')"),
    (js_to_number, ("1_0",), NAN, "Number('1_0')"),
    (js_to_number, ("-Infinity",), -INF, "Number('-Infinity')"),
    (js_to_number, ("infinity",), NAN, "Number('infinity')"),
    (js_to_number, ("\u0661\u0662",), NAN, "Number('\\u0661\\u0662')"),  # was: 12 (jmes: `\d` matched these)
    (js_to_number, ("0x" + "f" * 300,), INF, "Number('0x' + 'f'.repeat(300))"),  # was: OverflowError (jmes)
    (js_to_number, (10**400,), INF, "Number('1' + '0'.repeat(400))"),  # was: OverflowError (jmes)
    (js_to_number, ([[" 7 "]],), 7.0, "Number([[' 7 ']])"),
    (js_to_number, ([],), 0.0, "Number([])"),
    (js_to_number, ([1, 2],), NAN, "Number([1, 2])"),
    (js_to_number, ({},), NAN, "Number({})"),
    # --- parseFloat
    (js_parse_float, (" \u00a0-1.5e3abc",), -1500.0, "parseFloat(' \\u00a0-1.5e3abc')"),
    (js_parse_float, (".5.",), 0.5, "parseFloat('.5.')"),
    (js_parse_float, ("Infinityx",), INF, "parseFloat('Infinityx')"),
    (js_parse_float, ("0x10",), 0.0, "parseFloat('0x10')"),
    (js_parse_float, ([" 3.5", 1],), 3.5, "parseFloat([' 3.5', 1])"),
    (js_parse_float, ("\u0661",), NAN, "parseFloat('\\u0661')"),
    (js_parse_float, (True,), NAN, "parseFloat(true)"),
    (js_parse_float, (None,), NAN, "parseFloat(null)"),
    # --- Boolean()
    (js_truthy, ([],), True, "Boolean([])"),
    (js_truthy, ({},), True, "Boolean({})"),
    (js_truthy, ("0",), True, "Boolean('0')"),
    (js_truthy, (" ",), True, "Boolean(' ')"),
    (js_truthy, (-0.5,), True, "Boolean(-0.5)"),
    (js_truthy, (INF,), True, "Boolean(Infinity)"),
    (js_truthy, (0,), False, "Boolean(0)"),
    (js_truthy, (-0.0,), False, "Boolean(-0)"),
    (js_truthy, (NAN,), False, "Boolean(NaN)"),  # was: True (helpers._js_truthy)
    (js_truthy, ("",), False, "Boolean('')"),
    (js_truthy, (None,), False, "Boolean(null)"),
    (js_truthy, (UNDEFINED,), False, "Boolean(undefined)"),
    (js_truthy, (False,), False, "Boolean(false)"),
    # --- ===
    (js_strict_equal, (1, 1.0), True, "1 === 1.0"),
    (js_strict_equal, (NAN, NAN), False, "NaN === NaN"),
    (js_strict_equal, (INF, float("inf")), True, "Infinity === Infinity"),  # was: False (rulesets: identity)
    (js_strict_equal, (True, 1), False, "true === 1"),
    (js_strict_equal, ("1", 1), False, "'1' === 1"),
    (js_strict_equal, (None, None), True, "null === null"),
    (js_strict_equal, (None, UNDEFINED), False, "null === undefined"),
    (js_strict_equal, ([1], [1]), False, "[1] === [1]"),
    (js_strict_equal, (SHARED, SHARED), True, "(a => a === a)([1])"),
    (js_strict_equal, (2**53, 2**53 + 1), True, "9007199254740992 === 9007199254740993"),
    # --- ==
    (js_loose_equal, (None, UNDEFINED), True, "null == undefined"),
    (js_loose_equal, (None, 0), False, "null == 0"),
    (js_loose_equal, (None, False), False, "null == false"),
    (js_loose_equal, ("1", 1), True, "'1' == 1"),
    (js_loose_equal, (True, "1"), True, "true == '1'"),
    (js_loose_equal, (False, []), True, "false == []"),
    (js_loose_equal, ([1], 1), True, "[1] == 1"),
    (js_loose_equal, ([1, 2], "1,2"), True, "[1, 2] == '1,2'"),
    (js_loose_equal, ({}, "[object Object]"), True, "({}) == '[object Object]'"),
    (js_loose_equal, (" \n", 0), True, "' \\n' == 0"),
    (js_loose_equal, (NAN, NAN), False, "NaN == NaN"),
    (js_loose_equal, ({}, {}), False, "({}) == ({})"),
    # --- < (None for undefined, when a NaN is involved)
    (js_less_than, ("a", "b"), True, "'a' < 'b'"),
    (js_less_than, ("10", "9"), True, "'10' < '9'"),
    (js_less_than, ("10", 9), False, "'10' < 9"),
    (js_less_than, (None, 1), True, "null < 1"),
    (js_less_than, ([2], 10), True, "[2] < 10"),
    (js_less_than, ("😀", "\uffff"), True, "'😀' < '\\uffff'"),  # UTF-16 code units, not code points
    (js_less_than, ("a", 1), None, "'a' < 1 || 1 <= 'a' ? 'defined' : undefined"),
    (js_less_than, (UNDEFINED, 1), None, "undefined < 1 || 1 <= undefined ? 'defined' : undefined"),
    (js_less_than, (1, 1), False, "1 < 1"),
    # --- spread and for...in
    (js_spread, ("😀x",), {"0": "\ud83d", "1": "\ude00", "2": "x"}, "({...'😀x'})"),  # was: {"0": "😀", "1": "x"}
    (js_spread, ([1, 2],), {"0": 1, "1": 2}, "({...[1, 2]})"),
    (js_spread, ({"a": 1},), {"a": 1}, "({...{a: 1}})"),
    (js_spread, (5,), {}, "({...5})"),
    (js_spread, (None,), {}, "({...null})"),
    (js_spread, (True,), {}, "({...true})"),
    (js_entries, ("ab",), [("0", "a"), ("1", "b")], "Object.entries('ab')"),
    (js_entries, ([None],), [("0", None)], "Object.entries([null])"),
    (js_entries, (3,), [], "Object.entries(3)"),
    # --- JSON.stringify (compact); was json.dumps in js.json_stringify: "1.0", "1e-07", NaN, raw surrogates
    (json_stringify, ([1.0, 1e-7, 1e21, NAN, -0.0, INF],), "[1,1e-7,1e+21,null,0,null]",
     "JSON.stringify([1.0, 1e-7, 1e21, NaN, -0, Infinity])"),
    (json_stringify, ("\ud800\u2028\x7f\x1f\"é",), '"\\ud800\u2028\x7f\\u001f\\"é"',
     "JSON.stringify('\\ud800\\u2028\\x7f\\x1f\"é')"),
    (json_stringify, ({"é": [True, None], "b": UNDEFINED},), '{"é":[true,null]}',
     "JSON.stringify({é: [true, null], b: undefined})"),
    (json_stringify, ([UNDEFINED],), "[null]", "JSON.stringify([undefined])"),
    (json_stringify, (2**53 + 1,), "9007199254740992", "JSON.stringify(9007199254740993)"),
    (json_stringify, ({},), "{}", "JSON.stringify({})"),
]  # fmt: skip


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return type(actual) is type(expected) and bool(actual == expected)


@pytest.mark.parametrize(("fn", "args", "expected", "js_expr"), CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_case(fn: Callable[..., Any], args: tuple[Any, ...], expected: Any, js_expr: str) -> None:
    assert _same(fn(*args), expected)


def test_spread_copies() -> None:
    value = {"a": 1}
    assert js_spread(value) is not value


def test_every_public_function_has_cases() -> None:
    covered = {fn.__name__ for fn, *_ in CASES}
    functions = {name for name in js.__all__ if callable(getattr(js, name))}
    assert covered == functions


def test_whitespace_is_javascript_s() -> None:
    # [...Array(0x10000).keys()].filter(c => /\s/.test(String.fromCharCode(c))), also what trim() removes
    expected = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F]
    expected += [0x205F, 0x3000, 0xFEFF]
    assert sorted(map(ord, JS_WHITESPACE)) == expected


def _encode(value: Any) -> Any:
    """A Python expected value as the node side encodes it (numbers as their String(), undefined tagged)."""
    if value is UNDEFINED:
        return {"undefined": True}
    if isinstance(value, float):
        return {"number": "NaN" if math.isnan(value) else "0" if value == 0 else js_number_to_string(value)}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"number": js_number_to_string(value)}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


_NODE_SCRIPT = """
const encode = v => typeof v === 'number' ? {number: String(v)}
  : v === undefined ? {undefined: true}
  : Array.isArray(v) ? v.map(encode)
  : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]))
  : v;
const exprs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(exprs.map(e => encode(eval(e)))));
"""


@pytest.mark.node
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_cases_agree_with_node() -> None:
    exprs = [js_expr for *_, js_expr in CASES]
    out = subprocess.run(
        ["node", "-e", _NODE_SCRIPT], input=json.dumps(exprs), capture_output=True, text=True, check=True, timeout=60
    ).stdout
    results = json.loads(out)
    mismatches = []
    for (fn, args, expected, js_expr), got in zip(CASES, results, strict=True):
        want = _encode(UNDEFINED if fn is js_less_than and expected is None else expected)
        if want != got:
            mismatches.append((fn.__name__, args, js_expr, want, got))
    assert mismatches == []
