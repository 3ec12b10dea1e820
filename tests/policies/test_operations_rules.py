"""The operations pane's rules, through the analyzer protocol against the real pack process.

The compliant stack (``records.compliant_stack``) gets the pane's resources the way the
program declares them; each case changes one thing and asserts the exact violations. The
preview cases change the real program's records (eu) and expect the pack to catch them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from policies.gdpr_pack.operations import RULES, TRUSTED_ADVISOR_EXCEPTION
from policies.gdpr_pack.pack import BY_NAME
from tests.infra.conftest import stack_file
from tests.policies.records import (
    DELETE,
    PACK_DIR,
    PRIMARY,
    SECONDARY,
    UNKNOWN,
    Stack,
    arn,
    compliant_stack,
)
from tools.policy_client import PolicyPackProcess, Violation, load_policy_config
from tools.preview import PreviewResult, collect

US_EAST = "us-east-1"
EU_REGIONS = "eu (eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3)"
OPS_KEY = arn("kms", PRIMARY, "key/operations")
REGION = "aws-resource-require-region-in-jurisdiction"
AGGREGATOR = "aws-cfg-configurationaggregator-require-sources-in-jurisdiction"
CHANNEL = "aws-cfg-deliverychannel-require-bucket-in-jurisdiction"
CHANNEL_CMK = "aws-cfg-deliverychannel-require-cmk-encryption"
SYNC = "aws-ssm-resourcedatasync-require-destination-in-jurisdiction"
SYNC_CMK = "aws-ssm-resourcedatasync-require-cmk-encryption"
FINDINGS = "aws-securityhub-findingaggregator-require-linked-regions-in-jurisdiction"
EXPLORER = "aws-resourceexplorer-index-require-aggregator-in-jurisdiction"
OAM = "aws-oam-link-require-sink-in-jurisdiction"
TRUSTED_ADVISOR = "aws-cloudwatch-eventrule-require-trusted-advisor-exception"

AGGREGATOR_TYPE = "aws:cfg/configurationAggregator:ConfigurationAggregator"
SYNC_TYPE = "aws:ssm/resourceDataSync:ResourceDataSync"
FINDINGS_TYPE = "aws:securityhub/findingAggregator:FindingAggregator"
TA_PATTERN = (
    '{"detail-type": ["Trusted Advisor Check Item Refresh Notification"], '
    '"source": ["aws.trustedadvisor"]}'
)


def with_pane(s: Stack) -> Stack:
    """The pane as the program declares it, on the compliant stack's audit bucket."""
    s = s.copy()
    s.add(
        AGGREGATOR_TYPE,
        "ops-aggregator",
        {
            "name": "gdpr-platform-eu",
            "accountAggregationSource": {
                "accountIds": ["123456789012"],
                "regions": [PRIMARY, SECONDARY],
                "allRegions": False,
            },
        },
        classification="internal",
    )
    for region in (PRIMARY, SECONDARY):
        s.add(
            "aws:cfg/deliveryChannel:DeliveryChannel",
            f"ops-channel-{region}",
            {"name": "gdpr-platform-eu", "s3BucketName": "audit-bucket", "s3KmsKeyArn": OPS_KEY},
            region=region,
            deps={"s3BucketName": ["audit"]},
        )
        s.add(
            SYNC_TYPE,
            f"ops-sync-{region}",
            {
                "name": f"gdpr-platform-eu-{region}",
                "s3Destination": {
                    "bucketName": "audit-bucket",
                    "region": PRIMARY,
                    "kmsKeyArn": OPS_KEY,
                    "prefix": "inventory",
                    "syncFormat": "JsonSerDe",
                },
            },
            region=region,
            deps={"s3Destination": ["audit"]},
        )
        s.add(
            "aws:resourceexplorer/index:Index",
            f"ops-index-{region}",
            {"type": "AGGREGATOR" if region == PRIMARY else "LOCAL"},
            region=region,
            classification="internal",
        )
    s.add(
        FINDINGS_TYPE,
        "ops-findings",
        {"linkingMode": "SPECIFIED_REGIONS", "specifiedRegions": [SECONDARY]},
    )
    s.add("aws:oam/sink:Sink", "ops-sink", {"name": "gdpr-platform-eu"}, classification="internal")
    s.add(
        "aws:oam/link:Link",
        "ops-link",
        {
            "labelTemplate": "$AccountName",
            "resourceTypes": ["AWS::CloudWatch::Metric"],
            "sinkIdentifier": arn("oam", SECONDARY, "sink/monitoring"),
        },
        region=SECONDARY,
        classification="internal",
    )
    return s


