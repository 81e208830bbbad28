"""Timestamps as the API shows them."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso"]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands timestamps back without their zone)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
