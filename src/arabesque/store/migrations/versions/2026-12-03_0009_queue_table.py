"""queue table: the case-management queues' table is `queue` (it was `filter`, Ballerine's word for it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00

A new table with the constraint names the models derive from `queue`, the rows copied over, the old table
dropped: one way on both databases (SQLite cannot rename a constraint; the table holds a few rows per project).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COLUMNS = "id, project_id, name, entity, definition_ids, created_at"


def _create(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column(
            "definition_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f(f"fk_{name}_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("project_id", "name", name=op.f(f"uq_{name}_project_id_name")),
    )


def _move(source: str, target: str) -> None:
    _create(target)
    op.execute(f"INSERT INTO {target} ({_COLUMNS}) SELECT {_COLUMNS} FROM {source}")
    op.drop_table(source)


def upgrade() -> None:
    _move("filter", "queue")


def downgrade() -> None:
    _move("queue", "filter")
