"""Residency of the cross-region and outbound paths the first rules did not reach.

Replicas (DynamoDB, ECR, EFS), global datastores (DocumentDB, Neptune, ElastiCache,
MemoryDB), outbound deliveries (Firehose, EventBridge targets and API destinations) and
Lambda@Edge. Like every residency rule: mandatory, and fail closed on what cannot be known.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import EnforcementLevel, Severity

from .context import ResourceView, StackView, jurisdiction_for, region_problem, where
from .encryption import cmk_problem
from .residency import (
    CROSS_CONFIG,
    GROUP,
    _region_problems,
    classification,
    may_cross,
    referenced_regions,
)
from .rule import JURISDICTION_CONFIG, Rule
from .values import as_list, get, is_unknown, known

CONFIG = dict(JURISDICTION_CONFIG)


def _mandatory(**kwargs: Any) -> Rule:
    return Rule(
        group=GROUP,
        severity=Severity.CRITICAL,
        enforcement_level=EnforcementLevel.MANDATORY,
        **kwargs,
    )


def _list_or_fail(res: ResourceView, prop: str, what: str) -> tuple[list[Any], str | None]:
    value = get(res.props, *prop.split("."))
    if is_unknown(value):
        return [], f"{what}: {prop} is unknown at preview; residency fails closed"
    return as_list(value), None


# -- DynamoDB global tables ---------------------------------------------------------------

DDB_TABLE = "aws:dynamodb/table:Table"
DDB_GLOBAL = "aws:dynamodb/globalTable:GlobalTable"
DDB_REPLICA = "aws:dynamodb/tableReplica:TableReplica"


def check_dynamodb(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(DDB_TABLE, DDB_GLOBAL, DDB_REPLICA):
        j = jurisdiction_for(config, res.urn)
        what = f"{res.type} {res.name!r}"
        if res.type == DDB_REPLICA:
            arn = res.props.get("globalTableArn")
            regions = referenced_regions(stack, res, "globalTableArn", arn, DDB_TABLE)
            for p in _region_problems(j, f"{what}: source table", regions):
                yield res.urn, p
            continue
        replicas, failed = _list_or_fail(res, "replicas", what)
        if failed:
            yield res.urn, failed
        for i, replica in enumerate(replicas):
            problem = region_problem(j, f"{what} replica {i}", get(replica, "regionName"))
            if problem:
                yield res.urn, problem


DYNAMODB_REPLICAS = _mandatory(
    name="aws-dynamodb-table-require-replicas-in-jurisdiction",
    description="DynamoDB global-table replicas stay in the jurisdiction (table replicas, "
    "legacy global tables and TableReplica resources).",
    fix="list only regions of the jurisdiction under replicas[].region_name; replicate only "
    "tables of this jurisdiction",
    url="https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html",
    types=frozenset({DDB_TABLE, DDB_GLOBAL, DDB_REPLICA}),
    stack_check=check_dynamodb,
    config=CONFIG,
)


# -- ECR replication ---------------------------------------------------------------------

ECR_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
ECR_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"


def _ecr_destinations(res: ResourceView) -> Iterator[tuple[str, Any]]:
    rules = get(res.props, "replicationConfiguration", "rules")
    if is_unknown(rules):
        yield "rules", rules
        return
    for i, rule in enumerate(as_list(rules)):
        destinations = get(rule, "destinations")
        if is_unknown(destinations):
            yield f"rule {i} destinations", destinations
            continue
        for k, destination in enumerate(as_list(destinations)):
            yield f"rule {i} destination {k}", get(destination, "region")


def check_ecr_replication(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    j = jurisdiction_for(config, res.urn)
    for label, region in _ecr_destinations(res):
        problem = region_problem(j, f"ECR replication {res.name!r} {label}", region)
        if problem:
            yield problem


ECR_REPLICATION_RULE = _mandatory(
    name="aws-ecr-replicationconfiguration-require-destinations-in-jurisdiction",
    description="ECR registry replication copies images only to regions of the jurisdiction.",
    fix="list only regions of the jurisdiction as replication destinations",
    url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html",
    types=frozenset({ECR_REPLICATION}),
    resource_check=check_ecr_replication,
    config=CONFIG,
)


def _template_problem(template: ResourceView) -> str | None:
    what = f"ECR repository creation template {template.name!r}"
    configs = as_list(
        known(template.props.get("encryptionConfigurations"), "encryptionConfigurations")
    )
    first = configs[0] if configs else None
    if get(first, "encryptionType") != "KMS":
        return f"{what} creates repositories without KMS encryption (AES256 is the default)"
    return cmk_problem(what, get(first, "kmsKey"), "encryptionConfigurations[0].kmsKey")


def check_ecr_replica_encryption(
    stack: StackView, config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    templates = [
        t
        for t in stack.of_type(ECR_TEMPLATE)
        if "REPLICATION" in as_list(known(t.props.get("appliedFors"), "appliedFors"))
    ]
    for template in templates:
        problem = _template_problem(template)
        if problem:
            yield template.urn, problem
    covered = {t.effective_region() for t in templates}
    for res in stack.of_type(ECR_REPLICATION):
        for label, region in _ecr_destinations(res):
            if is_unknown(region) or region is None:
                continue  # the residency rule reports it
            if region not in covered:
                yield (
                    res.urn,
                    f"ECR replication {res.name!r} {label} ({region}) has no repository "
                    f"creation template for REPLICATION in that region in this stack, so "
                    f"replicated repositories are created with AES256, not a CMK",
                )


ECR_REPLICA_ENCRYPTION = Rule(
    name="aws-ecr-replicationconfiguration-require-cmk-template",
    description="Replicated ECR repositories are created with a customer-managed key (a "
    "REPLICATION creation template with KMS in each destination region).",
    group="encryption",
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="declare an aws.ecr.RepositoryCreationTemplate(applied_fors=['REPLICATION'], "
    "encryption_configurations=[{encryption_type: 'KMS', kms_key: <CMK>}]) per destination "
    "region",
    url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html",
    types=frozenset({ECR_REPLICATION, ECR_TEMPLATE}),
    stack_check=check_ecr_replica_encryption,
)


# -- EFS replication ---------------------------------------------------------------------

EFS_REPLICATION = "aws:efs/replicationConfiguration:ReplicationConfiguration"


def check_efs_replication(res: ResourceView, config: Mapping[str, Any]) -> Iterator[str]:
    j = jurisdiction_for(config, res.urn)
    destination = res.props.get("destination")
    region = get(destination, "region")
    if region is None and not is_unknown(destination):
        region = res.effective_region()  # no region: AWS replicates within the source's
    problem = region_problem(j, f"EFS replication {res.name!r} destination", region)
    if problem:
        yield problem


EFS_REPLICATION_RULE = _mandatory(
    name="aws-efs-replicationconfiguration-require-destination-in-jurisdiction",
    description="EFS replication copies file systems only to regions of the jurisdiction.",
    fix="set destination.region to a region of the jurisdiction",
    url="https://docs.aws.amazon.com/efs/latest/ug/efs-replication.html",
    types=frozenset({EFS_REPLICATION}),
    resource_check=check_efs_replication,
    config=CONFIG,
)


def check_efs_replica_key(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    destination = known(res.props.get("destination"), "destination")
    if get(destination, "fileSystemId") is not None:
        return []  # an existing file system keeps its own key, which its rule checks
    what = f"EFS replication {res.name!r} destination"
    problem = cmk_problem(what, get(destination, "kmsKeyId"), "destination.kmsKeyId")
    return [problem] if problem else []


EFS_REPLICA_ENCRYPTION = Rule(
    name="aws-efs-replicationconfiguration-require-cmk",
    description="EFS replicas are created encrypted with a customer-managed key.",
    group="encryption",
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set destination.kms_key_id to the destination region's customer-managed key",
    url="https://docs.aws.amazon.com/efs/latest/ug/efs-replication.html",
    types=frozenset({EFS_REPLICATION}),
    resource_check=check_efs_replica_key,
)


# -- global datastores -------------------------------------------------------------------


@dataclass(frozen=True)
class Global:
    service: str
    member: str
    global_type: str
    member_prop: str
    #: the global resource's input naming its first (source) member, if it has one
    source_prop: str | None
    #: the member input that literally equals the global's id, when there is one
    id_prop: str | None
    noun: str
    url: str


def _check_global(spec: Global) -> Any:
    def check(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        for res in stack.of_type(spec.global_type):
            j = jurisdiction_for(config, res.urn)
            if spec.source_prop is None:
                continue
            source = res.props.get(spec.source_prop)
            if source is None:
                continue
            if isinstance(source, str) and not is_unknown(source) and ":" not in source:
                deps = stack.dependencies_of(res, spec.source_prop, spec.member)
                if not deps:
                    continue  # a bare name: a source in the global's own region
            regions = referenced_regions(stack, res, spec.source_prop, source, spec.member)
            for p in _region_problems(j, f"{res.type} {res.name!r}: source", regions):
                yield res.urn, p
        for res in stack.of_type(spec.member):
            global_id = res.props.get(spec.member_prop)
            if global_id is None:
                continue
            found = stack.dependencies_of(res, spec.member_prop, spec.global_type)
            if not found and spec.id_prop is not None:
                found = stack.find_by_input([spec.global_type], spec.id_prop, global_id)
            if not found:
                yield (
                    res.urn,
                    f"{res.type} {res.name!r} joins {spec.noun} {where(global_id)} that is not "
                    f"declared in this stack, so where its other members live cannot be checked",
                )

    return check


GLOBALS = [
    Global(
        "docdb",
        "aws:docdb/cluster:Cluster",
        "aws:docdb/globalCluster:GlobalCluster",
        "globalClusterIdentifier",
        "sourceDbClusterIdentifier",
        "globalClusterIdentifier",
        "global cluster",
        "https://docs.aws.amazon.com/documentdb/latest/developerguide/global-clusters.html",
    ),
    Global(
        "neptune",
        "aws:neptune/cluster:Cluster",
        "aws:neptune/globalCluster:GlobalCluster",
        "globalClusterIdentifier",
        "sourceDbClusterIdentifier",
        "globalClusterIdentifier",
        "global database",
        "https://docs.aws.amazon.com/neptune/latest/userguide/neptune-global-database.html",
    ),
    Global(
        "elasticache",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
        "globalReplicationGroupId",
        "primaryReplicationGroupId",
        None,
        "global datastore",
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Redis-Global-Datastore.html",
    ),
    Global(
        "memorydb",
        "aws:memorydb/cluster:Cluster",
        "aws:memorydb/multiRegionCluster:MultiRegionCluster",
        "multiRegionClusterName",
        None,
        None,
        "multi-Region cluster",
        "https://docs.aws.amazon.com/memorydb/latest/devguide/multi-region.html",
    ),
]

GLOBAL_RULES = [
    _mandatory(
        name=f"aws-{g.service}-{g.member.rsplit(':', 1)[-1].lower()}-require-replication-in-"
        f"jurisdiction",
        description=f"{g.member.rsplit(':', 1)[-1]}s of {g.service} join only a {g.noun} "
        f"declared in the same stack, whose source is in the jurisdiction.",
        fix=f"declare the {g.noun} in this stack (one per jurisdiction) and build it from a "
        f"source in the jurisdiction; its members' regions are checked by the region rule",
        url=g.url,
        types=frozenset({g.member, g.global_type}),
        stack_check=_check_global(g),
        config=CONFIG,
    )
    for g in GLOBALS
]


# -- outbound deliveries -----------------------------------------------------------------

FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
#: destination -> where its outside endpoint is named
OUTSIDE_ENDPOINTS: Mapping[str, tuple[str, str]] = {
    "http_endpoint": ("httpEndpointConfiguration", "url"),
    "splunk": ("splunkConfiguration", "hecEndpoint"),
    "snowflake": ("snowflakeConfiguration", "accountUrl"),
}
#: destination -> the input naming an AWS resource it delivers to
AWS_DESTINATIONS: Mapping[str, tuple[str, str]] = {
    "opensearch": ("opensearchConfiguration", "domainArn"),
    "elasticsearch": ("elasticsearchConfiguration", "domainArn"),
}

ENDPOINT_CONFIG: Mapping[str, Mapping[str, Any]] = {
    **CROSS_CONFIG,
    "allowedEndpointHosts": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Hosts outside AWS that personal data may be sent to (reviewed "
        "processors in the jurisdiction).",
    },
}


def _host(url: Any) -> str | None:
    if not isinstance(url, str) or is_unknown(url):
        return None
    return urlsplit(url if "://" in url else f"https://{url}").hostname


def _endpoint_problem(
    config: Mapping[str, Any], source: ResourceView, what: str, url: Any
) -> str | None:
    if may_cross(config, source):
        return None
    if is_unknown(url):
        return f"{what}: endpoint unknown at preview; residency fails closed"
    host = _host(url)
    if host is not None and host in set(config.get("allowedEndpointHosts", [])):
        return None
    return (
        f"{what} sends data to {url!r}, an endpoint outside AWS whose location the pack cannot "
        f"check"
    )


def check_firehose(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(FIREHOSE):
        j = jurisdiction_for(config, res.urn)
        destination = res.props.get("destination")
        what = f"Firehose {res.name!r} destination {where(destination)}"
        if is_unknown(destination):
            yield res.urn, f"{what}: unknown at preview; residency fails closed"
            continue
        if destination in OUTSIDE_ENDPOINTS:
            url = get(res.props, *OUTSIDE_ENDPOINTS[str(destination)])
            problem = _endpoint_problem(config, res, what, url)
            if problem:
                yield res.urn, problem
        elif destination in AWS_DESTINATIONS:
            block, prop = AWS_DESTINATIONS[str(destination)]
            arn = get(res.props, block, prop)
            regions = referenced_regions(stack, res, block, arn)
            if not may_cross(config, res):
                for p in _region_problems(j, what, regions):
                    yield res.urn, p


FIREHOSE_RULE = _mandatory(
    name="aws-kinesis-firehosedeliverystream-require-destination-in-jurisdiction",
    description="Firehose delivers personal data only in the jurisdiction: HTTP, Splunk and "
    "Snowflake endpoints only to allowed hosts, OpenSearch domains only in its regions.",
    fix="deliver to a destination in the jurisdiction, add a reviewed processor's host to "
    "allowedEndpointHosts, or tag the stream's data-classification pseudonymized/aggregate",
    url="https://docs.aws.amazon.com/firehose/latest/dev/create-destination.html",
    types=frozenset({FIREHOSE}),
    stack_check=check_firehose,
    config=ENDPOINT_CONFIG,
)

EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
API_DESTINATION = "aws:cloudwatch/eventApiDestination:EventApiDestination"


def check_event_targets(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(EVENT_TARGET):
        j = jurisdiction_for(config, res.urn)
        arn = res.props.get("arn")
        what = f"EventBridge target {res.name!r}"
        if isinstance(arn, str) and not is_unknown(arn) and arn.split(":")[2:3] == ["iam"]:
            continue  # not a data target
        for p in _region_problems(j, what, referenced_regions(stack, res, "arn", arn)):
            yield res.urn, p
    for res in stack.of_type(API_DESTINATION):
        url = res.props.get("invocationEndpoint")
        problem = _endpoint_problem(config, res, f"EventBridge API destination {res.name!r}", url)
        if problem:
            yield res.urn, problem


EVENT_RULE = _mandatory(
    name="aws-cloudwatch-eventtarget-require-target-in-jurisdiction",
    description="EventBridge rules deliver events only to targets in the jurisdiction; API "
    "destinations only to allowed hosts.",
    fix="target buses, queues and functions in a region of the jurisdiction; add a reviewed "
    "processor's host to allowedEndpointHosts",
    url="https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html",
    types=frozenset({EVENT_TARGET, API_DESTINATION}),
    stack_check=check_event_targets,
    config=ENDPOINT_CONFIG,
)


# -- Lambda@Edge -------------------------------------------------------------------------

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def check_lambda_edge(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    personal = set(config.get("personalClassifications", []))
    for res in stack.of_type(DISTRIBUTION):
        label = classification(res)
        if label is not None and label not in personal:
            continue
        ordered = res.props.get("orderedCacheBehaviors")
        if is_unknown(ordered):
            yield res.urn, f"distribution {res.name!r}: cache behaviours unknown at preview"
            continue
        behaviors = [("default", res.props.get("defaultCacheBehavior"))]
        behaviors += [(str(get(b, "pathPattern")), b) for b in as_list(ordered)]
        for name, behavior in behaviors:
            associations = get(behavior, "lambdaFunctionAssociations")
            if is_unknown(associations) or as_list(associations):
                yield (
                    res.urn,
                    f"distribution {res.name!r} behaviour {name!r} runs Lambda@Edge, which is "
                    f"replicated to and runs in edge locations worldwide",
                )


LAMBDA_EDGE = _mandatory(
    name="aws-cloudfront-distribution-disallow-lambda-edge-personal",
    description="CloudFront distributions in front of personal data run no Lambda@Edge "
    "function (replicated to every edge location, outside any jurisdiction).",
    fix="process requests in the regional origin instead, or use CloudFront Functions, "
    "which keep no state",
    url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-how-it-works.html",
    types=frozenset({DISTRIBUTION}),
    stack_check=check_lambda_edge,
    config={
        "personalClassifications": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["personal", "internal"],
            "description": "data-classification values that count as personal "
            "(untagged counts too).",
        },
    },
)


# -- every other destination the SDK names --------------------------------------------

#: type -> paths (``*`` walks a list) to a region or to an ARN of where data goes. A bare
#: name (not an ARN) at an ARN path names a resource in the resource's own region.
# aws:ssm/resourceDataSync has its own rule (operations.py: destination bucket and its region).
DESTINATIONS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": (("destinationArn",),),
    "aws:cloudwatch/logDelivery:LogDelivery": (("deliveryDestinationArn",),),
    "aws:ec2/flowLog:FlowLog": (("logDestination",),),
    "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": (("destinationArn",),),
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription": (("destinationArn",),),
    "aws:pinpoint/eventStream:EventStream": (("destinationStreamArn",),),
    "aws:guardduty/publishingDestination:PublishingDestination": (("destinationArn",),),
    "aws:rds/instance:Instance": (("replicateSourceDb",),),
    "aws:msk/replicator:Replicator": (
        ("replicationInfoList", "*", "sourceKafkaClusterArn"),
        ("replicationInfoList", "*", "targetKafkaClusterArn"),
    ),
    "aws:keyspaces/keyspace:Keyspace": (("replicationSpecification", "regionLists", "*"),),
    "aws:cloudwatch/eventEndpoint:EventEndpoint": (
        ("eventBuses", "*", "eventBusArn"),
        ("routingConfig", "failoverConfig", "secondary", "route"),
    ),
    "aws:dsql/cluster:Cluster": (
        ("multiRegionProperties", "witnessRegion"),
        ("multiRegionProperties", "clusters", "*"),
    ),
    "aws:dsql/clusterPeering:ClusterPeering": (("witnessRegion",), ("clusters", "*")),
    "aws:ses/eventDestination:EventDestination": (
        ("kinesisDestination", "streamArn"),
        ("snsDestination", "topicArn"),
    ),
    "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination": (
        ("eventDestination", "kinesisFirehoseDestination", "deliveryStreamArn"),
        ("eventDestination", "snsDestination", "topicArn"),
        ("eventDestination", "eventBridgeDestination", "eventBusArn"),
    ),
    "aws:storagegateway/nfsFileShare:NfsFileShare": (("bucketRegion",),),
    "aws:storagegateway/smbFileShare:SmbFileShare": (("bucketRegion",),),
    "aws:redshift/dataShareConsumerAssociation:DataShareConsumerAssociation": (
        ("consumerRegion",),
    ),
    "aws:auditmanager/frameworkShare:FrameworkShare": (("destinationRegion",),),
    "aws:s3/inventory:Inventory": (("destination", "bucket", "bucketArn"),),
    # the inline (deprecated) form of S3 replication; S3 ARNs name no region
    "aws:s3/bucket:Bucket": (("replicationConfiguration", "rules", "*", "destination", "bucket"),),
    "aws:s3/bucketV2:BucketV2": (
        ("replicationConfigurations", "*", "rules", "*", "destinations", "*", "bucket"),
    ),
}


def _at(value: Any, path: tuple[str, ...]) -> list[Any]:
    """Values at ``path``; ``*`` walks a list; an unknown along the way is returned as is."""
    if not path:
        return [value]
    if is_unknown(value):
        return [value]
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in as_list(value) for v in _at(item, rest)]
    if not isinstance(value, Mapping) or value.get(head) is None:
        return []
    return _at(value[head], rest)


def _is_region_path(path: tuple[str, ...]) -> bool:
    last = next(p for p in reversed(path) if p != "*")
    return last.lower().endswith(("region", "regionlists", "route"))


def check_destinations(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for res in stack.of_type(*DESTINATIONS):
        j = jurisdiction_for(config, res.urn)
        for path in DESTINATIONS[res.type]:
            label = ".".join(path).replace(".*", "[]")
            for value in _at(res.props, path):
                if _is_region_path(path):
                    regions: list[Any] = [value]
                elif isinstance(value, str) and not is_unknown(value) and ":" not in value:
                    continue  # a bare name: a resource in this resource's own region
                else:
                    # an unknown ARN (an output at preview) resolves through the engine's
                    # property dependencies; unresolved, it fails closed
                    regions = referenced_regions(stack, res, path[0], value)
                for p in _region_problems(j, f"{res.type} {res.name!r}: {label}", regions):
                    yield res.urn, p


DESTINATION_RULE = _mandatory(
    name="aws-resource-require-destinations-in-jurisdiction",
    description="Log deliveries, subscription filters, read replicas, MSK replicators, "
    "keyspace and DSQL multi-Region peers, event endpoints and other destinations stay in the "
    "jurisdiction.",
    fix="point the destination (region or ARN) at a resource in a region of the jurisdiction",
    url="https://docs.aws.amazon.com/whitepapers/latest/navigating-gdpr-compliance/data-residency.html",
    types=frozenset(DESTINATIONS),
    stack_check=check_destinations,
    config=CONFIG,
)


RULES: list[Rule] = [
    DYNAMODB_REPLICAS,
    ECR_REPLICATION_RULE,
    EFS_REPLICATION_RULE,
    *GLOBAL_RULES,
    FIREHOSE_RULE,
    EVENT_RULE,
    LAMBDA_EDGE,
    DESTINATION_RULE,
]
ENCRYPTION_RULES: list[Rule] = [ECR_REPLICA_ENCRYPTION, EFS_REPLICA_ENCRYPTION]
