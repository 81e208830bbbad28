"""The service's limits on what definitions and contexts may cost, from the settings (`arabesque.settings`).

Definitions come from any API key holder, so everything a definition makes the service do is bounded:

- `ARABESQUE_MAX_CONTEXT_BYTES` (default 2097152, 2 MiB): a workflow's context as compact UTF-8 JSON: the
  context sent to `/run`, a PATCH, an event's payload, and the context after every step, merge and plugin
  outcome before it is stored (413).
- `ARABESQUE_MAX_DEFINITION_BYTES` (1048576, 1 MiB), `ARABESQUE_MAX_DEFINITION_STATES` (1000),
  `ARABESQUE_MAX_DEFINITION_PLUGINS` (500, every `extensions` list together): a definition when it is
  created, upgraded or uploaded (413).
- `ARABESQUE_STEP_TIME_LIMIT_SECONDS` (2): the wall-clock time of one step's guards, transformers, rules and
  schemas, and of validating a context or a form against its schema (400).
- `ARABESQUE_MAX_EVALUATION_STEPS` (5000000): the work of one step's evaluations, counted deterministically.
- `ARABESQUE_MAX_VALUE_SIZE` (8000000): the logical size of a value an evaluation builds or walks, roughly its
  JSON length in characters; `ARABESQUE_MAX_VALUE_DEPTH` (200): how deeply it nests.
- `ARABESQUE_REGEX_TIME_LIMIT_SECONDS` (1): one regular-expression match.

A request that goes over an evaluation limit is refused with 400 naming the limit, its variable and where
in the definition the evaluation came from; a plugin response whose handling goes over one becomes the
plugin's error (`errorAction`). The command line reads the settings once and installs the process's limits
(`set_limits(ServiceLimits.from_settings(settings))`) before any use case runs; the use cases read them with
`current_limits` (the defaults until then). A process-wide value rather than a parameter of every use case: the
limits are the same for every request of a process, and the use cases reach them from deep helpers (`env_of`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arabesque.app.errors import InvalidInput, TooLarge
from arabesque.engine import BudgetExceeded, Env
from arabesque.engine import Limits as EvaluationLimits
from arabesque.settings import Settings

__all__ = [
    "LIMIT_VARIABLES",
    "ServiceLimits",
    "budget_error",
    "check_context_size",
    "check_definition_size",
    "current_limits",
    "json_bytes",
    "set_limits",
]

# The variable that sets each evaluation limit, named in the errors so an operator knows what to raise.
LIMIT_VARIABLES = {
    "steps": "ARABESQUE_MAX_EVALUATION_STEPS",
    "value_size": "ARABESQUE_MAX_VALUE_SIZE",
    "depth": "ARABESQUE_MAX_VALUE_DEPTH",
    "time": "ARABESQUE_STEP_TIME_LIMIT_SECONDS",
    "regex": "ARABESQUE_REGEX_TIME_LIMIT_SECONDS",
}
_PLUGIN_GROUPS = ("apiPlugins", "commonPlugins", "childWorkflowPlugins", "dispatchEventPlugins", "statePlugins")


@dataclass(frozen=True)
class ServiceLimits:
    max_context_bytes: int = 2 * 1024 * 1024
    max_definition_bytes: int = 1024 * 1024
    max_definition_states: int = 1000
    max_definition_plugins: int = 500
    step_seconds: float = 2.0
    evaluation: EvaluationLimits = field(default_factory=lambda: EvaluationLimits(step_seconds=2.0))

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceLimits:
        evaluation = EvaluationLimits(
            steps=settings.max_evaluation_steps,
            value_size=settings.max_value_size,
            depth=settings.max_value_depth,
            regex_seconds=settings.regex_time_limit_seconds,
            step_seconds=settings.step_time_limit_seconds,
        )
        return cls(
            max_context_bytes=settings.max_context_bytes,
            max_definition_bytes=settings.max_definition_bytes,
            max_definition_states=settings.max_definition_states,
            max_definition_plugins=settings.max_definition_plugins,
            step_seconds=settings.step_time_limit_seconds,
            evaluation=evaluation,
        )

    def env(self, runtime_id: str, config: dict[str, Any] | None, now_ms: int) -> Env:
        """The engine's `Env` for a step starting now: the evaluation limits, and a clock for the time limit."""
        return Env(runtime_id, config, now_ms, self.evaluation, self.time_left())

    def time_left(self) -> Callable[[], float]:
        """A callable returning the seconds left of a step that starts now."""
        deadline = time.monotonic() + self.step_seconds
        return lambda: deadline - time.monotonic()


