"""What every plugin shares: the scope it runs in, and compiled transformer chains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from arabesque.engine.budget import BudgetExceeded, Meter
from arabesque.engine.errors import Problem
from arabesque.engine.js import json_stringify
from arabesque.engine.jsonlogic import CompiledRule, LogicError, compile_rule
from arabesque.engine.transformers import CompiledTransformers, TransformError, compile_transformers
from arabesque.engine.types import Effect, Env

__all__ = ["Plugin", "PluginError", "Problems", "StepScope", "TransformChain", "invocation_context", "state_names_of"]


class PluginError(Exception):
    """A plugin failed in a way its own error path (errorAction, pluginsOutput) handles."""


class StepScope(Protocol):
    """The step a plugin runs inside: it reads and replaces the context, emits effects, sends events."""

    env: Env
    state: str
    context: dict[str, Any]
    meter: Meter

    def new_effect_id(self) -> str: ...

    def emit(self, effect: Effect) -> None: ...

    def send(self, event_type: str) -> None: ...


class Plugin(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def state_names(self) -> tuple[str, ...]: ...

    def run(self, scope: StepScope) -> None: ...


def invocation_context(scope: StepScope) -> dict[str, Any]:
    """What plugins see: a shallow copy of the context plus the runtime config and id."""
    return {
        **scope.context,
        "workflowRuntimeConfig": scope.env.config,
        "workflowRuntimeId": scope.env.runtime_id,
    }


class Problems:
    """Collects the errors and warnings found while compiling extensions."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Problem(path, message))


@dataclass(frozen=True)
class _Link:
    mapping: Any
    compiled: CompiledTransformers | CompiledRule
    path: str


@dataclass(frozen=True)
class TransformChain:
    """A transformer list, applied in turn; each failure names the mapping that failed."""

    links: tuple[_Link, ...]

    @classmethod
    def compile(
        cls, raw: Any, path: str, problems: Problems, allowed: frozenset[str] = frozenset({"jmespath", "helper"})
    ) -> TransformChain:
        items = raw if isinstance(raw, list) else [raw]
        links = []
        for i, item in enumerate(items):
            where = f"{path}[{i}]" if isinstance(raw, list) else path
            mapping = item.get("mapping") if isinstance(item, dict) else None
            json_logic = isinstance(item, dict) and item.get("transformer") == "json-logic" and "json-logic" in allowed
            try:
                compiled = compile_rule(mapping) if json_logic else compile_transformers([item], allowed=allowed)
            except (TransformError, LogicError) as exc:
                problems.error(where, str(exc))
                continue
            links.append(_Link(mapping, compiled, where))
        return cls(tuple(links))

    def apply(self, data: Any, now_ms: int, meter: Meter) -> Any:
        """Run the chain; raise PluginError with Ballerine's wording on the first failure, `BudgetExceeded`
        (naming the transformer) when one goes over the meter's limits.

        Each output is checked against the value limits: it is handed on, and may be persisted or sent."""
        for link in self.links:
            try:
                if isinstance(link.compiled, CompiledRule):
                    data = link.compiled.evaluate(data, meter)
                else:
                    data = link.compiled.apply(data, now_ms, meter)
                meter.begin().check(data)
            except (TransformError, LogicError) as exc:
                raise PluginError(
                    f"Error transforming data: {exc} for transformer mapping: {json_stringify(link.mapping)}"
                ) from exc
            except BudgetExceeded as exc:
                raise exc.at(link.path) from None
        return data


def state_names_of(raw: dict[str, Any]) -> tuple[str, ...]:
    names = raw.get("stateNames")
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return tuple(names)
    return ()
