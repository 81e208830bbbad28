"""Timestamps as the API shows them, and the clock the engine is given."""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["iso", "now_ms"]


def now_ms() -> int:
    """Milliseconds since the epoch: the engine's clock (`Env.now_ms`)."""
    return int(time.time() * 1000)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands timestamps back without their zone)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
