"""Idempotency keys on transactions, so a client's retried POST records one transaction.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE transactions ADD COLUMN idempotency_key text")
    op.execute(
        "CREATE UNIQUE INDEX transactions_idempotency ON transactions (user_id, idempotency_key) "
        "WHERE idempotency_key IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS transactions_idempotency")
    op.execute("ALTER TABLE transactions DROP COLUMN IF EXISTS idempotency_key")
