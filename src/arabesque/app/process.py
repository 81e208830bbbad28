"""What the use cases read of the settings, installed once per process by the command line (`configure`)."""

from __future__ import annotations

from arabesque.app.collection_flow.links import set_public_url
from arabesque.app.limits import ServiceLimits, set_limits
from arabesque.app.webhooks.environment import set_environment_name
from arabesque.settings import Settings

__all__ = ["configure"]


def configure(settings: Settings) -> None:
    """Install the limits (`ARABESQUE_MAX_*`, the time limits), the webhooks' environment name and the public
    address collection-flow links start with."""
    set_limits(ServiceLimits.from_settings(settings))
    set_environment_name(settings.environment)
    set_public_url(settings.public_url)
