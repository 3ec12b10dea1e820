"""Where the jurisdiction comes from, adequacy, levels, and unknowns, through the real pack."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.records import DELETE, PACK_DIR, UNKNOWN, Stack, compliant_stack
from tools.policy_client import PolicyPackProcess, Violation, load_policy_config

REGION = "aws-resource-require-region-in-jurisdiction"


def run(pack: PolicyPackProcess, stack: Stack, config: dict[str, Any] | None) -> list[Violation]:
    pack.configure(config)
    return pack.analyze(stack.records)


def config_for(stack: str) -> dict[str, Any]:
    return load_policy_config(PACK_DIR / "config" / "pack.json")


def jurisdiction_config(jurisdiction: str, *, adequacy: bool = False) -> dict[str, Any]:
    return {REGION: {"properties": {"jurisdiction": jurisdiction, "adequacy": adequacy}}}


def test_without_config_the_stack_name_is_the_jurisdiction(pack: PolicyPackProcess) -> None:
    assert run(pack, compliant_stack("eu"), None) == []
    assert run(pack, compliant_stack("us"), None) == []
    moved = compliant_stack("eu").set("audit-dlq", "region", "us-east-1")
    assert [(v.policy, v.level) for v in run(pack, moved, None)] == [(REGION, "mandatory")]


def test_config_beats_the_stack_name(pack: PolicyPackProcess) -> None:
    found = run(pack, compliant_stack("eu"), jurisdiction_config("us"))
    regional = [r for r in compliant_stack("eu").records if r["type"].startswith("aws:")]
    flagged = {v.urn for v in found if v.policy == REGION}
    assert flagged
    assert flagged <= {r["urn"] for r in regional}
    assert all("outside jurisdiction us (" in v.message for v in found)


def test_unknown_stack_name_without_config_fails_closed(pack: PolicyPackProcess) -> None:
    stack = Stack("dev")
    stack.provider("eu-central-1")
    stack.add("aws:sqs/queue:Queue", "q", {"kmsMasterKeyId": "arn:aws:kms:eu-central-1:1:key/k"})
    found = [v for v in run(pack, stack, None) if v.policy == REGION]
    assert len(found) == 1
    assert "cannot tell the jurisdiction" in found[0].message
    assert found[0].level == "mandatory"


def test_tags_never_decide_the_jurisdiction(pack: PolicyPackProcess) -> None:
    stack = compliant_stack("eu").set("audit-dlq", "region", "us-east-1")
    stack = stack.set("audit-dlq", "tags.jurisdiction", "us")
    policies = {v.policy for v in run(pack, stack, config_for("eu"))}
    assert policies == {REGION, "aws-resource-require-jurisdiction-tag-match"}


@pytest.mark.parametrize(
    ("region", "adequacy", "allowed"),
    [
        ("eu-west-2", False, False),
        ("eu-west-2", True, True),
        ("eu-central-2", True, True),
        ("il-central-1", True, True),
        ("eu-isoe-west-1", True, False),
        ("us-east-1", True, False),
    ],
)
def test_adequacy_mode(pack: PolicyPackProcess, region: str, adequacy: bool, allowed: bool) -> None:
    stack = compliant_stack("eu").set("audit-dlq", "region", region)
    found = run(pack, stack, jurisdiction_config("eu", adequacy=adequacy))
    assert (found == []) is allowed


def test_us_stack_catches_an_eu_region(pack: PolicyPackProcess) -> None:
    stack = compliant_stack("us").set("audit-dlq", "region", "eu-central-1")
    found = run(pack, stack, config_for("us"))
    assert [(v.policy, v.urn) for v in found] == [(REGION, stack.urn_of("audit-dlq"))]


def test_unknown_provider_region_flags_every_resource_using_it(pack: PolicyPackProcess) -> None:
    stack = compliant_stack("eu").set("aws-eu-west-1", "region", UNKNOWN)
    found = {v.urn for v in run(pack, stack, config_for("eu")) if v.policy == REGION}
    on_secondary = {
        r["urn"]
        for r in stack.records
        if r["type"].startswith("aws:")
        and (r.get("provider") or "").startswith(stack.urn_of("aws-eu-west-1"))
        and not r["type"].startswith(("aws:iam/", "aws:cloudfront/"))
    }
    assert on_secondary
    assert found == on_secondary


def test_baseline_is_advisory_unless_the_stack_config_raises_it(pack: PolicyPackProcess) -> None:
    stack = compliant_stack("eu").set("shard-0-writer", "publiclyAccessible", True)
    assert [v.level for v in run(pack, stack, None)] == ["advisory"]
    assert [v.level for v in run(pack, stack, config_for("eu"))] == ["mandatory"]


def test_config_can_disable_a_rule(pack: PolicyPackProcess) -> None:
    stack = compliant_stack("eu").set("api-logs", "retentionInDays", DELETE)
    config = {"aws-cloudwatch-loggroup-configure-retention": {"enforcementLevel": "disabled"}}
    assert run(pack, stack, config) == []


def test_unknown_outside_residency_is_an_advisory_from_the_sdk(pack: PolicyPackProcess) -> None:
    stack = compliant_stack("eu").set("shard-0-primary", "storageEncrypted", UNKNOWN)
    found = run(pack, stack, config_for("eu"))
    assert len(found) == 1
    assert found[0].policy == "aws-rds-cluster-require-cmk-encryption"
    assert found[0].level == "advisory"
    assert "can't be known during preview" in found[0].message
    assert found[0].urn == stack.urn_of("shard-0-primary")


def test_an_unknown_in_one_resource_does_not_hide_another_resources_violation(
    pack: PolicyPackProcess,
) -> None:
    stack = compliant_stack("eu").set("audit-tls", "policy", UNKNOWN).remove("audit-replica-tls")
    found = sorted((v.policy, v.urn, v.level) for v in run(pack, stack, config_for("eu")))
    assert found == [
        ("aws-s3-bucket-require-tls-policy", "", "advisory"),
        ("aws-s3-bucket-require-tls-policy", stack.urn_of("audit-replica"), "mandatory"),
    ]
