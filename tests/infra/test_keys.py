"""Customer-managed keys: one per region and purpose, rotating, least-privilege policies."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from components.keys import PURPOSES
from tests.infra.conftest import of_type, policy_doc
from tools.preview import PreviewResult


def test_one_key_per_region_and_purpose(stack: PreviewResult) -> None:
    keys = of_type(stack, "aws:kms/key:Key")
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
    aliases = {a["inputs"]["name"] for a in of_type(stack, "aws:kms/alias:Alias")}
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
