"""Alembic environment: runs on the connection handed in by `arabesque.store.db.upgrade`."""

from __future__ import annotations

from alembic import context

from arabesque.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `arabesque db upgrade` drives migrations
    raise RuntimeError("run migrations through `arabesque db upgrade`")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
