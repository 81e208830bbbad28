"""collection flow: UI definitions per definition version, collection-flow tokens

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-05 12:00:00

Two new tables; no existing row changes. `ui_definition` holds a definition version's collection-flow UI
definition (pages, browser statechart, theme, locales); `collection_flow_token` the SHA-256 of each end user's
token, its runtime, project, end user, expiry and revocation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ui_definition",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("definition_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("record", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_pk"],
            ["workflow_definition.pk"],
            name=op.f("fk_ui_definition_definition_pk_workflow_definition"),
        ),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_ui_definition_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ui_definition")),
        sa.UniqueConstraint("definition_pk", name=op.f("uq_ui_definition_definition_pk")),
    )
    op.create_index("ix_ui_definition_project_id", "ui_definition", ["project_id"])
    op.create_table(
        "collection_flow_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("runtime_id", sa.String(length=64), nullable=False),
        sa.Column("end_user_id", sa.String(length=64), nullable=True),
        sa.Column("ui_definition_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["end_user_id"], ["end_user.id"], name=op.f("fk_collection_flow_token_end_user_id_end_user")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_collection_flow_token_project_id_project")
        ),
        sa.ForeignKeyConstraint(
            ["runtime_id"], ["workflow_runtime.id"], name=op.f("fk_collection_flow_token_runtime_id_workflow_runtime")
        ),
        sa.ForeignKeyConstraint(
            ["ui_definition_id"],
            ["ui_definition.id"],
            name=op.f("fk_collection_flow_token_ui_definition_id_ui_definition"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_collection_flow_token")),
    )
    op.create_index("ix_collection_flow_token_runtime_id", "collection_flow_token", ["runtime_id"])


def downgrade() -> None:
    op.drop_index("ix_collection_flow_token_runtime_id", table_name="collection_flow_token")
    op.drop_table("collection_flow_token")
    op.drop_index("ix_ui_definition_project_id", table_name="ui_definition")
    op.drop_table("ui_definition")
