"""Throughput of the two Lambda handlers on this machine, against real services on loopback.

Run from the repository root:  python -m bench.lambdas_bench  [--files N] [--events N]

- Shipper: ~50 KB PDF-like files uploaded to a versioned SSE-KMS bucket in moto's server;
  S3 notifications land on an SQS queue; the handler is driven as Lambda's event source
  mapping does (batches of 10, delete successes) and POSTs each file to the local institution
  stand-in. Reported in files/s, end to end, and split into its parts (S3 GET, POST) so the
  bound is visible; also with a simulated 50 ms institution round trip.
- Consumer: central events in batches of 10 into a real PostgreSQL (events/s), and the
  validation alone, to show how much of a batch is the model and how much the database.

Everything is bounded: fixed counts, a time cap per phase, loopback addresses only.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import boto3
import psycopg

from app.lambdas.audit_shipper import AuditShipper
from app.lambdas.central_consumer import consume_batch
from app.lambdas.central_event import parse_event
from app.lambdas.central_store import CentralStore, schema_sql
from app.lambdas.institution import InstitutionClient, RetryPolicy
from app.lambdas.sqs_batch import BatchResponse, Deadline, SqsRecord, records_of
from devservices import MotoServer, PostgresServer
from tests.app.lambdas.harness import REGION, valid_event
from tests.app.lambdas.institution_stub import InstitutionStub
from tests.app.lambdas.sqs_driver import FakeContext, drain

if TYPE_CHECKING:
    from types_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

TIME_CAP_S = 60.0  # no phase runs longer than this, whatever the counts
FILE_BYTES = 50 * 1024
SQS_EVENTS = 300  # moto's SQS is slow per call: keep this phase short
TOKEN = "bench-token"


def rate(count: int, seconds: float) -> str:
    seconds = max(seconds, 1e-9)
    return f"{count / seconds:8.1f}/s  ({count} in {seconds:.2f} s)"


def bench_shipper(files: int, workers: int) -> None:
    print(f"\n== audit shipper: {files} files of {FILE_BYTES // 1024} KB, {workers} workers ==")
    with MotoServer() as moto, InstitutionStub(TOKEN) as institution:
        session = boto3.Session(
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto accepts any key
            region_name=REGION,
        )
        s3 = session.client("s3", endpoint_url=moto.endpoint)
        sqs = session.client("sqs", endpoint_url=moto.endpoint)
        kms = session.client("kms", endpoint_url=moto.endpoint)
        key_arn = kms.create_key(Description="bench audit")["KeyMetadata"]["Arn"]

        def pipeline() -> tuple[str, str]:
            suffix = uuid.uuid4().hex[:8]
            bucket, queue = f"bench-audit-{suffix}", f"bench-audit-{suffix}"
            queue_url = sqs.create_queue(QueueName=queue, Attributes={"KmsMasterKeyId": key_arn})[
                "QueueUrl"
            ]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": key_arn,
                            },
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
            )
            s3.put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration={
                    "QueueConfigurations": [
                        {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}
                    ]
                },
            )
            return bucket, queue_url

        shipper = AuditShipper(
            s3,
            InstitutionClient(institution.url, lambda _refresh: f"Bearer {TOKEN}", RetryPolicy()),
            max_workers=workers,
        )

        def handler(event: Mapping[str, Any], context: FakeContext) -> BatchResponse:
            return shipper.ship_batch(records_of(event), Deadline.from_context(context, 1.0))

        for latency_ms in (0, 50):
            institution.reset()
            institution.latency_s = latency_ms / 1000
            bucket, queue_url = pipeline()
            payload = b"%PDF-1.7\n" + os.urandom(FILE_BYTES - 9)
            started = time.monotonic()
            keys = []
            for i in range(files):
                if time.monotonic() - started > TIME_CAP_S:
                    break
                key = f"2026/11/26/tx-{i:06d}.pdf"
                s3.put_object(Bucket=bucket, Key=key, Body=payload, ContentType="application/pdf")
                keys.append(key)
            upload_s = time.monotonic() - started
            started = time.monotonic()
            stats = drain(sqs, queue_url, handler, max_polls=files + 10)
            ship_s = time.monotonic() - started
            delivered = len(institution.deliveries)
            assert delivered == len(keys), f"{delivered} delivered of {len(keys)}"
            print(f"institution latency {latency_ms:3d} ms")
            print(f"  upload (PUT + notification)  {rate(len(keys), upload_s)}")
            print(
                f"  shipped end to end           {rate(delivered, ship_s)}"
                f"  [{stats.invocations} invocations, {stats.reported_failures} failures]"
            )
            print(f"  inside the handler only      {rate(delivered, stats.handler_s)}")
            if latency_ms == 0:
                parts(s3, bucket, keys, shipper, institution)


def parts(
    s3: Any, bucket: str, keys: list[str], shipper: AuditShipper, institution: InstitutionStub
) -> None:
    """The same work, one part at a time, sequentially: what one file costs where."""
    sample = keys[: min(len(keys), 200)]
    started = time.monotonic()
    bodies = [s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in sample]
    get_s = time.monotonic() - started
    client = InstitutionClient(institution.url, lambda _r: f"Bearer {TOKEN}", RetryPolicy())
    deadline = Deadline(TIME_CAP_S)
    started = time.monotonic()
    for i, body in enumerate(bodies):
        client.deliver(
            body,
            idempotency_key=uuid.uuid4().hex + f"{i:032d}",
            content_type="application/pdf",
            deadline=deadline,
        )
    post_s = time.monotonic() - started
    print(f"  part: S3 GetObject (moto)    {rate(len(sample), get_s)}  sequential")
    print(f"  part: POST to institution    {rate(len(sample), post_s)}  sequential")


def bench_consumer(events: int) -> None:
    print(f"\n== central consumer: {events} events in batches of 10 ==")
    bodies = [json.dumps(valid_event()) for _ in range(events)]
    batches = [
        [SqsRecord(f"m-{i + j}", b, 1) for j, b in enumerate(bodies[i : i + 10])]
        for i in range(0, len(bodies), 10)
    ]
    started = time.monotonic()
    for body in bodies:
        parse_event(body)
    print(f"  validation only (pydantic)   {rate(events, time.monotonic() - started)}")
    with PostgresServer() as pg:
        dsn = pg.create_database("central_bench")
        with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
            conn.execute(schema_sql().encode())
        store = CentralStore(lambda: psycopg.connect(dsn), apply_schema=False)
        try:
            measure(
                "new events (insert + aggregates)",
                batches,
                lambda batch: consume_batch(batch, store),
            )
            measure("redelivered (all duplicates)", batches, lambda b: consume_batch(b, store))
            through_sqs(store, min(events, SQS_EVENTS))
        finally:
            store.close()
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT count(*) FROM central_events").fetchone()
        assert row is not None
        assert row[0] == events + min(events, SQS_EVENTS), row


def through_sqs(store: CentralStore, events: int) -> None:
    """The same consumer fed from an SQS queue in moto, as the event source mapping does."""
    with MotoServer() as moto:
        sqs = boto3.Session(
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto accepts any key
            region_name=REGION,
        ).client("sqs", endpoint_url=moto.endpoint)
        queue_url = sqs.create_queue(QueueName="bench-central")["QueueUrl"]
        bodies = [json.dumps(valid_event()) for _ in range(events)]
        for i in range(0, events, 10):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[i : i + 10])
            ]
            sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)

        def handler(event: Mapping[str, Any], context: FakeContext) -> BatchResponse:
            return consume_batch(records_of(event), store)

        started = time.monotonic()
        stats = drain(sqs, queue_url, handler, max_polls=events // 10 + 10)
        assert stats.deleted == events, stats
        print(f"  {'through SQS (moto) end to end':<29}{rate(events, time.monotonic() - started)}")
        print(f"  {'  inside the handler only':<29}{rate(events, stats.handler_s)}")


def measure(
    label: str, batches: list[list[SqsRecord]], run: Callable[[list[SqsRecord]], BatchResponse]
) -> None:
    started = time.monotonic()
    done = 0
    for batch in batches:
        if time.monotonic() - started > TIME_CAP_S:
            break
        response = run(batch)
        assert response["batchItemFailures"] == [], response
        done += len(batch)
    print(f"  {label:<29}{rate(done, time.monotonic() - started)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; all services on 127.0.0.1")
    bench_shipper(min(args.files, 5000), args.workers)
    bench_consumer(min(args.events, 100_000))


if __name__ == "__main__":
    main()
