"""Where personal data rests and travels, read from the offline preview's records.

Everything here is derived from what the program registered (types, inputs, effective
regions, property dependencies) and from the stack outputs; nothing is re-derived from the
stack file, so the report shows what the preview (and the pack) saw.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from tools.mocks import ResourceRecord

#: Data-classification tag values that are personal data under the GDPR (pseudonymized data
#: stays personal data: Recital 26). Aggregate, internal and public data are not listed.
PERSONAL_CLASSES: tuple[str, ...] = ("personal", "pseudonymized")

#: Resource types that hold data at rest, with the words a DPO reads.
STORE_KINDS: Mapping[str, str] = {
    "aws:rds/cluster:Cluster": "Database (Aurora PostgreSQL cluster)",
    "aws:s3/bucket:Bucket": "File storage (S3 bucket)",
    "aws:sqs/queue:Queue": "Message queue (SQS)",
    "aws:secretsmanager/secret:Secret": "Secret or key material (Secrets Manager)",
    "aws:cloudwatch/logGroup:LogGroup": "Log storage (CloudWatch Logs)",
    "aws:dynamodb/table:Table": "Database (DynamoDB table)",
    "aws:efs/fileSystem:FileSystem": "File system (EFS)",
    "aws:backup/vault:Vault": "Backup vault (AWS Backup)",
    "aws:kinesis/stream:Stream": "Data stream (Kinesis)",
    "aws:sns/topic:Topic": "Notification topic (SNS)",
}

RDS_CLUSTER = "aws:rds/cluster:Cluster"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
BUCKET = "aws:s3/bucket:Bucket"
SECRET = "aws:secretsmanager/secret:Secret"
KMS_KEY = "aws:kms/key:Key"
KMS_REPLICAS = ("aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey")
QUEUE = "aws:sqs/queue:Queue"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LAMBDA = "aws:lambda/function:Function"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
S3_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
S3_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BACKUP_PLAN = "aws:backup/plan:Plan"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
TGW_PEERING = "aws:ec2transitgateway/peeringAttachment:PeeringAttachment"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
EKS_CLUSTER = "eks:index:Cluster"
CLOUDFRONT = "aws:cloudfront/distribution:Distribution"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"

#: SNS protocols whose endpoint is an AWS resource in some region.
REGIONAL_PROTOCOLS = ("sqs", "lambda", "firehose", "application")

OUTSIDE_AWS = "outside AWS"


def arn_region(value: object) -> str | None:
    """The region field of an ARN (``arn:aws:sqs:eu-central-1:…``); None when it has none."""
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":")
    return parts[3] or None if len(parts) > 3 else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _days(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


@dataclass(frozen=True)
class Node:
    """An end of an edge: a store, a processor, or something outside the stack."""

    id: str
    label: str
    region: str  # an AWS region, or OUTSIDE_AWS
    kind: str


@dataclass
class Edge:
    id: str
    category: str  # replication | network | data-flow | log-shipping | notification
    description: str
    source: Node
    target: Node
    carriers: list[str]  # URNs of the resources that declare this edge
    classification: str | None = None
    fields: list[str] | None = None
    flow: str | None = None  # the declared data flow this edge belongs to


@dataclass
class Store:
    urn: str
    name: str
    type: str
    kind: str
    classification: str
    region: str | None
    kms_key: str | None
    kms_key_name: str | None
    kms_key_region: str | None
    retention: str
    backups: str
    deletion_protection: str


@dataclass
class Processor:
    name: str
    region: str  # an AWS region, "global", or OUTSIDE_AWS
    role: str
    detail: str


@dataclass
class Inventory:
    stores: list[Store] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    processors: list[Processor] = field(default_factory=list)


class Records:
    """The preview's records, indexed the ways the extraction needs."""

    def __init__(self, resources: Iterable[ResourceRecord]) -> None:
        self.all = list(resources)
        self.by_urn = {r["urn"]: r for r in self.all}
        self.by_type: dict[str, list[ResourceRecord]] = defaultdict(list)
        for record in self.all:
            self.by_type[record["type"]].append(record)

    def of(self, *types: str) -> Iterator[ResourceRecord]:
        for t in types:
            yield from self.by_type.get(t, [])

    def deps(self, record: ResourceRecord, prop: str, *types: str) -> list[ResourceRecord]:
        """Stack resources that feed input ``prop`` (the engine's property dependencies)."""
        urns = (record.get("propertyDependencies") or {}).get(prop, [])
        found = [self.by_urn[u] for u in urns if u in self.by_urn]
        return [r for r in found if not types or r["type"] in types]

    def parent_type(self, record: ResourceRecord) -> str | None:
        parent = self.by_urn.get(record.get("parent") or "")
        return parent["type"] if parent else None

    def with_input(self, types: Iterable[str], key: str, value: object) -> list[ResourceRecord]:
        return [r for r in self.of(*types) if value is not None and r["inputs"].get(key) == value]


