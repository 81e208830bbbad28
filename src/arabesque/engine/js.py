"""JavaScript value semantics Ballerine definitions rely on: `String(v)` and object spread."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["js_spread", "js_string", "json_stringify"]


def js_string(value: Any) -> str:
    """`String(value)` for a JSON value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    return "[object Object]"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def js_spread(value: Any) -> dict[str, Any]:
    """`{...value}`: arrays become index-keyed objects, strings character maps, scalars `{}`."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | str):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def json_stringify(value: Any) -> str:
    """`JSON.stringify(value)` (compact) for a JSON value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
