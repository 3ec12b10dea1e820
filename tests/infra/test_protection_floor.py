"""The production floor is settled once in config and every data-holding resource reads it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.config import Environment, ProtectionConfig, ProtectionFloor
from tests.infra.conftest import by_name, of_type
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult

#: Resources whose loss loses data (or the key to it): `pulumi destroy` must refuse them.
STATEFUL = (
    "aws:rds/globalCluster:GlobalCluster",
    "aws:rds/cluster:Cluster",
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:secretsmanager/secret:Secret",
    "aws:sqs/queue:Queue",
)
Preview = Callable[..., PreviewResult]
RELAXED = {
    "protection.deletionProtection": False,
    "protection.protectResources": False,
    "protection.skipFinalSnapshot": True,
}


def stateful(result: PreviewResult) -> list[ResourceRecord]:
    found = [r for r in result.resources if r["type"] in STATEFUL]
    found.append(by_name(result, "pseudonym-key", "random:index/randomPassword:RandomPassword"))
    return found


@pytest.mark.parametrize(
    ("environment", "flags", "expected"),
    [
        # production raises every flag, whatever the stack file says
        (Environment.PRODUCTION, (False, False, True), (True, False, True, True)),
        (Environment.PRODUCTION, (True, True, False), (True, False, True, True)),
        # elsewhere the flags stand as written
        (Environment.STAGING, (False, False, True), (False, True, False, False)),
        (Environment.DEVELOPMENT, (True, True, False), (True, False, True, False)),
    ],
)
def test_the_floor(
    environment: Environment,
    flags: tuple[bool, bool, bool],
    expected: tuple[bool, bool, bool, bool],
) -> None:
    deletion, protect, skip = flags
    config = ProtectionConfig(
        deletion_protection=deletion, protect_resources=protect, skip_final_snapshot=skip
    )
    floor = ProtectionFloor.settle(config, environment)
    got = (floor.deletion_protection, floor.skip_final_snapshot, floor.protect, floor.retain_keys)
    assert got == expected


def assert_protected(result: PreviewResult) -> None:
    records = stateful(result)
    assert {r["type"] for r in records} >= set(STATEFUL)
    for record in records:
        assert record["options"]["protect"] is True, record["urn"]
    for key in of_type(result, "aws:kms/key:Key"):
        assert key["options"]["retainOnDelete"] is True, key["urn"]
    for cluster in of_type(result, "aws:rds/cluster:Cluster"):
        inputs = cluster["inputs"]
        assert inputs["deletionProtection"] is True, cluster["urn"]
        assert inputs["skipFinalSnapshot"] is False, cluster["urn"]
        assert inputs["finalSnapshotIdentifier"] == f"{inputs['clusterIdentifier']}-final"
    for database in of_type(result, "aws:rds/globalCluster:GlobalCluster"):
        assert database["inputs"]["deletionProtection"] is True, database["urn"]
    for bucket in of_type(result, "aws:s3/bucket:Bucket"):
        assert bucket["inputs"]["forceDestroy"] is False, bucket["urn"]
        # Object lock where the stack enables it (turning it on replaces the bucket, and
        # COMPLIANCE mode is for ever: a decision of the stack file, not of the floor).
        # Audit and operations buckets (the pane's history follows the audit buckets): S3
        # delivers no server access logs into a bucket with a default object-lock retention,
        # so the access-log buckets never have one.
        parent = bucket["parent"] or ""
        locks = ("gdpr-platform:audit:AuditPipeline", "gdpr-platform:operations:OperationsPane")
        expected_lock = result.config.audit.object_lock.enabled and any(t in parent for t in locks)
        assert bucket["inputs"].get("objectLockEnabled", False) is expected_lock
    for cluster in of_type(result, "eks:index:Cluster"):
        assert cluster["inputs"]["deletionProtection"] is True, cluster["urn"]
    for balancer in of_type(result, "aws:lb/loadBalancer:LoadBalancer"):
        assert balancer["inputs"]["enableDeletionProtection"] is True, balancer["urn"]


def test_every_stateful_resource_of_a_production_preview_is_protected(
    stack: PreviewResult,
) -> None:
    assert stack.config.is_production
    assert_protected(stack)


def test_production_ignores_relaxed_flags(preview_with: Preview) -> None:
    assert_protected(preview_with("eu", **RELAXED))


def test_outside_production_every_component_follows_the_settled_flags(
    preview_with: Preview,
) -> None:
    # Nothing hard-codes protection: with relaxed flags in development, none is left.
    dev = preview_with("eu", environment="development", **RELAXED)
    for record in stateful(dev):
        assert record["options"]["protect"] is False, record["urn"]
    for key in of_type(dev, "aws:kms/key:Key"):
        assert key["options"]["retainOnDelete"] is False, key["urn"]
    for cluster in of_type(dev, "aws:rds/cluster:Cluster"):
        assert cluster["inputs"]["deletionProtection"] is False, cluster["urn"]
        assert cluster["inputs"]["skipFinalSnapshot"] is True, cluster["urn"]
    for cluster in of_type(dev, "eks:index:Cluster"):
        assert cluster["inputs"]["deletionProtection"] is False, cluster["urn"]
    for balancer in of_type(dev, "aws:lb/loadBalancer:LoadBalancer"):
        assert balancer["inputs"]["enableDeletionProtection"] is False, balancer["urn"]
