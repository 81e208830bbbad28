"""Merging of JSON objects for configs and PATCH bodies (objects recursively, everything else replaced)."""

from __future__ import annotations

from typing import Any

__all__ = ["merge_objects"]


def merge_objects(base: dict[str, Any] | None, over: dict[str, Any] | None) -> dict[str, Any]:
    """A new dict: `over` merged into `base`; nested objects merge, arrays and scalars replace."""
    out: dict[str, Any] = dict(base or {})
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_objects(out[key], value)
        else:
            out[key] = value
    return out
