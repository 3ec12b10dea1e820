"""The controls every bucket of the platform carries, in one place.

Owner-enforced (no ACLs), every public-access flag on, default encryption with SSE-C
refused, versioning, and COMPLIANCE object lock where the bucket's data must outlive anyone's
wish to delete it. Callers add what is their own: the bucket policy, lifecycle, logging.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class BucketControls:
    public_access_block: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning


def private_bucket_controls(
    name: str,
    bucket: pulumi.Input[str],
    *,
    kms_key_arn: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
    lock_days: int | None = None,
) -> BucketControls:
    """The controls of ``bucket``, named ``<name>-ownership``, ``-public-access``, … .

    ``kms_key_arn`` None means SSE-S3: only for buckets that log delivery writes, since ALB
    and S3 server access logging support no other default encryption.
    """
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    )
    if kms_key_arn is None:
        rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=by_default(sse_algorithm="AES256"),
            blocked_encryption_types=["SSE-C"],
        )
    else:
        rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=by_default(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
            ),
            # One data key per bucket and period instead of per object: far fewer KMS calls.
            bucket_key_enabled=True,
            blocked_encryption_types=["SSE-C"],
        )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse", bucket=bucket, rules=[rule], opts=opts
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
        opts=opts,
    )
    if lock_days is not None:
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-object-lock",
            bucket=bucket,
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    # COMPLIANCE: no one, root included, can delete or shorten it.
                    mode="COMPLIANCE",
                    days=lock_days,
                )
            ),
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(depends_on=[versioning])
            ),
        )
    return BucketControls(public_access_block, versioning)


def expire_objects(
    name: str,
    bucket: pulumi.Input[str],
    *,
    rule_id: str,
    days: int,
    noncurrent_days: int,
    abort_upload_days: int,
    versioning: aws.s3.BucketVersioning,
    opts: pulumi.ResourceOptions,
) -> aws.s3.BucketLifecycleConfiguration:
    """Objects go after ``days``; overwritten or deleted versions after ``noncurrent_days``."""
    return aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id=rule_id,
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=noncurrent_days
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=abort_upload_days
                ),
            )
        ],
        # Noncurrent-version rules need versioning on first.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[versioning])),
    )
