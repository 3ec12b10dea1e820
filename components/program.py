"""The whole stack: what ``__main__.py`` runs, and what the offline preview runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.compute_tier import build_compute_tier
from components.config import StackConfig
from components.keys import RegionalKeys, RegionalKeysArgs
from components.network import RegionalNetwork, RegionalNetworkArgs
from components.providers import regional_providers
from components.tagging import register_required_tags

PROJECT = "gdpr-platform"


@dataclass(frozen=True)
class Region:
    """Everything built in one region of the jurisdiction."""

    name: str
    is_primary: bool
    provider: aws.Provider
    keys: RegionalKeys
    network: RegionalNetwork


def build(cfg: StackConfig) -> dict[str, Any]:
    """Declare every resource of the stack; return the stack outputs."""
    register_required_tags(cfg.required_tags())
    providers = regional_providers(cfg.stack, cfg.regions.all)
    regions = {name: _build_region(cfg, name, providers[name]) for name in cfg.regions.all}
    compute = build_compute_tier(cfg, regions)
    return {**_outputs(cfg, regions), **compute.outputs()}


def _build_region(cfg: StackConfig, region: str, provider: aws.Provider) -> Region:
    in_region = pulumi.ResourceOptions(provider=provider)
    keys = RegionalKeys(
        f"keys-{region}",
        RegionalKeysArgs(region=region, alias_prefix=f"{PROJECT}/{cfg.stack}"),
        opts=in_region,
    )
    network = RegionalNetwork(
        f"network-{region}",
        RegionalNetworkArgs(
            region=region,
            vpc_cidr=cfg.network.vpc_cidrs[region],
            az_count=cfg.network.az_count,
            nat_mode=cfg.network.nat_mode,
            flow_log_retention_days=cfg.network.flow_log_retention_days,
            logs_key_arn=keys.arns["logs"],
        ),
        opts=in_region,
    )
    return Region(
        name=region,
        is_primary=region == cfg.regions.primary,
        provider=provider,
        keys=keys,
        network=network,
    )


def _outputs(cfg: StackConfig, regions: Mapping[str, Region]) -> dict[str, Any]:
    return {
        "jurisdiction": cfg.jurisdiction,
        "primaryRegion": cfg.regions.primary,
        "regions": list(cfg.regions.all),
        "shardMap": cfg.shard_map.to_json(),
        "vpcIds": {name: r.network.vpc.id for name, r in regions.items()},
        "privateSubnetIds": {name: r.network.private_subnet_ids for name, r in regions.items()},
        "kmsKeyArns": {name: dict(r.keys.arns) for name, r in regions.items()},
    }
