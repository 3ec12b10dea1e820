"""The edge: one CloudFront distribution per jurisdiction in front of the regional APIs.

Each region gets an internal ALB (``RegionalOrigin``) that Pulumi creates itself, because a
CloudFront VPC origin needs the load balancer's ARN and a load balancer made by the
Kubernetes controller has none we could know at deploy time. The ALB sits in the private
subnets; its security group admits only CloudFront's origin-facing ranges, so the API is
reachable only through CloudFront. Pods are registered into its target group by the load
balancer controller's TargetGroupBinding.

In Lambda mode (``compute.mode: lambda``) a region's origin is instead its HTTP API
(``HttpApiOrigin``, see components/api_function.py): a public regional endpoint that
CloudFront reaches over TLS with a secret header the function checks. The viewer's Host
is not forwarded there (API Gateway routes by its own host name).

The distribution sets the security headers with a ResponseHeadersPolicy (no Lambda@Edge:
every header the issue asks for is a static value a headers policy can set), caches
nothing, and fails read-only paths over from the primary to a secondary region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.tagging import classification

#: AWS managed cache policy "CachingDisabled": TTL 0, nothing in the cache key.
CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
#: CloudFront's origin-facing address ranges (AWS managed prefix list).
CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
#: TLS 1.3 and 1.2 only between CloudFront and the ALB.
ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
VIEWER_MIN_TLS = "TLSv1.2_2021"
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
CACHED_METHODS = ["GET", "HEAD"]
FAILOVER_STATUS_CODES = [500, 502, 503, 504]
#: CloudFront caches error responses for 10 s unless told otherwise; an API error body
#: may name the caller, so no error is cached either.
UNCACHED_ERROR_CODES = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]

#: Personal data passes through (requests and responses) but never rests at the edge.
EDGE_TAGS = {**classification("personal"), "data-handling": "transit-only-no-cache"}


@dataclass
class RegionalOriginArgs:
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_subnet_ids: Sequence[pulumi.Input[str]]
    #: The security group the API's pods sit behind (EKS cluster security group).
    pod_security_group_id: pulumi.Input[str]
    app_port: int
    health_check_path: str
    #: The API's domain name; the listener's certificate must cover it (CloudFront sends
    #: the viewer's Host and checks the origin certificate against it).
    domain_name: str
    #: A certificate to use; else the region's newest issued ACM certificate for the domain.
    certificate_arn: str | None = None
    deletion_protection: bool = True
    #: ``access_logs`` into the region's log bucket (``RegionLogBucket.load_balancer_logs``).
    access_logs: aws.lb.LoadBalancerAccessLogsArgs | None = None
    #: What must exist first: ELB checks its write permission when logging is switched on.
    access_logs_ready: Sequence[pulumi.Resource] = ()


class RegionalOrigin(pulumi.ComponentResource):
    """An internal ALB in the private subnets that only CloudFront can reach."""

    security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener

    def __init__(
        self,
        name: str,
        args: RegionalOriginArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:edge:RegionalOrigin", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cloudfront = aws.ec2.get_managed_prefix_list_output(
            name=CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, opts=pulumi.InvokeOptions(parent=self)
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-alb",
            vpc_id=args.vpc_id,
            description="API load balancer: HTTPS from CloudFront only",
            tags=classification("internal"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-from-cloudfront",
            security_group_id=self.security_group.id,
            description="HTTPS from CloudFront (VPC origin)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            prefix_list_id=cloudfront.id,
            tags=classification("internal"),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-to-pods",
            security_group_id=self.security_group.id,
            description="To the API pods",
            ip_protocol="tcp",
            from_port=args.app_port,
            to_port=args.app_port,
            cidr_ipv4=args.vpc_cidr,
            tags=classification("internal"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-pods-from-alb",
            security_group_id=args.pod_security_group_id,
            description="API pods from their load balancer",
            ip_protocol="tcp",
            from_port=args.app_port,
            to_port=args.app_port,
            referenced_security_group_id=self.security_group.id,
            tags=classification("internal"),
            opts=child,
        )
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=True,
            subnets=list(args.private_subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            idle_timeout=60,
            access_logs=args.access_logs,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.access_logs_ready)),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-api",
            target_type="ip",
            port=args.app_port,
            protocol="HTTP",
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                path=args.health_check_path,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                interval=10,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            opts=child,
        )
        certificate: pulumi.Input[str]
        if args.certificate_arn is not None:
            certificate = args.certificate_arn
        else:
            certificate = aws.acm.get_certificate_output(
                domain=args.domain_name,
                statuses=["ISSUED"],
                most_recent=True,
                opts=pulumi.InvokeOptions(parent=self),
            ).arn
        self.listener = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=ALB_TLS_POLICY,
            certificate_arn=certificate,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward", target_group_arn=self.target_group.arn
                )
            ],
            opts=child,
        )
        self.register_outputs(
            {
                "loadBalancerArn": self.load_balancer.arn,
                "loadBalancerDnsName": self.load_balancer.dns_name,
                "targetGroupArn": self.target_group.arn,
            }
        )


@dataclass
class HttpApiOrigin:
    """A region's API Gateway HTTP API in front of the API function (Lambda mode)."""

    #: ``<id>.execute-api.<region>.amazonaws.com``
    domain_name: pulumi.Input[str]
    #: Header CloudFront adds to every origin request, and its secret value.
    verify_header: str
    verify_value: pulumi.Input[str]


