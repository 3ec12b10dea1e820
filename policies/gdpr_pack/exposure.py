"""Public exposure and access logging: baseline rules, advisory unless the stack's config
raises them (both production configs do)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .baseline import PAB_FLAGS, RDS_INSTANCES
from .context import ResourceView, StackView
from .coverage_types import COVERAGE_TYPES
from .log_delivery import BUCKET_LOGGING, LOAD_BALANCERS, S3_BUCKET, is_log_target, refers_to
from .rule import Rule, each
from .values import as_list, get, known, truthy

GROUP = "baseline"
ADVISORY = EnforcementLevel.ADVISORY


def _kind(res: ResourceView) -> str:
    return res.type.rsplit(":", 1)[-1]


# -- public access blocks, on their own ------------------------------------------------

BUCKET_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ACCESS_POINT = "aws:s3/accessPoint:AccessPoint"


def check_access_block(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if res.type == ACCESS_POINT:
        # An access point blocks everything unless told otherwise (AWS and provider default).
        block = known(res.props.get("publicAccessBlockConfiguration"), "publicAccessBlock")
        flags = {f: get(block, f) for f in PAB_FLAGS}
        off = [f for f, v in flags.items() if v is not None and not truthy(known(v, f))]
    else:
        # Unset is false for bucket and account blocks (the provider's default).
        off = [f for f in PAB_FLAGS if not truthy(known(res.props.get(f), f))]
    if off:
        return [f"{_kind(res)} {res.name!r} leaves off: {', '.join(off)}"]
    return []


ACCESS_BLOCK = Rule(
    name="aws-s3-bucketpublicaccessblock-require-all-flags",
    description="Every S3 public access block (bucket, account, access point) keeps all four "
    "flags on, whether or not its bucket is in the stack.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="set block_public_acls, block_public_policy, ignore_public_acls and "
    "restrict_public_buckets to True",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    types=frozenset({BUCKET_PAB, ACCOUNT_PAB, ACCESS_POINT}),
    resource_check=check_access_block,
    checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV_AWS_392"),
    security_hub=("S3.1", "S3.8"),
)

#: Canned ACLs that grant to everyone or to every AWS account.
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEES = ("/global/AllUsers", "/global/AuthenticatedUsers")
ACL_TYPES = frozenset(
    t for t, cats in COVERAGE_TYPES.items() if "acl" in cats.get("public", ()) and "s3" in t
)


def check_public_acl(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    problems = []
    acl = known(res.props.get("acl"), "acl")
    if acl in PUBLIC_ACLS:
        problems.append(f"{_kind(res)} {res.name!r} grants the canned ACL {acl!r}")
    policy = known(res.props.get("accessControlPolicy"), "accessControlPolicy")
    for grant in as_list(get(policy, "grants")):
        uri = str(get(grant, "grantee", "uri") or "")
        if uri.endswith(PUBLIC_GRANTEES):
            problems.append(f"{_kind(res)} {res.name!r} grants {get(grant, 'permission')} to {uri}")
    return problems


PUBLIC_ACL = Rule(
    name="aws-s3-bucketacl-disallow-public-acl",
    description="No S3 bucket or object ACL grants access to everyone or to all AWS accounts.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="use the private ACL (or none: BucketOwnerEnforced ownership) and grant through "
    "bucket policies to named principals",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html",
    types=ACL_TYPES,
    resource_check=check_public_acl,
    checkov=("CKV_AWS_20", "CKV_AWS_57", "CKV2_AWS_43"),
)

#: Inputs that, when true, put a resource on the internet.
PUBLIC_SWITCHES = ("publicly_accessible", "public_connectivity")

#: Every type the SDK gives such an input, except the RDS ones, which
#: ``aws-rds-instance-disallow-public-access`` checks.
PUBLICLY_ACCESSIBLE_TYPES = frozenset(
    t
    for t, cats in COVERAGE_TYPES.items()
    if set(PUBLIC_SWITCHES) & set(cats.get("public", ())) and t not in RDS_INSTANCES
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def check_publicly_accessible(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    problems = []
    for switch in map(_camel, PUBLIC_SWITCHES):
        if truthy(known(res.props.get(switch), switch)):
            problems.append(f"{_kind(res)} {res.name!r} ({res.type}) has {switch} true")
    return problems


PUBLICLY_ACCESSIBLE = Rule(
    name="aws-resource-disallow-publicly-accessible",
    description="No data store or broker outside RDS (Redshift, DMS, Neptune, MQ, "
    "Timestream for InfluxDB, ...) is reachable from the internet.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=ADVISORY,
    fix="set publicly_accessible (public_connectivity) to False and reach the service "
    "through the VPC",
    url="https://docs.aws.amazon.com/redshift/latest/mgmt/rs-security-group-public-private.html",
    types=PUBLICLY_ACCESSIBLE_TYPES,
    resource_check=check_publicly_accessible,
    checkov=("CKV_AWS_69", "CKV_AWS_87", "CKV_AWS_89", "CKV_AWS_102"),
)


SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"


def check_secret_policy(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if truthy(known(res.props.get("blockPublicPolicy"), "blockPublicPolicy")):
        return []
    return [f"secret policy {res.name!r} does not set blockPublicPolicy (default false)"]


SECRET_PUBLIC = Rule(
    name="aws-secretsmanager-secretpolicy-require-block-public-policy",
    description="Secrets Manager resource policies are validated to grant no public access.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="set block_public_policy=True on the SecretPolicy",
    url="https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html",
    types=frozenset({SECRET_POLICY}),
    resource_check=check_secret_policy,
)


# -- access logging ----------------------------------------------------------------------


def check_bucket_logging(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    loggings = stack.of_type(*BUCKET_LOGGING)

    def one(bucket: ResourceView) -> Iterator[tuple[str, str]]:
        if any(refers_to(lg, "bucket", bucket) for lg in loggings):
            return
        # A log bucket does not log itself (it would log its own log writes).
        if not is_log_target(stack, bucket):
            yield bucket.urn, f"bucket {bucket.name!r} has no server access logging"

    return each(stack.of_type(S3_BUCKET), one)


S3_LOGGING = Rule(
    name="aws-s3-bucket-enable-access-logging",
    description="Every S3 bucket that is not itself a log target has server access logging.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=ADVISORY,
    fix="add an aws.s3.BucketLogging for the bucket, targeting the region's log bucket",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html",
    types=frozenset({S3_BUCKET, *BUCKET_LOGGING}),
    stack_check=check_bucket_logging,
    checkov=("CKV_AWS_18",),
    security_hub=("S3.9",),
)


def check_lb_logs(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if res.props.get("loadBalancerType") == "gateway":
        return []  # gateway load balancers have no access logs
    logs = known(res.props.get("accessLogs"), "accessLogs")
    enabled = known(get(logs, "enabled"), "accessLogs.enabled")
    if not truthy(enabled) or not get(logs, "bucket"):
        return [f"load balancer {res.name!r} does not write access logs"]
    return []


LB_LOGS = Rule(
    name="aws-lb-loadbalancer-enable-access-logs",
    description="Application and network load balancers write access logs.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=ADVISORY,
    fix="set access_logs={'bucket': <the region's log bucket>, 'enabled': True}",
    url="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
    types=frozenset(LOAD_BALANCERS),
    resource_check=check_lb_logs,
    checkov=("CKV_AWS_91",),
    security_hub=("ELB.5",),
)


RULES: list[Rule] = [
    ACCESS_BLOCK,
    PUBLIC_ACL,
    PUBLICLY_ACCESSIBLE,
    SECRET_PUBLIC,
    S3_LOGGING,
    LB_LOGS,
]
