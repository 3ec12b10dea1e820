"""CloudFront per jurisdiction: HTTPS only, security headers, no caching, failover, private
origins reachable through CloudFront only."""

from __future__ import annotations

from typing import Any

import pytest

from components.edge import CACHING_DISABLED_POLICY_ID, CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST
from tests.infra.conftest import of_type, set_key, stack_file
from tests.infra.records import in_region, one
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult, collect

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def distribution(stack: PreviewResult) -> ResourceRecord:
    (found,) = of_type(stack, DISTRIBUTION)
    return found


def behaviors(stack: PreviewResult) -> list[dict[str, Any]]:
    inputs = distribution(stack)["inputs"]
    return [inputs["defaultCacheBehavior"], *inputs.get("orderedCacheBehaviors", [])]


def test_one_distribution_per_jurisdiction_made_with_the_primarys_provider(
    stack: PreviewResult,
) -> None:
    record = distribution(stack)
    assert record["region"] == stack.config.regions.primary
    assert record["provider"] is not None
    assert "region" not in record["inputs"]
    tags = record["inputs"]["tags"]
    assert tags["data-classification"] == "personal"
    assert tags["data-handling"] == "transit-only-no-cache"


def test_viewers_use_https_only_with_tls_12_or_newer(stack: PreviewResult) -> None:
    inputs = distribution(stack)["inputs"]
    assert {b["viewerProtocolPolicy"] for b in behaviors(stack)} == {"https-only"}
    certificate = inputs["viewerCertificate"]
    assert certificate["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert certificate["sslSupportMethod"] == "sni-only"
    assert certificate["acmCertificateArn"] == stack.config.edge.viewer_certificate_arn
    assert inputs["aliases"] == list(stack.config.edge.aliases)


def test_nothing_is_cached_and_authorization_reaches_the_origin(stack: PreviewResult) -> None:
    policy = one(
        stack, "aws:cloudfront/originRequestPolicy:OriginRequestPolicy", "edge-api-requests"
    )
    assert policy["inputs"]["headersConfig"]["headerBehavior"] == "allViewer"
    assert policy["urn"] in distribution(stack)["dependencies"]
    assert len({b["originRequestPolicyId"] for b in behaviors(stack)}) == 1
    for behavior in behaviors(stack):
        assert behavior["cachePolicyId"] == CACHING_DISABLED_POLICY_ID
    errors = distribution(stack)["inputs"]["customErrorResponses"]
    assert {e["errorCode"] for e in errors} >= {403, 404, 500, 502, 503, 504}
    assert {e["errorCachingMinTtl"] for e in errors} == {0}


def test_every_behavior_carries_the_security_headers_policy(stack: PreviewResult) -> None:
    ids = {b["responseHeadersPolicyId"] for b in behaviors(stack)}
    assert len(ids) == 1
    assert None not in ids


def test_headers_policy_values(stack: PreviewResult) -> None:
    record = one(
        stack,
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
        "edge-security-headers",
    )
    security = record["inputs"]["securityHeadersConfig"]
    assert security["contentSecurityPolicy"]["contentSecurityPolicy"] == (
        stack.config.edge.content_security_policy
    )
    assert "frame-ancestors 'none'" in security["contentSecurityPolicy"]["contentSecurityPolicy"]
    hsts = security["strictTransportSecurity"]
    assert hsts["preload"] is True
    assert hsts["includeSubdomains"] is True
    assert hsts["accessControlMaxAgeSec"] >= 31_536_000
    assert security["contentTypeOptions"]["override"] is True
    assert security["frameOptions"]["frameOption"] == "DENY"
    assert security["referrerPolicy"]["referrerPolicy"] in {
        "no-referrer",
        "strict-origin-when-cross-origin",
    }
    assert all(header["override"] is True for header in security.values())


def test_reads_fail_over_from_primary_to_secondary(stack: PreviewResult) -> None:
    inputs = distribution(stack)["inputs"]
    (group,) = inputs["originGroups"]
    primary, secondary = stack.config.regions.primary, stack.config.regions.secondaries[0]
    assert [m["originId"] for m in group["members"]] == [f"api-{primary}", f"api-{secondary}"]
    assert set(group["failoverCriteria"]["statusCodes"]) >= {500, 502, 503, 504}
    to_group = [b for b in behaviors(stack) if b["targetOriginId"] == group["originId"]]
    assert [b["pathPattern"] for b in to_group] == list(stack.config.edge.failover_path_patterns)
    for behavior in to_group:
        # CloudFront rejects write methods on a behaviour that targets an origin group.
        assert not WRITE_METHODS & set(behavior["allowedMethods"])


def test_writes_go_to_the_primary_by_default(stack: PreviewResult) -> None:
    default = distribution(stack)["inputs"]["defaultCacheBehavior"]
    assert default["targetOriginId"] == f"api-{stack.config.regions.primary}"
    assert set(default["allowedMethods"]) >= WRITE_METHODS


PINNED_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/pinned"


@pytest.fixture(scope="module")
def eu_failed_over() -> PreviewResult:
    """eu with writes moved to eu-west-1 and that region's origin certificate pinned."""
    config = set_key(stack_file("eu"), "edge.writeRegion", "eu-west-1")
    return collect(
        "eu", set_key(config, "edge.originCertificateArns.eu-west-1", PINNED_CERTIFICATE)
    )


def test_write_region_can_be_moved_to_a_secondary(eu_failed_over: PreviewResult) -> None:
    default = distribution(eu_failed_over)["inputs"]["defaultCacheBehavior"]
    assert default["targetOriginId"] == "api-eu-west-1"


def test_a_pinned_origin_certificate_replaces_the_lookup(eu_failed_over: PreviewResult) -> None:
    pinned = one(eu_failed_over, "aws:lb/listener:Listener", "origin-eu-west-1-https")
    assert pinned["inputs"]["certificateArn"] == PINNED_CERTIFICATE
    looked_up = one(eu_failed_over, "aws:lb/listener:Listener", "origin-eu-central-1-https")
    assert looked_up["inputs"]["certificateArn"].startswith("arn:aws:acm:eu-central-1:")


def test_each_origin_is_a_vpc_origin_on_its_regions_internal_alb(stack: PreviewResult) -> None:
    origins = {o["originId"]: o for o in distribution(stack)["inputs"]["origins"]}
    vpc_origins = of_type(stack, "aws:cloudfront/vpcOrigin:VpcOrigin")
    assert len(vpc_origins) == len(stack.config.regions.all)
    for region in stack.config.regions.all:
        origin = origins[f"api-{region}"]
        assert "customOriginConfig" not in origin
        assert origin["vpcOriginConfig"]["vpcOriginId"]
        (alb,) = in_region(stack, "aws:lb/loadBalancer:LoadBalancer", region)
        assert alb["inputs"]["internal"] is True
        assert alb["inputs"]["subnets"] == stack.outputs["privateSubnetIds"][region]
        assert alb["inputs"]["dropInvalidHeaderFields"] is True
        config = one(stack, "aws:cloudfront/vpcOrigin:VpcOrigin", f"edge-{region}")["inputs"][
            "vpcOriginEndpointConfig"
        ]
        assert config["arn"] == stack.outputs["originLoadBalancerArns"][region]
        assert config["originProtocolPolicy"] == "https-only"
        assert config["originSslProtocols"]["items"] == ["TLSv1.2"]


def test_load_balancers_admit_only_cloudfront(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        group = one(stack, "aws:ec2/securityGroup:SecurityGroup", f"origin-{region}-alb")
        assert "ingress" not in group["inputs"] or group["inputs"]["ingress"] == []
        rules = [
            r
            for r in in_region(
                stack, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", region
            )
            if r["name"].startswith(f"origin-{region}-alb")
        ]
        (rule,) = rules
        assert rule["inputs"]["prefixListId"].startswith("pl-")
        assert "cidrIpv4" not in rule["inputs"]
        assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (443, 443)
        listener = one(stack, "aws:lb/listener:Listener", f"origin-{region}-https")
        assert listener["inputs"]["protocol"] == "HTTPS"
        assert listener["inputs"]["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
        # Looked up in the region (no pinned ARN in the stack files): the region's own.
        assert listener["inputs"]["certificateArn"].startswith(f"arn:aws:acm:{region}:")


def test_the_prefix_list_is_cloudfronts_origin_facing_one() -> None:
    assert CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST == "com.amazonaws.global.cloudfront.origin-facing"


def test_pods_admit_their_load_balancer_only(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        rule = one(
            stack,
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"origin-{region}-pods-from-alb",
        )
        assert rule["inputs"]["securityGroupId"].startswith("sg-")
        assert rule["inputs"]["referencedSecurityGroupId"]
        assert rule["inputs"]["fromPort"] == stack.config.app.port
