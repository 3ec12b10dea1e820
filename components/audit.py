"""The audit pipeline of one region: the bucket the API writes each audit PDF to, and the
shipper that delivers every new file to the auditing institution.

S3 (SSE-KMS with the region's audit CMK, versioned, private, TLS only, object lock where
configured) → ``s3:ObjectCreated:*`` notification → SQS (queues CMK, DLQ) → shipper Lambda
→ the institution's HTTPS endpoint. The files are personal data and stay in the region;
the stack default classification ("personal") applies to everything here.

The institution's credential lives in a Secrets Manager secret this component creates
*without a value*: an operator sets it (``aws secretsmanager put-secret-value``), so the
credential never passes through Pulumi config, state or code. Until then the shipper fails
each file, which ends in the DLQ and raises the alarm: nothing is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.access_logs import LogTarget, enable_access_logging
from components.buckets import private_bucket_controls
from components.config import AuditConfig
from components.workers import QueueWorker, QueueWorkerArgs, WorkerSite, deny_insecure_transport

SHIPPER_HANDLER = "app.lambdas.audit_shipper.handler"
OBJECT_CREATED = "s3:ObjectCreated:*"


@dataclass
class AuditPipelineArgs:
    jurisdiction: str
    settings: AuditConfig
    #: The region's worker site; its floor also protects the bucket and the institution's
    #: secret: `pulumi destroy` must not drop audit files or the credential that ships them.
    site: WorkerSite
    #: The region's access-log bucket (components/access_logs.py).
    access_logs: LogTarget


class AuditPipeline(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    institution_secret: aws.secretsmanager.Secret
    shipper: QueueWorker

    def __init__(
        self,
        name: str,
        args: AuditPipelineArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:audit:AuditPipeline", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        self._account_id = identity.account_id

        self._create_bucket()
        self._create_bucket_controls()
        self._create_bucket_policy()
        self._create_institution_secret()
        self._create_shipper()
        self._create_notifications()

        self.register_outputs(
            {
                "bucketName": self.bucket.bucket,
                "bucketArn": self.bucket.arn,
                "queueArn": self.shipper.queue.arn,
                "deadLetterQueueArn": self.shipper.dead_letter_queue.arn,
                "institutionSecretArn": self.institution_secret.arn,
                "shipperFunctionArn": self.shipper.function.arn,
            }
        )

    def _create_bucket(self) -> None:
        self.bucket = aws.s3.Bucket(
            f"{self._name}-bucket",
            # Object lock can only be switched on when the bucket is created.
            object_lock_enabled=self._args.settings.object_lock.enabled,
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=self._args.site.protection.protect),
        )
        enable_access_logging(
            f"{self._name}-access-logging", self.bucket.id, self._args.access_logs, self._child
        )

    def _create_bucket_controls(self) -> None:
        args = self._args
        bucket = self.bucket.id
        lock = args.settings.object_lock
        controls = private_bucket_controls(
            self._name,
            bucket,
            kms_key_arn=args.site.keys.audit,
            opts=self._child,
            lock_days=lock.retention_days if lock.enabled else None,
        )
        self._public_access_block = controls.public_access_block
        versioning = controls.versioning
        life = args.settings.lifecycle
        aws.s3.BucketLifecycleConfiguration(
            f"{self._name}-lifecycle",
            bucket=bucket,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="archive-then-expire",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=life.transition_days,
                            storage_class=life.transition_storage_class.value,
                        )
                    ],
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=life.expiration_days
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=life.noncurrent_expiration_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=life.abort_multipart_days
                    ),
                )
            ],
            # Noncurrent-version rules need versioning on first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

    def _create_bucket_policy(self) -> None:
        policy = pulumi.Output.all(self.bucket.arn, self._args.site.keys.audit).apply(
            lambda v: json.dumps(audit_bucket_policy(v[0], v[1]))
        )
        aws.s3.BucketPolicy(
            f"{self._name}-bucket-policy",
            bucket=self.bucket.id,
            policy=policy,
            # With all public access blocked first, no moment exists where a policy
            # mistake could make the bucket public.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._public_access_block]),
        )

    def _create_institution_secret(self) -> None:
        args = self._args
        # No SecretVersion on purpose: the value is set by an operator, out of band.
        self.institution_secret = aws.secretsmanager.Secret(
            f"{self._name}-institution",
            description=(
                f"Credential for the audit institution at {args.settings.institution_url} "
                f"({args.jurisdiction}); set by an operator, never by Pulumi"
            ),
            kms_key_id=args.site.keys.secrets,
            recovery_window_in_days=30,
            opts=pulumi.ResourceOptions(parent=self, protect=args.site.protection.protect),
        )

    def _create_shipper(self) -> None:
        args = self._args
        extra = pulumi.Output.all(
            self.bucket.arn, args.site.keys.audit, self.institution_secret.arn
        ).apply(lambda v: _shipper_statements(v[0], v[1], v[2]))
        self.shipper = args.site.queue_worker(
            f"{self._name}-shipper",
            QueueWorkerArgs(
                handler=SHIPPER_HANDLER,
                description="Audit shipper: new audit files to the institution",
                settings=args.settings.shipper,
                log_name="audit-shipper",
                environment={
                    "INSTITUTION_URL": args.settings.institution_url,
                    "INSTITUTION_CREDENTIAL_SECRET_ARN": self.institution_secret.arn,
                    "AUDIT_BUCKET_NAME": self.bucket.bucket,
                    "JURISDICTION": args.jurisdiction,
                },
                extra_statements=extra,
            ),
            opts=self._child,
        )
        # The institution is outside the VPC: HTTPS through the NAT gateways. AWS APIs
        # (Secrets Manager, KMS, S3) resolve to the VPC endpoints on the same port.
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-shipper-https",
            security_group_id=self.shipper.security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to the audit institution and AWS endpoints",
            opts=self._child,
        )

    def _create_notifications(self) -> None:
        queue = self.shipper.queue
        policy = pulumi.Output.all(queue.arn, self.bucket.arn, self._account_id).apply(
            lambda v: json.dumps(audit_queue_policy(v[0], v[1], v[2]))
        )
        queue_policy = aws.sqs.QueuePolicy(
            f"{self._name}-queue-policy",
            queue_url=queue.url,
            policy=policy,
            opts=self._child,
        )
        aws.s3.BucketNotification(
            f"{self._name}-notification",
            bucket=self.bucket.id,
            queues=[
                aws.s3.BucketNotificationQueueArgs(
                    id="audit-file-created",
                    queue_arn=queue.arn,
                    events=[OBJECT_CREATED],
                )
            ],
            # S3 sends a test event when the notification is saved: the queue must already
            # admit it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy]),
        )


def audit_bucket_policy(bucket_arn: str, audit_key_arn: str) -> dict[str, Any]:
    """TLS only; uploads may not choose another encryption or another key.

    ``...IfExists``: an upload without encryption headers gets the bucket default (SSE-KMS
    with our key), so only a request that *asks* for something else is refused. A writer
    that names the key names it by ARN (not key id or alias).
    """
    objects = f"{bucket_arn}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport([bucket_arn, objects], "s3"),
            {
                "Sid": "DenyUploadsNotSseKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
                },
            },
            {
                # "aws:kms" without a key id means the AWS managed key aws/s3, not ours.
                "Sid": "DenyUploadsWithoutKeyId",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "Null": {
                        "s3:x-amz-server-side-encryption": "false",
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": "true",
                    }
                },
            },
            {
                "Sid": "DenyUploadsWithAnotherKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "StringNotEqualsIfExists": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": audit_key_arn
                    }
                },
            },
        ],
    }


def audit_queue_policy(queue_arn: str, bucket_arn: str, account_id: str) -> dict[str, Any]:
    """Only S3, for this bucket of this account, sends; TLS only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowAuditBucketNotifications",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
            deny_insecure_transport([queue_arn], "sqs"),
        ],
    }


def _shipper_statements(
    bucket_arn: str, audit_key_arn: str, secret_arn: str
) -> list[dict[str, Any]]:
    return [
        {
            # Versions too: the idempotency key is bucket + key + version.
            "Sid": "ReadAuditFiles",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{bucket_arn}/*",
        },
        {
            # The key policy admits this only through S3 (kms:ViaService).
            "Sid": "DecryptAuditFiles",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": audit_key_arn,
        },
        {
            "Sid": "ReadInstitutionCredential",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn,
        },
    ]
