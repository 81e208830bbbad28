"""Subset / exact matching with the `$absent/$any/$type/$contains/$length` matchers (fixtures README §2.2).

`mismatches(expected, actual)` returns a list of human-readable problems (empty = match);
`assert_matches(expected, actual)` raises AssertionError listing them. Standalone: no project imports.

* Subset match: every key of an expected object must match (extra actual keys allowed); arrays must have the
  same length and match element-wise; scalars compare strictly (`True` is not `1`, `1 == 1.0`).
* Exact match (`exact=True`): objects may not have extra keys.
* An expected object whose keys all start with `$` is a matcher. `$absent` passes when the key is missing
  (an actual value of None for a key is NOT absent: JSON `null` is a value).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["assert_matches", "is_matcher", "mismatches", "reference_cases"]

_REFERENCE = Path(__file__).resolve().parent / "fixtures" / "reference"

_MISSING = object()
_MATCHERS = frozenset({"$absent", "$any", "$type", "$contains", "$length"})


def is_matcher(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, str) and k.startswith("$") for k in value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _scalar_equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def _check_matcher(matcher: dict[str, Any], actual: Any, path: str, out: list[str]) -> None:
    unknown = set(matcher) - _MATCHERS
    if unknown:
        out.append(f"{path}: unknown matcher(s) {sorted(unknown)}")
        return
    if "$absent" in matcher:
        if matcher["$absent"] and actual is not _MISSING:
            out.append(f"{path}: expected absent, got {actual!r}")
        if not matcher["$absent"] and actual is _MISSING:
            out.append(f"{path}: expected present, got absent")
        return
    if actual is _MISSING:
        out.append(f"{path}: missing (expected {matcher})")
        return
    if "$type" in matcher and _json_type(actual) != matcher["$type"]:
        out.append(f"{path}: expected type {matcher['$type']}, got {_json_type(actual)} ({actual!r})")
    if "$contains" in matcher:
        needles = matcher["$contains"] if isinstance(matcher["$contains"], list) else [matcher["$contains"]]
        if not isinstance(actual, str):
            out.append(f"{path}: expected a string containing {needles}, got {actual!r}")
        else:
            for needle in needles:
                if needle not in actual:
                    out.append(f"{path}: {actual!r} does not contain {needle!r}")
    if "$length" in matcher and (not isinstance(actual, list) or len(actual) != matcher["$length"]):
        out.append(f"{path}: expected an array of length {matcher['$length']}, got {actual!r}")


def _walk(expected: Any, actual: Any, path: str, exact: bool, out: list[str]) -> None:
    if is_matcher(expected):
        _check_matcher(expected, actual, path, out)
        return
    if actual is _MISSING:
        out.append(f"{path}: missing (expected {expected!r})")
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            out.append(f"{path}: expected an object, got {actual!r}")
            return
        for key, value in expected.items():
            _walk(value, actual.get(key, _MISSING), f"{path}.{key}" if path else str(key), exact, out)
        if exact:
            extra = [k for k in actual if k not in expected]
            if extra:
                out.append(f"{path or '<root>'}: unexpected keys {extra}")
        return
    if isinstance(expected, list):
        if not isinstance(actual, list):
            out.append(f"{path}: expected an array, got {actual!r}")
            return
        if len(expected) != len(actual):
            out.append(f"{path}: expected {len(expected)} items, got {len(actual)}: {actual!r}")
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _walk(e, a, f"{path}[{i}]", exact, out)
        return
    if not _scalar_equal(expected, actual):
        out.append(f"{path or '<root>'}: expected {expected!r}, got {actual!r}")


def mismatches(expected: Any, actual: Any, *, exact: bool = False, path: str = "") -> list[str]:
    """Problems found matching `actual` against `expected` (empty list = match)."""
    out: list[str] = []
    _walk(expected, actual, path, exact, out)
    return out


def assert_matches(expected: Any, actual: Any, *, exact: bool = False) -> None:
    problems = mismatches(expected, actual, exact=exact)
    if problems:
        raise AssertionError("\n".join(problems))


def reference_cases(number: int) -> list[Any]:
    """The cases of case-table fixture `<number>-*.json`, as pytest params with the case name as id."""
    import pytest

    (path,) = _REFERENCE.glob(f"{number}-*.json")
    table = json.loads(path.read_text())
    return [pytest.param(case, id=case["name"]) for case in table["cases"]]
