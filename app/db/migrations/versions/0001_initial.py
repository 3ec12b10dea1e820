"""Users, transactions, the audit outbox and the erasure log of one shard.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import context, op
from sqlalchemy import text

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    shard = context.config.attributes["shard"]
    jurisdiction: str = context.config.attributes["jurisdiction"]
    start, end = int(shard.start), int(shard.end)
    # Which shard this database is: the API checks it at readiness so a mis-wired endpoint
    # cannot silently serve another shard's users.
    op.execute(
        """
        CREATE TABLE shard_identity (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            jurisdiction text NOT NULL,
            shard_index integer NOT NULL,
            id_start bigint NOT NULL,
            id_end bigint NOT NULL
        )
        """
    )
    op.get_bind().execute(
        text(
            "INSERT INTO shard_identity (jurisdiction, shard_index, id_start, id_end) "
            "VALUES (:jurisdiction, :index, :start, :end)"
        ),
        {"jurisdiction": jurisdiction, "index": int(shard.index), "start": start, "end": end},
    )
    # Sign-up IDs come from a sequence that cannot leave the shard's range.
    op.execute(
        f"CREATE SEQUENCE users_id_seq AS bigint MINVALUE {start} MAXVALUE {end - 1} "
        f"START {start} NO CYCLE"
    )
    op.execute(
        f"""
        CREATE TABLE users (
            id bigint PRIMARY KEY DEFAULT nextval('users_id_seq')
                CHECK (id >= {start} AND id < {end}),
            email text,
            full_name text,
            phone text,
            date_of_birth date,
            address text,
            pseudonym_key bytea,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            erased_at timestamptz,
            CONSTRAINT users_erased_means_scrubbed CHECK (
                erased_at IS NULL OR (
                    email IS NULL AND full_name IS NULL AND phone IS NULL
                    AND date_of_birth IS NULL AND address IS NULL AND pseudonym_key IS NULL
                )
            ),
            CONSTRAINT users_live_has_identity CHECK (
                erased_at IS NOT NULL OR (email IS NOT NULL AND full_name IS NOT NULL
                                          AND pseudonym_key IS NOT NULL)
            )
        )
        """
    )
    op.execute("ALTER SEQUENCE users_id_seq OWNED BY users.id")
    op.execute(
        "CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL"
    )
    op.execute(
        """
        CREATE TABLE transactions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            user_id bigint NOT NULL REFERENCES users (id),
            amount_minor bigint NOT NULL CHECK (amount_minor > 0),
            currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
            direction text NOT NULL CHECK (direction IN ('debit', 'credit')),
            reference text,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # Serves the newest-first listing, the export and the erasure's scrub of references.
    op.execute(
        "CREATE INDEX transactions_user_recent ON transactions (user_id, created_at DESC, id DESC)"
    )
    op.execute(
        """
        CREATE TABLE outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL DEFAULT 'transaction.created',
            transaction_id uuid NOT NULL UNIQUE REFERENCES transactions (id),
            event_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
            created_at timestamptz NOT NULL DEFAULT now(),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            last_error text,
            pdf_key text,
            pdf_put_at timestamptz,
            event_sent_at timestamptz,
            done_at timestamptz
        )
        """
    )
    # The worker's claim query scans only pending rows, oldest due first.
    op.execute("CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE done_at IS NULL")
    op.execute(
        """
        CREATE TABLE erasures (
            user_id bigint PRIMARY KEY REFERENCES users (id),
            requested_by_role text NOT NULL,
            request_id text,
            erased_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    for table in ("erasures", "outbox", "transactions", "users", "shard_identity"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
