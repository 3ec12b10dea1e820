"""``network``: VPC CIDRs, AZs, NAT and how the regions are linked."""

from __future__ import annotations

import ipaddress
from enum import StrEnum

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import LogRetentionDays, Model, PrivateCidr
from components.config.regions import RegionsConfig


class NatMode(StrEnum):
    PER_AZ = "per-az"
    SINGLE = "single"


class ConnectivityMode(StrEnum):
    PEERING = "peering"
    TRANSIT_GATEWAY = "transit-gateway"


class NetworkConfig(Model):
    vpc_cidrs: dict[str, PrivateCidr]
    az_count: int = Field(default=3, ge=2, le=4)
    nat_mode: NatMode = NatMode.PER_AZ
    flow_log_retention_days: LogRetentionDays = 365
    connectivity: ConnectivityMode = ConnectivityMode.PEERING


def check_cidrs(regions: RegionsConfig, network: NetworkConfig) -> None:
    missing = [r for r in regions.all if r not in network.vpc_cidrs]
    if missing:
        raise ConfigError(
            f"network.vpcCidrs.{missing[0]}", "required: one VPC CIDR for every region of the stack"
        )
    extra = sorted(set(network.vpc_cidrs) - set(regions.all))
    if extra:
        raise ConfigError(
            f"network.vpcCidrs.{extra[0]}",
            "this region is not one of the stack's regions; remove it or add the region",
        )
    parsed: dict[str, ipaddress.IPv4Network] = {}
    for region in regions.all:
        key = f"network.vpcCidrs.{region}"
        text = network.vpc_cidrs[region]
        net = ipaddress.IPv4Network(text)  # a PrivateCidr: valid, IPv4, private
        if not 16 <= net.prefixlen <= 20:
            raise ConfigError(key, f"{text!r}: use a prefix between /16 and /20 (AWS VPC limits)")
        for other_region, other in parsed.items():
            if net.overlaps(other):
                raise ConfigError(
                    key,
                    f"{text!r} overlaps {other} of {other_region}; the regions are linked, "
                    "so their CIDRs must be disjoint",
                )
        parsed[region] = net
