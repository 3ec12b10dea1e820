"""The access-log bucket of one region: ALB access logs and S3 server access logs land here.

Both deliveries need the target in the same region as what they log (and S3 in the same
account), so each region of the jurisdiction has its own. The logs hold client IP addresses
and request paths: personal data (the stack default classification), kept in the region.

AWS supports only SSE-S3 on the target of either delivery, never SSE-KMS: the bucket uses
AES256, which the pack's encryption rules accept only for a log target whose policy lets
nothing but log delivery put objects (policies/gdpr_pack/log_delivery.py).

Others log to it through :meth:`RegionLogBucket.log_target` and :func:`enable_access_logging`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.buckets import expire_objects, private_bucket_controls
from components.workers import deny_insecure_transport
from policies.gdpr_pack.log_delivery import S3_LOG_SERVICE, elb_log_principal

#: Key prefixes, one per delivery, so each may write only its own part of the bucket.
ALB_PREFIX = "alb"
S3_PREFIX = "s3"


@dataclass(frozen=True)
class LogTarget:
    """Where one source writes: the log bucket's name and the source's own key prefix."""

    bucket: pulumi.Output[str]
    prefix: str
    #: The log bucket's policy: delivery is admitted before logging is switched on.
    ready: pulumi.Resource


@dataclass
class RegionLogBucketArgs:
    region: str
    #: Days before a log object expires (``observability.accessLogRetentionDays``).
    retention_days: int
    #: ``protect`` of the stack's floor: logs are evidence, `pulumi destroy` keeps them.
    protect: bool


class RegionLogBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    #: The ALB must wait for it: enabling access logs checks that ELB may write.
    policy: aws.s3.BucketPolicy

    def __init__(
        self,
        name: str,
        args: RegionLogBucketArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:access-logs:RegionLogBucket", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        self._account_id = identity.account_id

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self._create_controls()
        self._create_policy()
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})

    def log_target(self, prefix: str) -> LogTarget:
        """A source's place in this bucket: S3 sources under ``s3/<prefix>/``."""
        return LogTarget(
            bucket=self.bucket.bucket, prefix=f"{S3_PREFIX}/{prefix}/", ready=self.policy
        )

    def load_balancer_logs(self, prefix: str) -> aws.lb.LoadBalancerAccessLogsArgs:
        """``access_logs`` of a load balancer of this region (ELB appends ``AWSLogs/...``)."""
        return aws.lb.LoadBalancerAccessLogsArgs(
            bucket=self.bucket.bucket, prefix=f"{ALB_PREFIX}/{prefix}", enabled=True
        )

    def _create_controls(self) -> None:
        bucket = self.bucket.id
        # No ACLs: both deliveries are admitted by the bucket policy alone. SSE-S3: the only
        # default encryption ALB and S3 log delivery support.
        controls = private_bucket_controls(self._name, bucket, kms_key_arn=None, opts=self._child)
        self._public_access_block = controls.public_access_block
        # An overwritten or deleted log is gone a day later, not kept forever.
        expire_objects(
            self._name,
            bucket,
            rule_id="expire",
            days=self._args.retention_days,
            noncurrent_days=1,
            abort_upload_days=1,
            versioning=controls.versioning,
            opts=self._child,
        )

    def _create_policy(self) -> None:
        region = self._args.region
        policy = pulumi.Output.all(self.bucket.arn, self._account_id).apply(
            lambda v: json.dumps(log_bucket_policy(v[0], v[1], region))
        )
        self.policy = aws.s3.BucketPolicy(
            f"{self._name}-policy",
            bucket=self.bucket.id,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._public_access_block]),
        )


def log_bucket_policy(bucket_arn: str, account_id: str, region: str) -> dict[str, Any]:
    """TLS only; the region's ELB and S3 log delivery may put objects, each under its prefix,
    and only for this account's sources."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport([bucket_arn, f"{bucket_arn}/*"], "s3"),
            {
                "Sid": "LoadBalancerAccessLogs",
                "Effect": "Allow",
                "Principal": elb_log_principal(region),
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ALB_PREFIX}/*/AWSLogs/{account_id}/*",
            },
            {
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": S3_LOG_SERVICE},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{S3_PREFIX}/*",
                # Sources are the buckets of this account (S3 requires the same account).
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }


def enable_access_logging(
    name: str,
    bucket: pulumi.Input[str],
    target: LogTarget,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.s3.BucketLogging:
    """S3 server access logging of ``bucket`` into its region's log bucket."""
    return aws.s3.BucketLogging(
        name,
        bucket=bucket,
        target_bucket=target.bucket,
        target_prefix=target.prefix,
        # Partitioned keys (…/account/region/bucket/yyyy/mm/dd/): faster queries and expiry.
        target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
            partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                partition_date_source="EventTime"
            )
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[target.ready])),
    )
