"""Which AWS regions belong to which jurisdiction.

Exact allow-lists, never prefixes: eu-west-2 (London), eu-central-2 (Zurich) and
eu-isoe-west-1 start with "eu-" but are not EU/EEA regions. The policy pack owns this
table so that it stays self-contained; the Pulumi program imports it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class JurisdictionRow:
    """One part of the world: its stack is named after it (``Pulumi.<name>.yaml``)."""

    name: str
    title: str
    #: Regions where its personal data may rest.
    regions: frozenset[str]
    #: Regions of countries with an adequacy decision; admitted only in "adequacy" mode.
    adequacy_regions: frozenset[str] = frozenset()


#: The table. A new jurisdiction is one row here plus its stack file.
TABLE: tuple[JurisdictionRow, ...] = (
    JurisdictionRow(
        name="eu",
        title="EU/EEA",
        regions=frozenset(
            {"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"}
        ),
        adequacy_regions=frozenset({"eu-west-2", "eu-central-2", "il-central-1"}),
    ),
    JurisdictionRow(
        name="us",
        title="United States",
        regions=frozenset({"us-east-1", "us-east-2", "us-west-1", "us-west-2"}),
    ),
)

JURISDICTIONS: Mapping[str, JurisdictionRow] = MappingProxyType({row.name: row for row in TABLE})

JURISDICTION_REGIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {row.name: row.regions for row in TABLE}
)

ADEQUACY_REGIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {row.name: row.adequacy_regions for row in TABLE}
)

EU_REGIONS: frozenset[str] = JURISDICTIONS["eu"].regions

#: Every commercial-partition region code AWS publishes; used to tell a typo ("eu-centrl-1")
#: from a real region that is merely outside the jurisdiction.
KNOWN_REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "us-gov-east-1",
        "us-gov-west-1",
        "cn-north-1",
        "cn-northwest-1",
        "eu-isoe-west-1",
    }
)

#: Services without a region: their resources hold no regional data plane.
GLOBAL_SERVICE_PREFIXES: tuple[str, ...] = (
    "aws:iam/",
    "aws:cloudfront/",
    "aws:route53/",
    "aws:organizations/",
    "aws:shield/",
)


def allowed_regions(jurisdiction: str, *, adequacy: bool = False) -> frozenset[str]:
    """Regions where personal data of ``jurisdiction`` may rest.

    Raises ``KeyError`` for a jurisdiction the table does not know.
    """
    regions = JURISDICTION_REGIONS[jurisdiction]
    if adequacy:
        regions = regions | ADEQUACY_REGIONS[jurisdiction]
    return regions


def is_region_allowed(jurisdiction: str, region: str, *, adequacy: bool = False) -> bool:
    """Exact membership test; ``"eu-west-2"`` is not in ``"eu"`` unless ``adequacy``."""
    return region in allowed_regions(jurisdiction, adequacy=adequacy)


def is_global_type(type_token: str) -> bool:
    """True for resource types of a global AWS service (IAM, CloudFront, Route 53, ...)."""
    return type_token.startswith(GLOBAL_SERVICE_PREFIXES)
