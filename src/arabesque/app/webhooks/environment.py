"""The `environment` named in every webhook payload (`ARABESQUE_ENVIRONMENT`, default `production`).

Installed once per process by the command line from the settings (`set_environment_name`), like the limits: a
receiver shared by a staging and a production installation tells their deliveries apart by it.
"""

from __future__ import annotations

__all__ = ["environment_name", "set_environment_name"]

_name = "production"


def environment_name() -> str:
    return _name


def set_environment_name(name: str) -> None:
    global _name
    _name = name
