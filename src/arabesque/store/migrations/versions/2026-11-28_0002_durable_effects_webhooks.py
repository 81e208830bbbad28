"""durable effects and webhooks: outbox claims, webhook subscriptions and attempts, project secrets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    op.create_table(
        "project_secret",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_project_secret_project_id_project")),
        sa.PrimaryKeyConstraint("project_id", "name", name=op.f("pk_project_secret")),
    )
    op.create_table(
        "project_setting",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_project_setting_project_id_project")),
        sa.PrimaryKeyConstraint("project_id", "key", name=op.f("pk_project_setting")),
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("pk", BIG, autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("outbox_pk", BIG, nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_webhook_attempt_project_id_project")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_webhook_attempt")),
    )
    op.create_index(
        op.f("ix_webhook_attempt_outbox_pk_attempt"), "webhook_attempt", ["outbox_pk", "attempt"], unique=False
    )
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_webhook_subscription_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    op.create_index(
        op.f("ix_webhook_subscription_project_id_created_at"),
        "webhook_subscription",
        ["project_id", "created_at"],
        unique=False,
    )
    op.add_column("outbox_effect", sa.Column("claimed_by", sa.String(length=100), nullable=True))
    op.add_column("outbox_effect", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox_effect", sa.Column("max_attempts", sa.Integer(), nullable=True))
    op.add_column("outbox_effect", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("outbox_effect", sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox_effect", sa.Column("subscription_id", sa.String(length=64), nullable=True))
    op.create_index(
        op.f("ix_outbox_effect_subscription_id_created_at"),
        "outbox_effect",
        ["subscription_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_outbox_effect_running_lock_key",
        "outbox_effect",
        ["lock_key"],
        unique=True,
        postgresql_where=RUNNING,
        sqlite_where=RUNNING,
    )


def downgrade() -> None:
    op.drop_index("uq_outbox_effect_running_lock_key", table_name="outbox_effect")
    op.drop_index(op.f("ix_outbox_effect_subscription_id_created_at"), table_name="outbox_effect")
    with op.batch_alter_table("outbox_effect") as batch_op:
        for column in ("subscription_id", "finished_at", "last_error", "max_attempts", "locked_until", "claimed_by"):
            batch_op.drop_column(column)
    op.drop_index(op.f("ix_webhook_subscription_project_id_created_at"), table_name="webhook_subscription")
    op.drop_table("webhook_subscription")
    op.drop_index(op.f("ix_webhook_attempt_outbox_pk_attempt"), table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_table("project_setting")
    op.drop_table("project_secret")
