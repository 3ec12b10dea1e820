"""The audit pipeline in every region, and CMK encryption of every queue, bucket, log group
and function of both stacks (each with a key of its own region)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError, parse_config
from tests.infra.conftest import by_name, of_type, policy_doc, set_key, stack_file
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult, project_config

PIPELINE = "gdpr-platform:audit:AuditPipeline"
BUCKET = "aws:s3/bucket:Bucket"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def audit_only(records: list[ResourceRecord]) -> list[ResourceRecord]:
    """The audit pipelines' own (the operations pane's bucket: test_operations.py)."""
    return [r for r in records if "gdpr-platform:audit:" in r["urn"]]


def region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def own_key(result: PreviewResult, record: ResourceRecord, key_arn: Any, purpose: str) -> None:
    """``key_arn`` is the stack's ``purpose`` CMK of the record's own (effective) region."""
    where = f"{record['type']} {record['name']}"
    assert isinstance(key_arn, str), f"{where}: no CMK"
    assert ":key/" in key_arn, f"{where}: {key_arn} is not a customer-managed key ARN"
    assert region_of_arn(key_arn) == record["region"], f"{where}: key of another region"
    assert key_arn == result.outputs["kmsKeyArns"][record["region"]][purpose], where


def audit_buckets(result: PreviewResult) -> list[ResourceRecord]:
    """The audit pipelines' buckets (the access-log buckets: tests/infra/test_access_logs.py)."""
    return [r for r in of_type(result, BUCKET) if PIPELINE in (r["parent"] or "")]


def attached_to(result: PreviewResult, type_token: str, bucket: ResourceRecord) -> ResourceRecord:
    """The one ``type_token`` sub-resource whose ``bucket`` input comes from ``bucket``."""
    [record] = [
        r
        for r in of_type(result, type_token)
        if bucket["urn"] in r["propertyDependencies"].get("bucket", [])
    ]
    return record


# --- encryption everywhere, with a key of the resource's own region ------------------------


def test_every_queue_is_encrypted_with_its_regions_queues_key(stack: PreviewResult) -> None:
    queues = of_type(stack, QUEUE)
    assert len(queues) >= 4
    for queue in queues:
        own_key(stack, queue, queue["inputs"].get("kmsMasterKeyId"), "queues")
        assert queue["inputs"].get("sqsManagedSseEnabled") is not True


