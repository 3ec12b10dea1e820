"""Fast direct tests of the rule helpers (no pack process)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies.gdpr_pack.context import JurisdictionError, ResourceView, jurisdiction_for
from policies.gdpr_pack.jurisdictions import EU_REGIONS, KNOWN_REGIONS
from policies.gdpr_pack.residency import REGION
from policies.gdpr_pack.values import arn_region, is_aws_managed_key, known, plain, stack_of
from tests.policies.records import UNKNOWN

EU_URN = "urn:pulumi:eu::gdpr-platform::aws:sqs/queue:Queue::q"


def queue(region: Any, provider_region: Any = None) -> ResourceView:
    return ResourceView(
        type="aws:sqs/queue:Queue",
        urn=EU_URN,
        name="q",
        props={} if region is None else {"region": region},
        provider_props={} if provider_region is None else {"region": provider_region},
    )


def test_plain_unwraps_the_sdk_proxy_and_keeps_unknowns() -> None:
    proxied = unknown_checking_proxy({"a": [{"b": UNKNOWN}], "c": 1})
    with pytest.raises(UnknownValueError):
        _ = proxied["a"][0]["b"]
    assert plain(proxied) == {"a": [{"b": UNKNOWN}], "c": 1}


def test_known_raises_the_sdk_error() -> None:
    with pytest.raises(UnknownValueError) as raised:
        known(UNKNOWN, "x")
    assert raised.value.message == "string value at .x can't be known during preview"
    assert known([UNKNOWN], "x") == [UNKNOWN]


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("arn:aws:kms:eu-west-1:123:key/x", "eu-west-1"),
        ("arn:aws:s3:::bucket", None),
        ("alias/db", None),
        (UNKNOWN, None),
        (None, None),
    ],
)
def test_arn_region(value: Any, region: str | None) -> None:
    assert arn_region(value) == region


def test_aws_managed_keys() -> None:
    assert is_aws_managed_key("alias/aws/rds")
    assert is_aws_managed_key("arn:aws:kms:eu-west-1:123:alias/aws/sqs")
    assert not is_aws_managed_key("alias/awsome")
    assert not is_aws_managed_key("arn:aws:kms:eu-west-1:123:key/abc")


def test_stack_of() -> None:
    assert stack_of(EU_URN) == "eu"


def test_jurisdiction_from_config_then_urn() -> None:
    assert jurisdiction_for({}, EU_URN).name == "eu"
    assert jurisdiction_for({"jurisdiction": "us"}, EU_URN).name == "us"
    assert "eu-west-2" in jurisdiction_for({"adequacy": True}, EU_URN).regions
    with pytest.raises(JurisdictionError):
        jurisdiction_for({}, "urn:pulumi:dev::p::aws:sqs/queue:Queue::q")


def test_own_region_beats_the_provider() -> None:
    assert queue("eu-west-1", "us-east-1").effective_region() == "eu-west-1"
    assert queue(None, "eu-west-1").effective_region() == "eu-west-1"
    assert queue(None).effective_region() is None


def test_provider_default_tags_are_merged_under_resource_tags() -> None:
    view = queue(None, "eu-west-1")
    view.props["tags"] = {"owner": "me"}
    view.provider_props["defaultTags"] = '{"tags":{"owner":"platform","environment":"production"}}'
    assert view.tags() == {"owner": "me", "environment": "production"}


@given(st.sampled_from(sorted(KNOWN_REGIONS)))
def test_region_rule_is_an_exact_allow_list(region: str) -> None:
    problems = REGION.check_resource(queue(region), {})
    assert (problems == []) is (region in EU_REGIONS)


@given(st.text(min_size=1, max_size=20).filter(lambda r: r not in EU_REGIONS))
def test_no_other_string_passes_as_an_eu_region(region: str) -> None:
    assert REGION.check_resource(queue(region), {}) != []


def test_unknown_region_fails_closed_directly() -> None:
    [problem] = REGION.check_resource(queue(UNKNOWN), {})
    assert "unknown at preview; residency fails closed" in problem