def with_trusted_advisor(s: Stack, *, source: str = "aws.trustedadvisor") -> Stack:
    """The exception's resources in us-east-1, forwarding to the primary's default bus."""
    s = s.copy()
    s.provider(US_EAST)
    pattern = TA_PATTERN.replace("aws.trustedadvisor", source)
    s.add(
        "aws:cloudwatch/eventRule:EventRule",
        "ops-ta",
        {"name": "gdpr-platform-eu-trusted-advisor", "eventPattern": pattern},
        region=US_EAST,
        classification="internal",
    )
    s.add(
        "aws:cloudwatch/eventTarget:EventTarget",
        "ops-ta-target",
        {
            "rule": "gdpr-platform-eu-trusted-advisor",
            "arn": arn("events", PRIMARY, "event-bus/default"),
        },
        region=US_EAST,
        deps={"rule": ["ops-ta"]},
    )
    return s


EU = with_pane(compliant_stack("eu"))


def message(policy: str, problem: str) -> str:
    rule = BY_NAME[policy]
    return f"{rule.description}\n{rule.message(problem)}"


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Stack], Stack]
    #: (policy, resource, problem), every violation the change rightly causes
    found: tuple[tuple[str, str, str], ...]


def _set(name: str, path: str, value: object) -> Callable[[Stack], Stack]:
    return lambda s: s.set(name, path, value)


def _outside(what: str, region: str) -> str:
    return f"{what} is in {region!r}, outside jurisdiction {EU_REGIONS}"


