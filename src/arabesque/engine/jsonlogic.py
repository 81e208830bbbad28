"""json-logic evaluation with the semantics of the npm package json-logic-js@2.0.2.

Ballerine's guards are written for json-logic-js, so this module reproduces its behaviour, quirks included:
JavaScript loose equality and relational comparison, `+`/`*` through `parseFloat`, `[]` falsy but `{}` truthy
inside rules, `undefined` from `{"and": []}`, NaN and Infinity from arithmetic, the unevaluated initial value
of `reduce`, multi-key objects as literals.

Why not datalogic-py (the stack's choice, measured 2026-11 with datalogic-py 5.9): 34 of 84 edge cases
differed from json-logic-js, and the gaps that matter cannot be closed from outside the library: the lazy
operators (if, and, or, filter, all, some, none) take `{}` as false under every `truthy_evaluator`, and a
custom operator cannot replace them because it receives its arguments already evaluated; its value model
has no undefined, NaN or Infinity (custom operators exchange JSON text). It was also slower on guard-shaped
work, because every evaluation copies the whole data into Rust: 27-39 us per evaluation of a two-comparison
guard over a 200-key context (170 us once `var` is a custom operator), against about 4 us here.

Values returned: JSON values, with NaN and +-Infinity as Python floats, and JavaScript `undefined` as None
(or dropped from an object, as JSON.stringify does). Arithmetic returns an int when the value is integral.

Deliberate differences from json-logic-js (KNOWN_DIFFERENCES in the differential test checks each one):
- An unknown operator is rejected by `compile_rule`, even in a branch json-logic-js would never reach.
- Members inherited from JavaScript prototypes are not data: `{"var": "toString"}` is null, and an object
  with own keys named `toString`, `valueOf` or `indexOf` is still treated as plain data.
- `log` returns its argument without printing it: the engine does no I/O.

Evaluation is metered (`arabesque.engine.budget`): an iteration (`map`, `filter`, `reduce`, `all`, `some`,
`none`) is charged, per item, the size of the rule it runs; an operation that converts, compares, joins or
copies its arguments (all but `===`, `!==`, `!!`, `!`, `log`) is charged the logical size of the arrays and
objects it is given; the strings `cat` and `substr` build and the result are checked against the limits.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from typing import Any, Final

from arabesque.engine.budget import Meter
from arabesque.engine.js import (
    UNDEFINED,
    js_join,
    js_less_than,
    js_loose_equal,
    js_parse_float,
    js_strict_equal,
    js_string,
    js_to_number,
    js_to_primitive,
    js_truthy,
)

__all__ = ["CompiledRule", "LogicError", "compile_rule"]


class LogicError(Exception):
    """A malformed rule (raised by compile_rule) or a failure while evaluating one."""


_INF: Final = math.inf
_NAN: Final = math.nan

Node = Callable[[Any, Meter], Any]
Operation = Callable[[list[Any], Any], Any]


# --- helpers -----------------------------------------------------------------------------------------

_ARRAY_INDEX_RE: Final = re.compile(r"0|[1-9][0-9]*")


def _is_number(v: Any) -> bool:
    return type(v) is int or type(v) is float  # not bool, which is an int subclass


def _num(x: float) -> int | float:
    """A JS number as JSON would print it: integral values (bar -0 and the imprecise ones) as int."""
    if x.is_integer() and abs(x) < 2**53 and not (x == 0 and math.copysign(1.0, x) < 0):
        return int(x)
    return x


def _to_integer(v: Any) -> float:
    """ToIntegerOrInfinity, kept as a float so that the infinities survive."""
    x = js_to_number(v)
    if x != x:
        return 0.0
    return x if x in (_INF, -_INF) else float(math.trunc(x))


# JavaScript strings are UTF-16: lengths, indexes and ordering count code units, not code points.
def _is_bmp(s: str) -> bool:
    return s.isascii() or all(ord(c) < 0x10000 for c in s)


def _utf16_len(s: str) -> int:
    return len(s) if _is_bmp(s) else len(s.encode("utf-16-le")) // 2


def _utf16_slice(s: str, start: int, end: int) -> str:
    if _is_bmp(s):
        return s[start:end]
    return s.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")


def _lt(a: Any, b: Any, or_equal: bool = False) -> bool:
    """`a < b`, or `a <= b` (true unless `b < a` is true or undefined)."""
    return js_less_than(b, a) is False if or_equal else js_less_than(a, b) is True


def _truthy(value: Any) -> bool:
    """jsonLogic.truthy, used inside rules: JavaScript truthiness except that `[]` is false."""
    if isinstance(value, list):
        return bool(value)
    return js_truthy(value)


def _get(obj: Any, prop: str) -> Any:
    """obj[prop] for JSON values, `undefined` when absent (own properties only, plus `length`)."""
    if isinstance(obj, dict):
        return obj.get(prop, UNDEFINED)
    if isinstance(obj, list | str):
        if prop == "length":
            return len(obj) if isinstance(obj, list) else _utf16_len(obj)
        if _ARRAY_INDEX_RE.fullmatch(prop):
            i = int(prop)
            if isinstance(obj, list):
                return obj[i] if i < len(obj) else UNDEFINED
            return _utf16_slice(obj, i, i + 1) if i < _utf16_len(obj) else UNDEFINED
    return UNDEFINED


# --- operations (arguments already evaluated) --------------------------------------------------------


def _arg(args: list[Any], i: int) -> Any:
    return args[i] if i < len(args) else UNDEFINED


def _var(args: list[Any], data: Any) -> Any:
    path, default = _arg(args, 0), _arg(args, 1)
    not_found = None if default is UNDEFINED else default
    if path is UNDEFINED or path is None or path == "":
        return data
    for prop in js_string(path).split("."):
        if data is None or data is UNDEFINED:
            return not_found
        data = _get(data, prop)
        if data is UNDEFINED:
            return not_found
    return data


def _apply_value(value: Any, data: Any, meter: Meter) -> Any:
    """jsonLogic.apply on a computed value: `missing` re-applies its keys as rules."""
    if isinstance(value, dict | list):
        meter.walk(value)  # compiled here, from data
        return _compile(value)(data, meter)
    return value


def _missing(args: list[Any], data: Any, meter: Meter) -> list[Any]:
    keys = args[0] if args and isinstance(args[0], list) else args
    missing = []
    for key in keys:
        var_args = key if isinstance(key, list) else [key]
        value = _var([_apply_value(a, data, meter) for a in var_args], data)
        if value is None or value == "":
            missing.append(key)
    return missing


def _missing_some(args: list[Any], data: Any, meter: Meter) -> list[Any]:
    need, options = _arg(args, 0), _arg(args, 1)
    values = options if isinstance(options, list) else [options]
    are_missing = _missing([_apply_value(v, data, meter) for v in values], data, meter)
    if options is None or options is UNDEFINED:
        raise LogicError(f"Cannot read properties of {js_string(options)} (reading 'length')")
    present = js_to_number(_get(options, "length")) - len(are_missing)
    return [] if _lt(need, present, or_equal=True) else are_missing


def _reparse(x: float) -> float:
    """parseFloat(String(x)) of a number: the identity, except that -0 prints as "0"."""
    return 0.0 if x == 0 else x


def _plus(args: list[Any], _data: Any) -> Any:
    total = 0.0
    for a in args:  # left to right, as Array.reduce does
        total = _reparse(total) + js_parse_float(a)
    return _num(total)


def _times(args: list[Any], _data: Any) -> Any:
    if not args:
        raise LogicError("Reduce of empty array with no initial value")
    if len(args) == 1:
        return args[0]  # reduce without an initial value never calls back for one element
    product = js_parse_float(args[0])
    for a in args[1:]:
        product = _reparse(product) * js_parse_float(a)
    return _num(product)


def _minus(args: list[Any], _data: Any) -> Any:
    a, b = _arg(args, 0), _arg(args, 1)
    if b is UNDEFINED:
        return _num(-js_to_number(a))
    return _num(js_to_number(a) - js_to_number(b))


def _divide(args: list[Any], _data: Any) -> Any:
    a, b = js_to_number(_arg(args, 0)), js_to_number(_arg(args, 1))
    if b == 0:
        if a != a or a == 0:
            return _NAN
        return _INF if (a > 0) == (math.copysign(1.0, b) > 0) else -_INF
    return _num(a / b)


def _modulo(args: list[Any], _data: Any) -> Any:
    a, b = js_to_number(_arg(args, 0)), js_to_number(_arg(args, 1))
    if a != a or b != b or b == 0 or a in (_INF, -_INF):
        return _NAN
    return _num(a if b in (_INF, -_INF) else math.fmod(a, b))


def _extreme(pick_min: bool) -> Operation:
    def op(args: list[Any], _data: Any) -> Any:
        nums = [js_to_number(a) for a in args]
        if not nums:
            return _INF if pick_min else -_INF
        if any(n != n for n in nums):
            return _NAN
        best = min(nums) if pick_min else max(nums)
        if best == 0:  # Math.min/max order -0 below +0
            signs = [math.copysign(1.0, n) for n in nums if n == 0]
            best = math.copysign(0.0, min(signs) if pick_min else max(signs))
        return _num(best)

    return op


def _substr(args: list[Any], _data: Any) -> str:
    source, start, end = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if _lt(end, 0):
        # json-logic-js emulates PHP here: drop -end characters from the end, computing
        # `temp.length + end` with JavaScript `+` (string concatenation when end is a string).
        temp = _js_substr(js_string(source), start, UNDEFINED)
        end_prim = js_to_primitive(end)
        length: Any = (
            str(_utf16_len(temp)) + end_prim if isinstance(end_prim, str) else _utf16_len(temp) + js_to_number(end_prim)
        )
        return _js_substr(temp, 0, length)
    return _js_substr(js_string(source), start, end)


def _js_substr(s: str, start: Any, length: Any) -> str:
    size = _utf16_len(s)
    begin = _to_integer(start)
    begin = max(size + begin, 0) if begin < 0 else min(begin, size)
    span = size if length is UNDEFINED else _to_integer(length)
    stop = min(begin + span, size)
    return _utf16_slice(s, int(begin), int(stop)) if stop > begin else ""


def _in(args: list[Any], _data: Any) -> bool:
    needle, haystack = _arg(args, 0), _arg(args, 1)
    if not js_truthy(haystack):
        return False
    if isinstance(haystack, str):
        return js_string(needle) in haystack
    if isinstance(haystack, list):
        return any(js_strict_equal(needle, x) for x in haystack)
    return False  # no indexOf


def _merge(args: list[Any], _data: Any) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, list):
            out.extend(a)
        else:
            out.append(a)
    return out


def _binary(fn: Callable[[Any, Any], bool]) -> Operation:
    return lambda args, _data: fn(_arg(args, 0), _arg(args, 1))


def _between(or_equal: bool) -> Operation:
    def op(args: list[Any], _data: Any) -> bool:
        a, b, c = _arg(args, 0), _arg(args, 1), _arg(args, 2)
        if c is UNDEFINED:
            return _lt(a, b, or_equal)
        return _lt(a, b, or_equal) and _lt(b, c, or_equal)

    return op


_OPERATIONS: Final[dict[str, Operation]] = {
    "==": _binary(js_loose_equal),
    "===": _binary(js_strict_equal),
    "!=": _binary(lambda a, b: not js_loose_equal(a, b)),
    "!==": _binary(lambda a, b: not js_strict_equal(a, b)),
    ">": _binary(lambda a, b: _lt(b, a)),
    ">=": _binary(lambda a, b: _lt(b, a, or_equal=True)),
    "<": _between(or_equal=False),
    "<=": _between(or_equal=True),
    "!!": lambda args, _data: _truthy(_arg(args, 0)),
    "!": lambda args, _data: not _truthy(_arg(args, 0)),
    "%": _modulo,
    "log": lambda args, _data: _arg(args, 0),
    "in": _in,
    "cat": lambda args, _data: js_join(args, ""),
    "substr": _substr,
    "+": _plus,
    "*": _times,
    "-": _minus,
    "/": _divide,
    "min": _extreme(pick_min=True),
    "max": _extreme(pick_min=False),
    "merge": _merge,
    "var": _var,
}
_METERED_OPERATIONS: Final[dict[str, Callable[[list[Any], Any, Meter], Any]]] = {
    "missing": _missing,
    "missing_some": _missing_some,
}
# Operations that never convert or copy their arguments: no walk to pay for.
_SHALLOW: Final = frozenset({"===", "!==", "!!", "!", "log"})
_BUILDS_STRINGS: Final = frozenset({"cat", "substr"})


# --- compilation -------------------------------------------------------------------------------------


def _compile_if(nodes: list[Node]) -> Node:
    def node(data: Any, meter: Meter) -> Any:
        i = 0
        while i < len(nodes) - 1:
            if _truthy(nodes[i](data, meter)):
                return nodes[i + 1](data, meter)
            i += 2
        return nodes[i](data, meter) if len(nodes) == i + 1 else None

    return node


def _compile_and_or(nodes: list[Node], stop_when: bool) -> Node:
    def node(data: Any, meter: Meter) -> Any:
        current: Any = UNDEFINED
        for n in nodes:
            current = n(data, meter)
            if _truthy(current) is stop_when:
                return current
        return current

    return node


def _compile_iteration(op: str, source: Node, run: Node, initial: Any, weight: int) -> Node:
    """`weight`: the size of the rule run per item, counted as each item is taken (so that the host's clock
    is read during a long loop, not only before it)."""

    def counted(x: Any, meter: Meter) -> Any:
        meter.tick(weight)
        return run(x, meter)

    def node(data: Any, meter: Meter) -> Any:
        items = source(data, meter)
        if not isinstance(items, list):
            return {"map": [], "filter": [], "reduce": initial, "all": False, "none": True, "some": False}[op]
        logic: Node = counted
        if len(items) * weight < _PREPAID:  # a short loop is paid for at once
            meter.tick(len(items) * weight)
            logic = run
        if op == "map":
            return [logic(x, meter) for x in items]
        if op == "filter":
            return [x for x in items if _truthy(logic(x, meter))]
        if op == "reduce":
            acc = initial
            for x in items:
                acc = logic({"current": x, "accumulator": acc}, meter)
            return acc
        if not items:
            return op == "none"
        if op == "all":
            return all(_truthy(logic(x, meter)) for x in items)
        hit = any(_truthy(logic(x, meter)) for x in items)
        return hit if op == "some" else not hit

    return node


def _rule_size(rule: Any) -> int:
    """How many nodes a rule has: what running it once costs."""
    if isinstance(rule, list):
        return 1 + sum(_rule_size(r) for r in rule)
    if isinstance(rule, dict):
        return 1 + sum(_rule_size(r) for r in rule.values())
    return 1


_ITERATIONS: Final = frozenset({"map", "filter", "reduce", "all", "none", "some"})


def _compile(rule: Any) -> Node:
    if isinstance(rule, list):
        items = [_compile(r) for r in rule]
        return lambda data, meter: [n(data, meter) for n in items]
    if isinstance(rule, dict):
        if any(not isinstance(k, str) for k in rule):
            raise LogicError(f"object keys must be strings: {rule!r}")
        if len(rule) == 1:
            ((op, values),) = rule.items()
            return _compile_operation(op, values if isinstance(values, list) else [values])
    elif not (rule is None or isinstance(rule, str | bool) or _is_number(rule)):
        raise LogicError(f"not a JSON value: {rule!r}")
    return lambda data, meter: rule  # a literal: scalar, {} or an object with several keys


def _compile_operation(op: str, values: list[Any]) -> Node:
    if op in _ITERATIONS:
        source = _compile(values[0]) if values else _literal(UNDEFINED)
        logic = _compile(values[1]) if len(values) > 1 else _literal(UNDEFINED)
        # reduce's initial value is used as written, never evaluated; other extra arguments are ignored
        initial = values[2] if op == "reduce" and len(values) > 2 else None
        weight = _rule_size(values[1]) if len(values) > 1 else 1
        return _compile_iteration(op, source, logic, initial, weight)
    if op == "var" and all(v is None or isinstance(v, str | int | float) for v in values):
        # The usual `{"var": "a.b"}`: its arguments are literals, nothing to evaluate or to pay for.
        literal_args = list(values)
        return lambda data, meter: _var(literal_args, data)
    args = [_compile(v) for v in values]
    if op in ("if", "?:"):
        return _compile_if(args)
    if op in ("and", "or"):
        return _compile_and_or(args, stop_when=op == "or")
    metered = _METERED_OPERATIONS.get(op)
    if metered is not None:
        run = metered
        return lambda data, meter: run(_walked([n(data, meter) for n in args], meter), data, meter)
    operation = _OPERATIONS.get(op)
    if operation is None:
        raise LogicError(f"Unrecognized operation {op}")
    fn = operation
    if op in _SHALLOW:
        return lambda data, meter: fn([n(data, meter) for n in args], data)
    if op in _BUILDS_STRINGS:
        return lambda data, meter: meter.check(fn(_walked([n(data, meter) for n in args], meter), data))
    if len(args) == 2:  # comparisons, mostly: the guards' hot path, without the loop of `_walked`
        first, second = args

        def binary(data: Any, meter: Meter) -> Any:
            a, b = first(data, meter), second(data, meter)
            if type(a) in _CONTAINERS or type(b) in _CONTAINERS:
                meter.walk(a)
                meter.walk(b)
            return fn([a, b], data)

        return binary
    return lambda data, meter: fn(_walked([n(data, meter) for n in args], meter), data)


_CONTAINERS: Final = frozenset({list, dict})
_PREPAID: Final = 1024  # loops cheaper than this many steps are paid for at once


def _walked(args: list[Any], meter: Meter) -> list[Any]:
    """`args`, once the walk of each array and object among them is paid for."""
    for a in args:
        if type(a) is list or type(a) is dict:
            meter.walk(a)
    return args


def _literal(value: Any) -> Node:
    return lambda data, meter: value


def _export(value: Any) -> Any:
    """The result as a plain JSON value, copied so that callers cannot alias the rule or the data."""
    if value is UNDEFINED:
        return None
    if isinstance(value, list):
        return [_export(v) for v in value]
    if isinstance(value, dict):
        return {k: _export(v) for k, v in value.items() if v is not UNDEFINED}
    return value


class CompiledRule:
    """A rule parsed once; `evaluate` walks the prepared tree without looking at the rule again."""

    __slots__ = ("_node", "rule")

    def __init__(self, rule: Any, node: Node) -> None:
        self.rule = rule
        self._node = node

    def evaluate(self, data: Any, meter: Meter | None = None) -> Any:
        """The rule's result for `data`; raises `LogicError`, or `BudgetExceeded` when the evaluation goes
        over the meter's limits (default: `Limits()`)."""
        meter = Meter() if meter is None else meter.begin()
        try:
            result = self._node(data, meter)
            if type(result) in _CONTAINERS:
                meter.walk(result)  # the export copies it
            return _export(result)
        except RecursionError as exc:
            raise LogicError("Maximum call stack size exceeded") from exc

    def __repr__(self) -> str:
        return f"CompiledRule({self.rule!r})"


def compile_rule(rule: Any) -> CompiledRule:
    """Compile a json-logic rule; raises LogicError for an unknown operator or a non-JSON value."""
    try:
        rule = copy.deepcopy(rule)  # literals are returned by reference: the caller must not change them
        return CompiledRule(rule, _compile(rule))
    except RecursionError as exc:
        raise LogicError("rule nested too deeply") from exc
