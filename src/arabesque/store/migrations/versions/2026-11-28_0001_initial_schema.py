"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 00:51:07.748798
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "app_user",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column(
            "roles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("name", name=op.f("uq_customer_name")),
    )
    op.create_table(
        "project",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_project_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("customer_id", "name", name=op.f("uq_project_customer_id_name")),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_api_key_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_project_id"), ["project_id"], unique=False)

    op.create_table(
        "business",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("correlation_id", sa.String(length=200), nullable=False),
        sa.Column("company_name", sa.String(length=500), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("approval_state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_business_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business")),
        sa.UniqueConstraint("project_id", "correlation_id", name=op.f("uq_business_project_id_correlation_id")),
    )
    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_business_project_id"), ["project_id"], unique=False)

    op.create_table(
        "end_user",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("correlation_id", sa.String(length=200), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("approval_state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_end_user_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_end_user")),
        sa.UniqueConstraint("project_id", "correlation_id", name=op.f("uq_end_user_project_id_correlation_id")),
    )
    with op.batch_alter_table("end_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_end_user_project_id"), ["project_id"], unique=False)

    op.create_table(
        "file",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("mime_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_path", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_file_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file")),
    )
    with op.batch_alter_table("file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_file_project_id"), ["project_id"], unique=False)

    op.create_table(
        "filter",
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
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_filter_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filter")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_filter_project_id_name")),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column(
            "response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_idempotency_record_project_id_project")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("project_id", "key", name=op.f("uq_idempotency_record_project_id_key")),
    )
    op.create_table(
        "user_project",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_user_project_project_id_project")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_project_user_id_app_user")),
        sa.PrimaryKeyConstraint("user_id", "project_id", name=op.f("pk_user_project")),
    )
    with op.batch_alter_table("user_project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_project_project_id"), ["project_id"], unique=False)

    op.create_table(
        "workflow_definition",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("definition_type", sa.String(length=32), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_workflow_definition_project_id_project")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_workflow_definition")),
        sa.UniqueConstraint("project_id", "id", name=op.f("uq_workflow_definition_project_id_id")),
        sa.UniqueConstraint(
            "project_id", "name", "version", name=op.f("uq_workflow_definition_project_id_name_version")
        ),
    )
    with op.batch_alter_table("workflow_definition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_definition_project_id_name_version"),
            ["project_id", "name", "version"],
            unique=False,
        )

    op.create_table(
        "workflow_runtime",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("definition_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("definition_id", sa.String(length=200), nullable=False),
        sa.Column("definition_name", sa.String(length=200), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.String(length=64), nullable=True),
        sa.Column("end_user_id", sa.String(length=64), nullable=True),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parent_runtime_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "pending",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["app_user.id"], name=op.f("fk_workflow_runtime_assignee_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["business_id"], ["business.id"], name=op.f("fk_workflow_runtime_business_id_business")
        ),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["workflow_definition.pk"],
            name=op.f("fk_workflow_runtime_definition_pk_workflow_definition"),
        ),
        sa.ForeignKeyConstraint(
            ["end_user_id"], ["end_user.id"], name=op.f("fk_workflow_runtime_end_user_id_end_user")
        ),
        sa.ForeignKeyConstraint(
            ["parent_runtime_id"],
            ["workflow_runtime.id"],
            name=op.f("fk_workflow_runtime_parent_runtime_id_workflow_runtime"),
        ),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_workflow_runtime_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_runtime")),
    )
    with op.batch_alter_table("workflow_runtime", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_runtime_assignee_id_status"), ["assignee_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_runtime_business_id_status"), ["business_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_runtime_definition_pk_status"), ["definition_pk", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_runtime_end_user_id_status"), ["end_user_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workflow_runtime_parent_runtime_id"), ["parent_runtime_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workflow_runtime_project_id_status_created_at"),
            ["project_id", "status", "created_at"],
            unique=False,
        )

    op.create_table(
        "outbox_effect",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("runtime_id", sa.String(length=64), nullable=False),
        sa.Column("lock_key", sa.String(length=64), nullable=False),
        sa.Column("effect_id", sa.String(length=200), nullable=False),
        sa.Column("effect_type", sa.String(length=16), nullable=False),
        sa.Column("plugin", sa.String(length=200), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_outbox_effect_project_id_project")),
        sa.ForeignKeyConstraint(
            ["runtime_id"], ["workflow_runtime.id"], name=op.f("fk_outbox_effect_runtime_id_workflow_runtime")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_outbox_effect")),
        sa.UniqueConstraint("runtime_id", "effect_id", name=op.f("uq_outbox_effect_runtime_id_effect_id")),
    )
    with op.batch_alter_table("outbox_effect", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_effect_status_available_at"), ["status", "available_at"], unique=False
        )

    op.create_table(
        "runtime_event",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("runtime_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=True),
        sa.Column("from_state", sa.String(length=200), nullable=True),
        sa.Column("to_state", sa.String(length=200), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_runtime_event_project_id_project")),
        sa.ForeignKeyConstraint(
            ["runtime_id"], ["workflow_runtime.id"], name=op.f("fk_runtime_event_runtime_id_workflow_runtime")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_runtime_event")),
        sa.UniqueConstraint("runtime_id", "seq", name=op.f("uq_runtime_event_runtime_id_seq")),
    )
    with op.batch_alter_table("runtime_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runtime_event_project_id_created_at"), ["project_id", "created_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("runtime_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runtime_event_project_id_created_at"))

    op.drop_table("runtime_event")
    with op.batch_alter_table("outbox_effect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_effect_status_available_at"))

    op.drop_table("outbox_effect")
    with op.batch_alter_table("workflow_runtime", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_runtime_project_id_status_created_at"))
        batch_op.drop_index(batch_op.f("ix_workflow_runtime_parent_runtime_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_runtime_end_user_id_status"))
        batch_op.drop_index(batch_op.f("ix_workflow_runtime_definition_pk_status"))
        batch_op.drop_index(batch_op.f("ix_workflow_runtime_business_id_status"))
        batch_op.drop_index(batch_op.f("ix_workflow_runtime_assignee_id_status"))

    op.drop_table("workflow_runtime")
    with op.batch_alter_table("workflow_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_definition_project_id_name_version"))

    op.drop_table("workflow_definition")
    with op.batch_alter_table("user_project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_project_project_id"))

    op.drop_table("user_project")
    op.drop_table("idempotency_record")
    op.drop_table("filter")
    with op.batch_alter_table("file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_project_id"))

    op.drop_table("file")
    with op.batch_alter_table("end_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_end_user_project_id"))

    op.drop_table("end_user")
    with op.batch_alter_table("business", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_project_id"))

    op.drop_table("business")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_project_id"))

    op.drop_table("api_key")
    op.drop_table("project")
    op.drop_table("customer")
    op.drop_table("app_user")
