"""One contract for the central event: what the outbox worker sends, the central consumer takes.

The producer (``app/events.py``, built by ``OutboxWorker.event`` and serialized by
``OutboxWorker.message``) and the consumer (``app/lambdas/central_event.py`` and its store)
are separate modules because the Lambda package holds only ``app/lambdas/**``. These tests
hold them together: every event the worker's real code path can emit, in the exact bytes it
sends, must pass the consumer's ``parse_event`` and be written once by its store into real
PostgreSQL. Anything else would land in the central DLQ.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from string import ascii_uppercase
from typing import Any

import boto3
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app import events as producer
from app.audit.worker import OutboxWorker
from app.lambdas import central_event as consumer
from app.lambdas.central_consumer import consume_batch
from app.lambdas.central_store import CentralStore, schema_sql
from app.lambdas.sqs_batch import SqsRecord
from app.local import CENTRAL_REGION, LocalJurisdiction
from devservices import MotoServer, PostgresServer
from policies.gdpr_pack.jurisdictions import JURISDICTIONS as TABLE
from tests.app.api_support import Api

JURISDICTIONS = tuple(TABLE)


# --- one allow-list, one set of fields -------------------------------------------------------


def test_producer_and_consumer_share_one_allow_list() -> None:
    assert producer.ALLOWED_FIELDS is consumer.ALLOWED_FIELDS
    assert set(producer.CentralEvent.model_fields) == consumer.ALLOWED_FIELDS
    assert set(consumer.CentralEvent.model_fields) == consumer.ALLOWED_FIELDS


def test_every_field_the_consumer_requires_is_one_the_producer_always_sends() -> None:
    required = {name for name, f in consumer.CentralEvent.model_fields.items() if f.is_required()}
    # Fields without a default are always in model_dump_json(); the producer has no defaults
    # that could be excluded (no exclude_none / exclude_defaults on the way out).
    assert required <= set(producer.CentralEvent.model_fields)


# --- the producer's real code path, property-tested ------------------------------------------


def _offsets() -> st.SearchStrategy[timezone]:
    # Whatever offset the shard session's TimeZone gives timestamptz values, LMT included.
    limit = timedelta(hours=23, minutes=59)
    return st.timedeltas(min_value=-limit, max_value=limit).map(timezone)


def outbox_rows() -> st.SearchStrategy[dict[str, Any]]:
    """Rows as ``_CLAIM`` returns them, within the shard schema's constraints."""
    return st.fixed_dictionaries(
        {
            "id": st.integers(1, 2**63 - 1),
            "event_id": st.uuids(),
            "attempts": st.integers(0, 50),
            "transaction_id": st.uuids(),
            "user_id": st.integers(0, 2**63 - 1),
            "amount_minor": st.integers(1, 2**63 - 1),  # bigint CHECK (amount_minor > 0)
            "currency": st.text(ascii_uppercase, min_size=3, max_size=3),  # char(3) ^[A-Z]{3}$
            "direction": st.sampled_from(["debit", "credit"]),
            "created_at": st.datetimes(
                min_value=datetime(1970, 1, 1),
                max_value=datetime(2200, 1, 1),
                timezones=_offsets(),
            ),
            # bytea, os.urandom(32) at signup; NULL once the user is erased
            "pseudonym_key": st.none() | st.binary(min_size=32, max_size=32),
        }
    )


@pytest.fixture(scope="module")
def workers(platform: dict[str, LocalJurisdiction]) -> dict[str, OutboxWorker]:
    """One worker per jurisdiction, as production builds them, minus the AWS clients."""
    return {
        name: OutboxWorker(
            settings=platform[name].settings.model_copy(
                update={"central_queue_url": f"https://sqs.example/1/central-{name}"}
            ),
            shard_map=platform[name].shard_map,
            pseudonym_key=f"{name}-pseudonym-key".encode(),
            s3=None,
            sqs=None,
        )
        for name in JURISDICTIONS
    }


