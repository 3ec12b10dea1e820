"""Security baseline: hygiene that is advisory by default and mandatory in production.

Production stacks raise these to ``mandatory`` in their policy config
(``policies/config/pack.json``): enforcement levels are the engine's business, so the
switch lives in the config the engine reads, not in the rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .context import ResourceView, StackView
from .rule import Rule, each
from .values import as_list, get, is_unknown, known, truthy

GROUP = "baseline"
ADVISORY = EnforcementLevel.ADVISORY
PUBLIC_CIDRS = ("0.0.0.0/0", "::/0")


def _kind(res: ResourceView) -> str:
    return res.type.rsplit(":", 1)[-1]


# -- databases ---------------------------------------------------------------------------

RDS_INSTANCES = frozenset(
    {
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
    }
)


def check_public_db(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if truthy(known(res.props.get("publiclyAccessible"), "publiclyAccessible")):
        return [f"{_kind(res)} {res.name!r} is publicly accessible"]
    return []


RDS_PUBLIC = Rule(
    name="aws-rds-instance-disallow-public-access",
    description="Database instances are not publicly accessible.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=ADVISORY,
    fix="set publicly_accessible=False and place instances in isolated subnets",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html",
    types=RDS_INSTANCES,
    resource_check=check_public_db,
    checkov=("CKV_AWS_17",),
    security_hub=("RDS.2",),
)


def check_deletion_protection(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if truthy(known(res.props.get("deletionProtection"), "deletionProtection")):
        return []
    return [f"{_kind(res)} {res.name!r} has deletionProtection unset or false"]


RDS_DELETION = Rule(
    name="aws-rds-cluster-enable-deletion-protection",
    description="Aurora clusters, global clusters and RDS instances have deletion protection.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="set deletion_protection=True",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html",
    types=frozenset(
        {
            "aws:rds/cluster:Cluster",
            "aws:rds/globalCluster:GlobalCluster",
            "aws:rds/instance:Instance",
        }
    ),
    resource_check=check_deletion_protection,
    checkov=("CKV_AWS_139",),
    security_hub=("RDS.7",),
)


def check_backups(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    days = known(res.props.get("backupRetentionPeriod"), "backupRetentionPeriod")
    minimum = int(config["minBackupRetentionDays"])
    problems = []
    if days is None or int(days) < minimum:
        shown = "unset (AWS default 1)" if days is None else str(int(days))
        problems.append(
            f"{_kind(res)} {res.name!r} keeps backups {shown} days, less than {minimum}"
        )
    if not truthy(known(res.props.get("copyTagsToSnapshot"), "copyTagsToSnapshot")):
        problems.append(f"{_kind(res)} {res.name!r} does not copy tags to snapshots")
    return problems


RDS_BACKUPS = Rule(
    name="aws-rds-cluster-configure-backups",
    description="Aurora clusters keep automated backups long enough and tag their snapshots.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=ADVISORY,
    fix="set backup_retention_period to at least minBackupRetentionDays and "
    "copy_tags_to_snapshot=True",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Backups.html",
    types=frozenset({"aws:rds/cluster:Cluster", "aws:rds/instance:Instance"}),
    resource_check=check_backups,
    config={
        "minBackupRetentionDays": {"type": "integer", "minimum": 1, "maximum": 35, "default": 7}
    },
    checkov=("CKV_AWS_133", "CKV_AWS_313"),
    security_hub=("RDS.11", "RDS.16"),
)


# -- EKS ---------------------------------------------------------------------------------


def check_eks_endpoint(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if res.type == "eks:index:Cluster":
        public = res.props.get("endpointPublicAccess")
    else:
        public = get(res.props, "vpcConfig", "endpointPublicAccess")
    public = known(public, "endpointPublicAccess")
    if public is None or truthy(public):  # both default to a public endpoint
        shown = "unset (default: public)" if public is None else "true"
        return [f"EKS cluster {res.name!r} endpointPublicAccess is {shown}"]
    return []


EKS_ENDPOINT = Rule(
    name="aws-eks-cluster-disallow-public-endpoint",
    description="EKS API endpoints are private.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="set endpoint_public_access=False and endpoint_private_access=True explicitly",
    url="https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
    types=frozenset({"eks:index:Cluster", "aws:eks/cluster:Cluster"}),
    resource_check=check_eks_endpoint,
    checkov=("CKV_AWS_38", "CKV_AWS_39"),
    security_hub=("EKS.1",),
)


def check_eks_logs(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    enabled = set(as_list(known(res.props.get("enabledClusterLogTypes"), "enabledClusterLogTypes")))
    missing = [t for t in config["requiredLogTypes"] if t not in enabled]
    if missing:
        return [f"EKS cluster {res.name!r} does not log control-plane types: {', '.join(missing)}"]
    return []


EKS_LOGS = Rule(
    name="aws-eks-cluster-enable-control-plane-logs",
    description="EKS control-plane logs are on (pulumi-eks leaves them off by default).",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=ADVISORY,
    fix="set enabled_cluster_log_types to include the required types",
    url="https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html",
    types=frozenset({"eks:index:Cluster", "aws:eks/cluster:Cluster"}),
    resource_check=check_eks_logs,
    config={
        "requiredLogTypes": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["api", "audit", "authenticator"],
        }
    },
    checkov=("CKV_AWS_37",),
    security_hub=("EKS.8",),
)


# -- networks ----------------------------------------------------------------------------

VPC = "aws:ec2/vpc:Vpc"


def _attached(
    stack: StackView, owner: ResourceView, child_type: str, prop: str
) -> list[ResourceView]:
    found = []
    for child in stack.of_type(child_type):
        if (
            owner.urn in child.property_dependencies.get(prop, [])
            or owner.urn in child.dependencies
        ):
            found.append(child)
    return found


def check_flow_logs(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for vpc in stack.of_type(VPC):
        if not _attached(stack, vpc, "aws:ec2/flowLog:FlowLog", "vpcId"):
            yield vpc.urn, f"VPC {vpc.name!r} has no flow log"


FLOW_LOGS = Rule(
    name="aws-ec2-vpc-enable-flow-logs",
    description="Every VPC has a flow log.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=ADVISORY,
    fix="add an aws.ec2.FlowLog with vpc_id set to the VPC",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
    types=frozenset({VPC}),
    stack_check=check_flow_logs,
    checkov=("CKV2_AWS_11",),
    security_hub=("EC2.6",),
)


def check_default_sg(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for vpc in stack.of_type(VPC):
        groups = _attached(stack, vpc, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "vpcId")
        if not groups:
            yield (
                vpc.urn,
                f"VPC {vpc.name!r} leaves its default security group open (no "
                f"DefaultSecurityGroup resource takes it over)",
            )

    def rules_of(group: ResourceView) -> Iterator[tuple[str, str]]:
        if known(group.props.get("ingress"), "ingress") or known(
            group.props.get("egress"), "egress"
        ):
            yield group.urn, f"default security group {group.name!r} has rules"

    yield from each(stack.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"), rules_of)


DEFAULT_SG = Rule(
    name="aws-ec2-vpc-require-closed-default-security-group",
    description="Each VPC's default security group is taken over and has no rules.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=ADVISORY,
    fix="declare aws.ec2.DefaultSecurityGroup(vpc_id=...) with no ingress and no egress",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html",
    types=frozenset({VPC, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"}),
    stack_check=check_default_sg,
    checkov=("CKV2_AWS_12",),
    security_hub=("EC2.2",),
)

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def _public_ingress(
    stack: StackView, res: ResourceView
) -> Iterator[tuple[ResourceView | None, Any, Any]]:
    """(its security group, fromPort, toPort) for each world-open ingress of ``res``."""
    if res.type == SG:
        for rule in as_list(known(res.props.get("ingress"), "ingress")):
            cidrs = as_list(get(rule, "cidrBlocks")) + as_list(get(rule, "ipv6CidrBlocks"))
            if any(c in PUBLIC_CIDRS for c in cidrs):
                yield res, get(rule, "fromPort"), get(rule, "toPort")
        return
    if res.type == SG_RULE:
        if known(res.props.get("type"), "type") != "ingress":
            return
        cidrs = as_list(res.props.get("cidrBlocks")) + as_list(res.props.get("ipv6CidrBlocks"))
    else:
        cidrs = [res.props.get("cidrIpv4"), res.props.get("cidrIpv6")]
    if any(known(c, "cidr") in PUBLIC_CIDRS for c in cidrs):
        owners = stack.dependencies_of(res, "securityGroupId", SG)
        yield owners[0] if owners else None, res.props.get("fromPort"), res.props.get("toPort")


def _port(value: Any) -> str:
    return str(int(value)) if isinstance(value, int | float) else str(value)


def check_public_ingress(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    allowed = {int(p) for p in config["publicPorts"]}
    balancers = stack.of_type(*LOAD_BALANCERS)

    def one(res: ResourceView) -> Iterator[tuple[str, str]]:
        for sg, from_port, to_port in _public_ingress(stack, res):
            fronts_lb = sg is not None and any(
                sg.urn in lb.property_dependencies.get("securityGroups", []) for lb in balancers
            )
            single = from_port == to_port and from_port is not None and not is_unknown(from_port)
            if fronts_lb and single and int(from_port) in allowed:
                continue
            ports = (
                f"{_port(from_port)}-{_port(to_port)}" if from_port != to_port else _port(from_port)
            )
            yield (
                res.urn,
                f"{_kind(res)} {res.name!r} opens port(s) {ports} to the internet"
                + ("" if fronts_lb else " on a security group that fronts no load balancer"),
            )

    return each(stack.of_type(SG, SG_RULE, SG_INGRESS), one)


PUBLIC_INGRESS = Rule(
    name="aws-ec2-securitygroup-disallow-public-ingress",
    description="No 0.0.0.0/0 or ::/0 ingress, except a load balancer's security group on 443.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="restrict the CIDR, or put the service behind a load balancer that alone listens on 443",
    url="https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    types=frozenset({SG, SG_RULE, SG_INGRESS}),
    stack_check=check_public_ingress,
    config={"publicPorts": {"type": "array", "items": {"type": "integer"}, "default": [443]}},
    checkov=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260"),
    security_hub=("EC2.18", "EC2.19"),
)


# -- IAM ---------------------------------------------------------------------------------

IAM_POLICY_TYPES = frozenset(
    {
        "aws:iam/policy:Policy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)


def _statements(document: Any) -> list[Any]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    return as_list(get(document, "Statement")) if isinstance(document, Mapping) else []


def check_iam_wildcards(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    document = known(res.props.get("policy"), "policy")
    problems = []
    for i, statement in enumerate(_statements(document)):
        if get(statement, "Effect") != "Allow":
            continue
        actions = as_list(get(statement, "Action"))
        resources = as_list(get(statement, "Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            problems.append(
                f"IAM policy {res.name!r} statement {i} allows every action on every resource"
            )
    return problems


IAM_ADMIN = Rule(
    name="aws-iam-policy-disallow-wildcard-admin",
    description="No IAM policy statement allows '*' actions on '*' resources.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=ADVISORY,
    fix="grant the specific actions and resource ARNs the role needs",
    url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    types=IAM_POLICY_TYPES,
    resource_check=check_iam_wildcards,
    checkov=("CKV_AWS_62",),
    security_hub=("IAM.1",),
)


# -- S3 public access --------------------------------------------------------------------

PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def check_public_access_block(
    stack: StackView, config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    blocks = stack.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")

    def one(bucket: ResourceView) -> Iterator[tuple[str, str]]:
        mine = [
            b
            for b in blocks
            if bucket.urn in b.property_dependencies.get("bucket", [])
            or (
                b.props.get("bucket") is not None
                and b.props.get("bucket") == bucket.props.get("bucket")
            )
        ]
        if not mine:
            yield bucket.urn, f"bucket {bucket.name!r} has no public access block"
            return
        off = [f for f in PAB_FLAGS if not truthy(mine[0].props.get(f), f)]
        if off:
            yield (
                bucket.urn,
                f"bucket {bucket.name!r} public access block leaves off: {', '.join(off)}",
            )

    return each(stack.of_type("aws:s3/bucket:Bucket"), one)


S3_PUBLIC = Rule(
    name="aws-s3-bucket-require-public-access-block",
    description="Every S3 bucket blocks public access (all four settings).",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="add an aws.s3.BucketPublicAccessBlock for the bucket with all four flags True",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    types=frozenset(
        {"aws:s3/bucket:Bucket", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"}
    ),
    stack_check=check_public_access_block,
    checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    security_hub=("S3.8",),
)


# -- logs, transit gateways --------------------------------------------------------------


def check_retention(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    days = known(res.props.get("retentionInDays"), "retentionInDays")
    low, high = int(config["minRetentionDays"]), int(config["maxRetentionDays"])
    if days is None or int(days) == 0:
        return [f"log group {res.name!r} keeps logs forever (retentionInDays unset)"]
    if not low <= int(days) <= high:
        return [f"log group {res.name!r} keeps logs {int(days)} days, outside {low}..{high}"]
    return []


LOG_RETENTION = Rule(
    name="aws-cloudwatch-loggroup-configure-retention",
    description="Log groups expire logs within a bounded retention (storage limitation).",
    group=GROUP,
    severity=Severity.LOW,
    enforcement_level=ADVISORY,
    fix="set retention_in_days between minRetentionDays and maxRetentionDays",
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
    types=frozenset({"aws:cloudwatch/logGroup:LogGroup"}),
    resource_check=check_retention,
    config={
        "minRetentionDays": {"type": "integer", "minimum": 1, "default": 30},
        "maxRetentionDays": {"type": "integer", "minimum": 1, "default": 731},
    },
    checkov=("CKV_AWS_66", "CKV_AWS_338"),
    security_hub=("CloudWatch.16",),
)


def check_tgw_auto_accept(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if res.props.get("autoAcceptSharedAttachments") == "enable":
        return [f"transit gateway {res.name!r} auto-accepts shared attachments"]
    return []


TGW_AUTO_ACCEPT = Rule(
    name="aws-ec2transitgateway-disable-auto-accept",
    description="Transit gateways do not auto-accept shared attachments.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=ADVISORY,
    fix="set auto_accept_shared_attachments='disable'",
    url="https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html",
    types=frozenset({"aws:ec2transitgateway/transitGateway:TransitGateway"}),
    resource_check=check_tgw_auto_accept,
    checkov=("CKV_AWS_331",),
    security_hub=("EC2.23",),
)


RULES: list[Rule] = [
    RDS_PUBLIC,
    RDS_DELETION,
    RDS_BACKUPS,
    EKS_ENDPOINT,
    EKS_LOGS,
    FLOW_LOGS,
    DEFAULT_SG,
    PUBLIC_INGRESS,
    IAM_ADMIN,
    S3_PUBLIC,
    LOG_RETENTION,
    TGW_AUTO_ACCEPT,
]