def tags(record: ResourceRecord) -> Mapping[str, Any]:
    value = record["inputs"].get("tags")
    return value if isinstance(value, Mapping) else {}


def classification(record: ResourceRecord | None) -> str | None:
    if record is None:
        return None
    return _str(tags(record).get("data-classification"))


# -- stores -------------------------------------------------------------------------------


def _key_of(
    records: Records, record: ResourceRecord, prop: str, arn: object
) -> tuple[str | None, str | None, str | None]:
    """(ARN, key resource name, key region) of the KMS key in input ``prop``."""
    keys = records.deps(record, prop, KMS_KEY, *KMS_REPLICAS)
    key_arn = _str(arn)
    if keys:
        return key_arn, keys[0]["name"], keys[0]["region"] or arn_region(key_arn)
    return key_arn, None, arn_region(key_arn)


def _bucket_parts(records: Records, bucket: ResourceRecord, *types: str) -> list[ResourceRecord]:
    """Sub-resources (encryption, lifecycle, …) configuring ``bucket``."""
    return [
        r
        for r in records.of(*types)
        if bucket["urn"] in (r.get("propertyDependencies") or {}).get("bucket", [])
    ]


#: How a store encrypted with S3-managed keys (no KMS key) names its key.
SSE_S3_KEY = "SSE-S3 (S3-managed key)"


