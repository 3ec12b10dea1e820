-- The central schema as the first version of the consumer shipped it (git: app/lambdas/
-- central_schema.sql before direction and nullable pseudonyms). Kept verbatim so that
-- test_central_schema_migrates_a_v1_database can prove the current file migrates it.

-- Central database schema (the hub's Aurora PostgreSQL). Idempotent: safe to run on every
-- deploy or at every consumer cold start (CENTRAL_DB_APPLY_SCHEMA=true), by concurrent
-- runners too (the advisory lock serialises them). Holds pseudonymized events and
-- aggregates only: no column can hold a direct identifier.

SELECT pg_advisory_xact_lock(724311001);  -- any fixed number, the same for every runner

CREATE TABLE IF NOT EXISTS central_events (
    event_id        uuid        PRIMARY KEY,           -- idempotency: each event stored once
    event_type      text        NOT NULL,
    jurisdiction    text        NOT NULL CHECK (jurisdiction IN ('eu', 'us')),
    occurred_at     timestamptz NOT NULL,
    user_pseudonym  char(64)    NOT NULL CHECK (user_pseudonym ~ '^[0-9a-f]{64}$'),
    amount_minor    bigint,
    currency        char(3)     CHECK (currency ~ '^[A-Z]{3}$'),
    schema_version  integer     NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);

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

CREATE TABLE IF NOT EXISTS central_daily_amounts (
    day                date     NOT NULL,
    jurisdiction       text     NOT NULL,
    currency           char(3)  NOT NULL,
    transactions       bigint   NOT NULL,
    amount_minor_sum   numeric  NOT NULL,  -- numeric: a sum of bigints can outgrow bigint
    PRIMARY KEY (day, jurisdiction, currency)
);
