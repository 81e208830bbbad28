"""A case's due date from its runtime's `config.slaHours` (hours after creation), in Python and in SQL.

The SLA is per runtime (the definition's config merged with the invoke's), so two cases of one queue created
in the same order can fall due in another: the list's "Due" sort and the dashboard's overdue count compute
the due date in SQL from each row's own config. A value that is not a positive number means "no SLA", as in
`sla_due`; such cases sort after every dated one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, String, and_, case, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from arabesque.store import Database, WorkflowRuntime

__all__ = ["due_key", "overdue", "sla_due"]


def sla_due(created: datetime, config: dict[str, Any]) -> datetime | None:
    hours = config.get("slaHours")
    if isinstance(hours, int | float) and not isinstance(hours, bool) and hours > 0:
        return created + timedelta(hours=float(hours))
    return None


def _hours(db: Database) -> ColumnElement[Any]:
    """`config.slaHours` as a number when it is a positive JSON number, else NULL (never a cast error)."""
    cfg = WorkflowRuntime.config
    if db.sqlite:
        kind = func.json_type(cfg, "$.slaHours")
        value: Any = func.json_extract(cfg, "$.slaHours")
        is_number: ColumnElement[bool] = kind.in_(("integer", "real"))
    else:
        raw = cfg.op("->", return_type=String())(literal_column("'slaHours'"))
        is_number = func.jsonb_typeof(raw) == "number"
        value = cfg.op("->>", return_type=String())(literal_column("'slaHours'")).cast(Float())
    return case((and_(is_number, value > 0), value), else_=None)


def due_key(db: Database) -> ColumnElement[Any]:
    """A sortable due date per row: a Julian day number on SQLite, a timestamp on PostgreSQL; NULL without SLA."""
    hours = _hours(db)
    if db.sqlite:
        return func.julianday(WorkflowRuntime.created_at) + hours / 24.0
    return WorkflowRuntime.created_at + hours * literal_column("interval '1 hour'")


def overdue(db: Database, now: datetime) -> ColumnElement[bool]:
    """The case's due date has passed at `now` (cases without an SLA are never overdue)."""
    if db.sqlite:
        return due_key(db) < func.julianday(now.strftime("%Y-%m-%d %H:%M:%S.%f"))
    return due_key(db) < now
