"""The RuleSet engine (spec §4.8) and the risk-rules score (spec §3.9), pure.

`run_rule_set(rule_set, data, now_ms)` returns one result per top-level entry of `rule_set["rules"]`:

* a nested RuleSet → `{status: "PASSED" | "SKIPPED", rule}` (every/some nested result PASSED for and/or);
* a Rule → `{status: "PASSED" | "FAILED", rule}`, or, when evaluating it raised,
  `{status: "FAILED", message, error: {name, message}, rule}`.

Per rule, as the reference: the rule is validated against the operator's zod schema
(`ValidationFailedError "Validation failed for 'rule', message: parsing failed, error: <zod issues>"`), the
operator is looked up (`OperatorNotFoundError "Unknown operator X"`: IN_CASE_INSENSITIVE passes the schema but
has no implementation), the value is read with lodash `get` (`DataValueNotFoundError "Field <key> is missing
or null"`), the operands are checked (`ValidationFailedError "Validation failed for '<OP>', message: Invalid
condition value|Invalid data value, error: ..."`) and the operator evaluated with JavaScript semantics.

LAST_YEAR compares against `now - years`, truncated to **UTC** midnight (the reference uses the host's local
midnight); date strings are parsed as ISO 8601 (date-only and offset-less date-times as UTC). EXISTS needs a
zod schema object, which JSON cannot carry, so it always fails validation here.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from arabesque.engine.budget import Meter
from arabesque.engine.js import js_less_than, js_property, js_strict_equal, js_truthy

__all__ = ["OPERATIONS", "RuleError", "get_path", "risk_score", "run_rule_set"]

OPERATIONS = (
    "EQUALS", "NOT_EQUALS", "BETWEEN", "GT", "LT", "GTE", "LTE", "LAST_YEAR", "EXISTS", "IN", "NOT_IN",
    "IN_CASE_INSENSITIVE", "AML_CHECK",
)  # fmt: skip
_IMPLEMENTED = frozenset(OPERATIONS) - {"IN_CASE_INSENSITIVE"}
_AML_KEYS = frozenset(
    ["countries.length", "matchTypes.length", "warnings.length", "sanctions.length", "fitnessProbity.length",
     "pep.length", "adverseMedia.length"]
)  # fmt: skip
_BASE_OPS = ("EQUALS", "NOT_EQUALS", "BETWEEN", "GT", "LT", "GTE", "LTE", "IN", "NOT_IN")


class RuleError(Exception):
    """An error raised while evaluating one rule; `name` is the reference's error class name."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message
        super().__init__(message)


def _validation_failed(key: str, message: str, issues: list[dict[str, Any]] | None = None) -> RuleError:
    text = f"Validation failed for '{key}', message: {message}"
    if issues is not None:
        text += f", error: {json.dumps(issues, indent=2, ensure_ascii=False)}"
    return RuleError("ValidationFailedError", text)


# --------------------------------------------------------------------------------------------------
# lodash.get
# --------------------------------------------------------------------------------------------------

_PATH_TOKEN = re.compile(
    r"""[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\\]|\\.)*?)\2)\]|(?=(?:\.|\[\])(?:\.|\[\]|$))"""
)


def _to_path(path: str) -> list[str]:
    out: list[str] = []
    if path.startswith("."):
        out.append("")
    for m in _PATH_TOKEN.finditer(path):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(re.sub(r"\\(.)", r"\1", m.group(3)))
        else:
            out.append(m.group(0))
    return out


def get_path(data: Any, path: Any) -> Any:
    """lodash `get(data, path)` for JSON data (None for undefined)."""
    if isinstance(path, list):
        parts = [str(p) for p in path]
    elif isinstance(data, dict) and isinstance(path, str) and path in data:
        return data[path]
    elif isinstance(path, str) and re.fullmatch(r"\w*", path):
        parts = [path]
    else:
        parts = _to_path(str(path))
    current = data
    for part in parts:
        if current is None:
            return None
        current = js_property(current, part)
    return current


# --------------------------------------------------------------------------------------------------
# zod-like validation
# --------------------------------------------------------------------------------------------------


def _zod_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number" if math.isfinite(value) else "nan"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _is_primitive(value: Any) -> bool:
    return _zod_type(value) in ("number", "string", "boolean")


