"""seal secrets: project secrets and webhook-subscription secrets encrypted at rest

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02 09:00:00

`project_secret.value` and `webhook_subscription.secret` held plain text. Every existing row is sealed
(AES-256-GCM, `store/sealed.py`) with the running service's key, which `store.db.upgrade` hands over in
`config.attributes["secret_box"]`; the columns keep their names and types, and their values become
`arb1:<key id>:<ciphertext>`. The rows are rewritten in the migration's transaction: all or none.

A database with secrets to seal and no key is refused (no row is left half-converted). The downgrade opens
the values back to plain text with the same key.

On SQLite the rows are rewritten with `secure_delete` on, so the pages keep no copy of the plain text, and
`store.db.upgrade` checkpoints the WAL afterwards. On PostgreSQL the old row versions stay in the table's
files until it is vacuumed: run `VACUUM FULL project_secret, webhook_subscription` after upgrading.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

from arabesque.store.sealed import SecretBox
from arabesque.store.webhooks import project_secret_aad, subscription_secret_aad

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

project_secret = sa.table(
    "project_secret", sa.column("project_id", sa.String), sa.column("name", sa.String), sa.column("value", sa.Text)
)
webhook_subscription = sa.table("webhook_subscription", sa.column("id", sa.String), sa.column("secret", sa.Text))


def _box(direction: str) -> SecretBox:
    box = context.config.attributes.get("secret_box")
    if box is None:
        raise RuntimeError(
            f"migration 0007 must {direction} project and webhook secrets and was given no key: run it through "
            "`arabesque db upgrade` (or `serve`) with ARABESQUE_SECRET_KEY set (on SQLite, the data directory's "
            "secret_key also works)"
        )
    assert isinstance(box, SecretBox)
    return box


def _convert(direction: str, change: Callable[[SecretBox, str, str], str]) -> None:
    conn = op.get_bind()
    secrets = conn.execute(sa.select(project_secret.c.project_id, project_secret.c.name, project_secret.c.value)).all()
    subscriptions = conn.execute(sa.select(webhook_subscription.c.id, webhook_subscription.c.secret)).all()
    if not secrets and not subscriptions:
        return
    box = _box(direction)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")  # zero the cells the plain text leaves behind
    for project_id, name, value in secrets:
        conn.execute(
            project_secret.update()
            .where(project_secret.c.project_id == project_id, project_secret.c.name == name)
            .values(value=change(box, value, project_secret_aad(project_id, name)))
        )
    for subscription_id, secret in subscriptions:
        conn.execute(
            webhook_subscription.update()
            .where(webhook_subscription.c.id == subscription_id)
            .values(secret=change(box, secret, subscription_secret_aad(subscription_id)))
        )
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = OFF")  # the pooled connection goes back as it was


def upgrade() -> None:
    _convert("seal", lambda box, value, aad: box.seal(value, aad))


def downgrade() -> None:
    _convert("open", lambda box, value, aad: box.open(value, aad))
