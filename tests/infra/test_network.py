"""The regional network: subnet tiers, NAT by mode, flow logs, private AWS endpoints."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.cidr import MAX_AZS, carve_subnets
from components.network import INTERFACE_ENDPOINT_SERVICES
from tests.infra.conftest import by_name, of_type
from tools.preview import PreviewError, PreviewResult


@given(
    st.integers(min_value=16, max_value=20),
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=1, max_value=MAX_AZS),
)
def test_carved_subnets_never_overlap_and_stay_inside_the_vpc(
    prefix: int, second_octet: int, az_count: int
) -> None:
    vpc = ipaddress.IPv4Network(f"10.{second_octet}.0.0/{prefix}", strict=False)
    plan = carve_subnets(str(vpc), az_count)
    nets = [ipaddress.IPv4Network(c) for c in plan.all()]
    assert len(plan.public) == len(plan.private) == len(plan.isolated) == az_count
    assert all(n.subnet_of(vpc) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    # Workloads (EKS pods) get the big subnets.
    assert all(
        ipaddress.IPv4Network(p).num_addresses > ipaddress.IPv4Network(q).num_addresses
        for p, q in zip(plan.private, plan.public, strict=True)
    )


@pytest.mark.parametrize(
    ("cidr", "azs"), [("10.0.0.0/24", 3), ("10.0.0.0/16", 5), ("10.0.0.0/16", 0)]
)
def test_carving_refuses_what_cannot_fit(cidr: str, azs: int) -> None:
    with pytest.raises(ValueError, match=r"az_count|too small"):
        carve_subnets(cidr, azs)


def _subnets(result: PreviewResult, region: str, tier: str) -> list[dict[str, Any]]:
    return [
        r["inputs"]
        for r in of_type(result, "aws:ec2/subnet:Subnet")
        if r["region"] == region and r["inputs"]["tags"]["tier"] == tier
    ]


@pytest.mark.parametrize("tier", ["public", "private", "isolated"])
def test_one_subnet_per_az_and_tier_with_the_planned_cidr(stack: PreviewResult, tier: str) -> None:
    for region in stack.config.regions.all:
        subnets = _subnets(stack, region, tier)
        plan = carve_subnets(stack.config.network.vpc_cidrs[region], stack.config.network.az_count)
        assert sorted(s["cidrBlock"] for s in subnets) == sorted(getattr(plan, tier))
        azs = [s["availabilityZone"] for s in subnets]
        assert len(set(azs)) == 3
        assert all(str(az).startswith(region) for az in azs)
        assert not any(s["mapPublicIpOnLaunch"] for s in subnets)


def test_vpcs_use_the_configured_cidrs(stack: PreviewResult) -> None:
    vpcs = {r["region"]: r["inputs"]["cidrBlock"] for r in of_type(stack, "aws:ec2/vpc:Vpc")}
    assert vpcs == dict(stack.config.network.vpc_cidrs)


def test_per_az_nat_mode_gives_one_nat_per_az(eu: PreviewResult) -> None:
    nats = of_type(eu, "aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3 * 2
    assert len(of_type(eu, "aws:ec2/eip:Eip")) == 6
    assert all(e["inputs"]["domain"] == "vpc" for e in of_type(eu, "aws:ec2/eip:Eip"))


def test_single_nat_mode_gives_one_nat_per_region(
    preview_with: Callable[..., PreviewResult],
) -> None:
    result = preview_with("eu", **{"network.natMode": "single"})
    nats = of_type(result, "aws:ec2/natGateway:NatGateway")
    assert sorted(n["region"] for n in nats) == ["eu-central-1", "eu-west-1"]
    # Every private route table still has a default route, all through that one NAT.
    routes = [
        r
        for r in of_type(result, "aws:ec2/route:Route")
        if r["region"] == "eu-central-1" and "natGatewayId" in r["inputs"]
    ]
    assert len(routes) == 3
    assert len({r["inputs"]["natGatewayId"] for r in routes}) == 1


def test_private_routes_use_the_nat_of_their_own_az(eu: PreviewResult) -> None:
    for az in ("eu-central-1a", "eu-central-1b", "eu-central-1c"):
        route = by_name(eu, f"network-eu-central-1-private-default-{az}")
        nat = by_name(eu, f"network-eu-central-1-nat-{az}", "aws:ec2/natGateway:NatGateway")
        assert nat["urn"] in route["propertyDependencies"]["natGatewayId"]


def test_isolated_subnets_reach_only_the_jurisdictions_other_vpcs(eu: PreviewResult) -> None:
    isolated_rt = by_name(eu, "network-eu-central-1-rt-isolated")
    routes_on_it = [
        r for r in of_type(eu, "aws:ec2/route:Route") if isolated_rt["urn"] in r["dependencies"]
    ]
    # No internet route: only the in-jurisdiction link the data tier adds.
    assert {r["inputs"]["destinationCidrBlock"] for r in routes_on_it} == {"10.11.0.0/16"}
    assert all("natGatewayId" not in r["inputs"] for r in routes_on_it)
    assert all("gatewayId" not in r["inputs"] for r in routes_on_it)


def test_interface_endpoints_sit_in_the_private_subnets(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        private = {
            r["urn"]
            for r in of_type(stack, "aws:ec2/subnet:Subnet")
            if r["region"] == region and r["inputs"]["tags"]["tier"] == "private"
        }
        endpoints = [
            r
            for r in of_type(stack, "aws:ec2/vpcEndpoint:VpcEndpoint")
            if r["region"] == region and r["inputs"]["vpcEndpointType"] == "Interface"
        ]
        services = sorted(e["inputs"]["serviceName"] for e in endpoints)
        assert services == sorted(
            f"com.amazonaws.{region}.{s}" for s in INTERFACE_ENDPOINT_SERVICES
        )
        for endpoint in endpoints:
            assert endpoint["inputs"]["privateDnsEnabled"] is True
            assert set(endpoint["propertyDependencies"]["subnetIds"]) == private


def test_s3_gateway_endpoint_serves_private_and_isolated_route_tables(eu: PreviewResult) -> None:
    endpoint = by_name(eu, "network-eu-west-1-s3")
    assert endpoint["inputs"]["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert endpoint["inputs"]["vpcEndpointType"] == "Gateway"
    assert len(endpoint["inputs"]["routeTableIds"]) == 3 + 1


def test_endpoint_security_group_admits_https_from_the_vpc_only(stack: PreviewResult) -> None:
    for sg in of_type(stack, "aws:ec2/securityGroup:SecurityGroup"):
        if not sg["name"].endswith("-endpoints"):
            continue
        (rule,) = sg["inputs"]["ingress"]
        assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (443, 443, "tcp")
        assert rule["cidrBlocks"] == [stack.config.network.vpc_cidrs[sg["region"]]]


def test_default_security_group_is_closed(stack: PreviewResult) -> None:
    for sg in of_type(stack, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        assert sg["inputs"].get("ingress", []) == []
        assert sg["inputs"].get("egress", []) == []


def test_flow_logs_go_to_an_encrypted_log_group_with_retention(stack: PreviewResult) -> None:
    flow_logs = of_type(stack, "aws:ec2/flowLog:FlowLog")
    assert len(flow_logs) == 2
    for flow_log in flow_logs:
        assert flow_log["inputs"]["trafficType"] == "ALL"
        group_urn = flow_log["propertyDependencies"]["logDestination"][0]
        group = next(r for r in stack.resources if r["urn"] == group_urn)
        assert group["inputs"]["retentionInDays"] == stack.config.network.flow_log_retention_days
        key_arn = group["inputs"]["kmsKeyId"]
        assert key_arn.startswith(f"arn:aws:kms:{flow_log['region']}:")
        key_urn = group["propertyDependencies"]["kmsKeyId"][0]
        assert key_urn.endswith(f"keys-{flow_log['region']}-logs")


def test_more_azs_than_the_region_offers_is_one_clean_error(
    preview_with: Callable[..., PreviewResult],
) -> None:
    # eu-central-1 and eu-west-1 have three AZs each; the mock knows it, as AWS does.
    with pytest.raises(PreviewError) as caught:
        preview_with("eu", **{"network.azCount": 4})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("gdpr-platform:network.azCount: "), message
    assert "offers 3 AZs" in message, message


def test_regions_with_four_azs_take_four(preview_with: Callable[..., PreviewResult]) -> None:
    # us-east-1 has six AZs and us-west-2 four: the same setting is fine there.
    result = preview_with("us", **{"network.azCount": 4})
    for region in result.config.regions.all:
        subnets = [s for s in of_type(result, "aws:ec2/subnet:Subnet") if s["region"] == region]
        zones = {s["inputs"]["availabilityZone"] for s in subnets}
        assert zones == {f"{region}{c}" for c in "abcd"}, region
