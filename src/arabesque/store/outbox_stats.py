"""What the outbox holds, for the metrics: pending effects by kind, and how late the oldest due one is."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from arabesque.observability.metrics import OutboxGauges
from arabesque.store.models import OutboxEffect, utcnow
from arabesque.store.session import Database

__all__ = ["outbox_gauges", "outbox_stats"]


def outbox_stats(db: Database) -> tuple[dict[str, int], float]:
    """(pending effects by kind, seconds since the oldest pending effect became due, 0 when none is due): two
    statements on the (status, available_at) index, in one read transaction."""
    now = utcnow()
    with db.read() as s:
        rows = s.execute(
            select(OutboxEffect.effect_type, func.count())
            .where(OutboxEffect.status == "pending")
            .group_by(OutboxEffect.effect_type)
        ).all()
        oldest: datetime | None = s.scalar(
            select(func.min(OutboxEffect.available_at)).where(
                OutboxEffect.status == "pending", OutboxEffect.available_at <= now
            )
        )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    lag = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return {str(kind): int(count) for kind, count in rows}, lag


def outbox_gauges(db: Database) -> OutboxGauges:
    """The Prometheus collector of `outbox_stats(db)`, read at each scrape."""
    return OutboxGauges(lambda: outbox_stats(db))
