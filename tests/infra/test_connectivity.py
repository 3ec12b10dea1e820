"""Links between the regions of one jurisdiction: peering by default, Transit Gateway by config."""

from __future__ import annotations

import pytest

from components.connectivity import star_links
from policies.gdpr_pack.jurisdictions import allowed_regions
from tests.infra.conftest import of_type, set_key, stack_file
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult, collect

PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
OPTIONS = "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions"
ROUTE = "aws:ec2/route:Route"
TGW = "aws:ec2transitgateway/transitGateway:TransitGateway"
TGW_PEERING = "aws:ec2transitgateway/peeringAttachment:PeeringAttachment"
TGW_ACCEPTER = "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter"
TGW_ROUTE = "aws:ec2transitgateway/route:Route"
TGW_VPC = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"


def test_star_links_join_the_primary_to_each_secondary() -> None:
    eu = allowed_regions("eu")
    assert star_links("eu-central-1", ["eu-west-1", "eu-north-1"], eu) == [
        ("eu-central-1", "eu-west-1"),
        ("eu-central-1", "eu-north-1"),
    ]


@pytest.mark.parametrize(
    ("primary", "secondaries", "message"),
    [
        ("eu-central-1", ["eu-west-2"], "not a region of this jurisdiction"),
        ("eu-central-1", ["us-east-1"], "not a region of this jurisdiction"),
        ("eu-central-1", ["eu-central-1"], "regions repeat"),
    ],
)
def test_star_links_refuse_other_jurisdictions(
    primary: str, secondaries: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        star_links(primary, secondaries, allowed_regions("eu"))


def link_routes(result: PreviewResult) -> list[ResourceRecord]:
    """Routes this tier adds (the network's own default routes have no link parent)."""
    return [r for r in of_type(result, ROUTE) if "connectivity" in (r["parent"] or "")]


def route_table_kinds(route: ResourceRecord) -> list[str]:
    (table,) = route["propertyDependencies"]["routeTableId"]
    return [
        "private" if "-rt-private-" in table else "isolated" if "-rt-isolated" in table else "?"
    ]


def assert_routes_both_ways(result: PreviewResult, via: str) -> None:
    cfg = result.config
    primary = cfg.regions.primary
    routes = link_routes(result)
    tables_per_region = cfg.network.az_count + 1  # a private table per AZ, one isolated
    for region in cfg.regions.all:
        here = [r for r in routes if r["region"] == region]
        expected = (
            {cfg.network.vpc_cidrs[s] for s in cfg.regions.secondaries}
            if region == primary
            else {cfg.network.vpc_cidrs[primary]}
        )
        assert {r["inputs"]["destinationCidrBlock"] for r in here} == expected
        assert len(here) == tables_per_region * len(expected)
        kinds = [k for r in here for k in route_table_kinds(r)]
        assert kinds.count("private") == cfg.network.az_count * len(expected)
        assert kinds.count("isolated") == len(expected)
        for route in here:
            assert via in route["inputs"]
            assert route["inputs"]["destinationCidrBlock"] != "0.0.0.0/0"
            # The table is in the route's own region.
            (table,) = route["propertyDependencies"]["routeTableId"]
            assert f"network-{region}-rt-" in table


def test_peering_from_the_primary_to_each_secondary(stack: PreviewResult) -> None:
    cfg = stack.config
    connections = of_type(stack, PEERING)
    assert len(connections) == len(cfg.regions.secondaries)
    allowed = allowed_regions(cfg.jurisdiction)
    for connection in connections:
        inputs = connection["inputs"]
        assert connection["region"] == cfg.regions.primary
        assert inputs["peerRegion"] in cfg.regions.secondaries
        assert inputs["peerRegion"] in allowed
        assert inputs["autoAccept"] is False
        (peer_vpc,) = connection["propertyDependencies"]["peerVpcId"]
        assert f"network-{inputs['peerRegion']}-vpc" in peer_vpc
    accepters = of_type(stack, ACCEPTER)
    assert sorted(a["region"] for a in accepters) == sorted(cfg.regions.secondaries)
    assert all(a["inputs"]["autoAccept"] is True for a in accepters)


def test_dns_resolves_across_the_peering_from_both_sides(stack: PreviewResult) -> None:
    options = of_type(stack, OPTIONS)
    primary = stack.config.regions.primary
    requester = [o for o in options if "requester" in o["inputs"]]
    accepter = [o for o in options if "accepter" in o["inputs"]]
    assert [o["region"] for o in requester] == [primary] * len(stack.config.regions.secondaries)
    assert sorted(o["region"] for o in accepter) == sorted(stack.config.regions.secondaries)
    for option in requester:
        assert option["inputs"]["requester"]["allowRemoteVpcDnsResolution"] is True
    for option in accepter:
        assert option["inputs"]["accepter"]["allowRemoteVpcDnsResolution"] is True
    accepter_urns = {a["urn"] for a in of_type(stack, ACCEPTER)}
    assert all(set(o["dependencies"]) & accepter_urns for o in options)


def test_peering_routes_both_ways_on_private_and_isolated_tables(stack: PreviewResult) -> None:
    assert_routes_both_ways(stack, "vpcPeeringConnectionId")
    assert of_type(stack, TGW) == []


@pytest.fixture(scope="module")
def tgw() -> PreviewResult:
    """The us stack with Transit Gateways: one preview shared by the TGW tests."""
    return collect("us", set_key(stack_file("us"), "network.connectivity", "transit-gateway"))


def test_transit_gateway_mode_replaces_peering(tgw: PreviewResult) -> None:
    cfg = tgw.config
    assert of_type(tgw, PEERING) == []
    gateways = of_type(tgw, TGW)
    assert sorted(g["region"] for g in gateways) == sorted(cfg.regions.all)
    assert len({g["inputs"]["amazonSideAsn"] for g in gateways}) == len(gateways)
    for gateway in gateways:
        assert gateway["inputs"]["autoAcceptSharedAttachments"] == "disable"
        assert gateway["inputs"]["dnsSupport"] == "enable"
    attachments = of_type(tgw, TGW_VPC)
    assert sorted(a["region"] for a in attachments) == sorted(cfg.regions.all)
    for attachment in attachments:
        assert all("-private-" in s for s in attachment["propertyDependencies"]["subnetIds"])


def test_transit_gateway_peering_stays_in_the_jurisdiction(tgw: PreviewResult) -> None:
    cfg = tgw.config
    (peering,) = of_type(tgw, TGW_PEERING)
    assert peering["region"] == cfg.regions.primary
    assert peering["inputs"]["peerRegion"] == cfg.regions.secondaries[0]
    assert peering["inputs"]["peerRegion"] in allowed_regions(cfg.jurisdiction)
    (accepter,) = of_type(tgw, TGW_ACCEPTER)
    assert accepter["region"] == cfg.regions.secondaries[0]
    assert accepter["propertyDependencies"]["transitGatewayAttachmentId"] == [peering["urn"]]


def test_transit_gateway_routes_both_ways(tgw: PreviewResult) -> None:
    cfg = tgw.config
    primary, secondary = cfg.regions.primary, cfg.regions.secondaries[0]
    routes = {r["region"]: r for r in of_type(tgw, TGW_ROUTE)}
    assert set(routes) == {primary, secondary}
    assert routes[primary]["inputs"]["destinationCidrBlock"] == cfg.network.vpc_cidrs[secondary]
    assert routes[secondary]["inputs"]["destinationCidrBlock"] == cfg.network.vpc_cidrs[primary]
    assert_routes_both_ways(tgw, "transitGatewayId")
