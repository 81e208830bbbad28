"""JMESPath with jmespath.js 0.16 semantics (the library Ballerine uses), built on Python's `jmespath`.

Python's `jmespath` parses the same grammar, so this module reuses its parser and tree interpreter and
patches the places where jmespath.js 0.16 behaves differently:

* whitespace runs in an expression are collapsed to one space before compiling (Ballerine's
  `JmespathTransformer` does this, inside string literals too);
* raw string literals (`'...'`) unescape only the first `\\'` and JSON literals (`` `...` ``) only the
  first `` \\` ``, and a JSON literal that starts with `[`, `{` or `"` must be valid JSON;
* `<`, `<=`, `>`, `>=` use JavaScript's relational comparison on any values (`'a' < 'b'` is true,
  `null < 1` is true, `'10' > 9` is true) and always return a boolean, never null;
* `==`/`!=` use jmespath.js's strict deep equality (`true != 1`, `[true] != [1]`);
* `merge()` only type-checks its first argument; later arguments that are not objects are iterated like
  JavaScript's `for...in` (null/booleans/numbers add nothing, arrays and strings add index keys);
* `to_number()` uses JavaScript's `+value` (`'1e3'` → 1000, `''` → 0, `'0x10'` → 16, `' 12 '` → 12);
* `to_string()` is `JSON.stringify` (no spaces, `1.0` → `"1"`, non-ASCII kept);
* `sort()` is JavaScript's default sort (by `String(x)`, so numbers sort as strings: `[1, 10, 9]`);
* `sort_by()`, `length()`, `reverse()` order/count strings by UTF-16 code units;
* `min_by()`/`max_by()` use JavaScript `<`/`>` against ±Infinity (non-numeric string keys give null);
* `contains()` on a string converts the needle with `String()`, on an array it uses `===` (objects and
  arrays match only the very same object).

Not replicated: `max()`/`min()` on strings use `localeCompare` in jmespath.js (ICU collation); here they
compare by code point. Property lookups of `Object.prototype` names (`constructor`, `toString`) give
functions in jmespath.js and null here. JavaScript's ordering of integer-like object keys is not
reproduced. jmespath.js accepts unterminated `'...'`/`` `...` `` literals; here they are syntax errors.

Search results may share structure with the input data: callers must treat both as immutable.

Evaluation is metered (`arabesque.engine.budget`): each projected element is charged the size of the
expression that runs for it, functions the length of their arguments, and comparisons, `to_string`, `join`,
`contains` and `sort` the logical size of what they walk. Strings a function builds are checked against the
value size limit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from jmespath import exceptions as jexc
from jmespath import functions as jfun
from jmespath import lexer as jlexer
from jmespath import parser as jparser
from jmespath import visitor as jvisitor

from arabesque.engine.budget import Meter
from arabesque.engine.js import JS_WHITESPACE, js_entries, js_less_than, js_string, js_to_number, json_stringify

__all__ = [
    "CompiledExpression",
    "JmesError",
    "collapse_whitespace",
    "compile_expression",
    "is_falsy",
    "search",
    "strict_deep_equal",
]


class JmesError(Exception):
    """A JMESPath syntax error (at compile time) or evaluation error (at search time)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


_WS_RUN = re.compile(f"[{re.escape(JS_WHITESPACE)}]+")


def collapse_whitespace(expr: str) -> str:
    """`expr.replace(/\\s+/g, ' ')`."""
    return _WS_RUN.sub(" ", expr)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _normalize_number(value: float) -> int | float:
    """A JS number as a Python value: integral finite values that fit a double exactly become ints."""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return int(value)
    return value


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def _js_compare(op: str, a: Any, b: Any) -> bool:
    if op == "lt":
        return js_less_than(a, b) is True
    if op == "gt":
        return js_less_than(b, a) is True
    if op == "lte":
        r = js_less_than(b, a)
        return r is False
    if op == "gte":
        r = js_less_than(a, b)
        return r is False
    raise JmesError(f"Unknown comparator: {op}")