def _issue_type(expected: str, value: Any, path: list[Any], *, present: bool = True) -> dict[str, Any]:
    received = _zod_type(value) if present else "undefined"
    message = "Required" if not present else f"Expected {expected}, received {received}"
    return {
        "code": "invalid_type",
        "expected": expected,
        "received": received,
        "path": path,
        "message": message,
    }


def _primitive_issues(value: Any, path: list[Any], present: bool = True) -> list[dict[str, Any]]:
    if present and _is_primitive(value):
        return []
    union_errors = [
        {"issues": [_issue_type(t, value, path, present=present)], "name": "ZodError"}
        for t in ("number", "string", "boolean")
    ]
    return [{"code": "invalid_union", "unionErrors": union_errors, "path": path, "message": "Invalid input"}]


def _primitive_array_issues(value: Any, path: list[Any], present: bool = True) -> list[dict[str, Any]]:
    if not present or not isinstance(value, list):
        return [_issue_type("array", value, path, present=present)]
    issues: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        issues.extend(_primitive_issues(item, [*path, i]))
    return issues


def _object_issues(value: Any, path: list[Any], present: bool = True) -> list[dict[str, Any]] | None:
    if not present or not isinstance(value, dict):
        return [_issue_type("object", value, path, present=present)]
    return None


def _value_issues(operator: str, value: Any, present: bool, path: list[Any]) -> list[dict[str, Any]]:
    """Issues of the operator-specific `value` schema (the condition value)."""
    if operator in ("EQUALS", "NOT_EQUALS", "GT", "LT", "GTE", "LTE"):
        return _primitive_issues(value, path, present)
    if operator in ("IN", "NOT_IN", "IN_CASE_INSENSITIVE"):
        return _primitive_array_issues(value, path, present)
    if operator == "BETWEEN":
        bad = _object_issues(value, path, present)
        if bad is not None:
            return bad
        return [
            *_primitive_issues(value.get("min"), [*path, "min"], "min" in value),
            *_primitive_issues(value.get("max"), [*path, "max"], "max" in value),
        ]
    if operator == "LAST_YEAR":
        bad = _object_issues(value, path, present)
        if bad is not None:
            return bad
        years = value.get("years")
        if "years" not in value or _zod_type(years) != "number":
            return [_issue_type("number", years, [*path, "years"], present="years" in value)]
        if years <= 0:
            return [
                {
                    "code": "too_small", "minimum": 0, "type": "number", "inclusive": False, "exact": False,
                    "message": "Number must be greater than 0", "path": [*path, "years"],
                }
            ]  # fmt: skip
        return []
    if operator == "EXISTS":
        bad = _object_issues(value, path, present)
        if bad is not None:
            return bad
        return [{"code": "custom", "message": "Value must be a Zod schema", "path": [*path, "schema"]}]
    if operator == "AML_CHECK":
        bad = _object_issues(value, path, present)
        if bad is not None:
            return bad
        issues: list[dict[str, Any]] = []
        name = value.get("childWorkflowName")
        if not isinstance(name, str):
            issues.append(
                _issue_type("string", name, [*path, "childWorkflowName"], present="childWorkflowName" in value)
            )
        inner = value.get("operator")
        if inner not in _BASE_OPS:
            issues.append({"code": "invalid_union", "path": path, "message": "Invalid input"})
        else:
            inner_issues = _value_issues(inner, value.get("value"), "value" in value, [*path, "value"])
            if inner_issues:
                issues.append({"code": "invalid_union", "path": path, "message": "Invalid input"})
        return issues
    return []


def _rule_issues(rule: dict[str, Any]) -> list[dict[str, Any]]:
    operator = rule.get("operator")
    if operator not in OPERATIONS:
        options = list(OPERATIONS)
        return [
            {
                "code": "invalid_union_discriminator",
                "options": options,
                "path": ["operator"],
                "message": "Invalid discriminator value. Expected " + " | ".join(f"'{o}'" for o in options),
            }
        ]
    issues: list[dict[str, Any]] = []
    key = rule.get("key")
    if operator == "AML_CHECK":
        if key not in _AML_KEYS:
            issues.append(
                {
                    "received": key,
                    "code": "invalid_enum_value",
                    "options": sorted(_AML_KEYS),
                    "path": ["key"],
                    "message": "Invalid enum value",
                }
            )
    elif not isinstance(key, str):
        issues.append(_issue_type("string", key, ["key"], present="key" in rule))
    issues.extend(_value_issues(operator, rule.get("value"), "value" in rule, ["value"]))
    return issues


