"""phone search indexes: the entity phone fields the case list's phone-shaped search reads

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:00:00

A search term shaped like a phone number also matches the start of the entity's phone fields
(`app/cases/list_cases.py`, `PHONE_FIELDS`): `data #>> '{phone}' LIKE '<term>%'`, and the same for `phoneNumber`
and a business's `additionalInfo.mainRepresentative.phone`. Without an index that branch read every entity of
the project (about 100 ms at 500,000 businesses). On PostgreSQL each field gets a btree index on
`(project_id, <field> text_pattern_ops)` (prefix `LIKE` under any collation), partial on the field being
present, so entities without a phone cost nothing to write or store. SQLite keeps scanning, which is fine at
its scale. Built in the migration's transaction, like 0003's: run `arabesque db upgrade` in a quiet window on a
large live database.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# name -> (table, JSON path); kept in step with `PHONE_FIELDS` in app/cases/list_cases.py and the models' indexes.
PHONE_INDEXES = {
    "ix_business_phone": ("business", "phone"),
    "ix_business_phone_number": ("business", "phoneNumber"),
    "ix_business_representative_phone": ("business", "additionalInfo,mainRepresentative,phone"),
    "ix_end_user_phone": ("end_user", "phone"),
    "ix_end_user_phone_number": ("end_user", "phoneNumber"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, path) in PHONE_INDEXES.items():
        field = f"(data #>> '{{{path}}}'::text[])"
        op.execute(f"CREATE INDEX {name} ON {table} (project_id, {field} text_pattern_ops) WHERE {field} IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in PHONE_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
