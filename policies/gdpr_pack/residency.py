"""Residency: where personal data of the stack's jurisdiction rests and where copies go.

Every rule here is mandatory and fails closed: a region that cannot be known at preview
time is a violation, not a skipped check. Only data classified as one of
``crossBorderClassifications`` (tag ``data-classification``) may travel a cross-border path
that the design allows at all (S3 replication, Lambda destinations, SNS subscriptions).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .context import (
    Jurisdiction,
    ResourceView,
    StackView,
    jurisdiction_for,
    region_problem,
    where,
)
from .operations import EXCEPTIONS_CONFIG, is_excepted_trusted_advisor
from .rule import CROSS_BORDER_CONFIG, JURISDICTION_CONFIG, Rule
from .values import arn_region, as_list, get, is_unknown

GROUP = "residency"
CONFIG = dict(JURISDICTION_CONFIG)
CROSS_CONFIG = {**JURISDICTION_CONFIG, **CROSS_BORDER_CONFIG}


def classification(resource: ResourceView | None) -> str | None:
    if resource is None:
        return None
    tags = resource.tags()
    if isinstance(tags, Mapping):
        value = tags.get("data-classification")
        return value if isinstance(value, str) and not is_unknown(value) else None
    return None


def may_cross(config: Mapping[str, Any], source: ResourceView | None) -> bool:
    return classification(source) in set(config.get("crossBorderClassifications", []))


def referenced_regions(
    stack: StackView, res: ResourceView, prop: str, value: Any, *types: str
) -> list[Any]:
    """Regions of what ``value`` (part of input ``prop``) points at.

    A literal ARN names its region. Otherwise the engine's property dependencies tell which
    stack resources (of ``types``) feed ``prop``; each of their effective regions counts.
    ``[None]`` when nothing tells: the caller then fails closed.
    """
    if isinstance(value, str) and not is_unknown(value):
        region = arn_region(value)
        if region:
            return [region]
    deps = [d for d in stack.dependencies_of(res, prop, *types) if d.urn != res.urn]
    if deps:
        return [d.effective_region() for d in deps]
    return [value if is_unknown(value) else None]


def _region_problems(j: Jurisdiction, what: str, regions: list[Any]) -> Iterator[str]:
    for region in regions:
        problem = region_problem(j, what, region)
        if problem:
            yield problem


# -- every regional resource ------------------------------------------------------------


def _applies_regional(type_token: str) -> bool:
    return ResourceView(type=type_token, urn="", name="", props={}).is_regional_aws


#: Resources CloudFront requires in us-east-1; they hold certificates and rules, not data.
EDGE_TYPES = [
    "aws:acm/certificate:Certificate",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:wafv2/webAcl:WebAcl",
]


def check_region(res: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    j = jurisdiction_for(config, res.urn)
    region = res.effective_region()
    edge = res.type in config.get("edgeTypes", []) and region == config.get("edgeRegion")
    if edge and (res.type != "aws:wafv2/webAcl:WebAcl" or res.props.get("scope") == "CLOUDFRONT"):
        return []
    if is_excepted_trusted_advisor(res, config):
        return []
    problem = region_problem(j, f"{res.type} {res.name!r}", region)
    return [problem] if problem else []


REGION = Rule(
    name="aws-resource-require-region-in-jurisdiction",
    description="Every regional AWS resource lives in a region of the stack's jurisdiction.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="give the resource (or its provider) a 'region' from the jurisdiction's allow-list; "
    "create it through the region's explicit provider (aws-<region>)",
    url="https://docs.aws.amazon.com/controltower/latest/controlreference/primary-region-deny-policy.html",
    applies=_applies_regional,
    resource_check=check_region,
    config={
        **JURISDICTION_CONFIG,
        "edgeRegion": {
            "type": "string",
            "default": "us-east-1",
            "description": "The one region CloudFront takes certificates and web ACLs from.",
        },
        "edgeTypes": {
            "type": "array",
            "items": {"type": "string"},
            "default": EDGE_TYPES,
            "description": "Types allowed in edgeRegion because CloudFront requires them there.",
        },
        **EXCEPTIONS_CONFIG,
    },
)


# -- Aurora: global cluster members and replication sources ------------------------------

GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
RDS_CLUSTER = "aws:rds/cluster:Cluster"


def check_rds_replication(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(RDS_CLUSTER, GLOBAL_CLUSTER):
        j = jurisdiction_for(config, res.urn)
        what = f"{res.type} {res.name!r}"
        if res.type == GLOBAL_CLUSTER:
            src = res.props.get("sourceDbClusterIdentifier")
            if src is not None:
                region = referenced_regions(
                    stack, res, "sourceDbClusterIdentifier", src, RDS_CLUSTER
                )
                for p in _region_problems(j, f"{what}: source cluster", region):
                    yield res.urn, p
            continue
        source_region = res.props.get("sourceRegion")
        if source_region is not None:
            for p in _region_problems(j, f"{what}: sourceRegion", [source_region]):
                yield res.urn, p
        replication = res.props.get("replicationSourceIdentifier")
        if replication is not None:
            region = referenced_regions(stack, res, "replicationSourceIdentifier", replication)
            for p in _region_problems(j, f"{what}: replication source", region):
                yield res.urn, p
        global_id = res.props.get("globalClusterIdentifier")
        if global_id is not None:
            members = stack.dependencies_of(res, "globalClusterIdentifier", GLOBAL_CLUSTER)
            members = members or stack.find_by_input(
                [GLOBAL_CLUSTER], "globalClusterIdentifier", global_id
            )
            if not members:
                yield (
                    res.urn,
                    f"{what} joins global cluster {where(global_id)} that is not declared in "
                    f"this stack, so where its other members live cannot be checked",
                )


RDS_REPLICATION = Rule(
    name="aws-rds-cluster-require-replication-in-jurisdiction",
    description="Aurora clusters replicate only from sources in the jurisdiction and join "
    "only global clusters declared in the same stack.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set sourceRegion / replicationSourceIdentifier to a cluster in the jurisdiction and "
    "declare the global cluster in this stack (one global database per jurisdiction)",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html",
    types=frozenset({RDS_CLUSTER, GLOBAL_CLUSTER}),
    stack_check=check_rds_replication,
    config=CONFIG,
)


# -- S3 replication ----------------------------------------------------------------------

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def _bucket_named(stack: StackView, ref: Any) -> ResourceView | None:
    if not isinstance(ref, str) or is_unknown(ref):
        return None
    name = ref.removeprefix("arn:aws:s3:::")
    found = stack.find_by_input([S3_BUCKET], "bucket", name)
    return found[0] if found else None


def check_s3_replication(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(S3_REPLICATION):
        j = jurisdiction_for(config, res.urn)
        source = _bucket_named(stack, res.props.get("bucket"))
        if source is None:
            deps = stack.dependencies_of(res, "bucket", S3_BUCKET)
            source = deps[0] if deps else None
        rule_deps = [
            d
            for d in stack.dependencies_of(res, "rules", S3_BUCKET)
            if source is None or d.urn != source.urn
        ]
        for i, rule in enumerate(as_list(res.props.get("rules"))):
            dest_ref = get(rule, "destination", "bucket")
            dest = _bucket_named(stack, dest_ref)
            targets = [dest] if dest is not None else rule_deps
            what = f"{res.type} {res.name!r} rule {i} destination {where(dest_ref)}"
            if not targets:
                problem = (
                    f"{what} is not a bucket of this stack, so its region cannot be checked; "
                    f"residency fails closed"
                )
                if not may_cross(config, source):
                    yield res.urn, problem
                continue
            for target in targets:
                outside = region_problem(j, what, target.effective_region())
                if outside and not may_cross(config, source):
                    yield res.urn, outside


S3_REPLICATION_RULE = Rule(
    name="aws-s3-bucketreplicationconfig-require-destination-in-jurisdiction",
    description="S3 replication only targets buckets of this stack in the jurisdiction, "
    "unless the source holds only pseudonymized/aggregate/public data.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="replicate to a bucket declared in this stack in a region of the jurisdiction",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html",
    types=frozenset({S3_REPLICATION}),
    stack_check=check_s3_replication,
    config=CROSS_CONFIG,
)


# -- Secrets Manager replicas ------------------------------------------------------------


def check_secret_replicas(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    j = jurisdiction_for(config, res.urn)
    replicas = res.props.get("replicas")
    if is_unknown(replicas):
        yield f"secret {res.name!r}: replicas are unknown at preview; residency fails closed"
        return
    for i, replica in enumerate(as_list(replicas)):
        problem = region_problem(j, f"secret {res.name!r} replica {i}", get(replica, "region"))
        if problem:
            yield problem


SECRET_REPLICAS = Rule(
    name="aws-secretsmanager-secret-require-replicas-in-jurisdiction",
    description="Secrets Manager replicas stay in the jurisdiction.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="list only regions of the jurisdiction under 'replicas'",
    url="https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html",
    types=frozenset({"aws:secretsmanager/secret:Secret"}),
    resource_check=check_secret_replicas,
    config=CONFIG,
)


# -- KMS multi-Region replica keys -------------------------------------------------------

KMS_KEY = "aws:kms/key:Key"
KMS_REPLICAS = ("aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey")


def check_kms_replicas(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(*KMS_REPLICAS):
        j = jurisdiction_for(config, res.urn)
        primary = res.props.get("primaryKeyArn")
        region = referenced_regions(stack, res, "primaryKeyArn", primary, KMS_KEY, *KMS_REPLICAS)
        for p in _region_problems(j, f"{res.type} {res.name!r}: primary key", region):
            yield res.urn, p


KMS_REPLICA = Rule(
    name="aws-kms-replicakey-require-primary-in-jurisdiction",
    description="KMS replica keys replicate only multi-Region keys whose primary is in the "
    "jurisdiction (the replica's own region is checked by the region rule).",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="replicate a primary key of this jurisdiction (primaryKeyArn) into a jurisdiction region",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html",
    types=frozenset(KMS_REPLICAS),
    stack_check=check_kms_replicas,
    config=CONFIG,
)


# -- network peering ---------------------------------------------------------------------


def check_vpc_peering(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    j = jurisdiction_for(config, res.urn)
    peer = res.props.get("peerRegion")
    if peer is None:  # same-region peering: the region rule covers it
        return
    problem = region_problem(j, f"VPC peering {res.name!r}: peer", peer)
    if problem:
        yield problem


VPC_PEERING = Rule(
    name="aws-ec2-vpcpeeringconnection-require-peer-in-jurisdiction",
    description="VPC peering connects only VPCs in regions of the jurisdiction.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set peerRegion to a region of the jurisdiction (peer only this jurisdiction's VPCs)",
    url="https://docs.aws.amazon.com/controltower/latest/controlreference/strongly-recommended-controls.html",
    types=frozenset({"aws:ec2/vpcPeeringConnection:VpcPeeringConnection"}),
    resource_check=check_vpc_peering,
    config=CONFIG,
)


def check_tgw_peering(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    j = jurisdiction_for(config, res.urn)
    problem = region_problem(
        j, f"transit gateway peering {res.name!r}: peer", res.props.get("peerRegion")
    )
    if problem:
        yield problem


TGW_PEERING = Rule(
    name="aws-ec2transitgateway-peeringattachment-require-peer-in-jurisdiction",
    description="Transit Gateway peering connects only gateways in regions of the jurisdiction.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set peerRegion to a region of the jurisdiction",
    url="https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html",
    types=frozenset({"aws:ec2transitgateway/peeringAttachment:PeeringAttachment"}),
    resource_check=check_tgw_peering,
    config=CONFIG,
)


# -- backups and snapshot copies ---------------------------------------------------------

BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_VAULT = "aws:backup/vault:Vault"


def check_backup_copies(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(BACKUP_PLAN):
        j = jurisdiction_for(config, res.urn)
        rules = res.props.get("rules")
        if is_unknown(rules):
            yield res.urn, f"backup plan {res.name!r}: rules unknown at preview; fails closed"
            continue
        for i, rule in enumerate(as_list(rules)):
            copies = get(rule, "copyActions")
            if is_unknown(copies):
                yield res.urn, f"backup plan {res.name!r} rule {i}: copy actions unknown at preview"
                continue
            for k, copy in enumerate(as_list(copies)):
                vault = get(copy, "destinationVaultArn")
                region = referenced_regions(stack, res, "rules", vault, BACKUP_VAULT)
                what = f"backup plan {res.name!r} rule {i} copy {k} destination vault"
                for p in _region_problems(j, what, region):
                    yield res.urn, p


BACKUP_COPY = Rule(
    name="aws-backup-plan-require-copy-destination-in-jurisdiction",
    description="AWS Backup copy actions copy recovery points only to vaults in the jurisdiction.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="point copyActions[].destinationVaultArn at a vault in a region of the jurisdiction",
    url="https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html",
    types=frozenset({BACKUP_PLAN}),
    stack_check=check_backup_copies,
    config=CONFIG,
)

#: type -> inputs that name a source or destination region / ARN.
SNAPSHOT_PATHS: Mapping[str, tuple[str, ...]] = {
    "aws:rds/snapshotCopy:SnapshotCopy": (
        "sourceDbSnapshotIdentifier",
        "sourceRegion",
        "destinationRegion",
    ),
    "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy": (
        "sourceDbClusterSnapshotIdentifier",
        "destinationRegion",
    ),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
        "sourceDbInstanceArn",
    ),
    "aws:ebs/snapshotCopy:SnapshotCopy": ("sourceRegion",),
    "aws:ec2/amiCopy:AmiCopy": ("sourceAmiRegion",),
    "aws:redshift/snapshotCopy:SnapshotCopy": ("destinationRegion",),
}


def check_snapshot_copies(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(*SNAPSHOT_PATHS):
        j = jurisdiction_for(config, res.urn)
        for prop in SNAPSHOT_PATHS[res.type]:
            value = res.props.get(prop)
            if value is None:
                continue
            if prop.endswith("Region"):
                regions: list[Any] = [value]
            elif isinstance(value, str) and not is_unknown(value) and not value.startswith("arn:"):
                continue  # a bare identifier names a same-region source: the region rule covers it
            else:
                regions = referenced_regions(stack, res, prop, value)
            for p in _region_problems(j, f"{res.type} {res.name!r}: {prop}", regions):
                yield res.urn, p


SNAPSHOT_COPY = Rule(
    name="aws-snapshotcopy-require-regions-in-jurisdiction",
    description="RDS/EBS/Redshift snapshot copies, AMI copies and RDS automated-backup "
    "replication stay in the jurisdiction (source and destination).",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="copy or replicate snapshots only between regions of the jurisdiction",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReplicateBackups.html",
    types=frozenset(SNAPSHOT_PATHS),
    stack_check=check_snapshot_copies,
    config=CONFIG,
)


# -- Lambda event paths ------------------------------------------------------------------

LAMBDA_FUNCTION = "aws:lambda/function:Function"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"


def _function_for(stack: StackView, res: ResourceView, prop: str) -> ResourceView | None:
    deps = stack.dependencies_of(res, prop, LAMBDA_FUNCTION)
    if deps:
        return deps[0]
    found = stack.find_by_input([LAMBDA_FUNCTION], "name", res.props.get(prop))
    return found[0] if found else None


def _lambda_paths(
    stack: StackView, res: ResourceView
) -> Iterator[tuple[str, str, Any, ResourceView | None]]:
    """(label, top-level prop, ARN value, the function whose data travels) per path."""
    if res.type == LAMBDA_FUNCTION:
        target = get(res.props, "deadLetterConfig", "targetArn")
        if target is not None:
            yield "dead-letter target", "deadLetterConfig", target, res
    elif res.type == ESM:
        fn = _function_for(stack, res, "functionName")
        source = res.props.get("eventSourceArn")
        if source is not None:
            yield "event source", "eventSourceArn", source, fn
        dest = get(res.props, "destinationConfig", "onFailure", "destinationArn")
        if dest is not None:
            yield "on-failure destination", "destinationConfig", dest, fn
    elif res.type == INVOKE_CONFIG:
        fn = _function_for(stack, res, "functionName")
        for outcome in ("onFailure", "onSuccess"):
            dest = get(res.props, "destinationConfig", outcome, "destination")
            if dest is not None:
                yield f"{outcome} destination", "destinationConfig", dest, fn


def check_lambda_paths(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(LAMBDA_FUNCTION, ESM, INVOKE_CONFIG):
        j = jurisdiction_for(config, res.urn)
        for label, prop, value, fn in _lambda_paths(stack, res):
            region = referenced_regions(stack, res, prop, value)
            if may_cross(config, fn):
                continue
            for p in _region_problems(j, f"{res.type} {res.name!r}: {label}", region):
                yield res.urn, p


LAMBDA_PATHS = Rule(
    name="aws-lambda-function-require-event-paths-in-jurisdiction",
    description="Lambda event sources, destinations and dead-letter targets stay in the "
    "jurisdiction unless the function handles only pseudonymized/aggregate/public data.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="use queues/topics/streams in a region of the jurisdiction, or tag the function's "
    "data-classification pseudonymized/aggregate when that is what it sends",
    url="https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html",
    types=frozenset({LAMBDA_FUNCTION, ESM, INVOKE_CONFIG}),
    stack_check=check_lambda_paths,
    config=CROSS_CONFIG,
)


# -- SNS subscriptions -------------------------------------------------------------------

SNS_TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def check_sns_subscriptions(
    stack: StackView, config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(SUBSCRIPTION):
        j = jurisdiction_for(config, res.urn)
        topics = stack.dependencies_of(res, "topic", SNS_TOPIC)
        topic = topics[0] if topics else None
        if may_cross(config, topic):
            continue
        what = f"SNS subscription {res.name!r}"
        topic_region = referenced_regions(stack, res, "topic", res.props.get("topic"), SNS_TOPIC)
        for p in _region_problems(j, f"{what}: topic", topic_region):
            yield res.urn, p
        if res.props.get("protocol") in ("sqs", "lambda", "firehose"):
            endpoint = referenced_regions(stack, res, "endpoint", res.props.get("endpoint"))
            for p in _region_problems(j, f"{what}: endpoint", endpoint):
                yield res.urn, p


SNS_SUBSCRIPTION = Rule(
    name="aws-sns-topicsubscription-require-endpoint-in-jurisdiction",
    description="SNS subscriptions (SQS, Lambda, Firehose) deliver only within the "
    "jurisdiction unless the topic carries only pseudonymized/aggregate/public data.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="subscribe endpoints in a region of the jurisdiction",
    url="https://docs.aws.amazon.com/sns/latest/dg/sns-cross-region-delivery.html",
    types=frozenset({SUBSCRIPTION}),
    stack_check=check_sns_subscriptions,
    config=CROSS_CONFIG,
)


# -- CloudFront in front of personal data -----------------------------------------------

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
#: AWS managed policy "CachingDisabled".
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def _policy_disables_caching(policy: ResourceView) -> bool:
    ttls = [policy.props.get(k) for k in ("defaultTtl", "maxTtl", "minTtl")]
    return policy.props.get("maxTtl") in (0, "0") and all(t in (0, "0", None) for t in ttls)


def _caching_disabled(
    stack: StackView, res: ResourceView, behavior: Any, prop: str, config: Mapping[str, Any]
) -> bool:
    """Whether ``behavior`` (found under input ``prop``) never caches.

    The managed CachingDisabled id is recognised literally. A cache policy of the stack is
    found through the property dependencies of ``prop``; when the ordered behaviours use
    several, all of them must disable caching (the dependencies do not say which is which).
    """
    policy_id = get(behavior, "cachePolicyId")
    if policy_id in set(config.get("cachingDisabledPolicyIds", [])):
        return True
    if policy_id is None:  # legacy forwardedValues: TTLs on the behaviour itself
        return all(get(behavior, k) in (0, "0") for k in ("defaultTtl", "maxTtl", "minTtl"))
    policies = stack.dependencies_of(res, prop, CACHE_POLICY)
    return bool(policies) and all(_policy_disables_caching(p) for p in policies)


def check_cloudfront(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    personal = set(config.get("personalClassifications", []))
    api_paths = list(config.get("apiPathPatterns", []))
    for res in stack.of_type(DISTRIBUTION):
        label = classification(res)
        if label is not None and label not in personal:
            continue
        behaviors = res.props.get("orderedCacheBehaviors")
        if is_unknown(behaviors):
            yield res.urn, f"distribution {res.name!r}: cache behaviours unknown at preview"
            continue
        default = res.props.get("defaultCacheBehavior")
        for path in api_paths:
            matching = [b for b in as_list(behaviors) if get(b, "pathPattern") == path]
            if not matching:
                if not _caching_disabled(stack, res, default, "defaultCacheBehavior", config):
                    yield (
                        res.urn,
                        f"distribution {res.name!r} serves API path {path!r} from its default "
                        f"behaviour, which caches (personal data would rest in edge caches "
                        f"outside the jurisdiction)",
                    )
                continue
            for b in matching:
                if not _caching_disabled(stack, res, b, "orderedCacheBehaviors", config):
                    yield (
                        res.urn,
                        f"distribution {res.name!r} caches API path {path!r} (personal data "
                        f"would rest in edge caches outside the jurisdiction)",
                    )


CLOUDFRONT = Rule(
    name="aws-cloudfront-distribution-disallow-caching-personal-api",
    description="CloudFront distributions in front of personal data never cache the API paths.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="give each API path pattern a cache behaviour with the managed CachingDisabled policy "
    "(4135ea2d-6df8-44a3-9df3-4b5a84be39ad) or a cache policy with all TTLs 0",
    url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html",
    types=frozenset({DISTRIBUTION}),
    stack_check=check_cloudfront,
    config={
        "apiPathPatterns": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["/v1/*"],
            "description": "Path patterns that carry personal data (the API serves /v1/*).",
        },
        "cachingDisabledPolicyIds": {
            "type": "array",
            "items": {"type": "string"},
            "default": [CACHING_DISABLED],
        },
        "personalClassifications": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["personal", "internal"],
            "description": "data-classification values that count as personal "
            "(untagged counts too).",
        },
    },
)


RULES: list[Rule] = [
    REGION,
    RDS_REPLICATION,
    S3_REPLICATION_RULE,
    SECRET_REPLICAS,
    KMS_REPLICA,
    VPC_PEERING,
    TGW_PEERING,
    BACKUP_COPY,
    SNAPSHOT_COPY,
    LAMBDA_PATHS,
    SNS_SUBSCRIPTION,
    CLOUDFRONT,
]
