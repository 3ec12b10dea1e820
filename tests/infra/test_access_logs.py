"""Access logs: one log bucket per region; every other bucket and every load balancer logs into
the log bucket of its own region; only that region's log delivery may write there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError, parse_config
from policies.gdpr_pack.log_delivery import ELB_LOG_SERVICE, S3_LOG_SERVICE, elb_log_principal
from tests.infra.conftest import arn_of, of_type, policy_doc, set_key, stack_file
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult, project_config

LOG_BUCKET = "gdpr-platform:access-logs:RegionLogBucket"
BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ACCOUNT = "123456789012"  # the mocks' caller identity


def log_buckets(result: PreviewResult) -> dict[str, ResourceRecord]:
    """The log bucket of each region, by region (one each, asserted)."""
    found = [r for r in of_type(result, BUCKET) if LOG_BUCKET in (r["parent"] or "")]
    by_region = {r["region"]: r for r in found}
    assert len(by_region) == len(found), "two log buckets in one region"
    return by_region


def attached(
    result: PreviewResult, type_token: str, prop: str, bucket: ResourceRecord
) -> list[ResourceRecord]:
    return [
        r
        for r in of_type(result, type_token)
        if bucket["urn"] in r["propertyDependencies"].get(prop, [])
    ]


def test_one_log_bucket_in_every_region(stack: PreviewResult) -> None:
    assert sorted(log_buckets(stack)) == sorted(stack.config.regions.all)


def test_every_other_bucket_logs_into_its_own_regions_log_bucket(stack: PreviewResult) -> None:
    logs = log_buckets(stack)
    others = [
        b for b in of_type(stack, BUCKET) if b["urn"] not in {r["urn"] for r in logs.values()}
    ]
    assert len(others) >= len(stack.config.regions.all)  # at least the audit buckets
    for bucket in others:
        [logging] = attached(stack, LOGGING, "bucket", bucket)
        target = logs[bucket["region"]]
        assert logging["region"] == bucket["region"]
        assert logging["propertyDependencies"]["targetBucket"] == [target["urn"]]
        assert logging["inputs"]["targetPrefix"].startswith("s3/")
        assert logging["inputs"]["targetPrefix"].endswith("/")
        [policy] = attached(stack, POLICY, "bucket", target)
        assert policy["urn"] in logging["dependencies"]
    prefixes = [r["inputs"]["targetPrefix"] for r in of_type(stack, LOGGING)]
    assert len(set(prefixes)) == len(prefixes), "two buckets share a log prefix"


def test_log_buckets_do_not_log_themselves(stack: PreviewResult) -> None:
    for bucket in log_buckets(stack).values():
        assert attached(stack, LOGGING, "bucket", bucket) == []


def test_every_load_balancer_logs_into_its_own_regions_log_bucket(stack: PreviewResult) -> None:
    logs = log_buckets(stack)
    balancers = of_type(stack, LOAD_BALANCER)
    assert sorted(lb["region"] for lb in balancers) == sorted(stack.config.regions.all)
    for lb in balancers:
        target = logs[lb["region"]]
        access = lb["inputs"]["accessLogs"]
        assert access["enabled"] is True
        assert access["prefix"].startswith("alb/")
        assert lb["propertyDependencies"]["accessLogs"] == [target["urn"]]
        # ELB checks its write permission when logging is switched on: the policy comes first.
        [policy] = attached(stack, POLICY, "bucket", target)
        assert policy["urn"] in lb["dependencies"]


def _allows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in doc["Statement"] if s["Effect"] == "Allow"]


def test_log_bucket_policy_admits_only_its_regions_log_delivery(stack: PreviewResult) -> None:
    for region, bucket in log_buckets(stack).items():
        [policy] = attached(stack, POLICY, "bucket", bucket)
        doc = policy_doc(policy)
        bucket_arn = arn_of(bucket)
        allows = {str(s["Principal"]): s for s in _allows(doc)}
        elb = allows.pop(str(elb_log_principal(region)))
        s3 = allows.pop(str({"Service": S3_LOG_SERVICE}))
        assert allows == {}, f"{region}: other principals admitted: {list(allows)}"
        for statement in (elb, s3):
            assert statement["Action"] == "s3:PutObject"
        assert elb["Resource"] == f"{bucket_arn}/alb/*/AWSLogs/{ACCOUNT}/*"
        assert s3["Resource"] == f"{bucket_arn}/s3/*"
        assert s3["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
        [deny] = [s for s in doc["Statement"] if s["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert deny["Principal"] == "*"


def test_older_regions_use_their_elb_accounts_from_the_aws_documentation() -> None:
    # Cross-check of the table against the ALB guide ("Regions available before August
    # 2022"), for the regions both stacks use.
    documented = {
        "eu-central-1": "054676820928",
        "eu-west-1": "156460612806",
        "us-east-1": "127311923021",
        "us-west-2": "797873946194",
    }
    for region, account in documented.items():
        assert elb_log_principal(region) == {"AWS": f"arn:aws:iam::{account}:root"}
    assert elb_log_principal("eu-south-2") == {"Service": ELB_LOG_SERVICE}
    with pytest.raises(ValueError, match="xx-test-1"):
        elb_log_principal("xx-test-1")


def test_log_bucket_controls(stack: PreviewResult) -> None:
    for bucket in log_buckets(stack).values():

        def one(type_token: str, bucket: ResourceRecord = bucket) -> ResourceRecord:
            [record] = attached(stack, type_token, "bucket", bucket)
            return record

        sse = one(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
        [rule] = sse["inputs"]["rules"]
        # SSE-S3: the only default encryption ALB and S3 log delivery accept (AWS docs).
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
        ownership = one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
        assert ownership["inputs"]["rule"]["objectOwnership"] == "BucketOwnerEnforced"
        block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
        flags = (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
        assert all(block[f] is True for f in flags)
        versioning = one("aws:s3/bucketVersioning:BucketVersioning")
        assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"
        assert bucket["inputs"]["forceDestroy"] is False
        assert bucket["options"]["protect"] is stack.config.floor.protect
        # Client IPs: personal data, kept in the region like the rest.
        assert bucket["inputs"]["tags"]["data-classification"] == "personal"


def _expiry_days(result: PreviewResult) -> set[int]:
    days = set()
    for bucket in log_buckets(result).values():
        [life] = attached(
            result,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "bucket",
            bucket,
        )
        [rule] = life["inputs"]["rules"]
        days.add(rule["expiration"]["days"])
    return days


def test_logs_expire_after_the_configured_days(
    eu: PreviewResult, preview_with: Callable[..., PreviewResult]
) -> None:
    assert _expiry_days(eu) == {eu.config.observability.access_log_retention_days}
    changed = preview_with("eu", **{"observability.accessLogRetentionDays": 30})
    assert _expiry_days(changed) == {30}


def test_retention_below_a_day_is_refused_naming_the_key() -> None:
    config = set_key(stack_file("eu"), "observability.accessLogRetentionDays", 0)
    with pytest.raises(ConfigError) as err:
        parse_config("eu", project_config(config))
    assert err.value.key == "gdpr-platform:observability.accessLogRetentionDays"
    assert "\n" not in str(err.value)
