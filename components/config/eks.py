"""``eks``: each region's EKS cluster and managed nodes."""

from __future__ import annotations

import ipaddress

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import Model, NonEmpty, RoleArn


class EksConfig(Model):
    version: NonEmpty
    instance_types: tuple[NonEmpty, ...] = Field(min_length=1)
    min_size: int = Field(default=2, ge=1)
    desired_size: int = Field(default=3, ge=1)
    max_size: int = Field(default=6, ge=1)
    disk_size_gib: int = Field(default=50, ge=20)
    #: CIDRs allowed to reach a public endpoint; empty keeps the endpoint private only.
    public_access_cidrs: tuple[NonEmpty, ...] = ()
    #: Remove the key for no admin entry.
    admin_role_arn: RoleArn | None = None


def check_eks(eks: EksConfig) -> None:
    if not eks.min_size <= eks.desired_size <= eks.max_size:
        raise ConfigError(
            "eks.desiredSize",
            f"need minSize <= desiredSize <= maxSize, got {eks.min_size} <= "
            f"{eks.desired_size} <= {eks.max_size}",
        )
    for i, cidr in enumerate(eks.public_access_cidrs):
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise ConfigError(f"eks.publicAccessCidrs[{i}]", f"{cidr!r}: {exc}") from None
        if net.prefixlen == 0:
            raise ConfigError(
                f"eks.publicAccessCidrs[{i}]",
                "0.0.0.0/0 opens the API server to the internet; name the office/VPN CIDRs",
            )
