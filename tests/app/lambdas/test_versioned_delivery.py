"""Versions of one audit file reach the institution once (issue 10, defect 5).

Real S3 puts ``versionId`` (and ``eTag``, ``sequencer``) into the notifications of a
versioned bucket; moto's notifications leave ``versionId`` out, so these tests build the
messages in AWS's documented shape
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)
from the real PUT answers of moto's versioned bucket.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from app.lambdas.sqs_batch import Deadline, SqsRecord
from tests.app.lambdas.harness import REGION, AuditPipeline, Aws, ShipperFactory
from tests.app.lambdas.institution_stub import InstitutionStub

pytestmark = pytest.mark.services


def aws_notification(bucket: str, key: str, put: Mapping[str, Any], size: int) -> str:
    """An ``ObjectCreated:Put`` notification exactly as S3 sends it for a versioned bucket."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "2026-12-01T08:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLE:gdpr-outbox"},
        "requestParameters": {"sourceIPAddress": "10.0.12.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURI"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "audit-files-created",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": key,
                "size": size,
                "eTag": put["ETag"].strip('"'),
                "versionId": put["VersionId"],
                "sequencer": uuid.uuid4().hex[:18].upper(),
            },
        },
    }
    return json.dumps({"Records": [record]})


def _record(body: str) -> SqsRecord:
    return SqsRecord(message_id=str(uuid.uuid4()), body=body, receive_count=1)


def test_two_versions_of_the_same_file_are_one_delivery(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    key = f"audit/eu/shard-00/2026/12/01/{uuid.uuid4()}.pdf"
    body = b"%PDF-1.7\n" + os.urandom(2048)
    # a PUT retried after its answer was lost: the same bytes, a second version
    puts = [aws.s3.put_object(Bucket=audit_pipeline.bucket, Key=key, Body=body) for _ in range(2)]
    assert puts[0]["VersionId"] != puts[1]["VersionId"]
    shipper = make_shipper()
    records = [_record(aws_notification(audit_pipeline.bucket, key, p, len(body))) for p in puts]

    response = shipper.ship_batch(records, Deadline(30))

    assert response == {"batchItemFailures": []}
    assert list(institution.deliveries.values()) == [body]


def test_a_changed_file_under_the_same_key_is_a_new_delivery(
    aws: Aws,
    audit_pipeline: AuditPipeline,
    institution: InstitutionStub,
    make_shipper: ShipperFactory,
) -> None:
    key = f"audit/eu/shard-00/2026/12/01/{uuid.uuid4()}.pdf"
    bodies = [b"%PDF-1.7\n" + os.urandom(512) for _ in range(2)]
    puts = [aws.s3.put_object(Bucket=audit_pipeline.bucket, Key=key, Body=b) for b in bodies]
    records = [
        _record(aws_notification(audit_pipeline.bucket, key, p, len(b)))
        for p, b in zip(puts, bodies, strict=True)
    ]

    make_shipper().ship_batch(records, Deadline(30))

    assert sorted(institution.deliveries.values()) == sorted(bodies)
