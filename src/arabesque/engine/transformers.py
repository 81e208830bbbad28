"""The serializable transformer list (spec §4.1): `[{transformer: "jmespath" | "helper", mapping}]`.

Each item is applied to the previous item's output. `jmespath` mappings are compiled with whitespace
collapsed (as Ballerine's `JmespathTransformer` is constructed); `helper`/`helpers` mappings run the
helpers transformer (§4.3) on a copy of the data. Which transformer names a caller accepts is given by
`allowed` (the API and child plugins accept `jmespath`/`helper`, the transformer plugin only `helpers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arabesque.engine.budget import Meter
from arabesque.engine.helpers import TransformError, apply_helpers, validate_helpers
from arabesque.engine.jmes import CompiledExpression, JmesError, compile_expression
from arabesque.engine.js import js_string

__all__ = ["CompiledTransformers", "TransformError", "compile_transformers"]

_HELPER_NAMES = frozenset({"helper", "helpers"})


@dataclass(frozen=True)
class _Step:
    kind: str  # "jmespath" | "helper"
    mapping: Any
    expression: CompiledExpression | None = None


@dataclass(frozen=True)
class CompiledTransformers:
    """A compiled transformer list; `apply` runs the items in turn."""

    steps: tuple[_Step, ...]

    def apply(self, data: Any, now_ms: int, meter: Meter | None = None) -> Any:
        """The output of the last transformer (the input for an empty list); raise `TransformError`, or
        `BudgetExceeded` when the meter's limits (default: `Limits()`) are reached.

        The result may share structure with `data`; neither is mutated.
        """
        meter = Meter() if meter is None else meter
        for step in self.steps:
            if step.expression is not None:
                try:
                    data = step.expression.search(data, meter)
                except JmesError as e:
                    raise TransformError(e.message) from None
            else:
                data = apply_helpers(step.mapping, data, now_ms, meter)
        return data

    def __len__(self) -> int:
        return len(self.steps)


def compile_transformers(
    items: Any, *, allowed: frozenset[str] = frozenset({"jmespath", "helper"})
) -> CompiledTransformers:
    """Compile a transformer list; raise `TransformError` listing every problem (`.problems`)."""
    if not isinstance(items, list):
        raise TransformError("transformers must be an array")
    problems: list[str] = []
    steps: list[_Step] = []
    for i, item in enumerate(items):
        where = f"[{i}]"
        kind = item.get("transformer") if isinstance(item, dict) else None
        if not isinstance(kind, str) or kind not in allowed:
            problems.append(f"{where}: Transformer {js_string(kind)} is not supported")
            continue
        assert isinstance(item, dict)
        mapping = item.get("mapping")
        if kind == "jmespath":
            if not isinstance(mapping, str):
                problems.append(f"{where}: jmespath mapping must be a string")
                continue
            try:
                steps.append(_Step("jmespath", mapping, compile_expression(mapping)))
            except JmesError as e:
                problems.append(f"{where}: invalid jmespath mapping {mapping!r}: {e.message}")
        elif kind in _HELPER_NAMES:
            helper_problems = validate_helpers(mapping)
            if helper_problems:
                problems.extend(f"{where}.mapping{p}" for p in helper_problems)
            else:
                steps.append(_Step("helper", mapping))
        else:
            problems.append(f"{where}: Transformer {kind} is not supported")
    if problems:
        raise TransformError("; ".join(problems), problems)
    return CompiledTransformers(tuple(steps))
