"""The audit shipper end to end: SSE-KMS bucket → S3 notification → SQS (+DLQ) → handler →
the institution on loopback. What the institution records is the verdict: each file once."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from app.lambdas import audit_shipper
from app.lambdas.audit_shipper import AuditShipper
from app.lambdas.institution import RetryPolicy
from app.lambdas.s3_notifications import ObjectRef, parse_notification
from app.lambdas.sqs_batch import BatchResponse, Deadline, SqsRecord, records_of
from tests.app.lambdas.harness import (
    FAST_POLICY,
    MAX_RECEIVE_COUNT,
    AuditPipeline,
    Aws,
    ShipperFactory,
)
from tests.app.lambdas.institution_stub import InstitutionStub
from tests.app.lambdas.sqs_driver import FakeContext, Handler, drain, receive_all

pytestmark = pytest.mark.services


def pdf_like(size: int = 2048) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size)


def put_file(aws: Aws, pipeline: AuditPipeline, key: str | None = None) -> tuple[str, str, bytes]:
    """Upload one audit file; return (key, idempotency key the institution will see, body)."""
    key = key or f"2026/11/26/tx-{uuid.uuid4().hex[:8]}.pdf"
    body = pdf_like()
    put = aws.s3.put_object(
        Bucket=pipeline.bucket, Key=key, Body=body, ContentType="application/pdf"
    )
    ref = ObjectRef(pipeline.bucket, key, put["VersionId"], None)
    return key, ref.idempotency_key(hashlib.sha256(body).hexdigest()), body


def real_s3_notification(bucket: str, key: str, version_id: str) -> str:
    """The body real S3 sends for a versioned bucket (moto's omits versionId)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-central-1",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": key.replace(" ", "+"), "size": 1, "versionId": version_id},
        },
    }
    return json.dumps({"Records": [record]})


def as_handler(shipper: AuditShipper) -> Handler:
    def handle(event: Mapping[str, Any], context: FakeContext) -> BatchResponse:
        return shipper.ship_batch(records_of(event), Deadline.from_context(context, 0.2))

    return handle


def test_every_file_is_delivered_once_through_the_lambda_entrypoint(
    aws_env: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    institution_secret_arn: str,
    audit_key_arn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INSTITUTION_URL", institution.url)
    monkeypatch.setenv("INSTITUTION_CREDENTIAL_SECRET_ARN", institution_secret_arn)
    monkeypatch.setenv("AUDIT_BACKOFF_BASE_S", "0.01")
    monkeypatch.setattr(audit_shipper, "_shipper", None)  # a cold start, config from env
    files = [put_file(aws_env, audit_pipeline) for _ in range(5)]
    files.append(put_file(aws_env, audit_pipeline, key="odd keys/a+b c.pdf"))

    stats = drain(aws_env.sqs, audit_pipeline.queue_url, audit_shipper.handler)

    assert institution.deliveries == {idem: body for _, idem, body in files}
    assert set(institution.content_types.values()) == {"application/pdf"}
    assert stats.received == len(files) + 1  # + S3's s3:TestEvent, acknowledged
    assert stats.reported_failures == 0
    assert receive_all(aws_env.sqs, audit_pipeline.dlq_url) == []
    head = aws_env.s3.head_object(Bucket=audit_pipeline.bucket, Key=files[0][0])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == audit_key_arn


def test_duplicate_notifications_reach_the_institution_once(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    key = "2026/11/26/tx-dup.pdf"
    body = pdf_like()
    put = aws.s3.put_object(Bucket=audit_pipeline.bucket, Key=key, Body=body)
    digest = hashlib.sha256(body).hexdigest()
    idem = ObjectRef(audit_pipeline.bucket, key, put["VersionId"], None).idempotency_key(digest)
    duplicate = real_s3_notification(audit_pipeline.bucket, key, put["VersionId"])
    for _ in range(2):  # S3 delivers at least once: the same notification twice more
        aws.sqs.send_message(QueueUrl=audit_pipeline.queue_url, MessageBody=duplicate)

    stats = drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper()), batch_size=1)

    assert list(institution.deliveries) == [idem]
    assert [a.answer for a in institution.attempts_for(idem)] == ["200", "200", "200"]
    assert stats.reported_failures == 0
    assert receive_all(aws.sqs, audit_pipeline.dlq_url) == []


def test_transient_failures_are_retried_within_the_invocation(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    _, flaky, body_flaky = put_file(aws, audit_pipeline)
    _, busy, body_busy = put_file(aws, audit_pipeline)
    institution.fail(flaky, 500, times=1)
    institution.fail(flaky, 503, times=1)
    institution.fail(busy, 429, times=1, retry_after="0")

    stats = drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper()))

    assert institution.deliveries == {flaky: body_flaky, busy: body_busy}
    assert [a.answer for a in institution.attempts_for(flaky)] == ["500", "503", "200"]
    assert [a.answer for a in institution.attempts_for(busy)] == ["429", "200"]
    assert stats.reported_failures == 0


