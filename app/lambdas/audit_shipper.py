"""Audit shipper: S3 ObjectCreated → SQS → this Lambda → the institution's HTTPS endpoint.

Entry point: ``app.lambdas.audit_shipper.handler`` (SQS event source mapping with
``ReportBatchItemFailures``).

Per SQS message: parse the S3 notification, fetch each created object version, POST it with
an ``Idempotency-Key`` of sha256(bucket, key, sha256 of the content), retrying transient
failures within the invocation's time. A message succeeds only when every file in it was
accepted; otherwise it is reported in ``batchItemFailures``, SQS redrives it, and after
``maxReceiveCount`` it sits in the DLQ (with an alarm on it). Nothing is dropped: the only
messages acknowledged without a delivery are S3's test event and non-ObjectCreated records,
which carry no file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.lambdas import env_config
from app.lambdas.institution import (
    DeliveryOutcome,
    InstitutionClient,
    RetryPolicy,
    authorization_header,
)
from app.lambdas.s3_notifications import MalformedNotificationError, ObjectRef, parse_notification
from app.lambdas.secrets import SecretCache
from app.lambdas.sqs_batch import (
    BatchResponse,
    Deadline,
    LambdaContext,
    SqsRecord,
    batch_response,
    records_of,
)
from app.lambdas.structured_log import log

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

logger = logging.getLogger("audit_shipper")
logger.setLevel(logging.INFO)

_DEFAULT_CONTENT_TYPE = "application/pdf"


@dataclass(frozen=True, slots=True)
class ShipperConfig:
    institution_url: str
    credential_secret_id: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    max_object_bytes: int = 20 * 1024 * 1024
    max_workers: int = 4
    deadline_margin_s: float = 2.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ShipperConfig:
        policy = RetryPolicy(
            max_attempts=env_config.integer(env, "AUDIT_MAX_ATTEMPTS", 5, minimum=1, maximum=20),
            base_delay_s=env_config.number(
                env, "AUDIT_BACKOFF_BASE_S", 0.2, minimum=0.0, maximum=30.0
            ),
            max_delay_s=env_config.number(
                env, "AUDIT_BACKOFF_MAX_S", 5.0, minimum=0.0, maximum=300.0
            ),
            connect_timeout_s=env_config.number(
                env, "AUDIT_CONNECT_TIMEOUT_S", 3.0, minimum=0.1, maximum=60.0
            ),
            read_timeout_s=env_config.number(
                env, "AUDIT_READ_TIMEOUT_S", 10.0, minimum=0.1, maximum=600.0
            ),
        )
        return cls(
            institution_url=env_config.https_url(env, "INSTITUTION_URL"),
            credential_secret_id=env_config.require(
                env,
                "INSTITUTION_CREDENTIAL_SECRET_ARN",
                "set it to the ARN of the Secrets Manager secret holding the institution's token",
            ),
            policy=policy,
            max_object_bytes=env_config.integer(
                env, "AUDIT_MAX_OBJECT_BYTES", 20 * 1024 * 1024, minimum=1, maximum=1 << 31
            ),
            max_workers=env_config.integer(env, "AUDIT_MAX_WORKERS", 4, minimum=1, maximum=32),
            deadline_margin_s=env_config.number(
                env, "AUDIT_DEADLINE_MARGIN_S", 2.0, minimum=0.0, maximum=60.0
            ),
        )


class AuditShipper:
    """The shipper's logic with its clients injected (tests pass clients pointed at moto)."""

    def __init__(
        self,
        s3: S3Client,
        institution: InstitutionClient,
        *,
        max_object_bytes: int = 20 * 1024 * 1024,
        max_workers: int = 4,
    ) -> None:
        self._s3 = s3
        self._institution = institution
        self._max_object_bytes = max_object_bytes
        self._max_workers = max_workers

    def ship_batch(self, records: Sequence[SqsRecord], deadline: Deadline) -> BatchResponse:
        """Ship every message of the batch; return the ones that must come back."""
        if self._max_workers == 1 or len(records) <= 1:
            results = [self.ship_message(r, deadline) for r in records]
        else:
            with ThreadPoolExecutor(max_workers=min(self._max_workers, len(records))) as pool:
                results = list(pool.map(lambda r: self.ship_message(r, deadline), records))
        failed = [r.message_id for r, ok in zip(records, results, strict=True) if not ok]
        log(
            logger,
            logging.INFO,
            "batch shipped",
            messages=len(records),
            failed=len(failed),
        )
        return batch_response(failed)

    def ship_message(self, record: SqsRecord, deadline: Deadline) -> bool:
        """True when the message may be deleted: every file in it is with the institution."""
        try:
            return self._ship_message(record, deadline)
        except Exception as exc:  # one message's surprise must not fail the batch's successes
            log(
                logger,
                logging.ERROR,
                "unexpected error shipping message",
                message_id=record.message_id,
                error=type(exc).__name__,
            )
            return False

    def _ship_message(self, record: SqsRecord, deadline: Deadline) -> bool:
        try:
            notification = parse_notification(record.body)
        except MalformedNotificationError as exc:
            # A poison message: name it so SQS dead-letters it; the body itself is not logged.
            log(
                logger,
                logging.ERROR,
                "malformed notification",
                message_id=record.message_id,
                receive_count=record.receive_count,
                reason=str(exc),
                body_bytes=len(record.body),
            )
            return False
        if notification.is_test_event:
            log(logger, logging.INFO, "s3 test event acknowledged", message_id=record.message_id)
            return True
        ok = True
        for ref in notification.objects:
            outcome = self.ship_object(ref, deadline)
            if not outcome.delivered:
                ok = False
                # later files of the message are still tried: each delivered one is then
                # deduplicated by the institution when the whole message comes back
        return ok

    def ship_object(self, ref: ObjectRef, deadline: Deadline) -> DeliveryOutcome:
        fetched = self._fetch(ref)
        if isinstance(fetched, DeliveryOutcome):
            return fetched
        body, content_type, idempotency_key = fetched
        outcome = self._institution.deliver(
            body, idempotency_key=idempotency_key, content_type=content_type, deadline=deadline
        )
        log(
            logger,
            logging.INFO if outcome.delivered else logging.WARNING,
            "file delivered" if outcome.delivered else "file not delivered",
            idempotency_key=idempotency_key,
            bytes=len(body),
            attempts=outcome.attempts,
            status=outcome.status,
            reason=outcome.reason,
        )
        return outcome

    def _fetch(self, ref: ObjectRef) -> tuple[bytes, str, str] | DeliveryOutcome:
        request: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
        if ref.version_id:
            request["VersionId"] = ref.version_id
        try:
            response = self._s3.get_object(**request)
            size = response.get("ContentLength", 0)
            if size > self._max_object_bytes:
                response["Body"].close()
                reason = f"object of {size} bytes exceeds AUDIT_MAX_OBJECT_BYTES"
                return self._fetch_failed(ref, reason)
            body = response["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "unknown")
            return self._fetch_failed(ref, f"s3 {code}")
        except BotoCoreError as exc:
            return self._fetch_failed(ref, f"s3 {type(exc).__name__}")
        # The content, not the version, names the delivery: two versions of one file (a
        # retried PUT) are one delivery, and a changed file is a new one.
        content_type = response.get("ContentType") or _DEFAULT_CONTENT_TYPE
        return body, content_type, ref.idempotency_key(hashlib.sha256(body).hexdigest())

    @staticmethod
    def _fetch_failed(ref: ObjectRef, reason: str) -> DeliveryOutcome:
        log(
            logger,
            logging.WARNING,
            "file not fetched",
            object=ref.log_id(),
            reason=reason,
        )
        return DeliveryOutcome(False, 0, None, reason)


def build_shipper(config: ShipperConfig, session: boto3.Session | None = None) -> AuditShipper:
    """Real clients from the environment (region, credentials, AWS_ENDPOINT_URL locally)."""
    session = session or boto3.Session()
    aws_config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        read_timeout=20,
        max_pool_connections=max(10, config.max_workers),
    )
    s3 = session.client("s3", config=aws_config)
    secrets = SecretCache(session.client("secretsmanager", config=aws_config))

    def authorization(refresh: bool) -> str:
        return authorization_header(secrets.get(config.credential_secret_id, refresh=refresh))

    institution = InstitutionClient(config.institution_url, authorization, config.policy)
    return AuditShipper(
        s3,
        institution,
        max_object_bytes=config.max_object_bytes,
        max_workers=config.max_workers,
    )


_shipper: tuple[ShipperConfig, AuditShipper] | None = None  # warm containers reuse the pool


def handler(event: Mapping[str, Any], context: LambdaContext | None) -> BatchResponse:
    global _shipper
    if _shipper is None:
        config = ShipperConfig.from_env(os.environ)
        _shipper = (config, build_shipper(config))
    config, shipper = _shipper
    deadline = Deadline.from_context(context, config.deadline_margin_s)
    return shipper.ship_batch(records_of(event), deadline)
