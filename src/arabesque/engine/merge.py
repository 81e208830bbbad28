"""The two merge algorithms of the reference (spec §4.6, §3.2), as pure functions.

* `deep_merge_with_options(a, b, option)`: `deepMergeWithOptions`, used by DEEP_MERGE_CONTEXT, with the
  `concat` (default, also for unknown options), `replace`, `by_index` and `by_id` array strategies.
* `merge_to_context(context, value, path)` / `deep_merge(source, target)`: `mergeToContext`/`deepMerge`,
  used to persist plugin output: nested plain objects merge, arrays and scalars from the body replace,
  existing keys are kept.

Neither function mutates its inputs: they return new containers along the changed paths and share the
unchanged subtrees with the inputs, so callers must treat inputs and outputs as immutable values.
JavaScript's object spread and `for...in` are reproduced for the odd inputs the reference tolerates
(spreading a string gives its characters, an array gives index keys, other scalars give nothing).
"""

from __future__ import annotations

from typing import Any

from arabesque.engine.js import js_entries, js_spread, js_string, js_truthy

__all__ = ["ARRAY_MERGE_OPTIONS", "deep_merge", "deep_merge_with_options", "merge_to_context"]

ARRAY_MERGE_OPTIONS = ("by_id", "by_index", "concat", "replace")


def _merge_objects(obj1: Any, obj2: Any) -> dict[str, Any]:
    """`mergeObjects`: a recursive plain-object merge in which arrays (and everything else) replace."""
    result = js_spread(obj1)
    for key, value in js_entries(obj2):
        if isinstance(value, dict) and key in result:
            result[key] = _merge_objects(result[key], value)
        else:
            result[key] = value
    return result


def _is_js_object_type(value: Any) -> bool:
    """`typeof value === 'object'` (true for null, arrays and objects)."""
    return value is None or isinstance(value, list | dict)


def _merge_by_index(arr1: list[Any], arr2: list[Any]) -> list[Any]:
    result: list[Any] = []
    for i in range(max(len(arr1), len(arr2))):
        if i < len(arr1) and i < len(arr2):
            if not _is_js_object_type(arr1[i]) and not _is_js_object_type(arr2[i]):
                result.append(arr2[i])
            else:
                result.append(_merge_objects(arr1[i], arr2[i]))
        else:
            first = arr1[i] if i < len(arr1) else None
            second = arr2[i] if i < len(arr2) else None
            result.append(first if js_truthy(first) else second)
    return result


def _id_key(value: Any) -> tuple[str, Any]:
    """A hashable key with JavaScript `===` identity for an `id` value."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("null", None)
    return ("ref", id(value))


def _merge_by_id(arr1: list[dict[str, Any]], arr2: list[dict[str, Any]]) -> list[dict[str, Any]]:
    combined = [*arr1, *arr2]
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for item in combined:
        groups.setdefault(_id_key(item.get("id")), []).append(item)
    out: list[dict[str, Any]] = []
    for items in groups.values():
        merged: dict[str, Any] = {}
        for item in items:
            merged = _merge_objects(merged, item)
        out.append(merged)
    return out


def _without_ids(arr: list[Any]) -> bool:
    return any(not isinstance(v, dict) or not js_truthy(v.get("id")) for v in arr)


def _merge_arrays(a: list[Any], b: list[Any], option: str) -> list[Any]:
    if option == "replace":
        return b
    if option == "by_id":
        if _without_ids(a) or _without_ids(b):
            return _merge_by_index(a, b)
        return _merge_by_id(a, b)
    if option == "by_index":
        return _merge_by_index(a, b)
    return [*a, *b]


def deep_merge_with_options(a: Any, b: Any, option: str = "concat") -> Any:
    """`deepMergeWithOptions(a, b, option)` (DEEP_MERGE_CONTEXT); unknown options behave as `concat`."""
    if isinstance(a, list) and isinstance(b, list):
        return _merge_arrays(a, b, option)
    if isinstance(a, dict) and isinstance(b, dict):
        result = dict(a)
        for key, b_child in b.items():
            a_child = a.get(key)
            if isinstance(a_child, list) and isinstance(b_child, list):
                result[key] = _merge_arrays(a_child, b_child, option)
            elif isinstance(b_child, dict) and key in result:
                result[key] = deep_merge_with_options(result[key], b_child, option)
            else:
                result[key] = b_child
        return result
    return b


def deep_merge(source: Any, target: Any) -> dict[str, Any]:
    """`deepMerge(source, target)`: `source` (the new body) merged over `target` (the existing value).

    The result is `{...target}`; when both are plain objects each key of `source` is merged in: plain
    objects recurse (or are taken as-is when the target's value is falsy), anything else replaces. A
    non-object `target` is spread (a string gives its characters) and the body is lost, as in the reference.
    """
    output = js_spread(target)
    if isinstance(target, dict) and isinstance(source, dict):
        for key, value in source.items():
            if isinstance(value, dict):
                existing = target.get(key)
                output[key] = deep_merge(value, existing) if js_truthy(existing) else value
            else:
                output[key] = value
    return output


def _array_index(key: str) -> int | None:
    if key.isdigit() and (key == "0" or not key.startswith("0")):
        return int(key)
    return None


def _get(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key)
    if isinstance(container, list):
        index = _array_index(key)
        return container[index] if index is not None and index < len(container) else None
    return None


def _set(container: Any, key: str, value: Any) -> Any:
    """A copy of `container` with `key` set (JavaScript assignment semantics for JSON containers)."""
    if isinstance(container, dict):
        out = dict(container)
        out[key] = value
        return out
    if isinstance(container, list):
        index = _array_index(key)
        if index is None:
            return container  # a named property on an array: invisible in JSON
        out_list = list(container)
        out_list.extend([None] * (index + 1 - len(out_list)))
        out_list[index] = value
        return out_list
    kind = "string" if isinstance(container, str) else "number" if not isinstance(container, bool) else "boolean"
    raise TypeError(f"Cannot create property '{key}' on {kind} '{js_string(container)}'")


def merge_to_context(context: dict[str, Any], value: Any, path: str) -> dict[str, Any]:
    """`mergeToContext(context, value, path)`: a new context with `deepMerge(value, existing)` at `path`.

    The dot path is walked (and created): falsy intermediate values are replaced by `{}`. Raises
    `TypeError` where the reference would (a truthy scalar on the path, e.g. a string).
    """
    keys = path.split(".")

    def walk(node: Any, depth: int) -> Any:
        key = keys[depth]
        current = _get(node, key)
        if depth == len(keys) - 1:
            existing = current if js_truthy(current) else {}
            return _set(node, key, deep_merge(value, existing))
        child = current if js_truthy(current) else {}
        return _set(node, key, walk(child, depth + 1))

    result = walk(context, 0)
    assert isinstance(result, dict)
    return result