@pytest.fixture(scope="module")
def central_db(pg: PostgresServer) -> str:
    dsn = pg.create_database(f"central_contract_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(schema_sql().encode())
    return dsn


@pytest.fixture(scope="module")
def central_store(central_db: str) -> Iterator[CentralStore]:
    store = CentralStore(lambda: psycopg.connect(central_db), apply_schema=False)
    yield store
    store.close()


def _sent(worker: OutboxWorker, row: dict[str, Any]) -> tuple[producer.CentralEvent, str]:
    return worker.event(row), worker.message(row)["MessageBody"]


def _assert_same_event(sent: producer.CentralEvent, got: consumer.CentralEvent) -> None:
    assert got.model_dump(exclude={"occurred_at"}) == sent.model_dump(exclude={"occurred_at"})
    assert got.occurred_at == sent.occurred_at  # the same instant
    assert got.occurred_at.utcoffset() == timedelta(0)
    assert (got.occurred_at.minute, got.occurred_at.second, got.occurred_at.microsecond) == (
        0,
        0,
        0,
    )


@pytest.mark.services
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=outbox_rows(), jurisdiction=st.sampled_from(JURISDICTIONS))
def test_every_event_the_worker_builds_is_one_the_consumer_accepts(
    workers: dict[str, OutboxWorker], row: dict[str, Any], jurisdiction: str
) -> None:
    worker = workers[jurisdiction]
    sent, body = _sent(worker, row)

    got = consumer.parse_event(body)

    _assert_same_event(sent, got)
    assert set(json.loads(body)) == consumer.ALLOWED_FIELDS  # every field, null or not
    assert (got.user_pseudonym is None) == (row["pseudonym_key"] is None)


@pytest.mark.services
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(outbox_rows(), min_size=1, max_size=12, unique_by=lambda r: r["event_id"]),
    jurisdiction=st.sampled_from(JURISDICTIONS),
)
def test_every_batch_the_worker_sends_is_stored_once(
    workers: dict[str, OutboxWorker],
    central_db: str,
    central_store: CentralStore,
    rows: list[dict[str, Any]],
    jurisdiction: str,
) -> None:
    with psycopg.connect(central_db, autocommit=True) as conn:
        conn.execute("TRUNCATE central_events, central_daily_event_counts, central_daily_amounts")
    sent = [_sent(workers[jurisdiction], row) for row in rows]
    records = [SqsRecord(f"m-{i}", body, 1) for i, (_, body) in enumerate(sent)]

    first = consume_batch(records, central_store)
    again = consume_batch(records, central_store)  # an SQS redelivery

    assert first == again == {"batchItemFailures": []}
    with psycopg.connect(central_db) as conn:
        stored = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT event_id, jurisdiction, user_pseudonym, amount_minor, currency, "
                "direction, occurred_at, event_type, schema_version FROM central_events"
            ).fetchall()
        }
        totals = conn.execute(
            "SELECT coalesce(sum(transactions), 0), coalesce(sum(debit_transactions), 0), "
            "coalesce(sum(credit_transactions), 0), coalesce(sum(amount_minor_sum), 0) "
            "FROM central_daily_amounts"
        ).fetchone()
    assert stored == {
        e.event_id: (
            e.jurisdiction,
            e.user_pseudonym,
            e.amount_minor,
            e.currency,
            e.direction,
            e.occurred_at,
            e.event_type,
            e.schema_version,
        )
        for e, _ in sent
    }
    debits = sum(e.direction == "debit" for e, _ in sent)
    assert totals == (len(sent), debits, len(sent) - debits, sum(e.amount_minor for e, _ in sent))


@pytest.mark.services
def test_the_fifo_group_of_an_erased_users_event_is_not_a_pseudonym(
    workers: dict[str, OutboxWorker],
) -> None:
    worker = workers["eu"]
    fifo = OutboxWorker(
        settings=worker.settings.model_copy(
            update={"central_queue_url": "https://sqs.example/1/central.fifo"}
        ),
        shard_map=worker.shard_map,
        pseudonym_key=worker.pseudonym_key,
        s3=None,
        sqs=None,
    )
    row = _row(pseudonym_key=None)
    params = fifo.message(row)
    assert params["MessageGroupId"] == "erased"
    assert params["MessageDeduplicationId"] == str(row["event_id"])
    assert consumer.parse_event(params["MessageBody"]).user_pseudonym is None


def _row(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 1,
        "event_id": uuid.uuid4(),
        "attempts": 0,
        "transaction_id": uuid.uuid4(),
        "user_id": 42,
        "amount_minor": 1999,
        "currency": "EUR",
        "direction": "credit",
        "created_at": datetime(2026, 11, 26, 10, 47, 12, tzinfo=UTC),
        "pseudonym_key": b"u" * 32,
        **overrides,
    }


@pytest.mark.services
@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"created_at": datetime(2026, 11, 26, 10, 47)}, "a naive time is never sent"),
        ({"amount_minor": 0}, "amounts are positive; direction carries the sign"),
        ({"amount_minor": 2**63}, "beyond bigint"),
        ({"direction": "refund"}, "debit or credit"),
        ({"currency": "eur"}, "ISO 4217 shape"),
    ],
)
def test_the_worker_refuses_to_build_what_the_consumer_would_refuse(
    workers: dict[str, OutboxWorker], overrides: dict[str, Any], why: str
) -> None:
    with pytest.raises(ValidationError):
        workers["eu"].event(_row(**overrides))


