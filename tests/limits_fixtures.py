"""A fixture that sets the service's limits for one test, and definitions that go over them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from typing import Any

import pytest

from arabesque.app.limits import ServiceLimits, set_limits
from arabesque.engine import Limits

__all__ = ["CATASTROPHIC", "REDUCE_MERGE", "definition_with_guard", "limits"]

_EVALUATION = {f.name for f in fields(Limits)}

CATASTROPHIC = "^(a|a)+$"  # exponential backtracking on "aaaa…!"
# json-logic: each item doubles the accumulator (issue 9: 25 items took 8.8 s and 500 MB).
REDUCE_MERGE = {
    "reduce": [{"var": "entity.data.items"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]
}


@pytest.fixture
def limits() -> Iterator[Callable[..., ServiceLimits]]:
    """`limits(max_context_bytes=..., steps=..., ...)` sets the process's limits until the test ends."""

    def use(**changes: Any) -> ServiceLimits:
        base = ServiceLimits()
        evaluation = {k: changes.pop(k) for k in list(changes) if k in _EVALUATION}
        step_seconds = changes.get("step_seconds", base.step_seconds)
        chosen = replace(base, evaluation=replace(base.evaluation, step_seconds=step_seconds, **evaluation), **changes)
        set_limits(chosen)
        return chosen

    yield use
    set_limits(None)


def definition_with_guard(name: str, cond: dict[str, Any], context_schema: Any = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": name,
        "name": name,
        "definitionType": "statechart-json",
        "definition": {
            "id": name,
            "initial": "a",
            "states": {"a": {"on": {"GO": [{"target": "b", "cond": cond}]}}, "b": {"type": "final"}},
        },
    }
    if context_schema is not None:
        record["contextSchema"] = {"type": "json-schema", "schema": context_schema}
    return record
