"""What the use cases read of the settings, installed once per process by the command line (`configure`)."""

from __future__ import annotations

from arabesque.app.limits import ServiceLimits, set_limits
from arabesque.app.webhooks.environment import set_environment_name
from arabesque.settings import Settings

__all__ = ["configure"]


def configure(settings: Settings) -> None:
    """Install the limits (`ARABESQUE_MAX_*`, the time limits) and the webhooks' environment name."""
    set_limits(ServiceLimits.from_settings(settings))
    set_environment_name(settings.environment)