@pytest.mark.services
def test_a_jurisdiction_the_hub_does_not_serve_is_refused_at_the_hub(
    workers: dict[str, OutboxWorker],
) -> None:
    worker = workers["eu"]
    uk = OutboxWorker(
        settings=worker.settings.model_copy(update={"jurisdiction": "uk"}),
        shard_map=worker.shard_map,
        pseudonym_key=worker.pseudonym_key,
        s3=None,
        sqs=None,
    )
    # The producer cannot know the hub's rows (the API image holds no pack); the hub does:
    # its consumer is configured with the pack's table and refuses (DLQ) any other name.
    with pytest.raises(ValidationError):
        consumer.parse_event(uk.event(_row()).model_dump_json(), JURISDICTIONS)
    assert consumer.parse_event(worker.event(_row()).model_dump_json(), JURISDICTIONS)


# --- end to end: API → shard outbox → worker → SQS → consumer → central PostgreSQL ------------


def _queue(aws: MotoServer) -> str:
    sqs = boto3.client("sqs", region_name=CENTRAL_REGION, endpoint_url=aws.endpoint)
    url: str = sqs.create_queue(QueueName=f"central-contract-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url


def _bucket(aws: MotoServer, api: Api) -> str:
    name = f"audit-contract-{uuid.uuid4().hex[:8]}"
    region = api.local.settings.region
    s3 = boto3.client("s3", region_name=region, endpoint_url=aws.endpoint)
    where: dict[str, Any] = {}
    if region != "us-east-1":  # the one region S3 refuses a LocationConstraint for
        where["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(Bucket=name, **where)
    return name


def _bodies(aws: MotoServer, queue: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=CENTRAL_REGION, endpoint_url=aws.endpoint)
    out: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not got.get("Messages"):
            return out
        out.extend(m["Body"] for m in got["Messages"])


def _event_ids(api: Api, tx_ids: list[str]) -> set[str]:
    with psycopg.connect(api.dsn_for(api.local.shard_map.signup_shard.start)) as conn:
        rows = conn.execute(
            "SELECT event_id::text FROM outbox WHERE transaction_id = ANY(%s::uuid[])",
            (tx_ids,),
        ).fetchall()
    return {r[0] for r in rows}


@pytest.mark.services
def test_events_the_api_sends_are_stored_by_the_central_consumer_once(
    eu: Api, us: Api, aws: MotoServer, central_db: str
) -> None:
    queue = _queue(aws)
    expected: dict[str, tuple[str, str, bool]] = {}  # event_id → (jurisdiction, direction, erased)
    for api in (eu, us):
        kept, erased = api.create_user(), api.create_user()
        currency = "EUR" if api is eu else "USD"
        txs = [
            (kept, "debit"),
            (kept, "credit"),
            (erased, "debit"),
            (erased, "credit"),
        ]
        created = [
            (api.add_transaction(u["id"], currency=currency, direction=d)["id"], d, u is erased)
            for u, d in txs
        ]
        erasure = api.client.post(f"/v1/users/{erased['id']}/erasure", headers=api.operator())
        assert erasure.status_code == 200, erasure.text
        settings_ = api.local.settings.model_copy(
            update={"audit_bucket": _bucket(aws, api), "central_queue_url": queue}
        )
        worker = OutboxWorker.from_settings(settings_, api.local.shard_map)
        worker.drain(api.local.shard_map.signup_shard)
        for tx_id, direction, was_erased in created:
            [event_id] = _event_ids(api, [tx_id])
            expected[event_id] = (api.jurisdiction, direction, was_erased)

    bodies = [b for b in _bodies(aws, queue) if json.loads(b)["event_id"] in expected]
    assert len(bodies) == len(expected) == 8  # 2 jurisdictions x 2 users x debit, credit
    records = [SqsRecord(f"m-{i}", body, 1) for i, body in enumerate(bodies)]
    store = CentralStore(lambda: psycopg.connect(central_db), apply_schema=True)
    try:
        first = consume_batch(records[:10], store), consume_batch(records[10:], store)
        again = consume_batch(records, store)  # at-least-once: the whole lot redelivered
    finally:
        store.close()

    assert all(r == {"batchItemFailures": []} for r in (*first, again))
    with psycopg.connect(central_db) as conn:
        rows = conn.execute(
            "SELECT event_id::text, jurisdiction, direction, user_pseudonym IS NULL, "
            "date_trunc('hour', occurred_at) = occurred_at FROM central_events "
            "WHERE event_id = ANY(%s::uuid[])",
            (list(expected),),
        ).fetchall()
    assert {r[0]: r[1:4] for r in rows} == expected
    assert all(r[4] for r in rows)
