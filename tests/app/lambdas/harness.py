"""Shared names of the Lambda tests: the AWS handles, the pipeline, the fast retry policy."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import boto3

from app.lambdas.audit_shipper import AuditShipper
from app.lambdas.institution import RetryPolicy

if TYPE_CHECKING:
    from types_boto3_kms import KMSClient
    from types_boto3_s3 import S3Client
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_sqs import SQSClient

REGION: Final = "eu-central-1"
TOKEN = "institution-token-v1"
MAX_RECEIVE_COUNT = 3

# Fast but real: the same code paths as production, with the waits scaled down.
FAST_POLICY = RetryPolicy(
    max_attempts=3, base_delay_s=0.01, max_delay_s=0.05, connect_timeout_s=1.0, read_timeout_s=0.5
)


@dataclass(frozen=True)
class Aws:
    endpoint: str
    session: boto3.Session
    s3: S3Client
    sqs: SQSClient
    secrets: SecretsManagerClient
    kms: KMSClient


@dataclass(frozen=True)
class AuditPipeline:
    bucket: str
    queue_url: str
    dlq_url: str


def create_queue_with_dlq(aws: Aws, name: str, key_arn: str) -> tuple[str, str]:
    dlq_url = aws.sqs.create_queue(QueueName=f"{name}-dlq", Attributes={"KmsMasterKeyId": key_arn})[
        "QueueUrl"
    ]
    dlq_arn = aws.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    queue_url = aws.sqs.create_queue(
        QueueName=name,
        Attributes={
            "KmsMasterKeyId": key_arn,
            "VisibilityTimeout": "60",
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


ShipperFactory = Callable[..., AuditShipper]


def valid_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": "transaction.created",
        "jurisdiction": "eu",
        "occurred_at": "2026-11-26T10:15:00+00:00",
        "user_pseudonym": "3f" * 32,
        "amount_minor": 12_345,
        "currency": "EUR",
        "direction": "debit",
        "schema_version": 1,
    }
    event.update(overrides)
    return event


def user_event(event_type: str, **overrides: Any) -> dict[str, Any]:
    """A user.created / user.erased event: no amount, currency or direction."""
    return valid_event(
        event_type=event_type, amount_minor=None, currency=None, direction=None, **overrides
    )
