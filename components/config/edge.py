"""``edge``: CloudFront in front of the regional APIs."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints

from components.config.errors import ConfigError
from components.config.fields import Model, NonEmpty
from components.config.regions import RegionsConfig

_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):[0-9]{12}:certificate/[\w-]+$")


class EdgeConfig(Model):
    """CloudFront in front of the regional APIs."""

    #: Viewer-facing domain names of the API (required).
    aliases: tuple[NonEmpty, ...] = ()
    #: ACM certificate for the aliases; CloudFront only reads certificates from us-east-1.
    viewer_certificate_arn: NonEmpty | None = None
    #: Regional ACM certificate of a region's internal load balancer (HTTPS to origin).
    #: A region left out uses its newest issued certificate for the first alias.
    origin_certificate_arns: dict[str, NonEmpty] = Field(default_factory=dict)
    price_class: NonEmpty = "PriceClass_100"
    #: Read-only paths (GET/HEAD/OPTIONS) served through the primary -> secondary origin
    #: group. CloudFront rejects POST/PUT/PATCH/DELETE on a behaviour that targets an
    #: origin group, so every other path goes to one region's origin.
    failover_path_patterns: tuple[Annotated[str, StringConstraints(pattern=r"^/")], ...] = (
        "/v1/health",
    )
    #: Region whose origin takes the API's writes; the primary unless failed over by hand.
    write_region: NonEmpty | None = None
    content_security_policy: NonEmpty = "default-src 'none'; frame-ancestors 'none'"
    hsts_max_age_seconds: int = Field(default=63_072_000, ge=31_536_000)


def check_edge(regions: RegionsConfig, edge: EdgeConfig) -> None:
    extra = sorted(set(edge.origin_certificate_arns) - set(regions.all))
    if extra:
        raise ConfigError(
            f"edge.originCertificateArns.{extra[0]}", "this region is not one of the stack's"
        )
    for region, arn in sorted(edge.origin_certificate_arns.items()):
        match = _ACM_ARN.match(arn)
        if match is None or match["region"] != region:
            raise ConfigError(
                f"edge.originCertificateArns.{region}",
                f"{arn!r} is not an ACM certificate ARN in {region}",
            )
    # The viewer's Host goes to the origin, so the origin certificates are checked against
    # these names: without them there is no TLS 1.2+ viewer policy and no valid origin TLS.
    if not edge.aliases:
        raise ConfigError(
            "edge.aliases", "required: the API's domain name(s), also on the origin certificates"
        )
    if edge.viewer_certificate_arn is None:
        raise ConfigError(
            "edge.viewerCertificateArn", "required with aliases: an ACM certificate in us-east-1"
        )
    match = _ACM_ARN.match(edge.viewer_certificate_arn)
    if match is None or match["region"] != "us-east-1":
        raise ConfigError(
            "edge.viewerCertificateArn",
            f"{edge.viewer_certificate_arn!r}: CloudFront only uses ACM certificates "
            "from us-east-1",
        )
    if edge.write_region is not None and edge.write_region not in regions.all:
        raise ConfigError(
            "edge.writeRegion",
            f"{edge.write_region!r} is not one of the stack's regions {list(regions.all)}",
        )
