"""JavaScript value semantics for JSON values: the one home of the coercions the engine reproduces.

Values are JSON values as Python holds them (None, bool, int, float, str, list, dict), plus NaN and
+-Infinity as floats and `UNDEFINED` for JavaScript `undefined`. Ints are JavaScript numbers: those beyond
2**53 are rounded to the nearest double as `JSON.parse` would, and those beyond the double range are
+-Infinity. Strings are compared, counted and spread by UTF-16 code units, as JavaScript does.

Module-specific semantics stay where they belong: jmespath.js falsiness and `strictDeepEqual` in
`jmes`, json-logic's truthiness (`[]` is false) in `jsonlogic`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any, Final

__all__ = [
    "JS_WHITESPACE",
    "UNDEFINED",
    "js_entries",
    "js_join",
    "js_less_than",
    "js_loose_equal",
    "js_number_to_string",
    "js_parse_float",
    "js_property",
    "js_spread",
    "js_strict_equal",
    "js_string",
    "js_to_number",
    "js_to_primitive",
    "js_truthy",
    "json_stringify",
]


class _Undefined:
    """JavaScript `undefined`, which is not a JSON value and differs from null."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Final = _Undefined()

# WhiteSpace + LineTerminator: what `\s`, `trim()`, `Number()` and `parseFloat()` skip (Python's
# `str.strip()` would also drop \x1c-\x1f and \x85, and not \ufeff).
JS_WHITESPACE: Final = (
    " \t\n\v\f\r\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

_DECIMAL_RE: Final = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX_RE: Final = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")
_RADIX: Final = {"x": 16, "o": 8, "b": 2}
_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float  # not bool, which is an int subclass


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond the double range is +-Infinity to JavaScript
        return math.inf if value > 0 else -math.inf


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if value is True or value is False:
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def _is_bmp(text: str) -> bool:
    return text.isascii() or all(ord(c) < 0x10000 for c in text)


def _str_lt(a: str, b: str) -> bool:
    if _is_bmp(a) and _is_bmp(b):
        return a < b
    return a.encode("utf-16-be", "surrogatepass") < b.encode("utf-16-be", "surrogatepass")


def js_number_to_string(value: int | float) -> str:
    """`Number.prototype.toString()`: shortest round-trip digits, exponent outside 1e-7 <= |x| < 1e21."""
    if type(value) is int and abs(value) < 2**53:
        return str(value)
    x = _as_float(value)
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    mantissa, _, exp = repr(abs(x)).partition("e")
    int_part, _, frac = mantissa.partition(".")
    all_digits = (int_part + frac).lstrip("0")
    digits = all_digits.rstrip("0")
    k = len(digits)
    n = k + int(exp or 0) - len(frac) + (len(all_digits) - k)
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * -n + digits
    else:
        e = n - 1
        s = (digits[0] + ("." + digits[1:] if k > 1 else "")) + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return "-" + s if x < 0 else s


def js_string(value: Any) -> str:
    """`String(value)`: arrays join their items with commas, objects give `[object Object]`."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is UNDEFINED:
        return "undefined"
    if _is_number(value):
        return js_number_to_string(value)
    if isinstance(value, list):
        return js_join(value, ",")
    return "[object Object]"


def js_join(items: Sequence[Any], sep: str) -> str:
    """`items.join(sep)`: null and undefined items give empty strings."""
    return sep.join("" if x is None or x is UNDEFINED else js_string(x) for x in items)


def js_to_primitive(value: Any) -> Any:
    """`ToPrimitive(value)` with the default hint: arrays and objects become their `String()`."""
    if isinstance(value, list):
        return js_join(value, ",")
    if isinstance(value, dict):
        return "[object Object]"
    return value


def _str_to_number(text: str) -> float:
    text = text.strip(JS_WHITESPACE)
    if not text:
        return 0.0
    if _DECIMAL_RE.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    radix = _RADIX_RE.fullmatch(text)
    if radix:
        try:
            return _as_float(int(radix.group(2), _RADIX[radix.group(1).lower()]))
        except ValueError:  # a digit outside the radix, e.g. 0b12
            return math.nan
    return math.nan


def js_to_number(value: Any) -> float:
    """`Number(value)` (ToNumber); NaN when not convertible."""
    if value is True:
        return 1.0
    if value is False or value is None:
        return 0.0
    if _is_number(value):
        return _as_float(value)
    if isinstance(value, str):
        return _str_to_number(value)
    if isinstance(value, list):
        return _str_to_number(js_join(value, ","))
    return math.nan  # undefined, objects


def js_parse_float(value: Any) -> float:
    """`parseFloat(value)`: the longest decimal prefix of `String(value)` after leading whitespace."""
    match = _DECIMAL_RE.match(js_string(value).lstrip(JS_WHITESPACE))
    return float(match.group().replace("Infinity", "inf")) if match else math.nan


def js_truthy(value: Any) -> bool:
    """`Boolean(value)`: `[]` and `{}` are true; 0, NaN, "", null, undefined and false are false."""
    if value is None or value is False or value is UNDEFINED:
        return False
    if value is True:
        return True
    if _is_number(value):
        return bool(value == value and value != 0)
    if isinstance(value, str):
        return value != ""
    return True


def js_strict_equal(a: Any, b: Any) -> bool:
    """`a === b`: no coercion, NaN unequal to itself, arrays and objects equal only to themselves."""
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "object":
        return a is b
    if kind == "number":
        return _as_float(a) == _as_float(b)
    return bool(a == b)


def js_loose_equal(a: Any, b: Any) -> bool:
    """`a == b`: null equals only undefined, booleans and strings compare as numbers, objects as primitives."""
    ka, kb = _kind(a), _kind(b)
    if ka == kb:
        return js_strict_equal(a, b)
    nullish = ("null", "undefined")
    if ka in nullish or kb in nullish:
        return ka in nullish and kb in nullish
    if ka == "boolean" or kb == "boolean":
        return js_loose_equal(js_to_number(a) if ka == "boolean" else a, js_to_number(b) if kb == "boolean" else b)
    if ka == "object" or kb == "object":
        return js_loose_equal(js_to_primitive(a), js_to_primitive(b))
    return js_to_number(a) == js_to_number(b)  # a number and a string


def js_less_than(a: Any, b: Any) -> bool | None:
    """`a < b` (abstract relational comparison); None stands for `undefined` (a NaN was involved)."""
    pa, pb = js_to_primitive(a), js_to_primitive(b)
    if isinstance(pa, str) and isinstance(pb, str):
        return _str_lt(pa, pb)
    x, y = js_to_number(pa), js_to_number(pb)
    if x != x or y != y:
        return None
    return x < y


def js_entries(value: Any) -> list[tuple[str, Any]]:
    """The own enumerable entries spread and `for...in` see: index keys for arrays and strings (UTF-16 units)."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [(str(i), item) for i, item in enumerate(value)]
    if isinstance(value, str):
        if _is_bmp(value):
            return [(str(i), c) for i, c in enumerate(value)]
        units = value.encode("utf-16-be", "surrogatepass")
        return [(str(i // 2), units[i : i + 2].decode("utf-16-be", "surrogatepass")) for i in range(0, len(units), 2)]
    return []


def js_spread(value: Any) -> dict[str, Any]:
    """`{...value}`: arrays and strings give index keys, other scalars `{}`."""
    return dict(value) if isinstance(value, dict) else dict(js_entries(value))


def _quote(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    if _SURROGATE_RE.search(quoted):  # lone surrogates are escaped (well-formed JSON.stringify)
        quoted = _SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
    return quoted


def json_stringify(value: Any) -> str:
    """`JSON.stringify(value)` (compact): JS number formatting, NaN/Infinity as null, non-ASCII kept."""
    if value is None or value is True or value is False:
        return json.dumps(value)
    if _is_number(value):
        return js_number_to_string(value) if math.isfinite(_as_float(value)) else "null"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list):
        return "[" + ",".join(json_stringify(v) for v in value) + "]"
    if isinstance(value, dict):
        members = (f"{_quote(str(k))}:{json_stringify(v)}" for k, v in value.items() if v is not UNDEFINED)
        return "{" + ",".join(members) + "}"
    return "null"


def js_property(value: Any, key: str) -> Any:
    """`value[key]` for a JSON value: object keys, array/string indexes and `length` (None for undefined)."""
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list | str):
        if key == "length":
            return len(value) if isinstance(value, list) else len(value.encode("utf-16-le")) // 2
        if key.isdigit() and (key == "0" or not key.startswith("0")) and int(key) < len(value):
            return value[int(key)]
    return None