CASES = [
    Case(
        "aggregator-source-abroad",
        _set("ops-aggregator", "accountAggregationSource.regions.1", US_EAST),
        (
            (
                AGGREGATOR,
                "ops-aggregator",
                _outside(
                    f"{AGGREGATOR_TYPE} 'ops-aggregator' accountAggregationSource source", US_EAST
                ),
            ),
        ),
    ),
    Case(
        "aggregator-all-regions",
        _set("ops-aggregator", "accountAggregationSource.allRegions", True),
        (
            (
                AGGREGATOR,
                "ops-aggregator",
                f"{AGGREGATOR_TYPE} 'ops-aggregator' accountAggregationSource aggregates all "
                "regions (allRegions); list the jurisdiction's regions only",
            ),
        ),
    ),
    Case(
        "aggregator-regions-unknown",
        _set("ops-aggregator", "accountAggregationSource.regions", UNKNOWN),
        (
            (
                AGGREGATOR,
                "ops-aggregator",
                f"{AGGREGATOR_TYPE} 'ops-aggregator' accountAggregationSource: regions are "
                "unknown at preview; residency fails closed",
            ),
        ),
    ),
    Case(
        "delivery-channel-foreign-bucket",
        lambda s: s.set("ops-channel-eu-west-1", "s3BucketName", "someone-elses-bucket").set_record(
            "ops-channel-eu-west-1", "propertyDependencies", {}
        ),
        (
            (
                CHANNEL,
                "ops-channel-eu-west-1",
                "aws:cfg/deliveryChannel:DeliveryChannel 'ops-channel-eu-west-1' bucket "
                "'someone-elses-bucket' is not a bucket of this stack, so its region cannot be "
                "checked; residency fails closed",
            ),
        ),
    ),
    Case(
        "delivery-channel-without-cmk",
        _set("ops-channel-eu-west-1", "s3KmsKeyArn", DELETE),
        (
            (
                CHANNEL_CMK,
                "ops-channel-eu-west-1",
                "aws:cfg/deliveryChannel:DeliveryChannel 'ops-channel-eu-west-1' sets no "
                "s3KmsKeyArn (SSE-S3 only)",
            ),
        ),
    ),
    Case(
        "data-sync-into-a-bucket-abroad",
        _set("ops-sync-eu-west-1", "s3Destination.region", US_EAST),
        (
            (
                SYNC,
                "ops-sync-eu-west-1",
                _outside(f"{SYNC_TYPE} 'ops-sync-eu-west-1' destination", US_EAST),
            ),
        ),
    ),
    Case(
        "data-sync-region-not-the-buckets",
        _set("ops-sync-eu-west-1", "s3Destination.region", SECONDARY),
        (
            (
                SYNC,
                "ops-sync-eu-west-1",
                f"{SYNC_TYPE} 'ops-sync-eu-west-1' destination declares region 'eu-west-1' but "
                "bucket 'audit' is in 'eu-central-1'",
            ),
        ),
    ),
    Case(
        "data-sync-with-aws-managed-key",
        _set("ops-sync-eu-central-1", "s3Destination.kmsKeyArn", "alias/aws/s3"),
        (
            (
                SYNC_CMK,
                "ops-sync-eu-central-1",
                f"{SYNC_TYPE} 'ops-sync-eu-central-1' s3Destination kmsKeyArn is the AWS managed "
                "key 'alias/aws/s3'",
            ),
        ),
    ),
    Case(
        "finding-aggregator-links-a-foreign-region",
        _set("ops-findings", "specifiedRegions", [SECONDARY, US_EAST]),
        (
            (
                FINDINGS,
                "ops-findings",
                _outside(f"{FINDINGS_TYPE} 'ops-findings' linked region", US_EAST),
            ),
        ),
    ),
    Case(
        "finding-aggregator-all-regions",
        _set("ops-findings", "linkingMode", "ALL_REGIONS"),
        (
            (
                FINDINGS,
                "ops-findings",
                f"{FINDINGS_TYPE} 'ops-findings' links with linkingMode 'ALL_REGIONS', which "
                "takes in regions outside the jurisdiction; use SPECIFIED_REGIONS",
            ),
        ),
    ),
    Case(
        "explorer-aggregator-abroad",
        _set("ops-index-eu-central-1", "region", "eu-west-2"),
        (
            (
                EXPLORER,
                "ops-index-eu-central-1",
                _outside(
                    "aws:resourceexplorer/index:Index 'ops-index-eu-central-1' (type 'AGGREGATOR')",
                    "eu-west-2",
                ),
            ),
            (
                REGION,
                "ops-index-eu-central-1",
                _outside("aws:resourceexplorer/index:Index 'ops-index-eu-central-1'", "eu-west-2"),
            ),
        ),
    ),
    Case(
        "oam-link-to-a-sink-abroad",
        _set("ops-link", "sinkIdentifier", arn("oam", US_EAST, "sink/monitoring")),
        (
            (
                OAM,
                "ops-link",
                _outside(
                    f"aws:oam/link:Link 'ops-link' sink {arn('oam', US_EAST, 'sink/monitoring')!r}",
                    US_EAST,
                ),
            ),
        ),
    ),
    Case(
        "trusted-advisor-without-the-exception",
        with_trusted_advisor,
        tuple(
            (policy, name, problem)
            for name, kind in (
                ("ops-ta", "aws:cloudwatch/eventRule:EventRule"),
                ("ops-ta-target", "aws:cloudwatch/eventTarget:EventTarget"),
            )
            for policy, problem in (
                (
                    TRUSTED_ADVISOR,
                    f"{kind} {name!r} in 'us-east-1' is outside jurisdiction {EU_REGIONS} and "
                    f"the policy config names no exception {TRUSTED_ADVISOR_EXCEPTION!r}",
                ),
                (REGION, _outside(f"{kind} {name!r}", US_EAST)),
            )
        ),
    ),
]


@pytest.fixture
def eu_pack(pack: PolicyPackProcess) -> PolicyPackProcess:
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    return pack


def _expected(s: Stack, found: tuple[tuple[str, str, str], ...]) -> list[Violation]:
    return sorted(
        Violation(policy, s.urn_of(name), message(policy, problem), "mandatory")
        for policy, name, problem in found
    )


def test_the_pane_as_declared_passes(eu_pack: PolicyPackProcess) -> None:
    assert eu_pack.analyze(EU.records) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_change_its_violations(eu_pack: PolicyPackProcess, case: Case) -> None:
    mutated = case.mutate(EU)
    assert eu_pack.analyze(mutated.records) == _expected(mutated, case.found)


def test_every_operations_rule_has_a_failing_case() -> None:
    assert {p for c in CASES for p, _, _ in c.found} >= {r.name for r in RULES}


PASSING = {
    "finding-aggregator-links-nothing": lambda s: s.set(
        "ops-findings", "linkingMode", "NO_REGIONS"
    ).set("ops-findings", "specifiedRegions", DELETE),
    "explorer-local-index-only": _set("ops-index-eu-central-1", "type", "LOCAL"),
    "oam-link-to-a-stack-sink": lambda s: (
        s.set("ops-link", "region", PRIMARY)
        .set("ops-link", "sinkIdentifier", UNKNOWN)
        .set_record("ops-link", "propertyDependencies", {"sinkIdentifier": [s.urn_of("ops-sink")]})
    ),
}


