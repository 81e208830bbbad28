"""retention indexes: finished outbox rows, webhook attempts and idempotency records by age

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02 12:00:00

The worker deletes finished outbox rows (`done`, `dead`), webhook delivery attempts and idempotency records
once they are older than their retention (`app/retention.py`), a batch at a time. Each batch looks its rows up
by age: without these indexes every batch would scan the whole table.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_effect_finished_at", "outbox_effect", ["finished_at"])
    op.create_index("ix_webhook_attempt_created_at", "webhook_attempt", ["created_at"])
    op.create_index("ix_idempotency_record_created_at", "idempotency_record", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_record_created_at", table_name="idempotency_record")
    op.drop_index("ix_webhook_attempt_created_at", table_name="webhook_attempt")
    op.drop_index("ix_outbox_effect_finished_at", table_name="outbox_effect")
