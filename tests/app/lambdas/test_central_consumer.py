"""The central consumer against real PostgreSQL: each event once, poison isolated, batch
partial failures reported, and the whole path through an SQS queue with a DLQ."""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from app.lambdas import central_consumer
from app.lambdas.central_consumer import consume_batch
from app.lambdas.central_store import CentralStore
from app.lambdas.sqs_batch import SqsRecord
from devservices import PostgresServer
from devservices.postgres import free_port
from tests.app.lambdas.harness import (
    MAX_RECEIVE_COUNT,
    Aws,
    create_queue_with_dlq,
    user_event,
    valid_event,
)
from tests.app.lambdas.sqs_driver import drain, receive_all

pytestmark = pytest.mark.services


def as_records(bodies: list[str]) -> list[SqsRecord]:
    return [SqsRecord(f"msg-{i}", body, 1) for i, body in enumerate(bodies)]


def failed_ids(response: Any) -> list[str]:
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def query(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql.encode()).fetchall()


def assert_aggregates_match_events(dsn: str) -> None:
    """The aggregates are exactly what the stored events add up to: nothing counted twice."""
    counts = query(
        dsn,
        "SELECT day, jurisdiction, event_type, events FROM central_daily_event_counts "
        "ORDER BY 1, 2, 3",
    )
    recounted = query(
        dsn,
        "SELECT (occurred_at AT TIME ZONE 'UTC')::date, jurisdiction, event_type, count(*) "
        "FROM central_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    assert counts == recounted
    amounts = query(
        dsn,
        "SELECT day, jurisdiction, currency, transactions, amount_minor_sum, "
        "debit_transactions, debit_minor_sum, credit_transactions, credit_minor_sum "
        "FROM central_daily_amounts ORDER BY 1, 2, 3",
    )
    resummed = query(
        dsn,
        "SELECT (occurred_at AT TIME ZONE 'UTC')::date, jurisdiction, currency, count(*), "
        "sum(amount_minor), "
        "count(*) FILTER (WHERE direction = 'debit'), "
        "coalesce(sum(amount_minor) FILTER (WHERE direction = 'debit'), 0), "
        "count(*) FILTER (WHERE direction = 'credit'), "
        "coalesce(sum(amount_minor) FILTER (WHERE direction = 'credit'), 0) "
        "FROM central_events WHERE currency IS NOT NULL "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    assert amounts == resummed


def mixed_batch() -> list[dict[str, Any]]:
    day = "2026-11-26T{:02d}:00:00+00:00"
    events = [valid_event(amount_minor=100 * (i + 1), occurred_at=day.format(i)) for i in range(6)]
    events += [
        valid_event(jurisdiction="us", currency="USD", amount_minor=250, direction=direction)
        for direction in ("debit", "credit")
    ]
    events.append(user_event("user.created"))
    events.append(user_event("user.erased"))
    return events


@pytest.fixture
def store(central_dsn: str) -> Iterator[CentralStore]:
    central = CentralStore(lambda: psycopg.connect(central_dsn), apply_schema=False)
    yield central
    central.close()


@pytest.fixture
def consumer_entrypoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cold start of the real handler, its connection closed afterwards."""
    monkeypatch.setattr(central_consumer, "_store", None)
    yield
    if central_consumer._store is not None:
        central_consumer._store.close()


def test_a_valid_batch_is_written_with_its_aggregates(
    store: CentralStore, central_dsn: str
) -> None:
    events = mixed_batch()

    response = consume_batch(as_records([json.dumps(e) for e in events]), store)

    assert failed_ids(response) == []
    stored = query(central_dsn, "SELECT event_id::text FROM central_events")
    assert {r[0] for r in stored} == {e["event_id"] for e in events}
    assert query(
        central_dsn,
        "SELECT jurisdiction, event_type, events FROM central_daily_event_counts ORDER BY 1, 2",
    ) == [
        ("eu", "transaction.created", 6),
        ("eu", "user.created", 1),
        ("eu", "user.erased", 1),
        ("us", "transaction.created", 2),
    ]
    assert query(
        central_dsn,
        "SELECT jurisdiction, currency, transactions, amount_minor_sum::bigint, "
        "debit_transactions, debit_minor_sum::bigint, "
        "credit_transactions, credit_minor_sum::bigint "
        "FROM central_daily_amounts ORDER BY 1",
    ) == [("eu", "EUR", 6, 2100, 6, 2100, 0, 0), ("us", "USD", 2, 500, 1, 250, 1, 250)]
    assert query(
        central_dsn, "SELECT direction, count(*) FROM central_events GROUP BY 1 ORDER BY 1"
    ) == [("credit", 1), ("debit", 7), (None, 2)]


def test_a_transaction_of_an_erased_user_is_stored_without_a_pseudonym(
    store: CentralStore, central_dsn: str
) -> None:
    erased = valid_event(user_pseudonym=None, direction="credit", amount_minor=70)

    assert failed_ids(consume_batch(as_records([json.dumps(erased)]), store)) == []
    assert failed_ids(consume_batch(as_records([json.dumps(erased)]), store)) == []  # again

    assert query(
        central_dsn, "SELECT event_id::text, user_pseudonym, direction FROM central_events"
    ) == [(erased["event_id"], None, "credit")]
    assert_aggregates_match_events(central_dsn)


def test_redelivered_and_repeated_events_are_written_once(
    store: CentralStore, central_dsn: str
) -> None:
    bodies = [json.dumps(e) for e in mixed_batch()]
    consume_batch(as_records(bodies), store)
    aggregates_before = query(central_dsn, "SELECT * FROM central_daily_amounts ORDER BY 1, 2, 3")

    again = consume_batch(as_records(bodies), store)  # an SQS redelivery of the whole batch
    twice = consume_batch(as_records([bodies[0], bodies[0]]), store)  # one batch, same event

    assert failed_ids(again) == failed_ids(twice) == []
    assert query(central_dsn, "SELECT count(*) FROM central_events") == [(10,)]
    assert query(central_dsn, "SELECT sum(events) FROM central_daily_event_counts") == [(10,)]
    assert_aggregates_match_events(central_dsn)
    after = query(central_dsn, "SELECT * FROM central_daily_amounts ORDER BY 1, 2, 3")
    assert after == aggregates_before


def test_malformed_events_fail_alone(store: CentralStore, central_dsn: str) -> None:
    bodies = [json.dumps(e) for e in mixed_batch()[:7]]
    bodies.insert(2, json.dumps(valid_event(email="alice@example.com")))
    bodies.insert(5, "not json")
    bodies.append(json.dumps(valid_event(user_pseudonym="42")))  # a raw user id

    response = consume_batch(as_records(bodies), store)

    assert failed_ids(response) == ["msg-2", "msg-5", "msg-9"]
    assert query(central_dsn, "SELECT count(*) FROM central_events") == [(7,)]


def test_an_event_the_database_refuses_fails_alone(store: CentralStore, central_dsn: str) -> None:
    # A rule the model does not know (yet): the database refuses one row of the batch.
    query_sql = (
        "ALTER TABLE central_events ADD CONSTRAINT before_2100 CHECK (occurred_at < '2100-01-01')"
    )
    with psycopg.connect(central_dsn, autocommit=True) as conn:
        conn.execute(query_sql.encode())
    events = mixed_batch()
    events[3] = valid_event(occurred_at="2150-01-01T00:00:00+00:00")

    response = consume_batch(as_records([json.dumps(e) for e in events]), store)

    assert failed_ids(response) == ["msg-3"]
    assert query(central_dsn, "SELECT count(*) FROM central_events") == [(9,)]
    assert query(central_dsn, "SELECT sum(events) FROM central_daily_event_counts") == [(9,)]
    assert_aggregates_match_events(central_dsn)


def test_a_dropped_connection_is_replaced_without_failing_the_batch(
    store: CentralStore, central_dsn: str
) -> None:
    first = [json.dumps(valid_event())]
    assert failed_ids(consume_batch(as_records(first), store)) == []
    pid = store.connection().info.backend_pid
    with psycopg.connect(central_dsn, autocommit=True) as admin:  # idle timeout, failover…
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    bodies = [json.dumps(e) for e in mixed_batch()[:3]] + ["poison"]
    response = consume_batch(as_records(bodies), store)

    assert failed_ids(response) == ["msg-3"]
    assert store.connection().info.backend_pid != pid
    assert query(central_dsn, "SELECT count(*) FROM central_events") == [(4,)]


def test_an_unreachable_database_fails_every_valid_message_and_keeps_the_rest(
    postgres: PostgresServer,
) -> None:
    closed_port = free_port()  # nothing listens there
    dsn = f"postgresql://postgres@127.0.0.1:{closed_port}/central?connect_timeout=2"
    store = CentralStore(lambda: psycopg.connect(dsn), apply_schema=False)
    bodies = [json.dumps(e) for e in mixed_batch()[:3]] + ["poison"]

    response = consume_batch(as_records(bodies), store)

    assert sorted(failed_ids(response)) == ["msg-0", "msg-1", "msg-2", "msg-3"]


def test_concurrent_consumers_write_each_event_once(central_dsn: str) -> None:
    events = [json.dumps(valid_event(amount_minor=1)) for _ in range(60)]
    rng = random.Random(7)
    errors: list[BaseException] = []

    def consumer() -> None:
        store = CentralStore(lambda: psycopg.connect(central_dsn), apply_schema=False)
        try:
            mine = events[:]
            rng.shuffle(mine)  # every consumer sees every event, in its own order
            for start in range(0, len(mine), 10):
                pending = as_records(mine[start : start + 10])
                for _ in range(5):  # what SQS redrive would do for a reported failure
                    failed = set(failed_ids(consume_batch(pending, store)))
                    pending = [r for r in pending if r.message_id in failed]
                    if not pending:
                        break
                assert not pending
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=consumer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert query(central_dsn, "SELECT count(*) FROM central_events") == [(60,)]
    assert query(central_dsn, "SELECT sum(transactions) FROM central_daily_amounts") == [(60,)]
    assert_aggregates_match_events(central_dsn)


def test_the_schema_applies_idempotently_from_concurrent_cold_starts(
    postgres: PostgresServer,
) -> None:
    dsn = postgres.create_database(f"central_{uuid.uuid4().hex[:12]}")
    stores = [CentralStore(lambda: psycopg.connect(dsn), apply_schema=True) for _ in range(3)]
    threads = [threading.Thread(target=s.connection) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    try:
        assert failed_ids(consume_batch(as_records([json.dumps(valid_event())]), stores[0])) == []
        tables = query(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert {t[0] for t in tables} == {
            "central_events",
            "central_daily_event_counts",
            "central_daily_amounts",
        }
    finally:
        for s in stores:
            s.close()


V1_SCHEMA = Path(__file__).with_name("central_schema_v1.sql")


def test_the_schema_migrates_a_database_of_the_previous_version(
    postgres: PostgresServer,
) -> None:
    """A running central database (v1 schema, with data) takes the current file, twice."""
    dsn = postgres.create_database(f"central_{uuid.uuid4().hex[:12]}")
    old_event = valid_event(occurred_at="2026-11-26T08:00:00+00:00", amount_minor=40)
    with psycopg.connect(dsn, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(V1_SCHEMA.read_text("utf-8").encode())
        conn.execute(
            "INSERT INTO central_events (event_id, event_type, jurisdiction, occurred_at, "
            "user_pseudonym, amount_minor, currency, schema_version) "
            "VALUES (%s, 'transaction.created', 'eu', %s, %s, 40, 'EUR', 1)",
            (old_event["event_id"], old_event["occurred_at"], old_event["user_pseudonym"]),
        )
        conn.execute("INSERT INTO central_daily_amounts VALUES ('2026-11-26', 'eu', 'EUR', 1, 40)")
    stores = [CentralStore(lambda: psycopg.connect(dsn), apply_schema=True) for _ in range(2)]
    try:
        for s in stores:  # two cold starts: the second finds nothing left to migrate
            s.connection()
        new_events = [
            valid_event(occurred_at="2026-11-26T09:00:00+00:00", amount_minor=5),
            valid_event(
                occurred_at="2026-11-26T10:00:00+00:00",
                user_pseudonym=None,
                direction="credit",
                amount_minor=7,
            ),
        ]
        response = consume_batch(as_records([json.dumps(e) for e in new_events]), stores[1])
    finally:
        for s in stores:
            s.close()

    assert failed_ids(response) == []
    assert query(
        dsn,
        "SELECT amount_minor, user_pseudonym IS NULL, direction FROM central_events ORDER BY 1",
    ) == [(5, False, "debit"), (7, True, "credit"), (40, False, None)]
    # The v1 row keeps its totals; the split counts only what arrived with a direction.
    assert query(
        dsn,
        "SELECT transactions, amount_minor_sum::bigint, debit_transactions, "
        "debit_minor_sum::bigint, credit_transactions, credit_minor_sum::bigint "
        "FROM central_daily_amounts",
    ) == [(3, 52, 1, 5, 1, 7)]
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "UPDATE central_events SET direction = 'refund' WHERE event_id = %s",
            (new_events[0]["event_id"],),
        )


def test_invalid_events_are_logged_without_their_values(
    store: CentralStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = json.dumps(valid_event(email="alice@example.com", user_pseudonym="alice"))

    assert failed_ids(consume_batch(as_records([body]), store)) == ["msg-0"]

    assert "malformed central event" in caplog.text
    assert "extra_forbidden" in caplog.text
    assert "alice" not in caplog.text


def test_through_sqs_every_event_lands_once_and_poison_is_dead_lettered(
    aws_env: Aws,
    audit_key_arn: str,
    central_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    consumer_entrypoint: None,
) -> None:
    monkeypatch.setenv("CENTRAL_DB_DSN", central_dsn)
    monkeypatch.setenv("CENTRAL_DB_APPLY_SCHEMA", "true")  # already there: must be a no-op
    queue_url, dlq_url = create_queue_with_dlq(
        aws_env, f"central-{uuid.uuid4().hex[:8]}", audit_key_arn
    )
    events = [json.dumps(valid_event()) for _ in range(25)]
    poison = [json.dumps(valid_event(email="x@example.com")), '{"event_id": 1}']
    for body in events + events[:5] + poison:  # at-least-once producers resend some
        aws_env.sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    stats = drain(aws_env.sqs, queue_url, central_consumer.handler)

    assert query(central_dsn, "SELECT count(*) FROM central_events") == [(25,)]
    assert_aggregates_match_events(central_dsn)
    assert sorted(receive_all(aws_env.sqs, dlq_url)) == sorted(poison)
    assert stats.reported_failures == len(poison) * MAX_RECEIVE_COUNT
    assert receive_all(aws_env.sqs, queue_url) == []


def test_the_entrypoint_reads_credentials_from_secrets_manager(
    aws_env: Aws,
    central_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    consumer_entrypoint: None,
) -> None:
    parts = conninfo_to_dict(central_dsn)
    secret = aws_env.secrets.create_secret(
        Name=f"central-db-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps(
            {
                "username": parts["user"],
                "password": "local-only",  # trust auth on loopback: any password passes
                "host": parts["host"],
                "port": int(str(parts["port"])),
                "dbname": parts["dbname"],
            }
        ),
    )
    monkeypatch.delenv("CENTRAL_DB_DSN", raising=False)
    monkeypatch.setenv("CENTRAL_DB_SECRET_ARN", secret["ARN"])
    monkeypatch.setenv("CENTRAL_DB_SSLMODE", "disable")  # local PostgreSQL has no TLS
    event = valid_event()
    lambda_event = {"Records": [{"messageId": "m-1", "body": json.dumps(event)}]}

    assert central_consumer.handler(lambda_event, None) == {"batchItemFailures": []}
    assert query(central_dsn, "SELECT event_id::text FROM central_events") == [(event["event_id"],)]
