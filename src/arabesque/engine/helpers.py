"""The helpers transformer (`HelpersTransformer`, spec §4.3), pure.

`mapping = [{source, target, method, value?, options?}]` is applied in order. Each entry reads
`v = get(data, source.split('.'))` (a falsy intermediate gives null), computes `method(data, v, value,
options)` and writes it with `set(data, target.split('.'), result)` (missing intermediates become `{}`).
The reference mutates its input; `apply_helpers` works on a deep copy and returns it, and the later entries
see the earlier entries' writes, as in the reference (including `mergeArrayEachItemWithValue`'s
`lodash.merge` into items that live elsewhere in the data).

Methods: `regex` (first match or null), `remove` (the key disappears), `omit` (a copy without the keys in
`value`), `copy` (the value itself), `setTimeToRecordUTC` (`now_ms`), `mergeArrayEachItemWithValue`.
`imageUrlToBase64` needs HTTP and is refused, as are unknown methods (`TransformError`).
"""

from __future__ import annotations

import copy
from typing import Any

from arabesque.engine.budget import Meter
from arabesque.engine.jmes import JmesError, compile_expression
from arabesque.engine.js import js_property, js_string, js_truthy
from arabesque.engine.jsregex import PatternError, compile_js

__all__ = ["HELPER_METHODS", "TransformError", "apply_helpers", "validate_helpers"]

HELPER_METHODS = frozenset(
    [
        "regex",
        "remove",
        "omit",
        "copy",
        "setTimeToRecordUTC",
        "mergeArrayEachItemWithValue",
        "imageUrlToBase64",
    ]
)


