"""Carving a region's VPC CIDR into per-AZ subnets of three tiers, without overlap.

Layout for a /16 and 3 AZs: private (workloads, EKS pods) get /19s from the first half;
the second half is cut into /22s, public first, then isolated (databases).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_AZS = 4


@dataclass(frozen=True)
class SubnetPlan:
    public: tuple[str, ...]
    private: tuple[str, ...]
    isolated: tuple[str, ...]

    def all(self) -> tuple[str, ...]:
        return (*self.public, *self.private, *self.isolated)


def carve_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    """Subnet CIDRs per tier, one per AZ, in AZ order. Raises ValueError on bad input."""
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be between 1 and {MAX_AZS}, got {az_count}")
    vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    if vpc.prefixlen > 20:
        raise ValueError(f"{vpc_cidr} is too small; use a /20 or larger")
    first_half, second_half = vpc.subnets(prefixlen_diff=1)
    private = list(first_half.subnets(prefixlen_diff=2))[:az_count]
    small = list(second_half.subnets(prefixlen_diff=5))
    public = small[:az_count]
    isolated = small[MAX_AZS : MAX_AZS + az_count]
    return SubnetPlan(
        public=tuple(str(n) for n in public),
        private=tuple(str(n) for n in private),
        isolated=tuple(str(n) for n in isolated),
    )
