"""login failures: the sign-in throttle's counts, shared by every process

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 22:00:00

The Case Management sign-in throttle (`app/access/login.py`) counted failures in each process's memory, so behind a
load balancer an attacker got the limit once per process. The failures are now rows, keyed `e:<email>` and
`c:<client address>`, with their wall-clock time; rows older than the throttle's window are deleted as new
failures are recorded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("pk", BIG, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_login_failure"),
    )
    op.create_index("ix_login_failure_key_at", "login_failure", ["key", "at"])
    op.create_index("ix_login_failure_at", "login_failure", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_at", table_name="login_failure")
    op.drop_index("ix_login_failure_key_at", table_name="login_failure")
    op.drop_table("login_failure")
