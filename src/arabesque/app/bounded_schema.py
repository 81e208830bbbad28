"""`jsonschema` validation of contexts and forms against definitions' schemas, within an evaluation budget.

`jsonschema` matches `pattern`, `patternProperties` and `additionalProperties` (against the pattern
properties) with Python's `re`, which backtracks without limit while holding the GIL: one `^(a|a)+$` froze
the whole process. Here those keywords match ECMAScript patterns through `arabesque.engine.jsregex`
(a timeout per match, the GIL released), every keyword counts a step on the meter, and `uniqueItems` on
arrays of objects (a comparison of every pair) is paid for before it runs. A `BudgetExceeded` names the
schema keyword's path (`contextSchema.schema.properties.id.pattern`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for

from arabesque.engine import BudgetExceeded, Meter
from arabesque.engine.jsregex import PatternError, compile_js

__all__ = ["bounded_errors", "bounded_validator"]

_meter: ContextVar[Meter | None] = ContextVar("arabesque_schema_meter", default=None)
_where: ContextVar[str] = ContextVar("arabesque_schema_path", default="contextSchema.schema")
_root: ContextVar[Any] = ContextVar("arabesque_schema_root", default=None)
_extend: Any = extend  # untyped in the stubs
Keyword = Callable[[Any, Any, Any, Any], Any]


def bounded_validator(schema: dict[str, Any], **kwargs: Any) -> Validator:
    """A validator for `schema` (its `$schema` dialect, Draft 7 by default) with the bounded keywords."""
    base = validator_for(schema, default=Draft7Validator)
    validator: Validator = _bounded(base)(schema, **kwargs)
    return validator


def bounded_errors(validator: Validator, instance: Any, meter: Meter, where: str) -> list[ValidationError]:
    """Every error of `instance`; raise `BudgetExceeded` (its path under `where`, the schema's own path)
    when validating goes over the meter's limits."""
    meter_token, where_token = _meter.set(meter.begin()), _where.set(where)
    root_token = _root.set(validator.schema)
    try:
        return list(validator.iter_errors(instance))
    except RecursionError:
        raise BudgetExceeded("depth", meter.limits.depth, "the schema descends too deeply", where) from None
    except BudgetExceeded as exc:
        raise exc.at(where) from None
    finally:
        _meter.reset(meter_token)
        _where.reset(where_token)
        _root.reset(root_token)


def _current() -> Meter:
    meter = _meter.get()
    return Meter() if meter is None else meter


def _matches(validator: Any, pattern: str, text: str, subschema: Any, keyword: str) -> bool:
    try:
        compiled = compile_js(pattern)
    except PatternError as exc:
        raise _InvalidPattern(f"{pattern!r} is not a valid regular expression: {exc}") from None
    try:
        return compiled.search(text, _current()) is not None
    except BudgetExceeded as exc:
        raise exc.at(_path_of(_root.get(), subschema, _where.get(), keyword)) from None


class _InvalidPattern(Exception):
    pass


def _pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string") or not isinstance(patrn, str):
        return
    try:
        matched = _matches(validator, patrn, instance, schema, "pattern")
    except _InvalidPattern as exc:
        yield ValidationError(str(exc))
        return
    if not matched:
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        _current().tick(len(instance))
        for k, v in instance.items():
            try:
                matched = _matches(validator, pattern, k, schema, f"patternProperties.{pattern}")
            except _InvalidPattern as exc:
                yield ValidationError(str(exc))
                return
            if matched:
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _additional(validator: Any, instance: dict[str, Any], schema: Any) -> list[str]:
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    _current().tick(len(instance) * (1 + len(patterns)))
    extras = []
    for name in instance:
        if name in properties:
            continue
        try:
            if any(_matches(validator, p, name, schema, f"patternProperties.{p}") for p in patterns):
                continue
        except _InvalidPattern:
            pass
        extras.append(name)
    return extras


def _additional_properties(validator: Any, aP: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # jsonschema's own keyword, with the pattern properties matched as ECMAScript patterns.
    if not validator.is_type(instance, "object"):
        return
    extras = _additional(validator, instance, schema)
    if validator.is_type(aP, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], aP, path=extra)
    elif not aP and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {patterns}")
        else:
            listed = ", ".join(repr(each) for each in sorted(extras, key=str))
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(f"Additional properties are not allowed ({listed} {verb} unexpected)")


def _unique_items(original: Keyword) -> Keyword:
    def keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if value and isinstance(instance, list) and any(isinstance(i, list | dict) for i in instance):
            _current().tick(len(instance) * len(instance) // 2)  # compared pair by pair
        return original(validator, value, instance, schema)

    return keyword


def _counted(original: Keyword) -> Keyword:
    def keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        _current().tick()
        return original(validator, value, instance, schema)

    return keyword


@cache
def _bounded(base: Any) -> Any:
    keywords: dict[str, Keyword] = {name: _counted(fn) for name, fn in base.VALIDATORS.items()}
    for name, fn in (
        ("pattern", _pattern),
        ("patternProperties", _pattern_properties),
        ("additionalProperties", _additional_properties),
    ):
        if name in base.VALIDATORS:
            keywords[name] = _counted(fn)
    if "uniqueItems" in base.VALIDATORS:
        keywords["uniqueItems"] = _counted(_unique_items(base.VALIDATORS["uniqueItems"]))
    return _extend(base, keywords)


def _path_of(root: Any, target: Any, prefix: str, keyword: str) -> str:
    """The dotted path of the subschema `target` (found by identity) inside `root`, then `keyword`."""
    stack: list[tuple[Any, str]] = [(root, prefix)]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return f"{path}.{keyword}"
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}") for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node) if isinstance(v, dict | list))
    return f"{prefix}.{keyword}"
