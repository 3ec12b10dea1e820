"""The operations pane under mocks: what each stack declares, and its config's refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.config import TRUSTED_ADVISOR_EXCEPTION, ConfigError, parse_config
from components.observability import OPERATIONS_EVENT_PATTERNS, operations_rule_name
from tests.infra.conftest import arn_of, of_type, policy_doc, set_key, stack_file
from tests.infra.iam_checks import least_privilege_problems
from tools.mocks import ACCOUNT_ID, ResourceRecord
from tools.preview import PreviewResult, project_config

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
RECORDER = "aws:cfg/recorder:Recorder"
CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
AGGREGATOR = "aws:cfg/configurationAggregator:ConfigurationAggregator"
SYNC = "aws:ssm/resourceDataSync:ResourceDataSync"
INDEX = "aws:resourceexplorer/index:Index"
VIEW = "aws:resourceexplorer/view:View"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
FINDINGS = "aws:securityhub/findingAggregator:FindingAggregator"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SINK = "aws:oam/sink:Sink"
SINK_POLICY = "aws:oam/sinkPolicy:SinkPolicy"
LINK = "aws:oam/link:Link"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PANE_TYPES = (RECORDER, CHANNEL, AGGREGATOR, SYNC, INDEX, VIEW, HUB, STANDARD, FINDINGS)
PER_REGION = (RECORDER, CHANNEL, RECORDER_STATUS, SYNC, INDEX, HUB, STANDARD)


def pane(result: PreviewResult, type_token: str) -> list[ResourceRecord]:
    return [r for r in of_type(result, type_token) if "gdpr-platform:operations:" in r["urn"]]


def ops_bucket(result: PreviewResult) -> ResourceRecord:
    buckets = pane(result, BUCKET)
    assert len(buckets) == 1
    return buckets[0]


def ops_key(result: PreviewResult) -> ResourceRecord:
    keys = pane(result, KEY)
    assert len(keys) == 1
    return keys[0]


def _config(stack: str, **changes: Any) -> Any:
    config = stack_file(stack)
    for dotted, value in changes.items():
        config = set_key(config, dotted, value)
    return parse_config(stack, project_config(config))


# -- config ----------------------------------------------------------------------------------


def test_on_by_default_in_production_only() -> None:
    assert _config("eu", **{"operations.enabled": None}).operations.on
    staging = _config("eu", environment="staging", **{"operations.enabled": None})
    assert not staging.operations.on
    assert _config("eu", environment="staging", **{"operations.enabled": True}).operations.on


@pytest.mark.parametrize(
    ("stack", "changes", "key", "fix"),
    [
        (
            "eu",
            {"operations.trustedAdvisor.enabled": True},
            "operations.trustedAdvisor.exception",
            TRUSTED_ADVISOR_EXCEPTION,
        ),
        (
            "eu",
            {
                "operations.trustedAdvisor.enabled": True,
                "operations.trustedAdvisor.exception": "anything-goes",
            },
            "operations.trustedAdvisor.exception",
            "not a known exception",
        ),
        (
            "eu",
            {
                "operations.crossAccount.sinkArns": {
                    "us-east-1": "arn:aws:oam:us-east-1:111122223333:sink/a"
                }
            },
            "operations.crossAccount.sinkArns.us-east-1",
            "not a region of this stack",
        ),
        (
            "eu",
            {
                "operations.crossAccount.sinkArns": {
                    "eu-west-1": "arn:aws:oam:eu-central-1:111122223333:sink/a"
                }
            },
            "operations.crossAccount.sinkArns.eu-west-1",
            "in its own region",
        ),
        (
            "eu",
            {"operations.crossAccount.sourceAccountIds": ["111122223333"]},
            "operations.crossAccount.sourceAccountIds",
            "createSinks: true",
        ),
        (
            "us",
            {"operations.crossAccount.createSinks": True},
            "operations.crossAccount.sourceAccountIds",
            "list the accounts",
        ),
        ("us", {"operations.bucketRetentionDays": 90}, "operations.bucketRetentionDays", "365"),
        (
            "us",
            {"operations.crossAccount.sourceAccountIds": ["12345"]},
            "operations.crossAccount.sourceAccountIds[0]",
            "12-digit",
        ),
        (
            "us",
            {"operations.createSecuriyHub": False},
            "operations.createSecuriyHub",
            "unknown key",
        ),
    ],
)
def test_bad_config_names_the_key_and_the_fix(
    stack: str, changes: dict[str, Any], key: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _config(stack, **changes)
    assert caught.value.key == f"gdpr-platform:{key}"
    assert fix in str(caught.value)


def test_trusted_advisor_needs_no_exception_where_us_east_1_is_home() -> None:
    assert _config(
        "us", **{"operations.trustedAdvisor.enabled": True}
    ).operations.trusted_advisor.enabled


# -- what the stacks declare -------------------------------------------------------------------


def test_every_region_records_syncs_indexes_and_runs_security_hub(stack: PreviewResult) -> None:
    regions = set(stack.config.regions.all)
    for type_token in PER_REGION:
        records = pane(stack, type_token)
        assert sorted(r["region"] for r in records) == sorted(regions), type_token


def test_recorders_deliver_into_the_primary_bucket_with_its_key(stack: PreviewResult) -> None:
    bucket, key = ops_bucket(stack), ops_key(stack)
    primary = stack.config.regions.primary
    assert bucket["region"] == key["region"] == primary
    for channel in pane(stack, CHANNEL):
        assert channel["propertyDependencies"]["s3BucketName"] == [bucket["urn"]]
        assert channel["inputs"]["s3KmsKeyArn"] == arn_of(key)
    recorders = {r["region"]: r for r in pane(stack, RECORDER)}
    # Global resource types (IAM) once, in the primary.
    assert [
        region
        for region, r in recorders.items()
        if r["inputs"]["recordingGroup"]["includeGlobalResourceTypes"]
    ] == [primary]
    assert all(r["inputs"]["recordingGroup"]["allSupported"] for r in recorders.values())
    assert all(s["inputs"]["isEnabled"] for s in pane(stack, RECORDER_STATUS))


def test_aggregators_take_in_only_the_jurisdictions_regions(stack: PreviewResult) -> None:
    cfg = stack.config
    (aggregator,) = pane(stack, AGGREGATOR)
    source = aggregator["inputs"]["accountAggregationSource"]
    assert aggregator["region"] == cfg.regions.primary
    assert source["regions"] == list(cfg.regions.all)
    assert source["allRegions"] is False
    assert source["accountIds"] == [ACCOUNT_ID]

    (findings,) = pane(stack, FINDINGS)
    assert findings["region"] == cfg.regions.primary
    assert findings["inputs"]["linkingMode"] == "SPECIFIED_REGIONS"
    assert findings["inputs"]["specifiedRegions"] == list(cfg.regions.secondaries)

    indexes = {r["region"]: r["inputs"]["type"] for r in pane(stack, INDEX)}
    assert [r for r, kind in indexes.items() if kind == "AGGREGATOR"] == [cfg.regions.primary]
    (view,) = pane(stack, VIEW)
    assert view["region"] == cfg.regions.primary
    assert view["inputs"]["defaultView"] is True


def test_data_syncs_write_every_region_into_the_primary_bucket(stack: PreviewResult) -> None:
    bucket, key = ops_bucket(stack), ops_key(stack)
    for sync in pane(stack, SYNC):
        destination = sync["inputs"]["s3Destination"]
        assert destination["region"] == stack.config.regions.primary
        assert destination["kmsKeyArn"] == arn_of(key)
        assert bucket["urn"] in sync["propertyDependencies"]["s3Destination"]


def test_fsbp_subscription_names_its_own_region(stack: PreviewResult) -> None:
    for subscription in pane(stack, STANDARD):
        arn = subscription["inputs"]["standardsArn"]
        assert arn == (
            f"arn:aws:securityhub:{subscription['region']}::standards/"
            "aws-foundational-security-best-practices/v/1.0.0"
        )
    for hub in pane(stack, HUB):
        assert hub["inputs"]["enableDefaultStandards"] is False


def test_the_bucket_is_audit_grade(stack: PreviewResult) -> None:
    bucket, key = ops_bucket(stack), ops_key(stack)

    def control(type_token: str) -> dict[str, Any]:
        found = [
            r
            for r in pane(stack, type_token)
            if bucket["urn"] in r["propertyDependencies"].get("bucket", [])
        ]
        assert len(found) == 1, type_token
        inputs: dict[str, Any] = found[0]["inputs"]
        return inputs

    assert control("aws:s3/bucketOwnershipControls:BucketOwnershipControls")["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"
    }
    block = control("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    sse = control(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    default = sse["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": arn_of(key)}
    assert (
        control("aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"]["status"]
        == "Enabled"
    )

    # Locked like the audit buckets, for as long as the history is kept.
    locks = pane(stack, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert bool(bucket["inputs"]["objectLockEnabled"]) is stack.config.audit.object_lock.enabled
    assert [lock["inputs"]["rule"]["defaultRetention"] for lock in locks] == (
        [{"mode": "COMPLIANCE", "days": stack.config.operations.bucket_retention_days}]
        if stack.config.audit.object_lock.enabled
        else []
    )

    (policy_record,) = pane(stack, "aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in policy_doc(policy_record)["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert statements["DenyUploadsWithAnotherKey"]["Effect"] == "Deny"
    for sid in ("SsmDataSyncBucketCheck", "SsmDataSyncDelivery"):
        assert statements[sid]["Principal"] == {"Service": "ssm.amazonaws.com"}
        assert statements[sid]["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT_ID
    assert f"accountid={ACCOUNT_ID}" in statements["SsmDataSyncDelivery"]["Resource"]


def test_the_key_lets_only_config_and_ssm_of_this_account_use_it(stack: PreviewResult) -> None:
    key = ops_key(stack)
    assert key["inputs"]["enableKeyRotation"] is True
    services = {
        s["Principal"]["Service"]: s["Condition"]
        for s in policy_doc(key)["Statement"]
        if "Service" in s.get("Principal", {})
    }
    assert set(services) == {"ssm.amazonaws.com", "config.amazonaws.com"}
    for condition in services.values():
        assert condition == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_the_recorder_role_is_config_only_and_least_privilege(stack: PreviewResult) -> None:
    (role,) = [r for r in pane(stack, ROLE) if r["inputs"]["name"].endswith("-config-recorder")]
    trust = policy_doc(role, "assumeRolePolicy")["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "config.amazonaws.com"}]
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    (inline,) = [r for r in pane(stack, ROLE_POLICY) if "config-delivery" in r["name"]]
    assert least_privilege_problems(policy_doc(inline), set(stack.config.regions.all)) == []


def test_the_dashboard_counts_what_each_regions_rules_match(stack: PreviewResult) -> None:
    (dashboard,) = pane(stack, "aws:cloudwatch/dashboard:Dashboard")
    assert dashboard["region"] == stack.config.regions.primary
    widgets = json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]
    shown = {(w["properties"]["region"], w["properties"]["metrics"][0][3]) for w in widgets}
    rules = {(r["region"], r["inputs"]["name"]) for r in pane(stack, EVENT_RULE)}
    expected = {
        (region, operations_rule_name(stack.config.stack, kind))
        for region in stack.config.regions.all
        for kind in OPERATIONS_EVENT_PATTERNS
    }
    assert shown == expected
    assert expected <= rules


def test_alarm_topics_take_eventbridge_of_this_account_only(stack: PreviewResult) -> None:
    for policy in of_type(stack, "aws:sns/topicPolicy:TopicPolicy"):
        statements = {s["Sid"]: s for s in policy_doc(policy)["Statement"]}
        if "EventBridgeRulesPublish" not in statements:
            continue
        publish = statements["EventBridgeRulesPublish"]
        assert publish["Principal"] == {"Service": "events.amazonaws.com"}
        assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_off_declares_none_of_it(preview_with: Callable[..., PreviewResult]) -> None:
    off = preview_with("us", **{"operations.enabled": False})
    assert not any("gdpr-platform:operations:" in r["urn"] for r in off.resources)
    assert all(not of_type(off, t) for t in PANE_TYPES)
    assert "operationsBucketName" not in off.outputs


def test_singletons_left_to_the_account(preview_with: Callable[..., PreviewResult]) -> None:
    shared = preview_with(
        "us",
        **{
            "operations.createConfigRecorders": False,
            "operations.createConfigAggregator": False,
            "operations.createResourceExplorer": False,
            "operations.createSecurityHub": False,
        },
    )
    for type_token in (RECORDER, CHANNEL, AGGREGATOR, INDEX, VIEW, HUB, FINDINGS):
        assert not of_type(shared, type_token), type_token
    # Inventory still reaches the pane's bucket from every region.
    assert len(pane(shared, SYNC)) == len(shared.config.regions.all)
    assert "configAggregatorName" not in shared.outputs


def test_trusted_advisor_in_us_goes_straight_to_the_local_alarm_topic(
    preview_with: Callable[..., PreviewResult],
) -> None:
    us = preview_with("us", **{"operations.trustedAdvisor.enabled": True})
    rules = [r for r in pane(us, EVENT_RULE) if "trustedadvisor" in r["inputs"]["eventPattern"]]
    assert [r["region"] for r in rules] == ["us-east-1"]
    assert json.loads(rules[0]["inputs"]["eventPattern"])["source"] == ["aws.trustedadvisor"]
    (target,) = [t for t in pane(us, EVENT_TARGET) if t["region"] == "us-east-1"]
    assert target["inputs"]["arn"] == us.outputs["alarmTopicArns"]["us-east-1"]


def test_eu_with_the_named_exception_forwards_into_the_primary(
    preview_with: Callable[..., PreviewResult],
) -> None:
    eu = preview_with(
        "eu",
        **{
            "operations.trustedAdvisor.enabled": True,
            "operations.trustedAdvisor.exception": TRUSTED_ADVISOR_EXCEPTION,
            "operations.crossAccount.createSinks": True,
            "operations.crossAccount.sourceAccountIds": ["111122223333"],
            "operations.crossAccount.sinkArns": {
                "eu-west-1": "arn:aws:oam:eu-west-1:444455556666:sink/monitoring"
            },
        },
    )
    abroad = [r for r in eu.resources if r["region"] == "us-east-1" and r["custom"]]
    assert sorted(r["type"] for r in abroad if r["type"] != "pulumi:providers:aws") == [
        EVENT_RULE,
        EVENT_TARGET,
    ]
    rule = next(r for r in abroad if r["type"] == EVENT_RULE)
    assert json.loads(rule["inputs"]["eventPattern"])["source"] == ["aws.trustedadvisor"]
    target = next(r for r in abroad if r["type"] == EVENT_TARGET)
    assert target["inputs"]["arn"] == f"arn:aws:events:eu-central-1:{ACCOUNT_ID}:event-bus/default"
    (forward,) = [r for r in pane(eu, ROLE_POLICY) if "trusted-advisor-forward" in r["name"]]
    assert policy_doc(forward)["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": target["inputs"]["arn"],
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-central-1"}},
        }
    ]
    local = [t for t in pane(eu, EVENT_TARGET) if t["region"] == "eu-central-1"]
    assert [t["inputs"]["arn"] for t in local] == [eu.outputs["alarmTopicArns"]["eu-central-1"]]

    assert sorted(s["region"] for s in pane(eu, SINK)) == sorted(eu.config.regions.all)
    for record in pane(eu, SINK_POLICY):
        (statement,) = policy_doc(record)["Statement"]
        assert statement["Principal"] == {"AWS": ["111122223333"]}
    (link,) = pane(eu, LINK)
    assert link["region"] == "eu-west-1"
    assert link["inputs"]["sinkIdentifier"] == "arn:aws:oam:eu-west-1:444455556666:sink/monitoring"