# --------------------------------------------------------------------------------------------------
# Operators
# --------------------------------------------------------------------------------------------------


def _gt(a: Any, b: Any) -> bool:
    return js_less_than(b, a) is True


def _lt(a: Any, b: Any) -> bool:
    return js_less_than(a, b) is True


_ISO = re.compile(
    r"([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?"
)


def _parse_date_ms(text: str) -> float:
    """`new Date(text).getTime()` for ISO 8601 strings (offset-less date-times as UTC); NaN otherwise."""
    m = _ISO.fullmatch(text.strip())
    if not m:
        return math.nan
    year, month, day, hh, mi, ss, frac, tz = m.groups()
    try:
        moment = datetime(
            int(year), int(month or 1), int(day or 1), int(hh or 0), int(mi or 0), int(ss or 0),
            int(((frac or "0") + "000")[:3]) * 1000, tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return math.nan
    offset_ms = 0
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        offset_ms = sign * (int(tz[1:3]) * 60 + int(tz[4:6])) * 60_000
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return (moment - epoch).total_seconds() * 1000 - offset_ms


def _years_ago_ms(now_ms: int, years: float) -> float:
    """`d = new Date(now); d.setFullYear(d.getFullYear() - years); d.setHours(0,0,0,0)` in UTC."""
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    year = math.trunc(now.year - years)
    month, day = now.month, now.day
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        month, day = 3, 1  # Feb 29 overflows into Mar 1
    try:
        start = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return -math.inf
    return (start - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000


def _evaluate(operator: str, data_value: Any, condition: Any, now_ms: int) -> bool:
    if operator == "EQUALS":
        return js_strict_equal(data_value, condition)
    if operator == "NOT_EQUALS":
        return not js_strict_equal(data_value, condition)
    if operator == "GT":
        return _gt(data_value, condition)
    if operator == "LT":
        return _lt(data_value, condition)
    if operator == "GTE":
        return js_strict_equal(data_value, condition) or _gt(data_value, condition)
    if operator == "LTE":
        return js_strict_equal(data_value, condition) or _lt(data_value, condition)
    if operator == "BETWEEN":
        lo, hi = condition["min"], condition["max"]
        return (js_strict_equal(data_value, lo) or _gt(data_value, lo)) and (
            js_strict_equal(data_value, hi) or _lt(data_value, hi)
        )
    if operator == "IN":
        return any(js_strict_equal(data_value, c) for c in condition)
    if operator == "NOT_IN":
        return not any(js_strict_equal(data_value, c) for c in condition)
    if operator == "LAST_YEAR":
        if not isinstance(data_value, str):
            kind = "boolean" if isinstance(data_value, bool) else "number" if _is_primitive(data_value) else "object"
            raise _validation_failed(operator, f"Unsupported data type {kind}")
        date_ms = _parse_date_ms(data_value)
        return not math.isnan(date_ms) and date_ms >= _years_ago_ms(now_ms, condition["years"])
    raise RuleError("OperatorNotFoundError", f"Unknown operator {operator}")


def _operand_check(operator: str, data_value: Any, condition: Any) -> None:
    condition_issues = _value_issues(operator, condition, True, [])
    if condition_issues:
        raise _validation_failed(operator, "Invalid condition value", condition_issues)
    if operator in _BASE_OPS or operator == "LAST_YEAR":
        data_issues = _primitive_issues(data_value, [])
        if data_issues:
            raise _validation_failed(operator, "Invalid data value", data_issues)


def _aml_values(data: Any, rule: dict[str, Any], meter: Meter) -> list[Any]:
    if not isinstance(data, dict):
        raise _validation_failed("extract", "parsing failed", [_issue_type("object", data, [])])
    name = rule["value"]["childWorkflowName"]
    child_workflows = data.get("childWorkflows")
    if not isinstance(child_workflows, dict):
        raise RuleError("TypeError", f"Cannot read properties of undefined (reading '{name}')")
    children = child_workflows.get(name)
    hits: list[Any] = []
    if js_truthy(children):
        for child_id in children if isinstance(children, dict) else []:
            found = get_path(children, f"{child_id}.result.vendorResult.aml.hits")
            if isinstance(found, list):
                hits.extend(found)
            else:
                hits.append(found)
    meter.tick(len(hits))
    hits = [h for h in hits if js_truthy(h)]
    if not hits:
        raise RuleError("DataValueNotFoundError", f"Field {rule['key']} is missing or null")
    return [v for v in (get_path(h, rule["key"]) for h in hits) if js_truthy(v)]


def _aml_evaluate(values: list[Any], condition: dict[str, Any], now_ms: int) -> bool:
    inner = condition["operator"]

    def check(value: Any) -> bool:
        if _primitive_issues(value, []):
            return False
        expected = condition.get("value")
        if _value_issues(inner, expected, "value" in condition, []) or not js_truthy(expected):
            return False
        return _evaluate(inner, value, expected, now_ms)

    return any(check(v) for v in values)


def _run_rule(rule: dict[str, Any], data: Any, now_ms: int, meter: Meter) -> bool:
    issues = _rule_issues(rule)
    if issues:
        raise _validation_failed("rule", "parsing failed", issues)
    operator = rule["operator"]
    if operator not in _IMPLEMENTED:
        raise RuleError("OperatorNotFoundError", f"Unknown operator {operator}")
    if operator == "AML_CHECK":
        return _aml_evaluate(_aml_values(data, rule, meter), rule["value"], now_ms)
    value = get_path(data, rule["key"])
    if value is None:
        raise RuleError("DataValueNotFoundError", f"Field {rule['key']} is missing or null")
    _operand_check(operator, value, rule["value"])
    return _evaluate(operator, value, rule["value"], now_ms)


def run_rule_set(rule_set: dict[str, Any], data: Any, now_ms: int, meter: Meter | None = None) -> list[dict[str, Any]]:
    """`runRuleSet(ruleSet, data)`: one result per top-level entry (the top-level operator is not applied).

    `meter` (default: `Limits()`) counts the hits an AML rule goes through."""
    meter = Meter() if meter is None else meter
    rules = rule_set.get("rules") if isinstance(rule_set, dict) else None
    if not isinstance(rules, list):
        raise TypeError("Cannot read properties of undefined (reading 'map')")
    results: list[dict[str, Any]] = []
    for rule in rules:
        if isinstance(rule, dict) and "key" in rule:
            try:
                status = "PASSED" if _run_rule(rule, data, now_ms, meter) else "FAILED"
                results.append({"status": status, "rule": rule})
            except RuleError as e:
                results.append(
                    {
                        "status": "FAILED",
                        "message": e.message,
                        "error": {"name": e.name, "message": e.message},
                        "rule": rule,
                    }
                )
        else:
            nested = run_rule_set(rule, data, now_ms, meter)
            op = rule.get("operator") if isinstance(rule, dict) else None
            passed = [r["status"] == "PASSED" for r in nested]
            ok = all(passed) if op == "and" else any(passed)
            results.append({"status": "PASSED" if ok else "SKIPPED", "rule": rule})
    return results


def risk_score(rules: list[dict[str, Any]], data: Any, now_ms: int, meter: Meter | None = None) -> dict[str, Any]:
    """The riskRules plugin response (§3.9) for rule items `{id, domain, indicator, riskLevel, baseRiskScore,
    additionalRiskScore, ruleset}`.

    Each item's `result` is its own `result` when it has one (computed by a host), else
    `run_rule_set(ruleset, data, now_ms)`. Items whose results are all PASSED count; they are sorted
    by `baseRiskScore` (descending, stable) and
    `riskScore = first.baseRiskScore + sum(others.additionalRiskScore)` (0 when none count).
    """
    kept: list[dict[str, Any]] = []
    for item in rules:
        ruleset: Any = item.get("ruleset")
        result = item["result"] if "result" in item else run_rule_set(ruleset, data, now_ms, meter)
        full = {**item, "result": result}
        if not isinstance(result, list):
            continue
        if all(isinstance(r, dict) and r.get("status") == "PASSED" for r in result):
            kept.append(full)
    kept.sort(key=lambda it: -_score(it.get("baseRiskScore")))
    score: float = 0
    if kept:
        score = _score(kept[0].get("baseRiskScore")) + sum(_score(it.get("additionalRiskScore")) for it in kept[1:])
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for it in kept:
        by_domain.setdefault(str(it.get("domain")), []).append(
            {"name": it.get("indicator"), "riskLevel": it.get("riskLevel"), "domain": it.get("domain")}
        )
    score_out: int | float = int(score) if float(score).is_integer() else score
    return {
        "riskScore": score_out,
        "riskIndicatorsByDomain": by_domain,
        "rulesResults": kept,
        "success": True,
    }


def _score(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 0.0
