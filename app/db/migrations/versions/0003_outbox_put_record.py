"""What the outbox worker wrote to S3, recorded before anything else can repeat it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE outbox ADD COLUMN pdf_etag text, ADD COLUMN pdf_version_id text")


def downgrade() -> None:
    op.execute(
        "ALTER TABLE outbox DROP COLUMN IF EXISTS pdf_etag, DROP COLUMN IF EXISTS pdf_version_id"
    )
