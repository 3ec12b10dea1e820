"""The outbox worker against moto's server: PDFs with SSE-KMS, pseudonymized events,
nothing lost and nothing sent twice when S3 or SQS fail."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
import zlib
from typing import Any

import boto3
import psycopg
import pytest
from psycopg.rows import dict_row

from app.audit.worker import OutboxWorker
from app.events import ALLOWED_FIELDS, pseudonymize
from app.local import CENTRAL_REGION
from devservices import MotoServer
from tests.app.api_support import Api

pytestmark = pytest.mark.services


def _targets(aws: MotoServer, api: Api, *, bucket: bool) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    name = f"audit-test-{suffix}"
    if bucket:
        _make_bucket(aws, api, name)
    sqs = boto3.client("sqs", region_name=CENTRAL_REGION, endpoint_url=aws.endpoint)
    # A standard queue on purpose: a FIFO queue's deduplication would hide a double send.
    url: str = sqs.create_queue(QueueName=f"central-test-{suffix}")["QueueUrl"]
    return name, url


def _make_bucket(aws: MotoServer, api: Api, name: str) -> None:
    s3 = boto3.client("s3", region_name=api.local.settings.region, endpoint_url=aws.endpoint)
    where: dict[str, Any] = {
        "CreateBucketConfiguration": {"LocationConstraint": api.local.settings.region}
    }
    s3.create_bucket(Bucket=name, **where)


def _worker(api: Api, bucket: str, queue: str) -> OutboxWorker:
    settings = api.local.settings.model_copy(
        update={"audit_bucket": bucket, "central_queue_url": queue, "outbox_backoff_base_s": 60}
    )
    return OutboxWorker.from_settings(settings, api.local.shard_map)


def _messages(aws: MotoServer, queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=CENTRAL_REGION, endpoint_url=aws.endpoint)
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not got.get("Messages"):
            return out
        out.extend(json.loads(m["Body"]) for m in got["Messages"])


def _outbox(api: Api, tx_ids: list[str]) -> list[dict[str, Any]]:
    dsn = api.dsn_for(api.local.shard_map.signup_shard.start)
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT transaction_id::text, event_id::text, attempts, last_error, pdf_key, "
            "pdf_put_at, event_sent_at, done_at, next_attempt_at > now() AS backing_off "
            "FROM outbox WHERE transaction_id = ANY(%s::uuid[]) ORDER BY id",
            (tx_ids,),
        ).fetchall()


def _time_passes(api: Api, tx_ids: list[str]) -> None:
    with psycopg.connect(api.dsn_for(api.local.shard_map.signup_shard.start)) as conn:
        conn.execute(
            "UPDATE outbox SET next_attempt_at = now() WHERE transaction_id = ANY(%s::uuid[])",
            (tx_ids,),
        )


def _pdf_text(pdf: bytes) -> bytes:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    return b"".join(zlib.decompress(s) for s in streams)


def test_delivers_pdf_with_sse_kms_and_a_pseudonymized_event(eu: Api, aws: MotoServer) -> None:
    bucket, queue = _targets(aws, eu, bucket=True)
    user = eu.create_user()
    txs = [eu.add_transaction(user["id"], reference="Birthday gift for Quux") for _ in range(2)]
    worker = _worker(eu, bucket, queue)
    worker.drain(eu.local.shard_map.signup_shard)

    rows = _outbox(eu, [t["id"] for t in txs])
    assert all(r["done_at"] and r["attempts"] == 1 and r["last_error"] is None for r in rows)
    s3 = boto3.client("s3", region_name="eu-central-1", endpoint_url=aws.endpoint)
    for row in rows:
        head = s3.head_object(Bucket=bucket, Key=row["pdf_key"])
        assert head["ServerSideEncryption"] == "aws:kms"
        assert str(eu.local.settings.audit_kms_key_id) in head.get("SSEKMSKeyId", "")
        pdf = s3.get_object(Bucket=bucket, Key=row["pdf_key"])["Body"].read()
        assert pdf.startswith(b"%PDF")
        text = _pdf_text(pdf)
        assert row["transaction_id"].encode() in text
        assert str(user["id"]).encode() in text
        assert b"Quux" not in text
        assert user["email"].encode() not in text

    with psycopg.connect(eu.dsn_for(user["id"])) as conn:
        user_key = conn.execute(
            "SELECT pseudonym_key FROM users WHERE id = %s", (user["id"],)
        ).fetchone()
    assert user_key is not None
    events = [m for m in _messages(aws, queue) if m["event_id"] in {r["event_id"] for r in rows}]
    assert len(events) == 2
    for event in events:
        assert set(event) <= ALLOWED_FIELDS
        assert event["user_pseudonym"] == pseudonymize(
            user["id"], worker.pseudonym_key, user_key=bytes(user_key[0])
        )
        assert str(user["id"]) not in json.dumps(event)
        assert (event["amount_minor"], event["currency"]) == (1999, "EUR")


def test_failing_s3_loses_nothing_and_duplicates_nothing(eu: Api, aws: MotoServer) -> None:
    bucket, queue = _targets(aws, eu, bucket=False)  # the bucket does not exist yet
    user = eu.create_user()
    tx_ids = [eu.add_transaction(user["id"], amount_minor=10 + i)["id"] for i in range(6)]
    shard = eu.local.shard_map.signup_shard

    _worker(eu, bucket, queue).drain(shard)
    rows = _outbox(eu, tx_ids)
    assert len(rows) == 6
    assert all(r["done_at"] is None and r["pdf_put_at"] is None for r in rows)
    assert all(r["attempts"] == 1 and r["last_error"] == "NoSuchBucket" for r in rows)
    assert all(r["backing_off"] for r in rows)
    assert _messages(aws, queue) == [], "no event before its PDF is stored"

    _worker(eu, bucket, queue).drain(shard)  # still backing off: nothing retried yet
    assert [r["attempts"] for r in _outbox(eu, tx_ids)] == [1] * 6

    _make_bucket(aws, eu, bucket)
    _time_passes(eu, tx_ids)
    workers = [_worker(eu, bucket, queue) for _ in range(3)]  # racing workers, SKIP LOCKED
    threads = [threading.Thread(target=w.drain, args=(shard,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    rows = _outbox(eu, tx_ids)
    assert all(r["done_at"] and r["attempts"] == 2 for r in rows)
    event_ids = {r["event_id"] for r in rows}
    sent = [m["event_id"] for m in _messages(aws, queue) if m["event_id"] in event_ids]
    assert sorted(sent) == sorted(event_ids)  # each exactly once
    s3 = boto3.client("s3", region_name="eu-central-1", endpoint_url=aws.endpoint)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert {r["pdf_key"] for r in rows} <= keys


def test_failing_sqs_keeps_the_stored_pdf_and_sends_once_later(eu: Api, aws: MotoServer) -> None:
    bucket, queue = _targets(aws, eu, bucket=True)
    missing_queue = queue + "-missing"
    user = eu.create_user()
    tx_ids = [eu.add_transaction(user["id"])["id"]]
    shard = eu.local.shard_map.signup_shard

    _worker(eu, bucket, missing_queue).drain(shard)
    [row] = _outbox(eu, tx_ids)
    assert row["pdf_put_at"] is not None
    assert row["event_sent_at"] is None
    assert row["done_at"] is None
    assert row["last_error"]

    _time_passes(eu, tx_ids)
    _worker(eu, bucket, queue).drain(shard)
    [after] = _outbox(eu, tx_ids)
    assert after["done_at"] is not None
    assert after["pdf_put_at"] == row["pdf_put_at"], "the PDF step is not repeated"
    sent = [m for m in _messages(aws, queue) if m["event_id"] == row["event_id"]]
    assert len(sent) == 1


def test_event_of_an_erased_user_carries_no_pseudonym(eu: Api, aws: MotoServer) -> None:
    bucket, queue = _targets(aws, eu, bucket=True)
    user = eu.create_user()
    tx_ids = [eu.add_transaction(user["id"])["id"]]
    eu.client.post(f"/v1/users/{user['id']}/erasure", headers=eu.operator())
    _worker(eu, bucket, queue).drain(eu.local.shard_map.signup_shard)
    [row] = _outbox(eu, tx_ids)
    [event] = [m for m in _messages(aws, queue) if m["event_id"] == row["event_id"]]
    assert event["user_pseudonym"] is None


def test_running_worker_delivers_new_rows_and_stops(eu: Api, aws: MotoServer) -> None:
    bucket, queue = _targets(aws, eu, bucket=True)
    worker = _worker(eu, bucket, queue)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        user = eu.create_user()
        tx_ids = [eu.add_transaction(user["id"])["id"]]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _outbox(eu, tx_ids)[0]["done_at"]:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    [row] = _outbox(eu, tx_ids)
    assert row["done_at"] is not None
    assert [m for m in _messages(aws, queue) if m["event_id"] == row["event_id"]]