def strict_deep_equal(a: Any, b: Any) -> bool:
    """jmespath.js `strictDeepEqual`: `===` on scalars (booleans are not numbers), deep on arrays/objects."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(strict_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(strict_deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None


def is_falsy(value: Any) -> bool:
    """JMESPath falsiness: `""`, `false`, `null`, `[]`, `{}`."""
    if value is None or value is False:
        return True
    if isinstance(value, str | list | dict):
        return len(value) == 0
    return False


# --------------------------------------------------------------------------------------------------
# Lexer / parser
# --------------------------------------------------------------------------------------------------


def _looks_like_json(text: str) -> bool:
    if text == "":
        return False
    if text[0] in '[{"' or text in ("true", "false", "null"):
        return True
    if text[0] in "-0123456789":
        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    return False


def _js_json_parse(text: str) -> Any:
    # JSON.parse rejects NaN/Infinity, which Python's json accepts.
    def reject(name: str) -> Any:
        raise ValueError(f"Unexpected token {name}")

    return json.loads(text, parse_constant=reject)


_Lexer: Any = jlexer.Lexer
_Parser: Any = jparser.Parser
_Functions: Any = jfun.Functions
_TreeInterpreter: Any = jvisitor.TreeInterpreter
_SIGNATURE: Any = jfun.signature
_F = TypeVar("_F", bound=Callable[..., Any])


class _JsLexer(_Lexer):  # type: ignore[misc]
    def _consume_literal(self) -> dict[str, Any]:
        start = self._position
        lexeme = self._consume_until("`").lstrip(JS_WHITESPACE).replace("\\`", "`", 1)
        try:
            value = _js_json_parse(lexeme) if _looks_like_json(lexeme) else _js_json_parse(f'"{lexeme}"')
        except ValueError as e:
            raise jexc.LexerError(
                lexer_position=start, lexer_value=self._expression[start:], message=f"Bad token {lexeme}: {e}"
            ) from None
        return {"type": "literal", "value": value, "start": start, "end": self._position - start}

    def _consume_raw_string_literal(self) -> dict[str, Any]:
        start = self._position
        lexeme = self._consume_until("'").replace("\\'", "'", 1)
        return {"type": "literal", "value": lexeme, "start": start, "end": self._position - start}


class _JsParser(_Parser):  # type: ignore[misc]
    def _parse(self, expression: str) -> Any:
        self.tokenizer = _JsLexer().tokenize(expression)
        self._tokens = list(self.tokenizer)
        self._index = 0
        parsed = self._expression(binding_power=0)
        if self._current_token() != "eof":
            t = self._lookahead_token(0)
            raise jexc.ParseError(t["start"], t["value"], t["type"], f"Unexpected token: {t['value']}")
        return parsed


# --------------------------------------------------------------------------------------------------
# Functions and interpreter
# --------------------------------------------------------------------------------------------------


def _signature(*arguments: dict[str, Any]) -> Callable[[_F], _F]:
    decorator: Callable[[_F], _F] = _SIGNATURE(*arguments)
    return decorator


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "expref"


def _weight(node: Any) -> int:
    """The number of nodes of an AST subtree: what evaluating it once costs, kept in the node."""
    weight = node.get("_w")
    if weight is None:
        weight = 1 + sum(_weight(c) for c in node.get("children", ()) if isinstance(c, dict))
        node["_w"] = weight
    return int(weight)


def _visit_each(expref: Any, items: list[Any]) -> list[Any]:
    """The expression reference applied to each item, each application counted on the meter."""
    meter: Meter = expref.interpreter.meter
    weight = _weight(expref.expression)
    out = []
    for item in items:
        meter.tick(weight)
        out.append(expref.visit(expref.expression, item))
    return out


_CONTAINERS = frozenset({list, dict})
_PREPAID = 1024  # loops cheaper than this many steps are paid for at once
# Functions that walk their arguments entirely (print, join, compare or sort their members).
_WALKING = frozenset({"to_string", "join", "contains", "sort"})


class _JsFunctions(_Functions):  # type: ignore[misc]
    @_signature({"types": ["expref"]}, {"types": ["array"]})
    def _func_map(self, expref: Any, arg: list[Any]) -> list[Any]:
        return _visit_each(expref, arg)

    @_signature({"types": ["object"], "variadic": True})
    def _func_merge(self, *arguments: Any) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for current in arguments:
            merged.update(js_entries(current))
        return merged

    @_signature({"types": []})
    def _func_to_number(self, arg: Any) -> Any:
        if _is_number(arg):
            return arg
        if isinstance(arg, str):
            n = js_to_number(arg)
            if not math.isnan(n):
                return _normalize_number(n)
        return None

    @_signature({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        return arg if isinstance(arg, str) else json_stringify(arg)

    @_signature({"types": ["array-string", "array-number"]})
    def _func_sort(self, arg: list[Any]) -> list[Any]:
        return sorted(arg, key=lambda x: _utf16(js_string(x)))

    @_signature({"types": ["array"]}, {"types": ["expref"]})
    def _func_sort_by(self, array: list[Any], expref: Any) -> list[Any]:
        if not array:
            return list(array)
        keys = _visit_each(expref, array)
        required = _type_name(keys[0])
        if required not in ("number", "string"):
            raise JmesError("TypeError")
        for key in keys:
            if _type_name(key) != required:
                raise JmesError(f"TypeError: expected {required}, received {_type_name(key)}")
        order = sorted(range(len(array)), key=lambda i: _utf16(keys[i]) if required == "string" else keys[i])
        return [array[i] for i in order]

    def _by(self, array: list[Any], expref: Any, want_max: bool) -> Any:
        best: Any = -math.inf if want_max else math.inf
        record: Any = None
        meter: Meter = expref.interpreter.meter
        weight = _weight(expref.expression)
        for item in array:
            meter.tick(weight)
            current = expref.visit(expref.expression, item)
            if _type_name(current) not in ("number", "string"):
                raise JmesError(f"TypeError: expected one of number,string, received {_type_name(current)}")
            better = js_less_than(best, current) if want_max else js_less_than(current, best)
            if better:
                best, record = current, item
        return record

    @_signature({"types": ["array"]}, {"types": ["expref"]})
    def _func_max_by(self, array: list[Any], expref: Any) -> Any:
        return self._by(array, expref, True)

    @_signature({"types": ["array"]}, {"types": ["expref"]})
    def _func_min_by(self, array: list[Any], expref: Any) -> Any:
        return self._by(array, expref, False)

    @_signature({"types": ["string", "array", "object"]})
    def _func_length(self, arg: Any) -> int:
        if isinstance(arg, str):
            return len(_utf16(arg)) // 2
        return len(arg)

    @_signature({"types": ["string", "array"]})
    def _func_reverse(self, arg: Any) -> Any:
        if isinstance(arg, str):
            units = _utf16(arg)
            pairs = [units[i : i + 2] for i in range(0, len(units), 2)]
            return b"".join(reversed(pairs)).decode("utf-16-be", "surrogatepass")
        return list(reversed(arg))

    @_signature({"types": ["string", "array"]}, {"types": []})
    def _func_contains(self, subject: Any, search: Any) -> bool:
        if isinstance(subject, str):
            return js_string(search) in subject
        for item in subject:
            if isinstance(item, list | dict) or isinstance(search, list | dict):
                if item is search:
                    return True
            elif strict_deep_equal(item, search):
                return True
        return False

    @_signature({"types": ["array-number"]})
    def _func_avg(self, arg: list[Any]) -> Any:
        if not arg:
            return None  # NaN in jmespath.js, null once serialised
        return sum(arg) / len(arg)


class _JsInterpreter(_TreeInterpreter):  # type: ignore[misc]
    meter: Meter  # set by `search`

    def visit_comparator(self, node: dict[str, Any], value: Any) -> bool:
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        if type(left) in _CONTAINERS or type(right) in _CONTAINERS:
            self.meter.walk(left)
            self.meter.walk(right)
        op = node["value"]
        if op == "eq":
            return strict_deep_equal(left, right)
        if op == "ne":
            return not strict_deep_equal(left, right)
        return _js_compare(op, left, right)

    def visit_not_expression(self, node: dict[str, Any], value: Any) -> bool:
        return is_falsy(self.visit(node["children"][0], value))

    def _is_false(self, value: Any) -> bool:
        return is_falsy(value)

    def visit_function_expression(self, node: dict[str, Any], value: Any) -> Any:
        args = [self.visit(child, value) for child in node["children"]]
        name = node["value"]
        meter = self.meter
        cost = 0
        for arg in args:
            if type(arg) in _CONTAINERS:
                cost += len(arg)  # type checks and copies pass over the members once
                if name in _WALKING:
                    meter.walk(arg)
        if cost:
            meter.tick(cost)
        result = self._functions.call_function(name, args)
        if type(result) is str and len(result) > 4096:
            meter.check(result)
        return result

    def prepay(self, items: int, weight: int) -> int:
        """Pay for a short loop at once and return 0; a long one pays per item (the host's clock is then
        read during the loop): return what each item costs."""
        total = items * weight
        if total < _PREPAID:
            self.meter.tick(total)
            return 0
        return weight

    def visit_projection(self, node: dict[str, Any], value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if not isinstance(base, list):
            return None
        rhs = node["children"][1]
        weight = self.prepay(len(base), _weight(rhs))
        meter = self.meter
        collected = []
        for element in base:
            if weight:
                meter.tick(weight)
            current = self.visit(rhs, element)
            if current is not None:
                collected.append(current)
        return collected

    def visit_value_projection(self, node: dict[str, Any], value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if not isinstance(base, dict):
            return None
        rhs = node["children"][1]
        weight = self.prepay(len(base), _weight(rhs))
        meter = self.meter
        collected = []
        for element in base.values():
            if weight:
                meter.tick(weight)
            current = self.visit(rhs, element)
            if current is not None:
                collected.append(current)
        return collected

    def visit_filter_projection(self, node: dict[str, Any], value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if not isinstance(base, list):
            return None
        rhs, condition = node["children"][1], node["children"][2]
        weight = self.prepay(len(base), _weight(rhs) + _weight(condition))
        meter = self.meter
        collected = []
        for element in base:
            if weight:
                meter.tick(weight)
            if not is_falsy(self.visit(condition, element)):
                current = self.visit(rhs, element)
                if current is not None:
                    collected.append(current)
        return collected

    def visit_flatten(self, node: dict[str, Any], value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if not isinstance(base, list):
            return None
        meter = self.meter
        meter.tick(len(base))
        merged: list[Any] = []
        for element in base:
            if isinstance(element, list):
                meter.tick(len(element))
                merged.extend(element)
            else:
                merged.append(element)
        return merged

    def visit_slice(self, node: dict[str, Any], value: Any) -> Any:
        if not isinstance(value, list):
            return None
        self.meter.tick((len(value) >> 4) + 1)
        return value[slice(*node["children"])]


_OPTIONS = jvisitor.Options(custom_functions=_JsFunctions())


def _describe(error: Exception) -> str:
    if isinstance(error, jexc.JMESPathError):
        return str(error).replace("\n", " ").strip()
    return f"{type(error).__name__}: {error}"


class CompiledExpression:
    """A compiled JMESPath expression; `search` evaluates it with jmespath.js semantics."""

    __slots__ = ("_ast", "expression", "source")

    def __init__(self, source: str, expression: str, ast: dict[str, Any]) -> None:
        self.source = source  # as written
        self.expression = expression  # after whitespace collapsing
        self._ast = ast

    def search(self, data: Any, meter: Meter | None = None) -> Any:
        """Evaluate against `data`; raises `JmesError` for evaluation errors (bad function arguments...) and
        `BudgetExceeded` when the evaluation goes over the meter's limits (default: `Limits()`)."""
        interpreter = _JsInterpreter(_OPTIONS)
        interpreter.meter = Meter() if meter is None else meter.begin()
        try:
            return interpreter.visit(self._ast, data)
        except JmesError:
            raise
        except (jexc.JMESPathError, TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
            raise JmesError(_describe(e)) from None
        except RecursionError:
            raise JmesError("Maximum call stack size exceeded") from None

    def __repr__(self) -> str:
        return f"CompiledExpression({self.expression!r})"


@lru_cache(maxsize=1024)
def _compile(expression: str) -> CompiledExpression:
    try:
        ast = _JsParser()._do_parse(expression)
    except jexc.JMESPathError as e:
        raise JmesError(_describe(e)) from None
    except RecursionError:
        raise JmesError("expression nested too deeply") from None
    return CompiledExpression(expression, expression, ast)


def compile_expression(expr: str, *, collapse: bool = True) -> CompiledExpression:
    """Collapse whitespace runs to one space (as Ballerine's transformer does), then compile.

    Raises `JmesError` on syntax errors. `collapse=False` compiles the text as written (the helpers
    transformer and guards call jmespath.js's `search` directly, without collapsing).
    """
    if not isinstance(expr, str):
        raise JmesError(f"JMESPath expression must be a string, got {_type_name(expr)}")
    compiled = _compile(collapse_whitespace(expr) if collapse else expr)
    if compiled.source == expr:
        return compiled
    return CompiledExpression(expr, compiled.expression, compiled._ast)


def search(expr: str, data: Any, meter: Meter | None = None) -> Any:
    """`compile_expression(expr).search(data, meter)`."""
    return compile_expression(expr).search(data, meter)
