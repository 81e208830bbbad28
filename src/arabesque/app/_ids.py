"""Identifiers the service generates."""

from __future__ import annotations

import uuid

__all__ = ["new_id"]


def new_id() -> str:
    """A new random id (a UUID4 as text): runtimes, entities, files, subscriptions."""
    return str(uuid.uuid4())
