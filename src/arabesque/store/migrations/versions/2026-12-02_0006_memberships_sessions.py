"""memberships, server-side sessions, sign-in counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00

- Roles and status were columns of the user row, so an admin of one project changed a user's role and status
  in every project they belong to. They move onto the membership (`user_project.role`, `.status`): each user's
  highest role and their status are copied to each of their memberships, then dropped from `app_user`.
- `web_session`: the Case Management session lives in the database (the cookie carries a random token whose
  SHA-256 is the key), so signing out, a password change, a role change or disabling a member ends it.
- `login_counter` replaces `login_failure`: one counter row per key, updated in the transaction that checks
  it, so concurrent sign-ins cannot overshoot the limit. The old rows are failures of the last 15 minutes at
  most; they are dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_RANK = {"viewer": 1, "reviewer": 2, "admin": 3}

users = sa.table("app_user", sa.column("id", sa.String), sa.column("roles", JSON), sa.column("status", sa.String))
memberships = sa.table(
    "user_project",
    sa.column("user_id", sa.String),
    sa.column("role", sa.String),
    sa.column("status", sa.String),
)


def _top_role(roles: object) -> str:
    """The highest known role of a user row (`viewer` when none), as the application read it before 0006."""
    known = [r for r in roles if r in _RANK] if isinstance(roles, list) else []
    return max(known, key=lambda r: _RANK[r]) if known else "viewer"


def upgrade() -> None:
    op.add_column("user_project", sa.Column("role", sa.String(length=16), server_default="viewer", nullable=False))
    op.add_column("user_project", sa.Column("status", sa.String(length=16), server_default="active", nullable=False))
    conn = op.get_bind()
    for user_id, roles, status in conn.execute(sa.select(users.c.id, users.c.roles, users.c.status)).all():
        conn.execute(
            memberships.update()
            .where(memberships.c.user_id == user_id)
            .values(role=_top_role(roles), status="disabled" if status == "disabled" else "active")
        )
    # Plain `ALTER TABLE ... DROP COLUMN` on SQLite too (3.35+): copying `app_user` into a new table, as batch
    # mode does, would drop a table other rows reference.
    op.drop_column("app_user", "roles")
    op.drop_column("app_user", "status")

    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_web_session_user_id_app_user"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name="fk_web_session_project_id_project"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_session"),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])

    op.create_table(
        "login_counter",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_counter"),
    )
    op.create_index("ix_login_counter_updated_at", "login_counter", ["updated_at"])
    op.drop_index("ix_login_failure_at", table_name="login_failure")
    op.drop_index("ix_login_failure_key_at", table_name="login_failure")
    op.drop_table("login_failure")


def downgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("pk", BIG, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_login_failure"),
    )
    op.create_index("ix_login_failure_key_at", "login_failure", ["key", "at"])
    op.create_index("ix_login_failure_at", "login_failure", ["at"])
    op.drop_index("ix_login_counter_updated_at", table_name="login_counter")
    op.drop_table("login_counter")
    op.drop_index("ix_web_session_expires_at", table_name="web_session")
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")

    # Back to one role and status per user: the highest role of any membership; active if any membership is.
    op.add_column("app_user", sa.Column("roles", JSON, server_default="[]", nullable=False))
    op.add_column("app_user", sa.Column("status", sa.String(length=16), server_default="active", nullable=False))
    conn = op.get_bind()
    best: dict[str, tuple[str, str]] = {}
    for user_id, role, status in conn.execute(
        sa.select(memberships.c.user_id, memberships.c.role, memberships.c.status)
    ).all():
        top, state = best.get(user_id, ("viewer", "disabled"))
        top = role if _RANK.get(role, 0) > _RANK[top] else top
        best[user_id] = (top, "active" if status == "active" or state == "active" else "disabled")
    for user_id, (top, state) in best.items():
        conn.execute(users.update().where(users.c.id == user_id).values(roles=[top], status=state))
    op.drop_column("user_project", "status")
    op.drop_column("user_project", "role")