def _sse_s3(records: Records, bucket: ResourceRecord) -> bool:
    rules = [
        rule
        for sse in _bucket_parts(records, bucket, S3_SSE)
        for rule in sse["inputs"].get("rules") or []
    ]
    algorithms = {
        (r.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for r in rules
    }
    return algorithms == {"AES256"}


def _protected(record: ResourceRecord) -> bool:
    options = record.get("options") or {}
    return bool(options.get("protect"))


def _store(records: Records, record: ResourceRecord) -> Store:
    inputs = record["inputs"]
    kind = STORE_KINDS[record["type"]]
    key_source, key_prop, key_value = record, "kmsKeyId", inputs.get("kmsKeyId")
    retention = backups = "not set"
    protection: list[str] = []
    t = record["type"]
    if t == RDS_CLUSTER:
        days = _days(inputs.get("backupRetentionPeriod"))
        backups = f"automated backups kept {days} days" if days else "no automated backups"
        if inputs.get("skipFinalSnapshot") is False:
            backups += "; final snapshot on deletion"
        retention = "until erased by the application (GDPR erasure scrubs personal fields)"
        if inputs.get("sourceRegion") or inputs.get("replicationSourceIdentifier"):
            retention = "read replica of the primary region's cluster"
        if inputs.get("deletionProtection") is True:
            protection.append("deletion protection on")
    elif t == BUCKET:
        sse = _bucket_parts(records, record, S3_SSE)
        if sse:
            rule = (sse[0]["inputs"].get("rules") or [{}])[0]
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            key_source, key_prop, key_value = sse[0], "rules", default.get("kmsMasterKeyId")
        lifecycle = _bucket_parts(records, record, S3_LIFECYCLE)
        expirations = [
            _days((rule.get("expiration") or {}).get("days"))
            for lc in lifecycle
            for rule in lc["inputs"].get("rules") or []
        ]
        known = [d for d in expirations if d]
        retention = f"files expire after {min(known)} days" if known else "no expiry rule"
        lock = _bucket_parts(records, record, S3_LOCK)
        lock_days = [
            _days(((lc["inputs"].get("rule") or {}).get("defaultRetention") or {}).get("days"))
            for lc in lock
        ]
        versioned = any(
            (v["inputs"].get("versioningConfiguration") or {}).get("status") == "Enabled"
            for v in _bucket_parts(records, record, S3_VERSIONING)
        )
        backups = "versioned (earlier versions kept)" if versioned else "not versioned"
        if any(lock_days):
            protection.append(f"object lock {max(d or 0 for d in lock_days)} days")
        if inputs.get("forceDestroy") is False:
            protection.append("not deleted while it holds files")
    elif t == QUEUE:
        key_prop, key_value = "kmsMasterKeyId", inputs.get("kmsMasterKeyId")
        seconds = _number(inputs.get("messageRetentionSeconds"))
        retention = (
            f"messages kept up to {seconds / 86400:g} days" if seconds else "SQS default 4 days"
        )
        backups = "none (a queue is transient)"
    elif t == SECRET:
        window = _days(inputs.get("recoveryWindowInDays"))
        retention = "until replaced or deleted"
        backups = f"recoverable {window} days after deletion" if window else "deleted at once"
        replicas = [_str(r.get("region")) for r in inputs.get("replicas") or []]
        if replicas:
            backups += "; replicas in " + ", ".join(r or "?" for r in replicas)
    elif t == LOG_GROUP:
        days = _days(inputs.get("retentionInDays"))
        retention = f"log events kept {days} days" if days else "kept forever"
        backups = "none"
        if inputs.get("skipDestroy") is True:
            protection.append("kept on stack deletion")
    key_arn, key_name, key_region = _key_of(records, key_source, key_prop, key_value)
    if t == BUCKET and _sse_s3(records, record):
        key_name = SSE_S3_KEY  # access-log buckets: log delivery supports no other key
    return _finish(record, kind, key_arn, key_name, key_region, retention, backups, protection)


def _finish(
    record: ResourceRecord,
    kind: str,
    key_arn: str | None,
    key_name: str | None,
    key_region: str | None,
    retention: str,
    backups: str,
    protection: list[str],
) -> Store:
    if _protected(record) and "Pulumi 'protect'" not in protection:
        protection.append("Pulumi 'protect'")
    return Store(
        urn=record["urn"],
        name=record["name"],
        type=record["type"],
        kind=kind,
        classification=classification(record) or "unclassified",
        region=record["region"],
        kms_key=key_arn,
        kms_key_name=key_name,
        kms_key_region=key_region,
        retention=retention,
        backups=backups,
        deletion_protection="; ".join(protection) or "none",
    )


def stores(records: Records) -> list[Store]:
    return [
        _store(records, r)
        for r in records.of(*STORE_KINDS)
        if classification(r) in PERSONAL_CLASSES
    ]


# -- nodes --------------------------------------------------------------------------------


#: Words for the resources that move data rather than hold it.
PROCESSOR_KINDS: Mapping[str, str] = {
    LAMBDA: "Lambda function",
    EKS_CLUSTER: "Kubernetes cluster (EKS)",
    FLOW_LOG: "VPC flow log",
    KMS_KEY: "Encryption key (KMS)",
    BACKUP_PLAN: "Backup plan (AWS Backup)",
    S3_REPLICATION: "S3 replication rule",
    SUBSCRIPTION: "Notification subscription (SNS)",
}


def node_for(record: ResourceRecord, *, region: str | None = None) -> Node:
    t = record["type"]
    kind = STORE_KINDS.get(t) or PROCESSOR_KINDS.get(t) or t.split(":")[-1]
    return Node(
        id=record["urn"], label=record["name"], region=region or record["region"] or "?", kind=kind
    )


def external(label: str, region: str | None, kind: str) -> Node:
    where = region or OUTSIDE_AWS
    return Node(id=f"external:{where}:{label}", label=label, region=where, kind=kind)


# -- edges --------------------------------------------------------------------------------


class EdgeCollector:
    def __init__(self, records: Records, outputs: Mapping[str, Any]) -> None:
        self.records = records
        self.outputs = outputs
        self.edges: list[Edge] = []

    def add(self, edge: Edge) -> None:
        self.edges.append(edge)

    def collect(self, central_fields: list[str]) -> list[Edge]:
        self._aurora()
        self._secret_replicas()
        self._kms_replicas()
        self._s3_replication()
        self._backup_copies()
        self._network_links()
        self._workload_flows(central_fields)
        self._audit_pipeline()
        self._log_shipping()
        self._subscriptions()
        return self.edges

    # replication

    def _aurora(self) -> None:
        members: dict[str, list[ResourceRecord]] = defaultdict(list)
        for cluster in self.records.of(RDS_CLUSTER):
            for glob in self.records.deps(cluster, "globalClusterIdentifier", GLOBAL_CLUSTER):
                members[glob["urn"]].append(cluster)
        for glob_urn, clusters in members.items():
            primaries = [c for c in clusters if not c["inputs"].get("sourceRegion")]
            for secondary in clusters:
                source_region = _str(secondary["inputs"].get("sourceRegion"))
                if not source_region:
                    continue
                source = next((p for p in primaries if p["region"] == source_region), None) or (
                    primaries[0] if primaries else None
                )
                source_node = (
                    node_for(source)
                    if source
                    else external("global database writer", source_region, "database")
                )
                self.add(
                    Edge(
                        id=f"aurora:{secondary['urn']}",
                        category="replication",
                        description=(
                            f"Aurora global database replicates {source_region} to "
                            f"{secondary['region']} (storage-level copy of every row)"
                        ),
                        source=source_node,
                        target=node_for(secondary),
                        carriers=[secondary["urn"], glob_urn],
                        classification=classification(secondary),
                    )
                )
        for replica in self.records.of(RDS_CLUSTER):
            origin = replica["inputs"].get("replicationSourceIdentifier")
            if origin and not replica["inputs"].get("globalClusterIdentifier"):
                src = self.records.deps(replica, "replicationSourceIdentifier", RDS_CLUSTER)
                self.add(
                    Edge(
                        id=f"rds-replica:{replica['urn']}",
                        category="replication",
                        description="cross-region read replica of an Aurora cluster",
                        source=node_for(src[0])
                        if src
                        else external(str(origin), arn_region(origin), "database"),
                        target=node_for(replica),
                        carriers=[replica["urn"]],
                        classification=classification(replica),
                    )
                )

    def _secret_replicas(self) -> None:
        for secret in self.records.of(SECRET):
            for i, replica in enumerate(secret["inputs"].get("replicas") or []):
                region = _str(replica.get("region")) or "?"
                key_region = arn_region(replica.get("kmsKeyId"))
                key_note = f", encrypted with a key in {key_region}" if key_region else ""
                self.add(
                    Edge(
                        id=f"secret-replica:{secret['urn']}:{i}",
                        category="replication",
                        description=f"Secrets Manager replica of {secret['name']!r}{key_note}",
                        source=node_for(secret),
                        target=Node(
                            id=f"{secret['urn']}#replica-{region}",
                            label=f"{secret['name']} (replica)",
                            region=region,
                            kind=STORE_KINDS[SECRET],
                        ),
                        carriers=[secret["urn"]],
                        classification=classification(secret),
                    )
                )

    def _kms_replicas(self) -> None:
        for replica in self.records.of(*KMS_REPLICAS):
            primary_arn = replica["inputs"].get("primaryKeyArn")
            primaries = self.records.deps(replica, "primaryKeyArn", KMS_KEY)
            source = (
                node_for(primaries[0])
                if primaries
                else external(str(primary_arn), arn_region(primary_arn), "KMS key")
            )
            self.add(
                Edge(
                    id=f"kms-replica:{replica['urn']}",
                    category="replication",
                    description="multi-Region KMS replica key (same key material)",
                    source=source,
                    target=node_for(replica),
                    carriers=[replica["urn"]],
                    classification=classification(replica),
                )
            )

    def _s3_replication(self) -> None:
        for config in self.records.of(S3_REPLICATION):
            sources = self.records.deps(config, "bucket", BUCKET)
            destinations = self.records.deps(config, "rules", BUCKET)
            source = node_for(sources[0]) if sources else node_for(config)
            for i, rule in enumerate(config["inputs"].get("rules") or []):
                dest_arn = (rule.get("destination") or {}).get("bucket")
                name = str(dest_arn).rsplit(":", 1)[-1]
                dest = next((d for d in destinations if d["inputs"].get("bucket") == name), None)
                if dest is None and len(destinations) == 1:
                    dest = destinations[0]
                self.add(
                    Edge(
                        id=f"s3-replication:{config['urn']}:{i}",
                        category="replication",
                        description="S3 replication of every new object",
                        source=source,
                        target=node_for(dest)
                        if dest
                        else external(name, arn_region(dest_arn), STORE_KINDS[BUCKET]),
                        carriers=[config["urn"]],
                        classification=classification(sources[0] if sources else None),
                    )
                )

    def _backup_copies(self) -> None:
        for plan in self.records.of(BACKUP_PLAN):
            for rule in plan["inputs"].get("rules") or []:
                for i, action in enumerate(rule.get("copyActions") or []):
                    vault = action.get("destinationVaultArn")
                    self.add(
                        Edge(
                            id=f"backup-copy:{plan['urn']}:{rule.get('ruleName')}:{i}",
                            category="replication",
                            description="AWS Backup copies recovery points to another vault",
                            source=node_for(plan),
                            target=external(str(vault), arn_region(vault), "backup vault"),
                            carriers=[plan["urn"]],
                            classification=classification(plan),
                        )
                    )

    # network

    def _network_links(self) -> None:
        for link in self.records.of(PEERING, TGW_PEERING):
            peer = _str(link["inputs"].get("peerRegion")) or link["region"] or "?"
            what = "VPC peering" if link["type"] == PEERING else "Transit Gateway peering"
            self.add(
                Edge(
                    id=f"link:{link['urn']}",
                    category="network",
                    description=f"{what} between {link['region']} and {peer} (private path)",
                    source=Node(
                        id=f"network:{link['region']}",
                        label=f"private network {link['region']}",
                        region=link["region"] or "?",
                        kind="Private network (VPC)",
                    ),
                    target=Node(
                        id=f"network:{peer}",
                        label=f"private network {peer}",
                        region=peer,
                        kind="Private network (VPC)",
                    ),
                    carriers=[link["urn"]],
                    classification=classification(link),
                )
            )

    # declared data flows

    def _statements(self, policy: ResourceRecord) -> Iterator[tuple[set[str], list[str]]]:
        try:
            document = json.loads(str(policy["inputs"].get("policy")))
        except json.JSONDecodeError:
            return
        for statement in document.get("Statement") or []:
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action") or []
            resources = statement.get("Resource") or []
            yield (
                {actions} if isinstance(actions, str) else set(actions),
                [resources] if isinstance(resources, str) else list(resources),
            )

    def _workload_flows(self, central_fields: list[str]) -> None:
        """What each API workload may write to, read from its IAM grants: shard writers
        (``rds-db:connect``), the audit bucket (``s3:PutObject``), the central queue."""
        central_arn = self.outputs.get("centralQueueArn")
        for policy in self.records.of(ROLE_POLICY):
            parent = self.records.by_urn.get(policy.get("parent") or "")
            # The API's role, whatever runs it (EKS workload or function): its component's
            # type names it ("…:ApiWorkload").
            if parent is None or "Api" not in parent["type"].rsplit(":", 1)[-1]:
                continue
            api = Node(
                id=parent["urn"],
                label=f"API {parent['name']}",
                region=parent["region"] or policy["region"] or "?",
                kind="API service",
            )
            for actions, resources in self._statements(policy):
                if "rds-db:connect" in actions:
                    self._api_to_shards(api, policy, resources)
                if "s3:PutObject" in actions:
                    self._api_to_buckets(api, policy, resources)
                if "sqs:SendMessage" in actions:
                    for arn in resources:
                        is_central = arn == central_arn
                        self.add(
                            Edge(
                                id=f"flow:{policy['urn']}:sqs:{arn}",
                                category="data-flow",
                                description=(
                                    "outbox sends pseudonymized events to the central queue"
                                    if is_central
                                    else f"API sends messages to {arn}"
                                ),
                                source=api,
                                target=self._queue_node(arn, central=is_central),
                                carriers=[policy["urn"]],
                                classification="pseudonymized" if is_central else None,
                                fields=central_fields if is_central else None,
                                flow="central-events" if is_central else None,
                            )
                        )

    def _api_to_shards(self, api: Node, policy: ResourceRecord, resources: list[str]) -> None:
        by_region: dict[str, list[str]] = defaultdict(list)
        for arn in resources:
            by_region[arn_region(arn) or "?"].append(arn)
        for region, arns in sorted(by_region.items()):
            writers = [
                c
                for c in self.records.of(RDS_CLUSTER)
                if c["region"] == region
                and not c["inputs"].get("sourceRegion")
                and "ShardDatabase" in (self.records.parent_type(c) or "")
            ]
            # Writers take the writes; a secondary region's clusters are local read replicas.
            role = "writers" if writers else "readers"
            verb = "writes to" if writers else "reads from"
            self.add(
                Edge(
                    id=f"flow:{policy['urn']}:rds:{region}",
                    category="data-flow",
                    description=(
                        f"API {verb} the shard {role} in {region} ({len(arns)} shards; IAM "
                        "database authentication, TLS)"
                    ),
                    source=api,
                    target=Node(
                        id=f"shards:{region}",
                        label=f"shard {role} {region}",
                        region=region,
                        kind=STORE_KINDS[RDS_CLUSTER],
                    ),
                    carriers=[policy["urn"]],
                    classification="personal",
                    flow="api-to-shards",
                )
            )

    def _api_to_buckets(self, api: Node, policy: ResourceRecord, resources: list[str]) -> None:
        for arn in resources:
            name = arn.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            buckets = self.records.with_input([BUCKET], "bucket", name) or [
                b for b in self.records.of(BUCKET) if name.startswith(f"{b['name']}-")
            ]
            target = node_for(buckets[0]) if buckets else external(name, None, STORE_KINDS[BUCKET])
            self.add(
                Edge(
                    id=f"flow:{policy['urn']}:s3:{name}",
                    category="data-flow",
                    description="outbox writes each transaction's audit PDF to the audit bucket",
                    source=api,
                    target=target,
                    carriers=[policy["urn"]],
                    classification=classification(buckets[0]) if buckets else "personal",
                    flow="audit-files",
                )
            )

    def _queue_node(self, arn: str, *, central: bool) -> Node:
        name = arn.rsplit(":", 1)[-1]
        local = [q for q in self.records.of(QUEUE) if name.startswith(f"{q['name']}-")]
        if local:
            return node_for(local[0])
        label = "central event queue (hub stack)" if central else name
        kind = "Central event queue (in the hub stack)" if central else STORE_KINDS[QUEUE]
        return external(label, arn_region(arn), kind)

    def _function_of(self, record: ResourceRecord) -> ResourceRecord | None:
        found = self.records.deps(record, "functionName", LAMBDA)
        return found[0] if found else None

    def _audit_pipeline(self) -> None:
        """bucket → queue (S3 event notification) → Lambda (event source) → its HTTPS peer."""
        for notification in self.records.of(NOTIFICATION):
            buckets = self.records.deps(notification, "bucket", BUCKET)
            for target in notification["inputs"].get("queues") or []:
                arn = _str(target.get("queueArn")) or ""
                queue = self._queue_node(arn, central=False)
                self.add(
                    Edge(
                        id=f"flow:{notification['urn']}:{arn}",
                        category="data-flow",
                        description="the bucket announces each new file on the shipper's queue",
                        source=node_for(buckets[0]) if buckets else node_for(notification),
                        target=queue,
                        carriers=[notification["urn"]],
                        classification=classification(buckets[0]) if buckets else None,
                        flow="audit-files",
                    )
                )
        for mapping in self.records.of(ESM):
            function = self._function_of(mapping)
            source_arn = _str(mapping["inputs"].get("eventSourceArn")) or ""
            if function is None:
                continue
            self.add(
                Edge(
                    id=f"flow:{mapping['urn']}",
                    category="data-flow",
                    description=f"Lambda {function['name']!r} reads messages from its queue",
                    source=self._queue_node(source_arn, central=False),
                    target=node_for(function),
                    carriers=[mapping["urn"]],
                    classification=classification(function),
                    flow="audit-files" if "shipper" in function["name"] else "central-events",
                )
            )
        for function in self.records.of(LAMBDA):
            variables = (function["inputs"].get("environment") or {}).get("variables") or {}
            host = _str(variables.get("CENTRAL_DB_HOST"))
            databases = [
                c for c in self.records.of(RDS_CLUSTER) if host and host.startswith(f"{c['name']}.")
            ]
            if databases:
                self.add(
                    Edge(
                        id=f"flow:{function['urn']}:central-db",
                        category="data-flow",
                        description="central consumer stores each pseudonymized event",
                        source=node_for(function),
                        target=node_for(databases[0]),
                        carriers=[function["urn"]],
                        classification=classification(databases[0]),
                        flow="central-events",
                    )
                )
            url = _str(variables.get("INSTITUTION_URL"))
            if not url:
                continue
            host = urlparse(url).hostname or url
            self.add(
                Edge(
                    id=f"flow:{function['urn']}:institution",
                    category="data-flow",
                    description=f"shipper sends each audit file over HTTPS to {url}",
                    source=node_for(function),
                    target=external(f"institution {host}", None, "Institution (HTTPS endpoint)"),
                    carriers=[function["urn"]],
                    classification=classification(function),
                    flow="institution",
                )
            )

    # logs

    def _log_group(self, name_or_arn: object, region: str | None) -> ResourceRecord | None:
        """The log group a name (in ``region``) or an ARN (in its own region) points at."""
        text = _str(name_or_arn)
        if not text:
            return None
        name = text.split(":log-group:", 1)[-1].removesuffix(":*")
        region = arn_region(text) or region
        for group in self.records.of(LOG_GROUP):
            if group["region"] != region:
                continue
            given = _str(group["inputs"].get("name"))
            if given == name or name.startswith(f"{group['name']}-"):
                return group
        return None

    def _ship(
        self, source: ResourceRecord, group: ResourceRecord | None, what: str, ref: object
    ) -> None:
        target = (
            node_for(group)
            if group
            else external(str(ref), arn_region(ref) or source["region"], STORE_KINDS[LOG_GROUP])
        )
        self.add(
            Edge(
                id=f"logs:{source['urn']}:{target.id}",
                category="log-shipping",
                description=what,
                source=node_for(source),
                target=target,
                carriers=[source["urn"]],
                classification=classification(group) if group else classification(source),
            )
        )

    def _log_shipping(self) -> None:
        for flow_log in self.records.of(FLOW_LOG):
            ref = flow_log["inputs"].get("logDestination")
            groups = self.records.deps(flow_log, "logDestination", LOG_GROUP)
            self._ship(
                flow_log,
                groups[0] if groups else self._log_group(ref, flow_log["region"]),
                "VPC flow logs (addresses and ports, no payload)",
                ref,
            )
        for function in self.records.of(LAMBDA):
            ref = (function["inputs"].get("loggingConfig") or {}).get("logGroup")
            if ref:
                group = self._log_group(ref, function["region"])
                self._ship(function, group, "Lambda function logs", ref)
        for cluster in self.records.of(RDS_CLUSTER):
            if cluster["inputs"].get("enabledCloudwatchLogsExports"):
                ident = _str(cluster["inputs"].get("clusterIdentifier"))
                ref = f"/aws/rds/cluster/{ident}/postgresql"
                group = self._log_group(ref, cluster["region"]) or next(
                    (
                        g
                        for g in self.records.of(LOG_GROUP)
                        if g["name"].startswith(f"{cluster['name']}-")
                        and g["region"] == cluster["region"]
                    ),
                    None,
                )
                self._ship(cluster, group, "database log export (connections, statements)", ref)
        for eks in self.records.of(EKS_CLUSTER):
            if eks["inputs"].get("enabledClusterLogTypes"):
                ref = f"/aws/eks/{eks['inputs'].get('name')}/cluster"
                group = self._log_group(ref, eks["region"]) or next(
                    (
                        g
                        for g in self.records.of(LOG_GROUP)
                        if g["name"].endswith("-eks-control-plane") and g["region"] == eks["region"]
                    ),
                    None,
                )
                self._ship(eks, group, "Kubernetes control-plane and audit logs", ref)

    # notifications

    def _subscriptions(self) -> None:
        for sub in self.records.of(SUBSCRIPTION):
            protocol = _str(sub["inputs"].get("protocol")) or "?"
            if protocol not in REGIONAL_PROTOCOLS:
                continue
            topics = self.records.deps(sub, "topic")
            endpoint = sub["inputs"].get("endpoint")
            ends = self.records.deps(sub, "endpoint")
            self.add(
                Edge(
                    id=f"subscription:{sub['urn']}",
                    category="notification",
                    description=f"SNS delivers the topic's messages to a {protocol} endpoint",
                    source=node_for(topics[0]) if topics else node_for(sub),
                    target=node_for(ends[0])
                    if ends
                    else external(str(endpoint), arn_region(endpoint), protocol),
                    carriers=[sub["urn"]],
                    classification=classification(topics[0]) if topics else None,
                )
            )


# -- processors and recipients -----------------------------------------------------------

SERVICE_NAMES: Mapping[str, str] = {
    "rds": "Amazon Aurora (RDS)",
    "s3": "Amazon S3",
    "sqs": "Amazon SQS",
    "secretsmanager": "AWS Secrets Manager",
    "kms": "AWS KMS",
    "cloudwatch": "Amazon CloudWatch (Logs, alarms)",
    "lambda": "AWS Lambda",
    "eks": "Amazon EKS",
    "lb": "Elastic Load Balancing",
    "ec2": "Amazon VPC / EC2",
    "sns": "Amazon SNS",
    "ssm": "AWS Systems Manager",
}


def processors(
    records: Records, config_maps: Iterable[Mapping[str, Any]], institution_urls: Iterable[str]
) -> list[Processor]:
    """AWS services per region (from the types registered there), the institution, the
    identity provider's key endpoint, CloudFront (global)."""
    per_region: dict[str, set[str]] = defaultdict(set)
    for record in records.all:
        t = record["type"]
        if not t.startswith("aws:") or record["region"] is None:
            continue
        module = t.split(":")[1].split("/")[0]
        if module in SERVICE_NAMES:
            per_region[record["region"]].add(SERVICE_NAMES[module])
    found = [
        Processor(
            name="Amazon Web Services",
            region=region,
            role="processor (Art. 28)",
            detail=", ".join(sorted(services)),
        )
        for region, services in sorted(per_region.items())
    ]
    if any(records.of(CLOUDFRONT)):
        found.append(
            Processor(
                name="Amazon CloudFront",
                region="global",
                role="processor (Art. 28)",
                detail="TLS termination at edge locations; caching disabled, nothing stored",
            )
        )
    for url in sorted(set(institution_urls)):
        found.append(
            Processor(
                name=f"Institution ({urlparse(url).hostname})",
                region=OUTSIDE_AWS,
                role="recipient",
                detail=f"receives each audit file over HTTPS at {url}",
            )
        )
    jwks = sorted(
        {str(m["GDPR_API_JWT_JWKS_URL"]) for m in config_maps if m.get("GDPR_API_JWT_JWKS_URL")}
    )
    for url in jwks:
        found.append(
            Processor(
                name=f"Identity provider ({urlparse(url).hostname})",
                region=OUTSIDE_AWS,
                role="key endpoint (no personal data sent)",
                detail=f"the API fetches the token-signing public keys from {url}",
            )
        )
    return found


def config_maps(records: Records) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for cm in records.of(CONFIG_MAP):
        data = cm["inputs"].get("data")
        if isinstance(data, Mapping):
            out.append(data)
    return out


def institution_urls(records: Records) -> list[str]:
    urls = []
    for function in records.of(LAMBDA):
        variables = (function["inputs"].get("environment") or {}).get("variables") or {}
        if isinstance(variables.get("INSTITUTION_URL"), str):
            urls.append(variables["INSTITUTION_URL"])
    return urls


def inventory(
    resources: Iterable[ResourceRecord], outputs: Mapping[str, Any], central_fields: list[str]
) -> Inventory:
    records = Records(resources)
    return Inventory(
        stores=stores(records),
        edges=EdgeCollector(records, outputs).collect(central_fields),
        processors=processors(records, config_maps(records), institution_urls(records)),
    )
