"""Structured logs: one JSON object per line (or a readable line on a terminal), with the ids that apply.

`configure_logging` gives the root logger one handler whose formatter is structlog's: the service's own lines
(`get_logger(...).info("request", method=..., ...)`) and every standard-library logger's (uvicorn's, the
worker's `logging.getLogger(...)` lines) come out alike, with `timestamp`, `level`, `logger` and `event`, then the
fields bound for the request or the effect being handled (`bind_fields`, `annotate`): `request_id`, `project_id`,
`runtime_id`, `effect_id`; and `pid`, the process that wrote it.

Secrets never reach a line: nothing logs a request's headers, query or body, an outbound URL or a secret; the
loggers that would (httpx and httpcore log every URL, with the `{secrets.NAME}` a plugin put in its query;
SQLAlchemy logs statements with their parameters) are held at WARNING whatever the level; and, as a last
guard, every line is scrubbed of the values the settings hold (the master keys, the database password) and of
anything shaped like an API key, a webhook secret or a bearer token.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TextIO

import structlog

__all__ = [
    "annotate",
    "bind_fields",
    "bound_fields",
    "configure_logging",
    "current_fields",
    "get_logger",
    "reset_fields",
]

_FIELDS: ContextVar[dict[str, Any] | None] = ContextVar("arabesque_log_fields", default=None)

# Loggers that would write what must not be written, held at WARNING (see the module docstring).
_QUIET = ("httpx", "httpcore", "sqlalchemy", "urllib3")


def bind_fields(**fields: Any) -> Token[dict[str, Any] | None]:
    """Bind `fields` to every line logged in this context (and the threads it hands work to) until `reset`."""
    current = _FIELDS.get()
    return _FIELDS.set({**current, **fields} if current else fields)


def reset_fields(token: Token[dict[str, Any] | None]) -> None:
    """Undo the `bind_fields` that returned `token`."""
    _FIELDS.reset(token)


@contextmanager
def bound_fields(**fields: Any) -> Iterator[None]:
    token = bind_fields(**fields)
    try:
        yield
    finally:
        _FIELDS.reset(token)


def annotate(**fields: Any) -> None:
    """Add `fields` to those bound by the enclosing `bind_fields`, in place: a use case running in a worker thread
    (a copy of the request's context) thereby adds the project it resolved to the request's own access line. Does
    nothing outside a bound context."""
    current = _FIELDS.get()
    if current is not None:
        current.update(fields)


def current_fields() -> dict[str, Any]:
    return dict(_FIELDS.get() or {})


def _add_fields(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    fields = _FIELDS.get()
    if fields:
        for key, value in fields.items():
            event.setdefault(key, value)
    return event


class _AddPid:
    """`pid`: which process of `serve --workers N` wrote the line (read once: set up in each process)."""

    def __init__(self) -> None:
        self.pid = os.getpid()

    def __call__(self, _logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        event["pid"] = self.pid
        return event


_SHAPES = re.compile(
    r"(?P<key>arb_[0-9a-f]{8}_)[A-Za-z0-9_-]{16,}"  # an API key: its prefix (the key's public id) is kept
    r"|whsec_[A-Za-z0-9+/=]{8,}"  # a webhook signing secret
    r"|(?P<scheme>[Bb]earer\s+)[^\s\"',;]+"  # a bearer token
)


class _Scrub:
    """The last processor: the rendered line without `values` and without key- or token-shaped text."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values = tuple(sorted(set(values), key=len, reverse=True))  # a longer value before its substrings

    def __call__(self, _logger: Any, _method: str, line: Any) -> Any:
        if not isinstance(line, str):
            return line
        for value in self.values:
            if value in line:
                line = line.replace(value, "[redacted]")
        if "arb_" in line or "whsec_" in line or "earer" in line:
            line = _SHAPES.sub(_redacted, line)
        return line


_FIRST = ("timestamp", "level", "event", "logger")


def _in_order(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """`timestamp`, `level`, `event`, `logger` first, then the fields: lines read alike, by eye or by grep."""
    first = {key: event.pop(key) for key in _FIRST if key in event}
    first.update(event)
    return first


def _redacted(match: re.Match[str]) -> str:
    return f"{match.group('key') or match.group('scheme') or ''}[redacted]"


class _StandardStream(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to `sys.stdout` or `sys.stderr` as they are when a line is written (a test runner or a
    CLI runner swaps them), not as they were when logging was set up."""

    def __init__(self, name: str) -> None:
        self._which = name
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return getattr(sys, self._which)  # type: ignore[no-any-return]

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(
    format: str | None = None,
    level: str = "info",
    stream: TextIO | None = None,
    redact: Sequence[str] = (),
) -> None:
    """Send every log line to `stream` (default stdout) as JSON (`format` "json") or for a person ("console");
    None picks console on a terminal, JSON otherwise. `redact`: values no line may show. Idempotent: each call
    replaces the previous set-up (a `serve --workers N` process calls it again with what its parent used)."""
    stream = stream or sys.stdout
    if format is None:
        format = "console" if stream.isatty() else "json"
    shared: list[Any] = [
        _add_fields,
        _AddPid(),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    renderer: Any
    if format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)  # the traceback as one string field, `exception`
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty())
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _in_order,
            renderer,
            _Scrub(redact),
        ],
    )
    standard = {id(sys.stdout): "stdout", id(sys.stderr): "stderr"}.get(id(stream))
    handler = _StandardStream(standard) if standard else logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.set_name("arabesque")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "arabesque"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error"):  # through this handler, whatever a uvicorn log config did before
        uvicorn = logging.getLogger(name)
        uvicorn.handlers.clear()
        uvicorn.propagate = True
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    """A logger whose lines carry keyword fields: `get_logger("arabesque.access").info("request", status=200)`."""
    return structlog.stdlib.get_logger(name)
