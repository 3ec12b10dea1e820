"""Customer-managed keys: one per region and purpose, rotating, least-privilege policies."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from fnmatch import fnmatchcase
from typing import Any

import pytest

from components.keys import PURPOSES, KeyArns
from tests.infra.conftest import by_arn, of_type, policy_doc
from tools.preview import PreviewResult


def test_one_key_per_region_and_purpose(stack: PreviewResult) -> None:
    # The regions' key sets (the operations pane's own key: test_operations.py).
    keys = [k for k in of_type(stack, "aws:kms/key:Key") if "gdpr-platform:keys:" in k["urn"]]
    counts = Counter(k["region"] for k in keys)
    assert counts == {region: len(PURPOSES) for region in stack.config.regions.all}
    names = {k["name"] for k in keys}
    assert names == {f"keys-{r}-{p}" for r in stack.config.regions.all for p in PURPOSES}


def test_every_key_rotates_and_stays_single_region(stack: PreviewResult) -> None:
    for key in of_type(stack, "aws:kms/key:Key"):
        inputs = key["inputs"]
        assert inputs["enableKeyRotation"] is True
        assert 90 <= inputs["rotationPeriodInDays"] <= 365
        assert inputs["deletionWindowInDays"] >= 30
        assert inputs["multiRegion"] is False


def test_every_key_has_an_alias(stack: PreviewResult) -> None:
    aliases = {
        a["inputs"]["name"]
        for a in of_type(stack, "aws:kms/alias:Alias")
        if "gdpr-platform:keys:" in a["urn"]
    }
    assert aliases == {f"alias/gdpr-platform/{stack.stack}/{p}" for p in PURPOSES}


def _statements(key: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = policy_doc(key)["Statement"]
    return statements


def test_no_wildcard_principal_and_service_use_is_conditioned(stack: PreviewResult) -> None:
    for key in of_type(stack, "aws:kms/key:Key"):
        for statement in _statements(key):
            principal = statement["Principal"]
            assert principal != "*"
            assert principal.get("AWS") != "*"
            if statement["Sid"] != "AccountRootAdministers":
                assert statement.get("Condition"), (key["name"], statement["Sid"])


def test_root_administers_with_the_stacks_account(eu: PreviewResult) -> None:
    key = next(k for k in of_type(eu, "aws:kms/key:Key") if k["name"].endswith("-database"))
    admin = next(s for s in _statements(key) if s["Sid"] == "AccountRootAdministers")
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


@pytest.mark.parametrize("purpose", sorted(PURPOSES))
def test_named_services_are_pinned_to_the_keys_own_region(
    stack: PreviewResult, purpose: str
) -> None:
    for key in of_type(stack, "aws:kms/key:Key"):
        if not key["name"].endswith(f"-{purpose}"):
            continue
        region = key["region"]
        via = next(s for s in _statements(key) if s["Sid"] == "UseThroughNamedServicesOnly")
        services = via["Condition"]["StringEquals"]["kms:ViaService"]
        assert services == [
            f"{svc}.{region}.amazonaws.com" for svc in PURPOSES[purpose].via_services
        ]
        assert via["Condition"]["StringEquals"]["kms:CallerAccount"] == "123456789012"


def test_logs_key_lets_cloudwatch_logs_of_its_region_only(eu: PreviewResult) -> None:
    key = next(k for k in of_type(eu, "aws:kms/key:Key") if k["name"] == "keys-eu-west-1-logs")
    logs = next(s for s in _statements(key) if s["Principal"].get("Service"))
    assert logs["Principal"]["Service"] == "logs.eu-west-1.amazonaws.com"
    context = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context.startswith("arn:aws:logs:eu-west-1:123456789012:")


#: Actions that use a key's material, or hand it out (a grant can carry Decrypt).
DATA_PLANE_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:CreateGrant",
    "kms:Sign",
    "kms:Verify",
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:DeriveSharedSecret",
)


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _allows(statement: dict[str, Any], action: str) -> bool:
    # IAM action names match case-insensitively, with * as the only wildcard in use here.
    return any(fnmatchcase(action.lower(), a.lower()) for a in _actions(statement))


def _root_admin(key: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in _statements(key) if s["Sid"] == "AccountRootAdministers")


def test_account_root_administers_but_cannot_use_the_key(stack: PreviewResult) -> None:
    """Otherwise any IAM principal with kms:Decrypt on * decrypts outside the named services."""
    for key in of_type(stack, "aws:kms/key:Key"):
        admin = _root_admin(key)
        assert "*" not in _actions(admin), key["name"]
        assert "kms:*" not in _actions(admin), key["name"]
        used = [a for a in DATA_PLANE_ACTIONS if _allows(admin, a)]
        assert used == [], (key["name"], used)


def test_account_can_never_lock_itself_out(stack: PreviewResult) -> None:
    for key in of_type(stack, "aws:kms/key:Key"):
        admin = _root_admin(key)
        assert "Condition" not in admin, key["name"]
        for action in (
            "kms:PutKeyPolicy",
            "kms:GetKeyPolicy",
            "kms:DescribeKey",
            "kms:EnableKeyRotation",
            "kms:ScheduleKeyDeletion",
            "kms:CancelKeyDeletion",
            "kms:TagResource",
            "kms:CreateAlias",
            "kms:RevokeGrant",
        ):
            assert _allows(admin, action), (key["name"], action)


def test_account_principals_use_keys_only_through_their_services(stack: PreviewResult) -> None:
    for key in of_type(stack, "aws:kms/key:Key"):
        for statement in _statements(key):
            principals = statement["Principal"].get("AWS", [])
            principals = [principals] if isinstance(principals, str) else principals
            if any(p.endswith(":root") for p in principals) and any(
                _allows(statement, a) for a in DATA_PLANE_ACTIONS
            ):
                condition = statement["Condition"]["StringEquals"]
                assert condition["kms:ViaService"], (key["name"], statement["Sid"])
                # Own account's callers, or (the hub's producers) named roles of any account.
                named_roles = statement["Condition"].get("ArnEquals", {}).get("aws:PrincipalArn")
                assert condition.get("kms:CallerAccount") == "123456789012" or (
                    named_roles and all(":role/" in r for r in named_roles)
                ), (key["name"], statement["Sid"])


def _service_principals(key: dict[str, Any]) -> set[str]:
    return {
        s["Principal"]["Service"]
        for s in _statements(key)
        if "Service" in s["Principal"]
        and _allows(s, "kms:GenerateDataKey")
        and _allows(s, "kms:Decrypt")
    }


def test_queues_key_admits_the_services_that_publish_into_encrypted_queues_and_topics(
    stack: PreviewResult,
) -> None:
    # Literal, not from PURPOSES: S3 event notifications into SQS and CloudWatch alarms into
    # SNS fail silently without these; SNS delivers into SQS.
    for key in of_type(stack, "aws:kms/key:Key"):
        if key["name"].endswith("-queues"):
            assert {
                "s3.amazonaws.com",
                "sns.amazonaws.com",
                "cloudwatch.amazonaws.com",
            } <= _service_principals(key), key["name"]


def test_logs_key_admits_cloudwatch_logs_in_every_region(stack: PreviewResult) -> None:
    for key in of_type(stack, "aws:kms/key:Key"):
        if key["name"].endswith("-logs"):
            expected = f"logs.{key['region']}.amazonaws.com"
            assert expected in _service_principals(key), key["name"]


def _key_of(result: PreviewResult, resource: dict[str, Any]) -> dict[str, Any]:
    arn = resource["inputs"].get("kmsMasterKeyId")
    assert isinstance(arn, str), (resource["name"], arn)
    assert arn.startswith("arn:"), (resource["name"], arn)
    return by_arn(result, arn, "aws:kms/key:Key")


def test_notified_queues_are_on_a_key_s3_may_use(stack: PreviewResult) -> None:
    queue_arns = [
        target["queueArn"]
        for notification in of_type(stack, "aws:s3/bucketNotification:BucketNotification")
        for target in notification["inputs"].get("queues", [])
    ]
    assert queue_arns, "expected S3 notifications into SQS (the audit shipper)"
    for arn in queue_arns:
        queue = by_arn(stack, arn, "aws:sqs/queue:Queue")
        key = _key_of(stack, queue)
        assert key["region"] == queue["region"]
        assert "s3.amazonaws.com" in _service_principals(key), (queue["name"], key["name"])


def test_alarm_topics_are_on_a_key_cloudwatch_may_use(stack: PreviewResult) -> None:
    topic_arns = {
        arn
        for alarm in of_type(stack, "aws:cloudwatch/metricAlarm:MetricAlarm")
        for field in ("alarmActions", "okActions", "insufficientDataActions")
        for arn in alarm["inputs"].get(field) or []
        if arn.startswith("arn:aws:sns:")
    }
    assert topic_arns, "expected alarms that notify an SNS topic"
    for arn in sorted(topic_arns):
        topic = by_arn(stack, arn, "aws:sns/topic:Topic")
        key = _key_of(stack, topic)
        assert key["region"] == topic["region"]
        assert "cloudwatch.amazonaws.com" in _service_principals(key), (topic["name"], key["name"])


def test_the_typed_key_set_is_every_purpose(stack: PreviewResult) -> None:
    assert [f.name for f in fields(KeyArns)] == list(PURPOSES)
    for region, arns in stack.outputs["kmsKeyArns"].items():
        assert list(arns) == list(PURPOSES), region
