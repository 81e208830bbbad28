"""end_user_business: end users linked to businesses (a representative created with its business)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 12:00:00

`POST /api/v1/external/end-users/create-with-business` creates an end user and a business together and links them,
as Ballerine's `EndUsersOnBusinesses` does. A new table; no existing row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "end_user_business",
        sa.Column("end_user_id", sa.String(length=64), nullable=False),
        sa.Column("business_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_end_user_business_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["end_user_id"], ["end_user.id"], name=op.f("fk_end_user_business_end_user_id_end_user")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_end_user_business_project_id_project")),
        sa.PrimaryKeyConstraint("end_user_id", "business_id", name=op.f("pk_end_user_business")),
    )
    op.create_index("ix_end_user_business_business_id", "end_user_business", ["business_id"])


def downgrade() -> None:
    op.drop_index("ix_end_user_business_business_id", table_name="end_user_business")
    op.drop_table("end_user_business")
