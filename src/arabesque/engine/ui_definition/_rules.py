"""Rules of UI definitions (`{"type": ..., "value": ...}`): checking them on upload and evaluating them.

Engines (collection-flow reference §3.6): `json-logic` and `jmespath` pass when their result is truthy and
see the context plus `uiState`; `json-schema` passes when the context validates and its errors become
field errors; `destination-engine` requires files on documents of `context.documents`. Evaluation is
metered like every rule the engine runs; a rule that errors or goes over budget does not pass.
"""

from __future__ import annotations

from typing import Any, Final

from arabesque.engine.budget import BudgetExceeded, Meter
from arabesque.engine.jmes import JmesError, compile_expression, is_falsy
from arabesque.engine.js import js_truthy
from arabesque.engine.jsonlogic import LogicError, compile_rule
from arabesque.engine.ui_definition._paths import INDEX, PathError, get_path, parse_path
from arabesque.engine.ui_definition._schema_rule import FieldError, check_rule_schema, schema_errors
from arabesque.engine.ui_definition._vocabulary import RULE_TYPES

__all__ = ["DOCUMENT_ERROR_PREFIX", "check_rule", "check_rules", "rule_errors", "rule_passes", "rules_pass"]

DOCUMENT_ERROR_PREFIX: Final = "document-error-"
Problem = tuple[str, str]


def check_rules(rules: object, path: str, *, only: frozenset[str] = RULE_TYPES) -> list[Problem]:
    """Problems with a rule list (absent is fine; Ballerine treats a missing list as no rules)."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        return [(path, "must be a list of rules")]
    problems: list[Problem] = []
    for i, rule in enumerate(rules):
        problems.extend(check_rule(rule, f"{path}[{i}]", only=only))
    return problems


def check_rule(rule: object, path: str, *, only: frozenset[str] = RULE_TYPES) -> list[Problem]:
    """Problems with one rule: its type, and whether its value parses for that engine."""
    if not isinstance(rule, dict) or "type" not in rule:
        return [(path, "must be an object with a type and a value")]
    kind, value = rule.get("type"), rule.get("value")
    if kind not in RULE_TYPES:
        return [(f"{path}.type", f"unknown rule type {kind!r}; known: {', '.join(sorted(RULE_TYPES))}")]
    if kind not in only:
        return [(f"{path}.type", f"rule type {kind!r} is not allowed here; allowed: {', '.join(sorted(only))}")]
    if kind == "json-logic":
        try:
            compile_rule(value)
        except LogicError as exc:
            return [(f"{path}.value", f"json-logic rule does not parse: {exc}")]
    elif kind == "jmespath":
        if not isinstance(value, str):
            return [(f"{path}.value", "a jmespath rule must be an expression string")]
        try:
            compile_expression(value)
        except JmesError as exc:
            return [(f"{path}.value", f"jmespath rule does not parse: {exc}")]
    elif kind == "json-schema":
        if not isinstance(value, dict | bool):
            return [(f"{path}.value", "a json-schema rule must be a JSON Schema object")]
        return [
            (f"{path}.value.{where}" if where else f"{path}.value", f"not a valid JSON Schema: {message}")
            for where, message in check_rule_schema(value)
        ]
    else:
        return _check_destination_rule(value, f"{path}.value")
    return []


def _check_destination_rule(value: object, path: str) -> list[Problem]:
    if not isinstance(value, list):
        return [(path, "a destination-engine rule must be a list of {documentId, destination, required}")]
    problems: list[Problem] = []
    for i, item in enumerate(value):
        at = f"{path}[{i}]"
        if not isinstance(item, dict):
            problems.append((at, "must be an object"))
            continue
        if not isinstance(item.get("documentId"), str) or not item["documentId"]:
            problems.append((f"{at}.documentId", "must be a non-empty string"))
        try:
            parse_path(item.get("destination"), allow_index=False)
        except PathError as exc:
            problems.append((f"{at}.destination", f"path {exc}"))
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems.extend(check_rule(required, f"{at}.required"))
        if "errorMessage" in item and not isinstance(item["errorMessage"], str):
            problems.append((f"{at}.errorMessage", "must be a string"))
    return problems


def _with_index(value: Any, index: int | None) -> Any:
    """A json-logic rule of an array item: `[{INDEX}]` becomes the path segment `.<index>.` (§3.5)."""
    if index is None:
        return value
    if isinstance(value, str):
        return value.replace(f"[{INDEX}]", f".{index}").replace(INDEX, str(index))
    if isinstance(value, list):
        return [_with_index(v, index) for v in value]
    if isinstance(value, dict):
        return {k: _with_index(v, index) for k, v in value.items()}
    return value


def rule_passes(rule: Any, context: Any, ui_state: Any = None, index: int | None = None) -> bool:
    """Whether one rule holds; a rule that errors or goes over budget does not."""
    kind, value = (rule.get("type"), rule.get("value")) if isinstance(rule, dict) else (None, None)
    data = {**context, "uiState": ui_state or {}} if isinstance(context, dict) else context
    try:
        if kind == "json-logic":
            return js_truthy(compile_rule(_with_index(value, index)).evaluate(data, Meter()))
        if kind == "jmespath" and isinstance(value, str):
            return not is_falsy(compile_expression(_with_index(value, index)).search(data, Meter()))
        if kind in ("json-schema", "destination-engine"):
            return not rule_errors(rule, context, ui_state)
    except (LogicError, JmesError, BudgetExceeded, RecursionError):
        return False
    return False


def rules_pass(rules: Any, context: Any, ui_state: Any = None, index: int | None = None) -> bool:
    """All rules of a list hold (an absent or empty list holds)."""
    return all(rule_passes(r, context, ui_state, index) for r in rules or [])


def rule_errors(rule: Any, context: Any, ui_state: Any = None) -> list[FieldError]:
    """The field errors a rule yields: json-schema errors at their context paths, destination-engine
    errors at `document-error-<documentId>`, one error at "" for a failing json-logic or jmespath rule."""
    if not isinstance(rule, dict):
        return []
    kind, value = rule.get("type"), rule.get("value")
    if kind == "json-schema":
        return schema_errors(value, context)
    if kind == "destination-engine":
        return _missing_documents(value, context, ui_state)
    return [] if rule_passes(rule, context, ui_state) else [("", "rule not satisfied")]


def _missing_documents(items: Any, context: Any, ui_state: Any) -> list[FieldError]:
    documents = context.get("documents") if isinstance(context, dict) else None
    by_id = {d.get("id"): d for d in documents or [] if isinstance(d, dict)}
    errors: list[FieldError] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        required = item.get("required", False)
        if not (required is True or (isinstance(required, dict) and rule_passes(required, context, ui_state))):
            continue
        document = by_id.get(item.get("documentId"))
        try:
            present = document is not None and get_path(document, str(item.get("destination", ""))) is not None
        except PathError:
            present = False
        if not present:
            message = item.get("errorMessage") if isinstance(item.get("errorMessage"), str) else "required"
            errors.append((f"{DOCUMENT_ERROR_PREFIX}{item.get('documentId')}", str(message)))
    return errors
