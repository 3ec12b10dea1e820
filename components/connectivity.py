"""Private links between the regions of one jurisdiction, and only those.

The API in a secondary region writes through the global writer endpoint, which lives in
the primary region; the databases answer from isolated subnets. So every secondary is
linked to the primary (a star: secondaries never talk to each other), with routes on the
private and the isolated route tables of both ends.

Two ways, by ``network.connectivity``: VPC peering (default; no hourly cost, no
bandwidth limit per link) or a Transit Gateway per region with inter-region TGW peering
(when more VPCs will join). Peer regions come from the stack's regions, never elsewhere.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config import ConnectivityMode, DataClassification
from components.tagging import classification

_INTERNAL = classification(DataClassification.INTERNAL.value)
#: Private ASNs (64512-65534); each region's gateway needs its own.
TGW_ASN_BASE = 64512


def star_links(
    primary: str, secondaries: Sequence[str], allowed: Collection[str]
) -> list[tuple[str, str]]:
    """``[(primary, secondary), ...]``; raises ValueError on a region outside ``allowed``."""
    for region in (primary, *secondaries):
        if region not in allowed:
            raise ValueError(
                f"{region!r} is not a region of this jurisdiction ({sorted(allowed)}); "
                "a link may only join the jurisdiction's own regions"
            )
    if primary in secondaries or len(set(secondaries)) != len(secondaries):
        raise ValueError(f"regions repeat: primary {primary!r}, secondaries {list(secondaries)}")
    return [(primary, secondary) for secondary in secondaries]


@dataclass(frozen=True)
class LinkEnd:
    """One region's VPC as a link sees it."""

    region: str
    provider: aws.Provider
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_subnet_ids: Sequence[pulumi.Input[str]]
    #: Route tables that get a route to the other end: private and isolated.
    route_table_ids: Sequence[pulumi.Input[str]]