_current: ServiceLimits | None = None
_lock = threading.Lock()


def current_limits() -> ServiceLimits:
    """The process's limits: those `set_limits` installed, else the defaults."""
    global _current
    if _current is None:
        with _lock:
            if _current is None:
                _current = ServiceLimits()
    return _current


def set_limits(limits: ServiceLimits | None) -> None:
    """Install the process's limits (None: the defaults); the command line calls it once, tests at will."""
    global _current
    with _lock:
        _current = limits


# --- checks -----------------------------------------------------------------------------------------


def _compact_json(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    except RecursionError:
        raise InvalidInput(
            "The value is nested too deeply", [{"path": "context", "message": "nested too deeply to store"}]
        ) from None


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def json_bytes(value: Any) -> int:
    """The size of `value` as compact UTF-8 JSON; raises InvalidInput when it nests too deeply to print."""
    return _utf8_length(_compact_json(value))


def _check_depth(value: Any, text: str, limit: int, path: str) -> None:
    """400 when `value` (printed as `text`) nests containers deeper than `limit` (`ARABESQUE_MAX_VALUE_DEPTH`):
    the copies and merges a request's value goes through recurse, and Python's recursion limit would end them
    with a 500."""
    if text.count("{") + text.count("[") <= limit:  # it cannot nest deeper than it has brackets: no walk
        return
    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        node, depth = level.pop()
        if depth > limit:
            message = f"nested deeper than {limit} levels (ARABESQUE_MAX_VALUE_DEPTH)"
            raise InvalidInput(f"The value is nested too deeply: {message}", [{"path": path, "message": message}])
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        level.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def check_context_size(context: Any, path: str = "context", limits: ServiceLimits | None = None) -> None:
    """413 when `context` (or a payload that becomes part of it) is over `ARABESQUE_MAX_CONTEXT_BYTES`; 400 when
    it nests deeper than `ARABESQUE_MAX_VALUE_DEPTH`."""
    lim = limits or current_limits()
    limit = lim.max_context_bytes
    text = _compact_json(context)
    _check_depth(context, text, lim.evaluation.depth, path)
    size = _utf8_length(text)
    if size > limit:
        message = f"{size:,} bytes as JSON, over the limit of {limit:,} bytes (ARABESQUE_MAX_CONTEXT_BYTES)"
        raise TooLarge(f"The workflow context is too large: {message}", [{"path": path, "message": message}])


def check_definition_size(record: Any, limits: ServiceLimits | None = None) -> None:
    """413 naming every limit a definition record is over (bytes, states, plugins)."""
    lim = limits or current_limits()
    problems: list[dict[str, str]] = []
    text = _compact_json(record)
    _check_depth(record, text, lim.evaluation.depth, "")
    size = _utf8_length(text)
    if size > lim.max_definition_bytes:
        problems.append(
            {
                "path": "",
                "message": f"{size:,} bytes as JSON, over the limit of {lim.max_definition_bytes:,} bytes "
                "(ARABESQUE_MAX_DEFINITION_BYTES)",
            }
        )
    chart = record.get("definition") if isinstance(record, dict) else None
    states = chart.get("states") if isinstance(chart, dict) else None
    if isinstance(states, dict) and len(states) > lim.max_definition_states:
        problems.append(
            {
                "path": "definition.states",
                "message": f"{len(states):,} states, over the limit of {lim.max_definition_states:,} "
                "(ARABESQUE_MAX_DEFINITION_STATES)",
            }
        )
    extensions = record.get("extensions") if isinstance(record, dict) else None
    if isinstance(extensions, dict):
        plugins = sum(len(v) for k, v in extensions.items() if k in _PLUGIN_GROUPS and isinstance(v, list))
        if plugins > lim.max_definition_plugins:
            problems.append(
                {
                    "path": "extensions",
                    "message": f"{plugins:,} plugins, over the limit of {lim.max_definition_plugins:,} "
                    "(ARABESQUE_MAX_DEFINITION_PLUGINS)",
                }
            )
    if problems:
        raise TooLarge("The workflow definition is too large", problems)


def budget_error(exc: BudgetExceeded, fallback_path: str = "definition") -> InvalidInput:
    """The 400 for an evaluation that went over a limit: what, which limit (and its variable), where."""
    variable = LIMIT_VARIABLES.get(exc.limit)
    reason = f"{exc.reason}; the limit is set by {variable}" if variable else exc.reason
    path = exc.path or fallback_path
    return InvalidInput(f"Evaluation budget exceeded at {path}: {exc.reason}", [{"path": path, "message": reason}])
