"""business people search: the case search's trigram index on the representative's e-mail and the UBOs

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-05 12:00:00

A business queue's search also matches the main representative's e-mail
(`data #>> '{additionalInfo,mainRepresentative,email}'`) and the UBOs (`data #>> '{additionalInfo,ubos}'`, the
JSON text of the list: first and last names, e-mails), `ILIKE '%term%'` like the other searched fields
(`app/cases/list_cases.py`, `BUSINESS_PEOPLE_FIELDS`). On PostgreSQL with `pg_trgm` (see 0003) one GIN trigram
index covers both expressions, so the search stays a bitmap index scan; without the extension, and on
SQLite, the search scans. Built in the migration's transaction, like 0003's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

NAME = "ix_business_people_trgm"
EXPRESSIONS = (
    "(data #>> '{additionalInfo,mainRepresentative,email}'::text[])",
    "(data #>> '{additionalInfo,ubos}'::text[])",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    find = sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
    schema = bind.execute(find).scalar()
    if schema is None:  # 0003 could not create the extension: the search scans, as for its own fields
        return
    opclass = f"{bind.dialect.identifier_preparer.quote_schema(str(schema))}.gin_trgm_ops"
    columns = ", ".join(f"({item}) {opclass}" for item in EXPRESSIONS)
    op.execute(f"CREATE INDEX {NAME} ON business USING gin ({columns})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {NAME}")