def test_every_audit_bucket_is_encrypted_with_its_regions_audit_key(stack: PreviewResult) -> None:
    buckets = audit_buckets(stack)
    assert len(buckets) == len(stack.config.regions.all)
    for bucket in buckets:
        sse = attached_to(stack, SSE, bucket)
        assert sse["region"] == bucket["region"]
        [rule] = sse["inputs"]["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms"
        assert rule["bucketKeyEnabled"] is True
        own_key(stack, bucket, default["kmsMasterKeyId"], "audit")


def test_every_log_group_is_encrypted_with_its_regions_logs_key(stack: PreviewResult) -> None:
    groups = of_type(stack, LOG_GROUP)
    assert len(groups) >= 2 * len(stack.config.regions.all)
    for group in groups:
        own_key(stack, group, group["inputs"].get("kmsKeyId"), "logs")
        assert group["inputs"]["retentionInDays"] > 0


def test_every_function_environment_is_encrypted_with_its_regions_secrets_key(
    stack: PreviewResult,
) -> None:
    functions = of_type(stack, FUNCTION)
    assert len(functions) >= len(stack.config.regions.all)
    for fn in functions:
        own_key(stack, fn, fn["inputs"].get("kmsKeyArn"), "secrets")


def test_every_secret_is_encrypted_with_its_regions_secrets_key(stack: PreviewResult) -> None:
    secrets = of_type(stack, "aws:secretsmanager/secret:Secret")
    assert secrets
    for secret in secrets:
        own_key(stack, secret, secret["inputs"].get("kmsKeyId"), "secrets")


# --- one pipeline per region ----------------------------------------------------------------


def test_an_audit_pipeline_in_every_region(stack: PreviewResult) -> None:
    pipelines = of_type(stack, PIPELINE)
    assert sorted(p["region"] for p in pipelines) == sorted(stack.config.regions.all)
    assert set(stack.outputs["auditBucketNames"]) == set(stack.config.regions.all)
    for region in stack.config.regions.all:
        assert by_name(stack, f"audit-{region}-bucket")["region"] == region
        assert by_name(stack, f"audit-{region}-shipper-fn")["region"] == region


def test_audit_files_keep_the_stack_classification(stack: PreviewResult) -> None:
    # Audit PDFs are personal data: unlike the hub, no "pseudonymized" label here.
    bucket = audit_buckets(stack)[0]
    assert bucket["inputs"]["tags"]["data-classification"] == "personal"


# --- bucket controls --------------------------------------------------------------------------


def test_bucket_is_versioned_private_and_owner_enforced(stack: PreviewResult) -> None:
    for bucket in audit_buckets(stack):
        versioning = attached_to(stack, "aws:s3/bucketVersioning:BucketVersioning", bucket)
        assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"
        block = attached_to(stack, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
        flags = (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
        assert all(block["inputs"][f] is True for f in flags)
        ownership = attached_to(
            stack, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket
        )
        assert ownership["inputs"]["rule"]["objectOwnership"] == "BucketOwnerEnforced"
        assert bucket["options"]["protect"] is True
        assert bucket["inputs"].get("forceDestroy") is not True


def test_bucket_policy_denies_plain_http_and_foreign_encryption(stack: PreviewResult) -> None:
    for bucket in audit_buckets(stack):
        doc = policy_doc(attached_to(stack, "aws:s3/bucketPolicy:BucketPolicy", bucket))
        denies = [s for s in doc["Statement"] if s["Effect"] == "Deny"]
        assert len(denies) == len(doc["Statement"])
        tls = [s for s in denies if s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}]
        assert len(tls) == 1
        assert tls[0]["Action"] == "s3:*"
        bucket_arn, objects = tls[0]["Resource"]
        assert objects == f"{bucket_arn}/*"
        puts = [s for s in denies if s["Action"] == "s3:PutObject"]
        conditions = [s["Condition"] for s in puts]
        audit_key = stack.outputs["kmsKeyArns"][bucket["region"]]["audit"]
        assert {
            "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
        } in conditions
        assert {
            "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": audit_key}
        } in conditions
        # "aws:kms" without a key id would fall back to the AWS managed key.
        assert any(
            c.get("Null", {}).get("s3:x-amz-server-side-encryption-aws-kms-key-id") == "true"
            for c in conditions
        )


def test_object_lock_and_lifecycle_follow_the_stack_files(
    eu: PreviewResult, us: PreviewResult
) -> None:
    # eu enables compliance-mode object lock, us does not.
    assert eu.config.audit.object_lock.enabled
    assert not us.config.audit.object_lock.enabled
    for bucket in audit_buckets(eu):
        assert bucket["inputs"]["objectLockEnabled"] is True
        lock = attached_to(eu, OBJECT_LOCK, bucket)
        retention = lock["inputs"]["rule"]["defaultRetention"]
        assert retention == {
            "mode": "COMPLIANCE",
            "days": eu.config.audit.object_lock.retention_days,
        }
    assert audit_only(of_type(us, OBJECT_LOCK)) == []
    assert all(b["inputs"]["objectLockEnabled"] is False for b in audit_buckets(us))
    for result in (eu, us):
        life = result.config.audit.lifecycle
        for bucket in audit_buckets(result):
            [rule] = attached_to(result, LIFECYCLE, bucket)["inputs"]["rules"]
            assert rule["status"] == "Enabled"
            assert rule["transitions"] == [
                {"days": life.transition_days, "storageClass": life.transition_storage_class.value}
            ]
            assert rule["expiration"]["days"] == life.expiration_days
            assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == (
                life.noncurrent_expiration_days
            )
            assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == (
                life.abort_multipart_days
            )


def test_object_lock_and_lifecycle_toggle_with_config(
    preview_with: Callable[..., PreviewResult],
) -> None:
    locked = preview_with(
        "us",
        **{
            "audit.objectLock": {"enabled": True, "retentionDays": 400},
            "audit.lifecycle.transitionDays": 45,
            "audit.lifecycle.transitionStorageClass": "STANDARD_IA",
            "audit.lifecycle.expirationDays": 500,
            "audit.lifecycle.noncurrentExpirationDays": 9,
        },
    )
    buckets = audit_buckets(locked)
    assert len(audit_only(of_type(locked, OBJECT_LOCK))) == len(buckets) == 2
    for bucket in buckets:
        assert bucket["inputs"]["objectLockEnabled"] is True
        lock = attached_to(locked, OBJECT_LOCK, bucket)
        assert lock["inputs"]["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 400}
        [rule] = attached_to(locked, LIFECYCLE, bucket)["inputs"]["rules"]
        assert rule["transitions"] == [{"days": 45, "storageClass": "STANDARD_IA"}]
        assert rule["expiration"]["days"] == 500
        assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 9


def test_object_lock_can_be_switched_off(preview_with: Callable[..., PreviewResult]) -> None:
    unlocked = preview_with("eu", **{"audit.objectLock.enabled": False})
    assert audit_only(of_type(unlocked, OBJECT_LOCK)) == []
    assert all(b["inputs"]["objectLockEnabled"] is False for b in audit_buckets(unlocked))


# --- notifications, queue, shipper ------------------------------------------------------------


def test_new_files_notify_the_shipper_queue(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        bucket = by_name(stack, f"audit-{region}-bucket")
        queue = by_name(stack, f"audit-{region}-shipper-queue")
        notification = attached_to(stack, "aws:s3/bucketNotification:BucketNotification", bucket)
        [target] = notification["inputs"]["queues"]
        assert target["events"] == ["s3:ObjectCreated:*"]
        assert queue["urn"] in notification["propertyDependencies"]["queues"]
        policy_record = by_name(stack, f"audit-{region}-queue-policy")
        # S3 checks the destination when the notification is saved.
        assert policy_record["urn"] in notification["dependencies"]
        doc = policy_doc(policy_record)
        [allow] = [s for s in doc["Statement"] if s["Effect"] == "Allow"]
        assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
        assert allow["Action"] == "sqs:SendMessage"
        bucket_name = stack.outputs["auditBucketNames"][region]
        assert allow["Condition"]["ArnEquals"] == {"aws:SourceArn": f"arn:aws:s3:::{bucket_name}"}
        assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in doc["Statement"]
        )


def test_shipper_queue_has_a_dlq_and_an_alarm_on_it(stack: PreviewResult) -> None:
    settings = stack.config.audit.shipper
    for region in stack.config.regions.all:
        queue = by_name(stack, f"audit-{region}-shipper-queue")
        dlq = by_name(stack, f"audit-{region}-shipper-dlq")
        redrive = policy_doc(queue, "redrivePolicy")
        assert redrive["maxReceiveCount"] == settings.max_receive_count
        assert dlq["urn"] in queue["propertyDependencies"]["redrivePolicy"]
        alarm = by_name(stack, f"audit-{region}-shipper-dlq-depth")
        inputs = alarm["inputs"]
        assert (inputs["namespace"], inputs["metricName"]) == (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
        )
        assert inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert inputs["threshold"] == 0
        assert dlq["urn"] in alarm["propertyDependencies"]["dimensions"]
        # No alarm topic yet (observability adds one): the alarm exists without actions.
        assert inputs.get("alarmActions", []) == []


def test_shipper_function_and_its_event_source_mapping(stack: PreviewResult) -> None:
    settings = stack.config.audit.shipper
    for region in stack.config.regions.all:
        fn = by_name(stack, f"audit-{region}-shipper-fn")
        inputs = fn["inputs"]
        assert inputs["handler"] == "app.lambdas.audit_shipper.handler"
        assert inputs["runtime"] in {"python3.12", "python3.13"}
        assert inputs["reservedConcurrentExecutions"] == settings.reserved_concurrency
        assert inputs["timeout"] == settings.timeout_seconds
        assert inputs["vpcConfig"]["subnetIds"] == stack.outputs["privateSubnetIds"][region]
        env = inputs["environment"]["variables"]
        assert env["INSTITUTION_URL"] == stack.config.audit.institution_url
        assert env["INSTITUTION_URL"].startswith("https://")
        assert region_of_arn(env["INSTITUTION_CREDENTIAL_SECRET_ARN"]) == region
        assert env["AUDIT_BUCKET_NAME"] == stack.outputs["auditBucketNames"][region]
        esm = by_name(stack, f"audit-{region}-shipper-esm")
        assert esm["inputs"]["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert esm["inputs"]["batchSize"] == settings.batch_size
        assert esm["inputs"]["maximumBatchingWindowInSeconds"] == (settings.batching_window_seconds)
        queue = by_name(stack, f"audit-{region}-shipper-queue")
        assert queue["urn"] in esm["propertyDependencies"]["eventSourceArn"]


def test_shipper_role_reads_only_its_bucket_key_and_secret(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        doc = policy_doc(by_name(stack, f"audit-{region}-shipper-policy"))
        by_sid = {s["Sid"]: s for s in doc["Statement"]}
        bucket_name = stack.outputs["auditBucketNames"][region]
        assert by_sid["ReadAuditFiles"]["Resource"] == f"arn:aws:s3:::{bucket_name}/*"
        assert set(by_sid["ReadAuditFiles"]["Action"]) == {"s3:GetObject", "s3:GetObjectVersion"}
        keys = stack.outputs["kmsKeyArns"][region]
        assert by_sid["DecryptAuditFiles"]["Resource"] == keys["audit"]
        assert by_sid["ReadInstitutionCredential"]["Action"] == "secretsmanager:GetSecretValue"
        assert all(s["Resource"] != "*" for s in doc["Statement"])
        assert not any("s3:PutObject" in str(s["Action"]) for s in doc["Statement"])


def test_the_institution_credential_is_never_set_by_pulumi(stack: PreviewResult) -> None:
    versions = of_type(stack, "aws:secretsmanager/secretVersion:SecretVersion")
    for region in stack.config.regions.all:
        secret = by_name(stack, f"audit-{region}-institution")
        assert "secretString" not in secret["inputs"]
        assert not [v for v in versions if secret["urn"] in v["dependencies"]]


# --- bad config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key", "fragment"),
    [
        (
            {"audit.institutionUrl": "http://audit.example.eu/files"},
            "audit.institutionUrl",
            "https://",
        ),
        ({"audit.institutionUrl": "https://"}, "audit.institutionUrl", "names no host"),
        (
            {"audit.institutionUrl": "https://user:pw@audit.example.eu/"},
            "audit.institutionUrl",
            "Secrets Manager",
        ),
        ({"audit.institutionUrl": None}, "audit.institutionUrl", "required key is missing"),
        (
            {"audit.lifecycle.expirationDays": 60, "audit.lifecycle.transitionDays": 90},
            "audit.lifecycle.expirationDays",
            "greater than transitionDays",
        ),
        (
            {"audit.objectLock.retentionDays": 4000},
            "audit.lifecycle.expirationDays",
            "object lock retention",
        ),
        (
            {"audit.lifecycle.transitionStorageClass": "GLACIER_FLEXIBLE"},
            "audit.lifecycle.transitionStorageClass",
            "GLACIER_FLEXIBLE",
        ),
        ({"audit.objectLock.mode": "GOVERNANCE"}, "audit.objectLock.mode", "unknown key"),
        ({"audit": None}, "audit", "required key is missing"),
    ],
)
def test_bad_audit_config_names_the_key(changes: dict[str, Any], key: str, fragment: str) -> None:
    config = stack_file("eu")
    for dotted, value in changes.items():
        config = set_key(config, dotted, value)
    with pytest.raises(ConfigError) as err:
        parse_config("eu", project_config(config))
    message = str(err.value)
    assert err.value.key == f"gdpr-platform:{key}"
    assert "\n" not in message
    assert fragment in message