@dataclass
class EdgeDistributionArgs:
    jurisdiction: str
    primary_region: str
    #: Failover order: the primary first, then the secondaries.
    regions: Sequence[str]
    origins: Mapping[str, RegionalOrigin | HttpApiOrigin]
    aliases: Sequence[str]
    #: ACM certificate in us-east-1 for the aliases (TLS 1.2+ needs our own certificate).
    viewer_certificate_arn: str
    price_class: str
    failover_path_patterns: Sequence[str]
    write_region: str
    content_security_policy: str
    hsts_max_age_seconds: int


def _origin_id(region: str) -> str:
    return f"api-{region}"


FAILOVER_GROUP_ID = "api-failover"


class EdgeDistribution(pulumi.ComponentResource):
    """CloudFront for the jurisdiction's API. Create it with the primary region's provider:
    CloudFront is a global service and takes no region."""

    headers_policy: aws.cloudfront.ResponseHeadersPolicy
    origin_request_policy: aws.cloudfront.OriginRequestPolicy
    vpc_origins: dict[str, aws.cloudfront.VpcOrigin]
    distribution: aws.cloudfront.Distribution

    def __init__(
        self,
        name: str,
        args: EdgeDistributionArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:edge:EdgeDistribution", name, None, opts)
        if len(args.regions) < 2 or args.regions[0] != args.primary_region:
            raise ValueError("origin failover needs the primary region first, then a secondary")
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._create_policies()
        self._create_vpc_origins()
        self._create_distribution()
        self.register_outputs(
            {
                "distributionId": self.distribution.id,
                "domainName": self.distribution.domain_name,
                "responseHeadersPolicyId": self.headers_policy.id,
            }
        )

    def _create_policies(self) -> None:
        args = self._args
        security = aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs(
            content_security_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                content_security_policy=args.content_security_policy, override=True
            ),
            strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                access_control_max_age_sec=args.hsts_max_age_seconds,
                include_subdomains=True,
                preload=True,
                override=True,
            ),
            content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                override=True
            ),
            frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                frame_option="DENY", override=True
            ),
            referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                referrer_policy="no-referrer", override=True
            ),
        )
        self.headers_policy = aws.cloudfront.ResponseHeadersPolicy(
            f"{self._name}-security-headers",
            name=f"gdpr-platform-{args.jurisdiction}-api-security-headers",
            comment="Security headers on every API response",
            security_headers_config=security,
            custom_headers_config=aws.cloudfront.ResponseHeadersPolicyCustomHeadersConfigArgs(
                items=[
                    # Belt and braces with the cache policy: no intermediary stores a reply.
                    aws.cloudfront.ResponseHeadersPolicyCustomHeadersConfigItemArgs(
                        header="Cache-Control", value="no-store", override=True
                    ),
                    aws.cloudfront.ResponseHeadersPolicyCustomHeadersConfigItemArgs(
                        header="Permissions-Policy",
                        value="camera=(), geolocation=(), microphone=()",
                        override=True,
                    ),
                ]
            ),
            remove_headers_config=aws.cloudfront.ResponseHeadersPolicyRemoveHeadersConfigArgs(
                items=[
                    aws.cloudfront.ResponseHeadersPolicyRemoveHeadersConfigItemArgs(header="Server")
                ]
            ),
            opts=self._child,
        )
        # With caching disabled, an all-viewer-headers policy may forward Authorization (a
        # whitelist naming it is rejected with HTTP 400). The viewer's Host goes along too,
        # so CloudFront checks the origin certificate against the API's own domain name;
        # except to an HTTP API, which answers 403 to a Host other than its own.
        to_http_api = any(isinstance(o, HttpApiOrigin) for o in args.origins.values())
        headers = (
            aws.cloudfront.OriginRequestPolicyHeadersConfigArgs(
                header_behavior="allExcept",
                headers=aws.cloudfront.OriginRequestPolicyHeadersConfigHeadersArgs(items=["Host"]),
            )
            if to_http_api
            else aws.cloudfront.OriginRequestPolicyHeadersConfigArgs(header_behavior="allViewer")
        )
        self.origin_request_policy = aws.cloudfront.OriginRequestPolicy(
            f"{self._name}-api-requests",
            name=f"gdpr-platform-{args.jurisdiction}-api-requests",
            comment="Forward every viewer header (Authorization, Host) and query string",
            headers_config=headers,
            cookies_config=aws.cloudfront.OriginRequestPolicyCookiesConfigArgs(
                cookie_behavior="none"
            ),
            query_strings_config=aws.cloudfront.OriginRequestPolicyQueryStringsConfigArgs(
                query_string_behavior="all"
            ),
            opts=self._child,
        )

    def _create_vpc_origins(self) -> None:
        self.vpc_origins = {}
        for region in self._args.regions:
            origin = self._args.origins[region]
            if not isinstance(origin, RegionalOrigin):
                continue
            self.vpc_origins[region] = aws.cloudfront.VpcOrigin(
                f"{self._name}-{region}",
                vpc_origin_endpoint_config=aws.cloudfront.VpcOriginVpcOriginEndpointConfigArgs(
                    name=f"gdpr-platform-{self._args.jurisdiction}-{region}",
                    arn=origin.load_balancer.arn,
                    http_port=80,
                    https_port=443,
                    origin_protocol_policy="https-only",
                    origin_ssl_protocols=aws.cloudfront.VpcOriginVpcOriginEndpointConfigOriginSslProtocolsArgs(
                        items=["TLSv1.2"], quantity=1
                    ),
                ),
                tags=EDGE_TAGS,
                opts=self._child,
            )

    def _origin(self, region: str) -> aws.cloudfront.DistributionOriginArgs:
        origin = self._args.origins[region]
        if isinstance(origin, HttpApiOrigin):
            return aws.cloudfront.DistributionOriginArgs(
                origin_id=_origin_id(region),
                domain_name=origin.domain_name,
                custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                    http_port=80,
                    https_port=443,
                    origin_protocol_policy="https-only",
                    origin_ssl_protocols=["TLSv1.2"],
                    origin_read_timeout=30,
                    origin_keepalive_timeout=5,
                ),
                custom_headers=[
                    aws.cloudfront.DistributionOriginCustomHeaderArgs(
                        name=origin.verify_header, value=origin.verify_value
                    )
                ],
            )
        return aws.cloudfront.DistributionOriginArgs(
            origin_id=_origin_id(region),
            domain_name=origin.load_balancer.dns_name,
            vpc_origin_config=aws.cloudfront.DistributionOriginVpcOriginConfigArgs(
                vpc_origin_id=self.vpc_origins[region].id,
                origin_read_timeout=30,
                origin_keepalive_timeout=5,
            ),
        )

    def _create_distribution(self) -> None:
        args = self._args
        origins = [self._origin(region) for region in args.regions]
        # A group has exactly two members: the primary and the first secondary.
        failover = aws.cloudfront.DistributionOriginGroupArgs(
            origin_id=FAILOVER_GROUP_ID,
            failover_criteria=aws.cloudfront.DistributionOriginGroupFailoverCriteriaArgs(
                status_codes=FAILOVER_STATUS_CODES
            ),
            members=[
                aws.cloudfront.DistributionOriginGroupMemberArgs(origin_id=_origin_id(region))
                for region in args.regions[:2]
            ],
        )
        # CloudFront refuses POST/PUT/PATCH/DELETE on a behaviour that targets an origin
        # group, and the API's read and write routes share paths. So writes (the default
        # behaviour) go to one region's origin, and only read-only paths fail over.
        default_behavior = aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
            target_origin_id=_origin_id(args.write_region),
            allowed_methods=ALL_METHODS,
            cached_methods=CACHED_METHODS,
            cache_policy_id=CACHING_DISABLED_POLICY_ID,
            origin_request_policy_id=self.origin_request_policy.id,
            response_headers_policy_id=self.headers_policy.id,
            viewer_protocol_policy="https-only",
            compress=True,
        )
        ordered = [
            aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                path_pattern=pattern,
                target_origin_id=FAILOVER_GROUP_ID,
                allowed_methods=READ_METHODS,
                cached_methods=CACHED_METHODS,
                cache_policy_id=CACHING_DISABLED_POLICY_ID,
                origin_request_policy_id=self.origin_request_policy.id,
                response_headers_policy_id=self.headers_policy.id,
                viewer_protocol_policy="https-only",
                compress=True,
            )
            for pattern in args.failover_path_patterns
        ]
        certificate = aws.cloudfront.DistributionViewerCertificateArgs(
            acm_certificate_arn=args.viewer_certificate_arn,
            minimum_protocol_version=VIEWER_MIN_TLS,
            ssl_support_method="sni-only",
        )
        self.distribution = aws.cloudfront.Distribution(
            f"{self._name}-cdn",
            enabled=True,
            comment=f"gdpr-platform {args.jurisdiction} API",
            aliases=list(args.aliases),
            origins=origins,
            origin_groups=[failover],
            default_cache_behavior=default_behavior,
            ordered_cache_behaviors=ordered,
            custom_error_responses=[
                aws.cloudfront.DistributionCustomErrorResponseArgs(
                    error_code=code, error_caching_min_ttl=0
                )
                for code in UNCACHED_ERROR_CODES
            ],
            viewer_certificate=certificate,
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            price_class=args.price_class,
            http_version="http2and3",
            is_ipv6_enabled=True,
            tags=EDGE_TAGS,
            opts=self._child,
        )
