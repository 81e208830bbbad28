"""case list indexes: queue views, assignee views, search (pg_trgm), the API's active-runtime lookup

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:00:00

The case list (app/cases/list_cases.py) filters a project's runtimes by entity type, definition names, status,
state and assignee, orders by `created_at DESC, id DESC`, pages by 50 and counts the matches exactly:

- `ix_workflow_runtime_queue_business` / `_queue_end_user`: partial (one per entity type, the queue's
  `business_id IS NOT NULL` / `end_user_id IS NOT NULL` condition), on
  `(project_id, status, created_at, id, definition_name, state, assignee_id)`. A page is read in index order
  (backwards), the definition, state (tags) and assignee filters are checked in the index, and the scan stops
  after 50 matches; the exact count is an index-only scan of the project's runtimes of that entity type and
  status (at 1M runtimes: ~180k index entries for the default view, tens of milliseconds).
- `ix_workflow_runtime_assignee_queue`, partial on `assignee_id IS NOT NULL`:
  `(project_id, assignee_id, status, created_at, id, definition_name)` for "assigned to me / to a user".
- `ix_workflow_runtime_business_active` / `ix_workflow_runtime_end_user_active`, partial on the entity
  column: `(business_id | end_user_id, definition_name, status, created_at)` for the API's "active runtime
  of this entity and definition" lookup (`run_workflow`).
- PostgreSQL only, when the `pg_trgm` extension is available: GIN trigram indexes for `ILIKE '%term%'` on
  the searched columns: business (company name, correlation id, `data->>'registrationNumber'`) and end user
  (correlation id, email, `first_name || ' ' || last_name`). The extension is created in `public` when it is
  missing (it is a trusted extension since PostgreSQL 13: the database owner may create it); when it cannot
  be created the trigram indexes are skipped with a warning, and search falls back to scans. SQLite has no
  trigram indexes: the search scans there, which is fine at SQLite's scale.

The indexes are built in the migration's transaction (no `CONCURRENTLY`): on a large live database, run
`arabesque db upgrade` in a quiet window (at 1M runtimes the build takes seconds to tens of seconds).
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BUSINESS = sa.text("business_id IS NOT NULL")
END_USER = sa.text("end_user_id IS NOT NULL")
ASSIGNED = sa.text("assignee_id IS NOT NULL")
QUEUE_COLUMNS = ["project_id", "status", "created_at", "id", "definition_name", "state", "assignee_id"]

# name -> (table, indexed columns and expressions); kept in step with the models' `TRIGRAM_INDEXES`.
TRIGRAM = {
    "ix_business_search_trgm": ("business", ["company_name", "correlation_id", "(data ->> 'registrationNumber')"]),
    "ix_end_user_search_trgm": ("end_user", ["correlation_id", "email", "((first_name || ' ') || last_name)"]),
}


def _trigram_schema(bind: sa.Connection) -> str | None:
    """The schema holding pg_trgm, creating the extension in `public` if needed; None when unavailable."""
    find = sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    schema = bind.execute(find).scalar()
    if schema is not None:
        return str(schema)
    if bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar() is None:
        warnings.warn("pg_trgm is not installed on this server: case search will not use trigram indexes", stacklevel=1)
        return None
    try:
        with bind.begin_nested():  # a concurrent migration may create it first: the savepoint keeps us going
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except sa.exc.DBAPIError as exc:
        warnings.warn(f"cannot create the pg_trgm extension ({exc.orig}): no trigram indexes", stacklevel=1)
    schema = bind.execute(find).scalar()
    return None if schema is None else str(schema)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_index(
        "ix_workflow_runtime_queue_business",
        "workflow_runtime",
        QUEUE_COLUMNS,
        postgresql_where=BUSINESS,
        sqlite_where=BUSINESS,
    )
    op.create_index(
        "ix_workflow_runtime_queue_end_user",
        "workflow_runtime",
        QUEUE_COLUMNS,
        postgresql_where=END_USER,
        sqlite_where=END_USER,
    )
    op.create_index(
        "ix_workflow_runtime_assignee_queue",
        "workflow_runtime",
        ["project_id", "assignee_id", "status", "created_at", "id", "definition_name"],
        postgresql_where=ASSIGNED,
        sqlite_where=ASSIGNED,
    )
    op.create_index(
        "ix_workflow_runtime_business_active",
        "workflow_runtime",
        ["business_id", "definition_name", "status", "created_at"],
        postgresql_where=BUSINESS,
        sqlite_where=BUSINESS,
    )
    op.create_index(
        "ix_workflow_runtime_end_user_active",
        "workflow_runtime",
        ["end_user_id", "definition_name", "status", "created_at"],
        postgresql_where=END_USER,
        sqlite_where=END_USER,
    )
    if bind.dialect.name != "postgresql":
        return
    schema = _trigram_schema(bind)
    if schema is None:
        return
    opclass = f"{bind.dialect.identifier_preparer.quote_schema(schema)}.gin_trgm_ops"
    for name, (table, items) in TRIGRAM.items():
        columns = ", ".join(f"({item}) {opclass}" if item.startswith("(") else f"{item} {opclass}" for item in items)
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({columns})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for name in (
        "ix_workflow_runtime_end_user_active",
        "ix_workflow_runtime_business_active",
        "ix_workflow_runtime_assignee_queue",
        "ix_workflow_runtime_queue_end_user",
        "ix_workflow_runtime_queue_business",
    ):
        op.drop_index(name, table_name="workflow_runtime")
