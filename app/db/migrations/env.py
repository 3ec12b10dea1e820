"""Alembic environment: migrate the one shard whose connection the caller passes in.

``app.db.migrate`` drives it programmatically inside one transaction; there is no
alembic.ini on purpose (no URL with credentials in a file).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

MIGRATION_LOCK = 7_240_001  # advisory lock key: two pods starting at once migrate in turn

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
with context.begin_transaction():
    context.run_migrations()