def test_a_hanging_institution_times_out_and_the_retry_is_deduplicated(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    _, hung, body_hung = put_file(aws, audit_pipeline)
    _, lost_answer, body_lost = put_file(aws, audit_pipeline)
    institution.hang(hung, seconds=10)  # never answers the first attempt
    institution.hang(lost_answer, seconds=10, record_first=True)  # accepted, answer lost

    started = time.monotonic()
    stats = drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper()))

    assert time.monotonic() - started < 8, "the read timeout, not the hang, bounds the wait"
    assert institution.deliveries == {hung: body_hung, lost_answer: body_lost}
    assert [a.answer for a in institution.attempts_for(hung)] == ["hang", "200"]
    assert [a.answer for a in institution.attempts_for(lost_answer)] == ["hang", "200"]
    assert stats.reported_failures == 0


def test_a_file_that_keeps_failing_is_dead_lettered_and_nothing_is_lost(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    files = [put_file(aws, audit_pipeline) for _ in range(4)]
    bad_key, bad, _ = files[1]
    institution.fail(bad, 500)  # every time

    stats = drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper()))

    delivered = set(institution.deliveries)
    assert delivered == {idem for _, idem, _ in files} - {bad}
    # retried within each invocation, and redriven by SQS until maxReceiveCount
    assert len(institution.attempts_for(bad)) == FAST_POLICY.max_attempts * MAX_RECEIVE_COUNT
    assert stats.reported_failures == MAX_RECEIVE_COUNT
    dead = receive_all(aws.sqs, audit_pipeline.dlq_url)
    assert [ref.key for body in dead for ref in parse_notification(body).objects] == [bad_key]
    assert receive_all(aws.sqs, audit_pipeline.queue_url) == []


def test_a_permanent_rejection_is_not_retried_but_still_dead_lettered(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    _, refused, _ = put_file(aws, audit_pipeline)
    institution.fail(refused, 400)

    drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper()))

    assert len(institution.attempts_for(refused)) == MAX_RECEIVE_COUNT  # one per receive
    assert institution.deliveries == {}
    assert len(receive_all(aws.sqs, audit_pipeline.dlq_url)) == 1


def test_poison_messages_are_dead_lettered_without_logging_their_content(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    personal = "alice@example.com"
    poison = [
        f"not json {personal}",
        json.dumps(
            {
                "Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}],
                "note": personal,
            }
        ),
    ]
    for body in poison:
        aws.sqs.send_message(QueueUrl=audit_pipeline.queue_url, MessageBody=body)
    _, good, body_good = put_file(aws, audit_pipeline)

    drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper()))

    assert institution.deliveries == {good: body_good}
    assert sorted(receive_all(aws.sqs, audit_pipeline.dlq_url)) == sorted(poison)
    assert "malformed notification" in caplog.text
    assert personal not in caplog.text


def test_a_missing_object_version_is_dead_lettered(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    key, _, _ = put_file(aws, audit_pipeline)
    aws.sqs.send_message(
        QueueUrl=audit_pipeline.queue_url,
        MessageBody=real_s3_notification(audit_pipeline.bucket, key, "no-such-version"),
    )

    drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper()))

    assert len(institution.deliveries) == 1  # the real version; the phantom one never shipped
    dead = receive_all(aws.sqs, audit_pipeline.dlq_url)
    assert [parse_notification(b).objects[0].version_id for b in dead] == ["no-such-version"]


def test_near_the_function_timeout_the_message_is_given_back_not_waited_on(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    key, idem, _ = put_file(aws, audit_pipeline)
    institution.fail(idem, 503)
    slow = RetryPolicy(max_attempts=10, base_delay_s=5.0, max_delay_s=30.0, read_timeout_s=0.5)
    shipper = make_shipper(policy=slow)
    version = aws.s3.head_object(Bucket=audit_pipeline.bucket, Key=key)["VersionId"]
    record = SqsRecord("m-1", real_s3_notification(audit_pipeline.bucket, key, version), 1)

    started = time.monotonic()
    ok = shipper.ship_message(record, Deadline(1.0))

    assert not ok
    assert time.monotonic() - started < 1.5
    assert 1 <= len(institution.attempts_for(idem)) <= 2


def test_a_rotated_credential_is_picked_up_after_a_401(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    institution_secret_arn: str,
    make_shipper: ShipperFactory,
) -> None:
    shipper = make_shipper()
    _, first, _ = put_file(aws, audit_pipeline)
    drain(aws.sqs, audit_pipeline.queue_url, as_handler(shipper))  # caches the old token
    aws.secrets.put_secret_value(
        SecretId=institution_secret_arn, SecretString=json.dumps({"token": "rotated"})
    )
    institution.set_token("rotated")
    _, second, _ = put_file(aws, audit_pipeline)

    stats = drain(aws.sqs, audit_pipeline.queue_url, as_handler(shipper))

    assert set(institution.deliveries) == {first, second}
    assert stats.reported_failures == 0


def test_an_oversized_file_is_dead_lettered_not_loaded(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    put_file(aws, audit_pipeline)  # ~2 KB

    drain(aws.sqs, audit_pipeline.queue_url, as_handler(make_shipper(max_object_bytes=1024)))

    assert institution.deliveries == {}
    assert len(receive_all(aws.sqs, audit_pipeline.dlq_url)) == 1