@pytest.mark.parametrize("change", PASSING.values(), ids=list(PASSING))
def test_accepted_variations_pass(
    eu_pack: PolicyPackProcess, change: Callable[[Stack], Stack]
) -> None:
    assert eu_pack.analyze(change(EU).records) == []


def _with_exception(pack: PolicyPackProcess, *policies: str) -> None:
    config = load_policy_config(PACK_DIR / "config" / "pack.json")
    for policy in policies:
        entry = config.setdefault(policy, {"properties": {}})
        entry.setdefault("properties", {})["exceptions"] = [TRUSTED_ADVISOR_EXCEPTION]
    pack.configure(config)


def test_the_named_exception_admits_trusted_advisor_events_only(pack: PolicyPackProcess) -> None:
    _with_exception(pack, TRUSTED_ADVISOR)
    try:
        admitted = with_trusted_advisor(EU)
        assert [v for v in pack.analyze(admitted.records) if v.policy == TRUSTED_ADVISOR] == []
        # Policy config is per policy: the region rule admits it only when it names it too.
        assert {v.policy for v in pack.analyze(admitted.records)} == {REGION}
    finally:
        pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))

    _with_exception(pack, TRUSTED_ADVISOR, REGION)
    try:
        assert pack.analyze(with_trusted_advisor(EU).records) == []

        other = with_trusted_advisor(EU, source="aws.ec2")
        all_found = pack.analyze(other.records)
        found = [v for v in all_found if v.policy == TRUSTED_ADVISOR]
        assert [v.urn for v in found] == [other.urn_of("ops-ta"), other.urn_of("ops-ta-target")]
        assert "covers Trusted Advisor events only" in found[0].message
        assert "belongs to no Trusted Advisor rule" in found[1].message
        # The exception never places another rule in us-east-1.
        assert [v.urn for v in all_found if v.policy == REGION] == [other.urn_of("ops-ta")]

        abroad = with_trusted_advisor(EU).set(
            "ops-ta-target", "arn", arn("events", US_EAST, "event-bus/default")
        )
        found = [v for v in pack.analyze(abroad.records) if v.policy == TRUSTED_ADVISOR]
        assert [v.urn for v in found] == [abroad.urn_of("ops-ta-target")]
        assert "destination is in 'us-east-1'" in found[0].message
    finally:
        pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))


# -- the real program's records, changed -------------------------------------------------------


@pytest.fixture(scope="module")
def eu_preview() -> PreviewResult:
    return collect("eu", stack_file("eu"))


def _one(records: list[dict[str, Any]], type_token: str, name_part: str = "") -> dict[str, Any]:
    found = [r for r in records if r["type"] == type_token and name_part in r["name"]]
    assert found, (type_token, name_part)
    return found[0]


def _caught(
    pack: PolicyPackProcess, records: list[dict[str, Any]], victim: dict[str, Any]
) -> set[str]:
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    return {
        v.policy for v in pack.analyze(records) if v.urn == victim["urn"] and v.level == "mandatory"
    }


def test_preview_aggregator_with_a_foreign_source_is_caught(
    pack: PolicyPackProcess, eu_preview: PreviewResult
) -> None:
    records = copy.deepcopy(eu_preview.resources)
    victim = _one(records, AGGREGATOR_TYPE)
    victim["inputs"]["accountAggregationSource"]["regions"].append(US_EAST)
    assert _caught(pack, records, victim) == {AGGREGATOR}


def test_preview_data_sync_into_a_bucket_abroad_is_caught(
    pack: PolicyPackProcess, eu_preview: PreviewResult
) -> None:
    records = copy.deepcopy(eu_preview.resources)
    victim = _one(records, SYNC_TYPE, "eu-west-1")
    victim["inputs"]["s3Destination"]["region"] = US_EAST
    assert _caught(pack, records, victim) == {SYNC}


def test_preview_finding_aggregator_linking_a_foreign_region_is_caught(
    pack: PolicyPackProcess, eu_preview: PreviewResult
) -> None:
    records = copy.deepcopy(eu_preview.resources)
    victim = _one(records, FINDINGS_TYPE)
    victim["inputs"]["specifiedRegions"] = [*victim["inputs"]["specifiedRegions"], "eu-west-2"]
    assert _caught(pack, records, victim) == {FINDINGS}
