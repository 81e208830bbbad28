"""Transition guards (`cond`): json-logic and jmespath, compiled once, judged with JS truthiness."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from arabesque.engine.budget import BudgetExceeded, Meter
from arabesque.engine.errors import StepFailed
from arabesque.engine.jmes import CompiledExpression, JmesError, compile_expression
from arabesque.engine.js import js_truthy
from arabesque.engine.jsonlogic import CompiledRule, LogicError, compile_rule

__all__ = ["Guard", "GuardSyntaxError", "NamedGuard", "compile_guard"]

GUARD_SHAPE = "a guard is {type: 'json-logic' | 'jmespath', options: {rule}}"


class GuardSyntaxError(ValueError):
    """The `cond` cannot be compiled; the message says why."""


@dataclass(frozen=True)
class Guard:
    kind: str
    rule: Any
    compiled: CompiledRule | CompiledExpression
    path: str = ""  # where the definition holds it, for errors

    def passes(self, data: dict[str, Any], meter: Meter) -> bool:
        try:
            if isinstance(self.compiled, CompiledExpression):
                return js_truthy(self.compiled.search(data, meter))
            return js_truthy(self.compiled.evaluate(data, meter))
        except (LogicError, JmesError) as exc:
            raise StepFailed(f"Guard {self.kind} {_short(self.rule)} failed: {exc}") from exc
        except BudgetExceeded as exc:
            raise exc.at(self.path or f"{self.kind} guard {_short(self.rule)}") from None


@dataclass(frozen=True)
class NamedGuard:
    """A guard named by string: in Ballerine a code-level guard, which no JSON definition can supply.

    The definition loads (with a warning); taking the transition fails, as it does in Ballerine.
    """

    name: str

    def passes(self, data: dict[str, Any], meter: Meter) -> bool:
        raise StepFailed(f"Unable to evaluate guard '{self.name}': guard '{self.name}' is not implemented")


def compile_guard(cond: Any, path: str = "") -> Guard | NamedGuard:
    if isinstance(cond, str):
        return NamedGuard(cond)
    if not isinstance(cond, dict):
        raise GuardSyntaxError(f"unsupported guard {_short(cond)}: {GUARD_SHAPE}")
    kind, options = cond.get("type"), cond.get("options")
    if kind not in ("json-logic", "jmespath"):
        raise GuardSyntaxError(f"unsupported guard type {_short(kind)}: {GUARD_SHAPE}")
    if not isinstance(options, dict) or "rule" not in options:
        raise GuardSyntaxError(f"{kind} guard without options.rule: {GUARD_SHAPE}")
    rule = options["rule"]
    try:
        if kind == "jmespath":
            if not isinstance(rule, str):
                raise GuardSyntaxError("a jmespath rule must be a string")
            return Guard(kind, rule, compile_expression(rule), path)
        return Guard(kind, rule, compile_rule(rule), path)
    except (LogicError, JmesError) as exc:
        raise GuardSyntaxError(f"invalid {kind} rule: {exc}") from exc


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."