def _routes(
    name: str,
    parent: pulumi.Resource,
    end: LinkEnd,
    destination: str,
    *,
    peering_id: pulumi.Input[str] | None = None,
    transit_gateway_id: pulumi.Input[str] | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> list[aws.ec2.Route]:
    return [
        aws.ec2.Route(
            f"{name}-{end.region}-{i}",
            route_table_id=table_id,
            destination_cidr_block=destination,
            vpc_peering_connection_id=peering_id,
            transit_gateway_id=transit_gateway_id,
            opts=pulumi.ResourceOptions(
                parent=parent, provider=end.provider, depends_on=list(depends_on)
            ),
        )
        for i, table_id in enumerate(end.route_table_ids)
    ]


@dataclass
class VpcPeeringLinkArgs:
    requester: LinkEnd
    accepter: LinkEnd


class VpcPeeringLink(pulumi.ComponentResource):
    """Inter-region VPC peering: request, accept, DNS across the link, routes both ways."""

    def __init__(
        self, name: str, args: VpcPeeringLinkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gdpr-platform:connectivity:VpcPeeringLink", name, None, opts)
        req, acc = args.requester, args.accepter
        in_req = pulumi.ResourceOptions(parent=self, provider=req.provider)
        in_acc = pulumi.ResourceOptions(parent=self, provider=acc.provider)
        self.connection = aws.ec2.VpcPeeringConnection(
            f"{name}-request",
            vpc_id=req.vpc_id,
            peer_vpc_id=acc.vpc_id,
            peer_region=acc.region,
            # Cross-region peering cannot auto-accept; the accepter resource does it.
            auto_accept=False,
            tags={**_INTERNAL, "Name": name},
            opts=in_req,
        )
        self.accepter = aws.ec2.VpcPeeringConnectionAccepter(
            f"{name}-accept",
            vpc_peering_connection_id=self.connection.id,
            auto_accept=True,
            tags={**_INTERNAL, "Name": name},
            opts=in_acc,
        )
        # Options can only be set once the connection is active, and each side in its region.
        active = pulumi.ResourceOptions(depends_on=[self.accepter])
        aws.ec2.PeeringConnectionOptions(
            f"{name}-requester-dns",
            vpc_peering_connection_id=self.accepter.vpc_peering_connection_id,
            requester=aws.ec2.PeeringConnectionOptionsRequesterArgs(
                allow_remote_vpc_dns_resolution=True
            ),
            opts=pulumi.ResourceOptions.merge(in_req, active),
        )
        aws.ec2.PeeringConnectionOptions(
            f"{name}-accepter-dns",
            vpc_peering_connection_id=self.accepter.vpc_peering_connection_id,
            accepter=aws.ec2.PeeringConnectionOptionsAccepterArgs(
                allow_remote_vpc_dns_resolution=True
            ),
            opts=pulumi.ResourceOptions.merge(in_acc, active),
        )
        peering_id = self.accepter.vpc_peering_connection_id
        self.routes = [
            *_routes(f"{name}-route", self, req, acc.vpc_cidr, peering_id=peering_id),
            *_routes(f"{name}-route", self, acc, req.vpc_cidr, peering_id=peering_id),
        ]
        self.register_outputs({"peeringConnectionId": self.connection.id})


@dataclass
class TransitGatewayHubArgs:
    end: LinkEnd
    amazon_side_asn: int


class TransitGatewayHub(pulumi.ComponentResource):
    """One region's Transit Gateway with its VPC attached."""

    def __init__(
        self, name: str, args: TransitGatewayHubArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gdpr-platform:connectivity:TransitGatewayHub", name, None, opts)
        end = args.end
        child = pulumi.ResourceOptions(parent=self, provider=end.provider)
        self.gateway = aws.ec2transitgateway.TransitGateway(
            f"{name}-tgw",
            description=f"In-jurisdiction links of {end.region}",
            amazon_side_asn=args.amazon_side_asn,
            # Nothing joins unless this program attaches it.
            auto_accept_shared_attachments="disable",
            default_route_table_association="enable",
            default_route_table_propagation="enable",
            dns_support="enable",
            vpn_ecmp_support="disable",
            tags={**_INTERNAL, "Name": f"{name}-tgw"},
            opts=child,
        )
        self.attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-vpc",
            transit_gateway_id=self.gateway.id,
            vpc_id=end.vpc_id,
            subnet_ids=list(end.private_subnet_ids),
            dns_support="enable",
            tags={**_INTERNAL, "Name": f"{name}-vpc"},
            opts=child,
        )
        self.register_outputs(
            {"transitGatewayId": self.gateway.id, "vpcAttachmentId": self.attachment.id}
        )


@dataclass
class TransitGatewayLinkArgs:
    requester: LinkEnd
    requester_hub: TransitGatewayHub
    accepter: LinkEnd
    accepter_hub: TransitGatewayHub


class TransitGatewayLink(pulumi.ComponentResource):
    """Inter-region TGW peering, static TGW routes (peerings do not propagate), VPC routes."""

    def __init__(
        self, name: str, args: TransitGatewayLinkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gdpr-platform:connectivity:TransitGatewayLink", name, None, opts)
        req, acc = args.requester, args.accepter
        req_tgw, acc_tgw = args.requester_hub.gateway, args.accepter_hub.gateway
        in_req = pulumi.ResourceOptions(parent=self, provider=req.provider)
        in_acc = pulumi.ResourceOptions(parent=self, provider=acc.provider)
        self.peering = aws.ec2transitgateway.PeeringAttachment(
            f"{name}-request",
            transit_gateway_id=req_tgw.id,
            peer_transit_gateway_id=acc_tgw.id,
            peer_region=acc.region,
            tags={**_INTERNAL, "Name": name},
            opts=in_req,
        )
        self.accepter = aws.ec2transitgateway.PeeringAttachmentAccepter(
            f"{name}-accept",
            transit_gateway_attachment_id=self.peering.id,
            tags={**_INTERNAL, "Name": name},
            opts=in_acc,
        )
        active = [self.accepter]
        aws.ec2transitgateway.Route(
            f"{name}-tgw-route-{req.region}",
            transit_gateway_route_table_id=req_tgw.association_default_route_table_id,
            destination_cidr_block=acc.vpc_cidr,
            transit_gateway_attachment_id=self.peering.id,
            opts=pulumi.ResourceOptions.merge(in_req, pulumi.ResourceOptions(depends_on=active)),
        )
        aws.ec2transitgateway.Route(
            f"{name}-tgw-route-{acc.region}",
            transit_gateway_route_table_id=acc_tgw.association_default_route_table_id,
            destination_cidr_block=req.vpc_cidr,
            transit_gateway_attachment_id=self.accepter.transit_gateway_attachment_id,
            opts=pulumi.ResourceOptions.merge(in_acc, pulumi.ResourceOptions(depends_on=active)),
        )
        self.routes = [
            *_routes(
                f"{name}-route",
                self,
                req,
                acc.vpc_cidr,
                transit_gateway_id=req_tgw.id,
                depends_on=[args.requester_hub.attachment],
            ),
            *_routes(
                f"{name}-route",
                self,
                acc,
                req.vpc_cidr,
                transit_gateway_id=acc_tgw.id,
                depends_on=[args.accepter_hub.attachment],
            ),
        ]
        self.register_outputs({"peeringAttachmentId": self.peering.id})


@dataclass
class JurisdictionLinksArgs:
    mode: ConnectivityMode
    primary: str
    #: Every region of the stack, primary included.
    ends: Mapping[str, LinkEnd]
    #: The jurisdiction's allow-list; a link to anything else is refused.
    allowed_regions: Collection[str]


class JurisdictionLinks(pulumi.ComponentResource):
    """Links the primary region's VPC to every secondary's, by peering or Transit Gateway."""

    def __init__(
        self, name: str, args: JurisdictionLinksArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gdpr-platform:connectivity:JurisdictionLinks", name, None, opts)
        secondaries = [r for r in args.ends if r != args.primary]
        pairs = star_links(args.primary, secondaries, args.allowed_regions)
        child = pulumi.ResourceOptions(parent=self)
        self.hubs: dict[str, TransitGatewayHub] = {}
        self.links: list[pulumi.ComponentResource] = []
        if args.mode is ConnectivityMode.TRANSIT_GATEWAY:
            for i, (region, end) in enumerate(args.ends.items()):
                self.hubs[region] = TransitGatewayHub(
                    f"{name}-{region}",
                    TransitGatewayHubArgs(end=end, amazon_side_asn=TGW_ASN_BASE + i),
                    opts=pulumi.ResourceOptions(parent=self, provider=end.provider),
                )
        for a, b in pairs:
            link_name = f"{name}-{a}-{b}"
            link_opts = pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(provider=args.ends[a].provider)
            )
            if args.mode is ConnectivityMode.TRANSIT_GATEWAY:
                self.links.append(
                    TransitGatewayLink(
                        link_name,
                        TransitGatewayLinkArgs(
                            requester=args.ends[a],
                            requester_hub=self.hubs[a],
                            accepter=args.ends[b],
                            accepter_hub=self.hubs[b],
                        ),
                        opts=link_opts,
                    )
                )
            else:
                self.links.append(
                    VpcPeeringLink(
                        link_name,
                        VpcPeeringLinkArgs(requester=args.ends[a], accepter=args.ends[b]),
                        opts=link_opts,
                    )
                )
        self.register_outputs({"mode": args.mode.value, "links": [f"{a}-{b}" for a, b in pairs]})
