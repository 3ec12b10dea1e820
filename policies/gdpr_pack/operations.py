"""Operations pane: where aggregated views of the jurisdiction's regions gather and rest.

Configuration items, inventory and findings describe resources, not people, yet they name
them and their settings: they stay in the jurisdiction like everything else, and the stores
they land in use a customer key. Each aggregating service has its own way of naming the
regions it pulls from; each gets a rule that fails closed on what it cannot see.

One named exception: Trusted Advisor's check-status events exist only in us-east-1. A stack
whose jurisdiction lacks us-east-1 may put a rule there for them only when its policy config
lists :data:`TRUSTED_ADVISOR_EXCEPTION` in ``exceptions`` (account metadata, no personal data).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .context import (
    Jurisdiction,
    ResourceView,
    StackView,
    jurisdiction_for,
    region_problem,
    where,
)
from .rule import JURISDICTION_CONFIG, Rule, each
from .values import arn_region, as_list, get, is_aws_managed_key, is_unknown, maybe_json

GROUP = "operations"
CONFIG = dict(JURISDICTION_CONFIG)

TRUSTED_ADVISOR_EXCEPTION = "trusted-advisor-events-us-east-1"
TRUSTED_ADVISOR_REGION = "us-east-1"
TRUSTED_ADVISOR_SOURCE = "aws.trustedadvisor"

CONFIG_AGGREGATOR = "aws:cfg/configurationAggregator:ConfigurationAggregator"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
DATA_SYNC = "aws:ssm/resourceDataSync:ResourceDataSync"
FINDING_AGGREGATOR = "aws:securityhub/findingAggregator:FindingAggregator"
RE_INDEX = "aws:resourceexplorer/index:Index"
OAM_SINK = "aws:oam/sink:Sink"
OAM_LINK = "aws:oam/link:Link"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
S3_BUCKET = "aws:s3/bucket:Bucket"


def _outside(j: Jurisdiction, what: str, region: object) -> str | None:
    """:func:`region_problem` for a region the resource declares (not its placement)."""
    if region in (None, ""):
        return f"{what} names no region the pack can see; residency fails closed"
    return region_problem(j, what, region)


def _bucket_of(stack: StackView, res: ResourceView, prop: str, name: Any) -> ResourceView | None:
    """The stack's bucket that ``prop`` names: by the engine's dependencies, else by name."""
    deps = stack.dependencies_of(res, prop, S3_BUCKET)
    if deps:
        return deps[0]
    found = stack.find_by_input([S3_BUCKET], "bucket", name)
    return found[0] if found else None


# -- AWS Config ------------------------------------------------------------------------------


def check_config_aggregator(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    j = jurisdiction_for(config, res.urn)
    what = f"{res.type} {res.name!r}"
    for key in ("accountAggregationSource", "organizationAggregationSource"):
        source = maybe_json(res.props.get(key))
        if source is None:
            continue
        all_regions = get(source, "allRegions")
        if is_unknown(all_regions) or all_regions in (True, "true"):
            yield (
                f"{what} {key} aggregates all regions (allRegions); list the jurisdiction's "
                f"regions only"
            )
            continue
        regions = get(source, "regions")
        if is_unknown(regions):
            yield f"{what} {key}: regions are unknown at preview; residency fails closed"
            continue
        if not as_list(regions):
            yield f"{what} {key} names no regions; residency fails closed"
        for region in as_list(regions):
            problem = _outside(j, f"{what} {key} source", region)
            if problem:
                yield problem


CONFIG_AGGREGATOR_RULE = Rule(
    name="aws-cfg-configurationaggregator-require-sources-in-jurisdiction",
    description="AWS Config aggregators pull only from regions of the jurisdiction, never "
    "from all regions.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set the aggregation source's regions to the stack's regions and allRegions to false",
    url="https://docs.aws.amazon.com/config/latest/developerguide/aggregate-data.html",
    types=frozenset({CONFIG_AGGREGATOR}),
    resource_check=check_config_aggregator,
    config=CONFIG,
)


def check_delivery_channels(
    stack: StackView, config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    def check(res: ResourceView) -> Iterator[tuple[str, str]]:
        j = jurisdiction_for(config, res.urn)
        name = res.props.get("s3BucketName")
        bucket = _bucket_of(stack, res, "s3BucketName", name)
        what = f"{res.type} {res.name!r} bucket {where(name)}"
        if bucket is None:
            yield (
                res.urn,
                f"{what} is not a bucket of this stack, so its region cannot be checked; "
                f"residency fails closed",
            )
            return
        problem = _outside(j, what, bucket.effective_region())
        if problem:
            yield res.urn, problem

    return each(stack.of_type(DELIVERY_CHANNEL), check)


DELIVERY_CHANNEL_RULE = Rule(
    name="aws-cfg-deliverychannel-require-bucket-in-jurisdiction",
    description="AWS Config delivery channels deliver only into a bucket of this stack in the "
    "jurisdiction.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="deliver to the operations bucket the stack creates in its primary region",
    url="https://docs.aws.amazon.com/config/latest/developerguide/manage-delivery-channel.html",
    stack_check=check_delivery_channels,
    config=CONFIG,
)


def check_delivery_channel_cmk(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    key = res.props.get("s3KmsKeyArn")
    if key in (None, ""):
        yield f"{res.type} {res.name!r} sets no s3KmsKeyArn (SSE-S3 only)"
    elif is_aws_managed_key(key):
        yield f"{res.type} {res.name!r} s3KmsKeyArn is the AWS managed key {key!r}"


DELIVERY_CHANNEL_CMK = Rule(
    name="aws-cfg-deliverychannel-require-cmk-encryption",
    description="AWS Config delivery channels encrypt what they deliver with a customer "
    "managed key.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set s3KmsKeyArn to the operations CMK",
    url="https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html",
    types=frozenset({DELIVERY_CHANNEL}),
    resource_check=check_delivery_channel_cmk,
)


# -- Systems Manager -------------------------------------------------------------------------


def check_data_syncs(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    def check(res: ResourceView) -> Iterator[tuple[str, str]]:
        j = jurisdiction_for(config, res.urn)
        destination = maybe_json(res.props.get("s3Destination"))
        if destination is None:
            return  # a sync from another source (e.g. AWS Organizations) writes no bucket
        what = f"{res.type} {res.name!r} destination"
        declared = get(destination, "region")
        problem = _outside(j, what, declared)
        if problem:
            yield res.urn, problem
            return
        name = get(destination, "bucketName")
        bucket = _bucket_of(stack, res, "s3Destination", name)
        if bucket is None:
            yield (
                res.urn,
                f"{what} bucket {where(name)} is not a bucket of this stack, so its region "
                f"cannot be checked; residency fails closed",
            )
            return
        actual = bucket.effective_region()
        problem = _outside(j, f"{what} bucket {bucket.name!r}", actual)
        if problem:
            yield res.urn, problem
        elif actual != declared:
            yield (
                res.urn,
                f"{what} declares region {declared!r} but bucket {bucket.name!r} is in {actual!r}",
            )

    return each(stack.of_type(DATA_SYNC), check)


DATA_SYNC_RULE = Rule(
    name="aws-ssm-resourcedatasync-require-destination-in-jurisdiction",
    description="Systems Manager resource data syncs write only into a bucket of this stack "
    "in the jurisdiction.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set s3Destination to the operations bucket and its region to the primary region",
    url="https://docs.aws.amazon.com/systems-manager/latest/userguide/inventory-create-resource-data-sync.html",
    types=frozenset({DATA_SYNC}),
    stack_check=check_data_syncs,
    config=CONFIG,
)


def check_data_sync_cmk(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    destination = maybe_json(res.props.get("s3Destination"))
    if destination is None:
        return
    key = get(destination, "kmsKeyArn")
    if key in (None, ""):
        yield f"{res.type} {res.name!r} s3Destination sets no kmsKeyArn"
    elif is_aws_managed_key(key):
        yield f"{res.type} {res.name!r} s3Destination kmsKeyArn is the AWS managed key {key!r}"


DATA_SYNC_CMK = Rule(
    name="aws-ssm-resourcedatasync-require-cmk-encryption",
    description="Systems Manager resource data syncs encrypt what they write with a customer "
    "managed key.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set s3Destination.kmsKeyArn to the operations CMK",
    url="https://docs.aws.amazon.com/systems-manager/latest/userguide/inventory-create-resource-data-sync.html",
    types=frozenset({DATA_SYNC}),
    resource_check=check_data_sync_cmk,
)


# -- Security Hub ----------------------------------------------------------------------------


def check_finding_aggregator(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    j = jurisdiction_for(config, res.urn)
    what = f"{res.type} {res.name!r}"
    mode = res.props.get("linkingMode")
    if is_unknown(mode):
        yield f"{what}: linkingMode is unknown at preview; residency fails closed"
        return
    if mode == "NO_REGIONS":
        return
    if mode != "SPECIFIED_REGIONS":
        yield (
            f"{what} links with linkingMode {mode!r}, which takes in regions outside the "
            f"jurisdiction; use SPECIFIED_REGIONS"
        )
        return
    regions = res.props.get("specifiedRegions")
    if is_unknown(regions):
        yield f"{what}: specifiedRegions are unknown at preview; residency fails closed"
        return
    for region in as_list(regions):
        problem = _outside(j, f"{what} linked region", region)
        if problem:
            yield problem


FINDING_AGGREGATOR_RULE = Rule(
    name="aws-securityhub-findingaggregator-require-linked-regions-in-jurisdiction",
    description="Security Hub finding aggregators link only regions of the jurisdiction "
    "(SPECIFIED_REGIONS; never ALL_REGIONS).",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set linkingMode to SPECIFIED_REGIONS and specifiedRegions to the stack's other regions",
    url="https://docs.aws.amazon.com/securityhub/latest/userguide/finding-aggregation.html",
    types=frozenset({FINDING_AGGREGATOR}),
    resource_check=check_finding_aggregator,
    config=CONFIG,
)


# -- Resource Explorer -----------------------------------------------------------------------


def check_explorer_aggregator(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    kind = res.props.get("type")
    if kind == "LOCAL":
        return
    j = jurisdiction_for(config, res.urn)
    what = f"{res.type} {res.name!r} (type {where(kind)})"
    problem = _outside(j, what, res.effective_region())
    if problem:
        yield problem


EXPLORER_AGGREGATOR_RULE = Rule(
    name="aws-resourceexplorer-index-require-aggregator-in-jurisdiction",
    description="The Resource Explorer aggregator index, where every region's index "
    "gathers, is in the jurisdiction.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="make the index in the primary region the AGGREGATOR and the others LOCAL",
    url="https://docs.aws.amazon.com/resource-explorer/latest/userguide/manage-aggregator-region.html",
    types=frozenset({RE_INDEX}),
    resource_check=check_explorer_aggregator,
    config=CONFIG,
)


# -- CloudWatch cross-account observability --------------------------------------------------


def check_oam(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    def check(res: ResourceView) -> Iterator[tuple[str, str]]:
        j = jurisdiction_for(config, res.urn)
        what = f"{res.type} {res.name!r}"
        problem = _outside(j, what, res.effective_region())
        if problem:
            yield res.urn, problem
            return
        if res.type != OAM_LINK:
            return
        sink = res.props.get("sinkIdentifier")
        deps = stack.dependencies_of(res, "sinkIdentifier", OAM_SINK)
        region = deps[0].effective_region() if deps else arn_region(sink)
        if region is None and is_unknown(sink):
            region = sink
        problem = _outside(j, f"{what} sink {where(sink)}", region)
        if problem:
            yield res.urn, problem
        elif region != res.effective_region():
            yield (
                res.urn,
                f"{what} links to a sink in {region!r}; a link needs one in its own region",
            )

    return each(stack.of_type(OAM_SINK, OAM_LINK), check)


OAM_RULE = Rule(
    name="aws-oam-link-require-sink-in-jurisdiction",
    description="CloudWatch cross-account observability sinks, and the sinks links point to, "
    "are in the jurisdiction.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="link each region to the monitoring account's sink in the same region of the jurisdiction",
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account.html",
    stack_check=check_oam,
    config=CONFIG,
)


# -- Trusted Advisor, the named exception ----------------------------------------------------


#: The named exceptions a rule's config may list; the region rule takes the same key.
EXCEPTIONS_CONFIG: dict[str, Any] = {
    "exceptions": {
        "type": "array",
        "items": {"type": "string", "enum": [TRUSTED_ADVISOR_EXCEPTION]},
        "default": [],
        "description": f"Named exceptions this stack accepts; only {TRUSTED_ADVISOR_EXCEPTION!r} "
        "exists.",
    },
}


def is_excepted_trusted_advisor(res: ResourceView, config: Mapping[str, Any]) -> bool:
    """An event rule or target the named Trusted Advisor exception admits where it lives.

    Only its placement: aws-cloudwatch-eventrule-require-trusted-advisor-exception checks
    that each target belongs to a Trusted Advisor rule and forwards into the jurisdiction.
    """
    if not excepted(config) or res.effective_region() != TRUSTED_ADVISOR_REGION:
        return False
    return res.type == EVENT_TARGET or (res.type == EVENT_RULE and is_trusted_advisor_rule(res))


def excepted(config: Mapping[str, Any]) -> bool:
    return TRUSTED_ADVISOR_EXCEPTION in as_list(config.get("exceptions"))


def is_trusted_advisor_rule(res: ResourceView) -> bool:
    pattern = maybe_json(res.props.get("eventPattern"))
    return as_list(get(pattern, "source")) == [TRUSTED_ADVISOR_SOURCE]


def check_event_rules(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Event rules and targets outside the jurisdiction: only the named exception."""
    rules = {r.urn: r for r in stack.of_type(EVENT_RULE)}

    def check(res: ResourceView) -> Iterator[tuple[str, str]]:
        j = jurisdiction_for(config, res.urn)
        region = res.effective_region()
        if region is None or is_unknown(region) or j.allows(str(region)):
            return  # the region rule speaks for these
        what = f"{res.type} {res.name!r} in {region!r}"
        if not excepted(config):
            yield (
                res.urn,
                f"{what} is outside jurisdiction {j.describe()} and the policy config names "
                f"no exception {TRUSTED_ADVISOR_EXCEPTION!r}",
            )
            return
        if region != TRUSTED_ADVISOR_REGION:
            yield res.urn, f"{what}: exception {TRUSTED_ADVISOR_EXCEPTION!r} covers only us-east-1"
            return
        if res.type == EVENT_RULE:
            if not is_trusted_advisor_rule(res):
                yield (
                    res.urn,
                    f"{what} matches more than source {TRUSTED_ADVISOR_SOURCE!r}; exception "
                    f"{TRUSTED_ADVISOR_EXCEPTION!r} covers Trusted Advisor events only",
                )
            return
        owners = [rules[u] for u in res.property_dependencies.get("rule", []) if u in rules]
        if not owners or not all(is_trusted_advisor_rule(r) for r in owners):
            yield res.urn, f"{what} belongs to no Trusted Advisor rule of this stack"
        problem = _outside(j, f"{what} destination", arn_region(res.props.get("arn")))
        if problem:
            yield res.urn, problem

    return each(stack.of_type(EVENT_RULE, EVENT_TARGET), check)


TRUSTED_ADVISOR_RULE = Rule(
    name="aws-cloudwatch-eventrule-require-trusted-advisor-exception",
    description="EventBridge rules outside the jurisdiction exist only as the named Trusted "
    "Advisor exception: in us-east-1, Trusted Advisor events only, forwarded into the "
    "jurisdiction.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix=f"disable operations.trustedAdvisor, or list {TRUSTED_ADVISOR_EXCEPTION!r} in this "
    "rule's 'exceptions' in the policy config (Trusted Advisor check metadata only)",
    url="https://docs.aws.amazon.com/awssupport/latest/user/cloudwatch-events-ta.html",
    stack_check=check_event_rules,
    config={
        **CONFIG,
        **EXCEPTIONS_CONFIG,
    },
)


RULES: list[Rule] = [
    CONFIG_AGGREGATOR_RULE,
    DELIVERY_CHANNEL_RULE,
    DELIVERY_CHANNEL_CMK,
    DATA_SYNC_RULE,
    DATA_SYNC_CMK,
    FINDING_AGGREGATOR_RULE,
    EXPLORER_AGGREGATOR_RULE,
    OAM_RULE,
    TRUSTED_ADVISOR_RULE,
]