class TransformError(Exception):
    """A transformer list could not be compiled or applied; `problems` lists every problem found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems if problems is not None else [message]
        super().__init__(message)


_REMOVED = object()  # `undefined`: the key is deleted when written into an object


def _get_nested(data: Any, path: list[str]) -> Any:
    current = data
    for key in path:
        current = js_property(current, key) if js_truthy(current) else None
    return current


def _assign(container: Any, key: str, value: Any) -> None:
    if isinstance(container, dict):
        if value is _REMOVED:
            container.pop(key, None)
        else:
            container[key] = value
        return
    if isinstance(container, list):
        if key.isdigit() and (key == "0" or not key.startswith("0")):
            index = int(key)
            container.extend([None] * (index + 1 - len(container)))
            container[index] = None if value is _REMOVED else value
        return  # a named property on an array is invisible in JSON
    raise TransformError(f"Cannot create property '{key}' on {type(container).__name__} '{js_string(container)}'")


def _set_nested(data: Any, path: list[str], value: Any) -> None:
    current = data
    for i, key in enumerate(path):
        if i == len(path) - 1:
            _assign(current, key, value)
        else:
            child = js_property(current, key)
            if not js_truthy(child):
                child = {}
                _assign(current, key, child)
            current = child


def _lodash_merge(target: Any, source: Any) -> Any:
    """`lodash.merge(target, source)` for JSON values: mutates and returns `target`."""
    if target is None:
        return _lodash_merge({}, source)  # Object(null) is a fresh object
    if not isinstance(target, dict | list):
        return target  # a primitive wrapper: the merged keys are lost once serialised
    entries = source.items() if isinstance(source, dict) else enumerate(source) if isinstance(source, list) else []
    for raw_key, src_value in entries:
        key: Any = raw_key
        if isinstance(target, list):
            if not isinstance(key, int) and not (isinstance(key, str) and key.isdigit()):
                continue
            key = int(key)
            target.extend([None] * (key + 1 - len(target)))
        elif not isinstance(key, str):
            key = str(key)
        existing = target[key] if isinstance(target, list) else target.get(key)
        if isinstance(src_value, dict | list):
            if isinstance(src_value, list):
                base: Any = existing if isinstance(existing, list) else []
            else:
                base = existing if isinstance(existing, dict | list) else {}
            target[key] = _lodash_merge(base, src_value)
        else:
            target[key] = src_value
    return target


def _regex(data: Any, v: Any, value: Any, options: Any, now_ms: int, meter: Meter) -> Any:
    if not isinstance(v, str):
        if v is None:
            raise TransformError("Cannot read properties of undefined (reading 'match')")
        raise TransformError("attribute.match is not a function")
    pattern = "(?:)" if value is None else js_string(value)
    try:
        compiled = compile_js(pattern)
    except PatternError as e:
        raise TransformError(f"Invalid regular expression: /{pattern}/: {e}") from None
    match = compiled.search(v, meter)
    return match.group(0) if match else None


def _remove(data: Any, v: Any, value: Any, options: Any, now_ms: int, meter: Meter) -> Any:
    return _REMOVED


def _omit(data: Any, v: Any, value: Any, options: Any, now_ms: int, meter: Meter) -> Any:
    if v is None:
        raise TransformError("Cannot convert undefined or null to object")
    if not isinstance(value, list):
        raise TransformError("value is not iterable")
    meter.walk(v)
    result = copy.deepcopy(v)
    for key in value:
        if isinstance(result, dict):
            result.pop(js_string(key), None)
        elif isinstance(result, list) and isinstance(key, int | str) and str(key).isdigit():
            index = int(key)
            if index < len(result):
                result[index] = None
    return result


def _copy(data: Any, v: Any, value: Any, options: Any, now_ms: int, meter: Meter) -> Any:
    return v


def _set_time(data: Any, v: Any, value: Any, options: Any, now_ms: int, meter: Meter) -> Any:
    return now_ms


def _search(data: Any, expression: Any, meter: Meter) -> Any:
    if not isinstance(expression, str):
        raise TransformError(f"mergeArrayEachItemWithValue: a jmespath expression is required, got {expression!r}")
    try:
        return compile_expression(expression, collapse=False).search(data, meter)
    except JmesError as e:
        raise TransformError(e.message) from None


def _merge_each(data: Any, v: Any, value: Any, options: Any, now_ms: int, meter: Meter) -> Any:
    opts = options if isinstance(options, dict) else {}
    items = _search(data, opts.get("mapJmespath"), meter)
    merge_with = _search(data, opts.get("mergeWithJmespath"), meter)
    if not js_truthy(items) or not js_truthy(merge_with):
        return v
    if isinstance(items, list) and len(items) == 0:
        return v
    if not isinstance(items, list):
        raise TransformError("jmespathResult.map is not a function")
    # Each item gets its own copy of `merge_with`: the work and the result grow with both.
    meter.begin()
    cost = meter.size(merge_with)
    meter.tick(len(items) * ((cost >> 4) + 1))
    return [_lodash_merge(item, merge_with) for item in items]


def _image(data: Any, v: Any, value: Any, options: Any, now_ms: int, meter: Meter) -> Any:
    raise TransformError("imageUrlToBase64 is not supported by the pure engine")


_METHODS = {
    "regex": _regex,
    "remove": _remove,
    "omit": _omit,
    "copy": _copy,
    "setTimeToRecordUTC": _set_time,
    "mergeArrayEachItemWithValue": _merge_each,
    "imageUrlToBase64": _image,
}


def apply_helpers(mapping: list[dict[str, Any]], data: Any, now_ms: int, meter: Meter | None = None) -> Any:
    """Apply the helper `mapping` to a deep copy of `data` and return the copy; raise `TransformError`, or
    `BudgetExceeded` when the meter's limits (default: `Limits()`) are reached."""
    meter = Meter() if meter is None else meter.begin()
    meter.walk(data)
    result = copy.deepcopy(data)
    for entry in mapping:
        if not isinstance(entry, dict):
            raise TransformError(f"helper mapping entries must be objects, got {js_string(entry)}")
        source, target, method = entry.get("source"), entry.get("target"), entry.get("method")
        if not isinstance(source, str) or not isinstance(target, str):
            raise TransformError("Cannot read properties of undefined (reading 'split')")
        function = _METHODS.get(method) if isinstance(method, str) else None
        if function is None:
            raise TransformError(f"instanceMethodToInvoke is not a function (unknown helper method {method!r})")
        options = entry.get("options") or {}
        value = function(result, _get_nested(result, source.split(".")), entry.get("value"), options, now_ms, meter)
        _set_nested(result, target.split("."), value)
    return result


def validate_helpers(mapping: Any) -> list[str]:
    """Load-time problems of a helper mapping (empty when it looks runnable)."""
    if not isinstance(mapping, list):
        return ["helper mapping must be an array"]
    problems: list[str] = []
    for i, entry in enumerate(mapping):
        where = f"[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object")
            continue
        for field in ("source", "target"):
            if not isinstance(entry.get(field), str):
                problems.append(f"{where}: {field} is required (a dot path)")
        method = entry.get("method")
        if method == "imageUrlToBase64":
            problems.append(f"{where}: imageUrlToBase64 is not supported by the pure engine")
        elif method not in _METHODS:
            problems.append(f"{where}: unknown helper method {method!r}")
        elif method == "regex":
            try:
                compile_js("(?:)" if entry.get("value") is None else js_string(entry.get("value")))
            except PatternError as e:
                problems.append(f"{where}: invalid regex {entry.get('value')!r}: {e}")
        elif method == "omit" and not isinstance(entry.get("value"), list):
            problems.append(f"{where}: omit needs value: an array of keys")
        elif method == "mergeArrayEachItemWithValue":
            options = entry.get("options")
            for key in ("mapJmespath", "mergeWithJmespath"):
                expr = options.get(key) if isinstance(options, dict) else None
                if not isinstance(expr, str):
                    problems.append(f"{where}: options.{key} is required (a jmespath expression)")
                    continue
                try:
                    compile_expression(expr, collapse=False)
                except JmesError as e:
                    problems.append(f"{where}: options.{key}: {e.message}")
    return problems
