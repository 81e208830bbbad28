"""`@ballerine/rules-engine-lib` (spec §4.7): `createRuleEngine({Provider}).logicRule(rule).evaluate(data)`.

Provider `jmespath` returns the raw `search(data, rule)` result (not coerced to a boolean; the expression is
used as written, without whitespace collapsing); any other provider evaluates the rule as json-logic and
returns json-logic-js's raw `apply` result.
"""

from __future__ import annotations

from typing import Any

from arabesque.engine.budget import Meter
from arabesque.engine.jmes import JmesError, compile_expression
from arabesque.engine.jsonlogic import LogicError, compile_rule

__all__ = ["JmesError", "LogicError", "evaluate_rule"]


def evaluate_rule(provider: str, rule: Any, data: Any, meter: Meter | None = None) -> Any:
    """Evaluate `rule` against `data`; raises `JmesError`/`LogicError` where the provider's library throws,
    `BudgetExceeded` over the meter's limits (default: `Limits()`)."""
    if provider == "jmespath":
        if not isinstance(rule, str):
            raise JmesError(f"a jmespath rule must be a string, got {type(rule).__name__}")
        return compile_expression(rule, collapse=False).search(data, meter)
    return compile_rule(rule).evaluate(data, meter)
