"""What every process does first: read the settings once, set up its logs, report what it did not understand,
install what the use cases read of the settings, and turn tracing on when asked."""

from __future__ import annotations

import logging
from typing import TextIO

from arabesque.app.process import configure
from arabesque.observability.logs import configure_logging
from arabesque.observability.tracing import configure_tracing
from arabesque.settings import Settings, read_settings, unknown_variables

__all__ = ["load_settings", "start_process"]

log = logging.getLogger("arabesque.settings")


def load_settings(log_stream: TextIO | None = None, least_level: str = "debug") -> Settings:
    """The settings of this command (`SettingsError` when one is invalid), with its process started
    (`start_process`, logging nothing less severe than `least_level`) and every unknown `ARABESQUE_*` variable
    reported in a warning line."""
    settings = read_settings()
    start_process(settings, log_stream, least_level)
    for name, close in unknown_variables():
        hint = f"; did you mean {close}?" if close else ""
        log.warning("%s is not a setting and is ignored%s (README.md, Settings)", name, hint)
    return settings


_LEVELS = ("debug", "info", "warning", "error")


def start_process(settings: Settings, log_stream: TextIO | None = None, least_level: str = "debug") -> None:
    """Logs to `log_stream` (stdout by default), the limits and webhook environment, tracing: in the command's
    process, and again in each process of `serve --workers N` with the supervisor's settings."""
    level = max(settings.log_level, least_level, key=_LEVELS.index)
    configure_logging(settings.log_format, level, log_stream, settings.redacted_values())
    configure(settings)
    if settings.otel:
        configure_tracing()
