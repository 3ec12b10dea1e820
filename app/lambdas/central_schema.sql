-- Central database schema (the hub's Aurora PostgreSQL). Idempotent: safe to run on every
-- deploy or at every consumer cold start (CENTRAL_DB_APPLY_SCHEMA=true), by concurrent
-- runners too (the advisory lock serialises them). Holds pseudonymized events and
-- aggregates only: no column can hold a direct identifier.
--
-- Each CREATE holds the current shape; the migration step below each one brings a database
-- created by an earlier version of this file to it, so a running central database migrates
-- by applying this file again. Only ever add such steps; never edit one. A step looks in the
-- catalog first and runs its ALTER only when there is work to do: ALTER TABLE takes an ACCESS
-- EXCLUSIVE lock even when IF NOT EXISTS makes it a no-op, and every cold start runs this.

SELECT pg_advisory_xact_lock(724311001);  -- any fixed number, the same for every runner

CREATE TABLE IF NOT EXISTS central_events (
    event_id        uuid        PRIMARY KEY,           -- idempotency: each event stored once
    event_type      text        NOT NULL,
    -- which jurisdictions the hub serves is the consumer's config (the pack's table): only
    -- the name's shape here, so a new jurisdiction needs no schema change
    jurisdiction    text        NOT NULL
                    CONSTRAINT central_events_jurisdiction_shape
                    CHECK (jurisdiction ~ '^[a-z][a-z0-9-]{1,15}$'),
    occurred_at     timestamptz NOT NULL,
    -- NULL: a transaction whose user's per-user pseudonym key was erased before delivery
    user_pseudonym  char(64)    CHECK (user_pseudonym ~ '^[0-9a-f]{64}$'),
    amount_minor    bigint,
    currency        char(3)     CHECK (currency ~ '^[A-Z]{3}$'),
    direction       text        CHECK (direction IN ('debit', 'credit')),
    schema_version  integer     NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);

-- v2: transactions carry their direction; erased users' transactions carry no pseudonym.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute
                   WHERE attrelid = 'central_events'::regclass AND attname = 'direction'
                     AND NOT attisdropped) THEN
        ALTER TABLE central_events
            ADD COLUMN IF NOT EXISTS direction text CHECK (direction IN ('debit', 'credit'));
    END IF;
    IF EXISTS (SELECT FROM pg_attribute
               WHERE attrelid = 'central_events'::regclass AND attname = 'user_pseudonym'
                 AND attnotnull) THEN
        ALTER TABLE central_events ALTER COLUMN user_pseudonym DROP NOT NULL;
    END IF;
END
$$;

-- v3: no closed list of jurisdictions (v1/v2 had CHECK (jurisdiction IN ('eu', 'us'))).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint
               WHERE conrelid = 'central_events'::regclass
                 AND conname = 'central_events_jurisdiction_check') THEN
        ALTER TABLE central_events DROP CONSTRAINT central_events_jurisdiction_check;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_constraint
                   WHERE conrelid = 'central_events'::regclass
                     AND conname = 'central_events_jurisdiction_shape') THEN
        ALTER TABLE central_events ADD CONSTRAINT central_events_jurisdiction_shape
            CHECK (jurisdiction ~ '^[a-z][a-z0-9-]{1,15}$');
    END IF;
END
$$;

CREATE INDEX IF NOT EXISTS central_events_occurred_at_idx
    ON central_events (occurred_at);
CREATE INDEX IF NOT EXISTS central_events_user_pseudonym_idx
    ON central_events (user_pseudonym);

-- Aggregates, updated in the same transaction as the insert and only for events that were
-- new, so a redelivered event never counts twice.
CREATE TABLE IF NOT EXISTS central_daily_event_counts (
    day           date    NOT NULL,  -- UTC day of occurred_at
    jurisdiction  text    NOT NULL,
    event_type    text    NOT NULL,
    events        bigint  NOT NULL,
    PRIMARY KEY (day, jurisdiction, event_type)
);

-- One row per UTC day, jurisdiction and currency. transactions / amount_minor_sum count and
-- add up every transaction (turnover: amounts are positive, whatever their direction);
-- the debit_* and credit_* columns split them by direction, so that
-- net flow = credit_minor_sum - debit_minor_sum. Rows written before v2 have their
-- transactions in the totals only (the split columns start at 0).
CREATE TABLE IF NOT EXISTS central_daily_amounts (
    day                 date     NOT NULL,
    jurisdiction        text     NOT NULL,
    currency            char(3)  NOT NULL,
    transactions        bigint   NOT NULL,
    amount_minor_sum    numeric  NOT NULL,  -- numeric: a sum of bigints can outgrow bigint
    debit_transactions  bigint   NOT NULL DEFAULT 0,
    debit_minor_sum     numeric  NOT NULL DEFAULT 0,
    credit_transactions bigint   NOT NULL DEFAULT 0,
    credit_minor_sum    numeric  NOT NULL DEFAULT 0,
    PRIMARY KEY (day, jurisdiction, currency)
);

-- v2: the split by direction.
DO $$
BEGIN
    IF (SELECT count(*) FROM pg_attribute
        WHERE attrelid = 'central_daily_amounts'::regclass AND NOT attisdropped
          AND attname IN ('debit_transactions', 'debit_minor_sum',
                          'credit_transactions', 'credit_minor_sum')) < 4 THEN
        ALTER TABLE central_daily_amounts
            ADD COLUMN IF NOT EXISTS debit_transactions bigint NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS debit_minor_sum numeric NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS credit_transactions bigint NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS credit_minor_sum numeric NOT NULL DEFAULT 0;
    END IF;
END
$$;
