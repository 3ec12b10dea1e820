"""Encryption of every AWS data store: at rest with a customer-managed key, TLS in transit.

One spec per store says where its "encrypted" switch and its key live; the rules are built
from the specs, so a store added here is a rule, a README row and (through
``tests/policies/test_stores_protocol.py``) a failing and a passing case at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .context import ResourceView
from .encryption import cmk_problem
from .rule import Rule
from .values import get, known, truthy

GROUP = "encryption"


@dataclass(frozen=True)
class Store:
    """Where a data store's at-rest encryption is configured.

    ``switch``: a path that must be true (or equal ``switch_value``) for encryption to be on;
    None when the store always encrypts. ``key``: the path of its KMS key. ``compliant``:
    inputs that pass, used by the tests and the README.
    """

    name: str
    type: str
    noun: str
    key: tuple[str | int, ...]
    url: str
    compliant: Mapping[str, Any]
    switch: tuple[str | int, ...] | None = None
    switch_value: str | bool | None = None
    default_on: bool = False
    checkov: tuple[str, ...] = ()
    security_hub: tuple[str, ...] = ()
    #: A store whose data lives elsewhere when this input is set (e.g. a Firehose reading a
    #: Kinesis stream, which the stream's own rule checks).
    skip_when: str | None = None


def _path(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path)


#: Literal key values that name a key AWS owns, not one the stack manages.
AWS_OWNED_KEYS = frozenset({"AWS_OWNED_KMS_KEY", "AWS_OWNED_KEY"})


def store_problems(store: Store, res: ResourceView) -> list[str]:
    if store.skip_when is not None and res.props.get(store.skip_when) is not None:
        return []
    what = f"{store.noun} {res.name!r}"
    if store.switch is not None:
        value = known(get(res.props, *store.switch), _path(store.switch))
        wanted: str | bool = True if store.switch_value is None else store.switch_value
        if value is None:
            on = store.default_on
        elif isinstance(wanted, bool):
            on = truthy(value) == wanted
        else:
            on = value == wanted
        if not on:
            shown = "unset" if value is None else repr(value)
            return [
                f"{what} is not encrypted at rest with a customer-managed key "
                f"({_path(store.switch)} is {shown}, not {wanted!r})"
            ]
    key = get(res.props, *store.key)
    if key in AWS_OWNED_KEYS:
        return [f"{what} uses an AWS-owned key ({_path(store.key)}={key!r})"]
    problem = cmk_problem(what, key, _path(store.key))
    return [problem] if problem else []


def _rule(store: Store) -> Rule:
    def check(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
        return store_problems(store, res)

    switch = f"{_path(store.switch)} on and " if store.switch else ""
    return Rule(
        name=store.name,
        description=f"{store.noun[0].upper()}{store.noun[1:]}s encrypt at rest with a "
        f"customer-managed KMS key.",
        group=GROUP,
        severity=Severity.HIGH,
        enforcement_level=EnforcementLevel.MANDATORY,
        fix=f"set {switch}{_path(store.key)} to the region's customer-managed key",
        url=store.url,
        types=frozenset({store.type}),
        resource_check=check,
        checkov=store.checkov or CHECKOV.get(store.name, ()),
        security_hub=store.security_hub,
    )


#: Checkov checks for the same thing (its own ids; a CMK where it asks only for encryption
#: is listed anyway, as the README says).
CHECKOV: dict[str, tuple[str, ...]] = {
    "aws-dynamodb-table-require-cmk-encryption": ("CKV_AWS_119",),
    "aws-dynamodb-tablereplica-require-cmk-encryption": ("CKV_AWS_271",),
    "aws-efs-filesystem-require-cmk-encryption": ("CKV_AWS_42", "CKV_AWS_184"),
    "aws-elasticache-replicationgroup-require-cmk-encryption": ("CKV_AWS_29", "CKV_AWS_191"),
    "aws-opensearch-domain-require-cmk-encryption": ("CKV_AWS_5", "CKV_AWS_247"),
    "aws-elasticsearch-domain-require-cmk-encryption": ("CKV_AWS_5", "CKV_AWS_247"),
    "aws-kinesis-stream-require-cmk-encryption": ("CKV_AWS_43", "CKV_AWS_185"),
    "aws-kinesis-videostream-require-cmk-encryption": ("CKV_AWS_177",),
    "aws-kinesis-firehosedeliverystream-require-cmk-encryption": ("CKV_AWS_240", "CKV_AWS_241"),
    "aws-rds-instance-require-cmk-encryption": ("CKV_AWS_16",),
    "aws-ebs-snapshotcopy-require-cmk-encryption": ("CKV_AWS_183",),
    "aws-docdb-cluster-require-cmk-encryption": ("CKV_AWS_74", "CKV_AWS_182"),
    "aws-neptune-cluster-require-cmk-encryption": ("CKV_AWS_44", "CKV_AWS_347"),
    "aws-redshift-cluster-require-cmk-encryption": ("CKV_AWS_64", "CKV_AWS_142"),
    "aws-redshiftserverless-namespace-require-cmk-encryption": ("CKV_AWS_282",),
    "aws-msk-cluster-require-cmk-encryption": ("CKV_AWS_81",),
    "aws-timestreamwrite-database-require-cmk-encryption": ("CKV_AWS_160",),
    "aws-memorydb-cluster-require-cmk-encryption": ("CKV_AWS_201",),
    "aws-memorydb-snapshot-require-cmk-encryption": ("CKV_AWS_278",),
    "aws-ecr-repository-require-cmk-encryption": ("CKV_AWS_136",),
    "aws-backup-vault-require-cmk-encryption": ("CKV_AWS_166",),
    "aws-cloudtrail-trail-require-cmk-encryption": ("CKV_AWS_35",),
    "aws-cloudtrail-eventdatastore-require-cmk-encryption": ("CKV_AWS_294",),
    "aws-keyspaces-table-require-cmk-encryption": ("CKV_AWS_265",),
    "aws-fsx-lustrefilesystem-require-cmk-encryption": ("CKV_AWS_190",),
    "aws-fsx-ontapfilesystem-require-cmk-encryption": ("CKV_AWS_178",),
    "aws-fsx-windowsfilesystem-require-cmk-encryption": ("CKV_AWS_179",),
    "aws-mq-broker-require-cmk-encryption": ("CKV_AWS_209",),
    "aws-rds-snapshotcopy-require-cmk-encryption": ("CKV_AWS_266",),
    "aws-rds-instanceautomatedbackupsreplication-require-cmk-encryption": ("CKV_AWS_245",),
    "aws-ec2-amicopy-require-cmk-encryption": ("CKV_AWS_235", "CKV_AWS_236"),
    "aws-dms-replicationinstance-require-cmk-encryption": ("CKV_AWS_212",),
    "aws-sagemaker-notebookinstance-require-cmk-encryption": ("CKV_AWS_22", "CKV_AWS_187"),
    "aws-sagemaker-domain-require-cmk-encryption": ("CKV_AWS_187",),
    "aws-kendra-index-require-cmk-encryption": ("CKV_AWS_262",),
    "aws-bedrock-agentagent-require-cmk-encryption": ("CKV_AWS_373",),
}

KEY = "arn:aws:kms:eu-central-1:123456789012:key/mrk-store"

STORES: list[Store] = [
    Store(
        "aws-dynamodb-table-require-cmk-encryption",
        "aws:dynamodb/table:Table",
        "DynamoDB table",
        ("serverSideEncryption", "kmsKeyArn"),
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html",
        {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}},
        switch=("serverSideEncryption", "enabled"),
    ),
    Store(
        "aws-dynamodb-tablereplica-require-cmk-encryption",
        "aws:dynamodb/tableReplica:TableReplica",
        "DynamoDB table replica",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html",
        {
            "kmsKeyArn": KEY,
            "globalTableArn": KEY.replace("kms", "dynamodb", 1).replace("key/", "table/"),
        },
    ),
    Store(
        "aws-efs-filesystem-require-cmk-encryption",
        "aws:efs/fileSystem:FileSystem",
        "EFS file system",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html",
        {"encrypted": True, "kmsKeyId": KEY},
        switch=("encrypted",),
    ),
    Store(
        "aws-elasticache-replicationgroup-require-cmk-encryption",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "ElastiCache replication group",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/at-rest-encryption.html",
        {"atRestEncryptionEnabled": True, "kmsKeyId": KEY, "transitEncryptionEnabled": True},
        switch=("atRestEncryptionEnabled",),
    ),
    Store(
        "aws-elasticache-serverlesscache-require-cmk-encryption",
        "aws:elasticache/serverlessCache:ServerlessCache",
        "ElastiCache serverless cache",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/at-rest-encryption.html",
        {"engine": "valkey", "kmsKeyId": KEY},
    ),
    Store(
        "aws-opensearch-domain-require-cmk-encryption",
        "aws:opensearch/domain:Domain",
        "OpenSearch domain",
        ("encryptAtRest", "kmsKeyId"),
        "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html",
        {
            "encryptAtRest": {"enabled": True, "kmsKeyId": KEY},
            "nodeToNodeEncryption": {"enabled": True},
            "domainEndpointOptions": {"enforceHttps": True},
        },
        switch=("encryptAtRest", "enabled"),
    ),
    Store(
        "aws-elasticsearch-domain-require-cmk-encryption",
        "aws:elasticsearch/domain:Domain",
        "Elasticsearch domain",
        ("encryptAtRest", "kmsKeyId"),
        "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html",
        {
            "encryptAtRest": {"enabled": True, "kmsKeyId": KEY},
            "nodeToNodeEncryption": {"enabled": True},
            "domainEndpointOptions": {"enforceHttps": True},
        },
        switch=("encryptAtRest", "enabled"),
    ),
    Store(
        "aws-kinesis-stream-require-cmk-encryption",
        "aws:kinesis/stream:Stream",
        "Kinesis stream",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/streams/latest/dev/server-side-encryption.html",
        {"encryptionType": "KMS", "kmsKeyId": KEY},
        switch=("encryptionType",),
        switch_value="KMS",
    ),
    Store(
        "aws-kinesis-videostream-require-cmk-encryption",
        "aws:kinesis/videoStream:VideoStream",
        "Kinesis video stream",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/how-kms.html",
        {"kmsKeyId": KEY},
    ),
    Store(
        "aws-kinesis-firehosedeliverystream-require-cmk-encryption",
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "Firehose delivery stream",
        ("serverSideEncryption", "keyArn"),
        "https://docs.aws.amazon.com/firehose/latest/dev/encryption.html",
        {
            "destination": "extended_s3",
            "serverSideEncryption": {
                "enabled": True,
                "keyType": "CUSTOMER_MANAGED_CMK",
                "keyArn": KEY,
            },
        },
        switch=("serverSideEncryption", "keyType"),
        switch_value="CUSTOMER_MANAGED_CMK",
        skip_when="kinesisSourceConfiguration",
    ),
    Store(
        "aws-rds-instance-require-cmk-encryption",
        "aws:rds/instance:Instance",
        "RDS instance",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html",
        {
            "storageEncrypted": True,
            "kmsKeyId": KEY,
            "deletionProtection": True,
            "backupRetentionPeriod": 7,
            "copyTagsToSnapshot": True,
        },
        switch=("storageEncrypted",),
    ),
    Store(
        "aws-ebs-snapshotcopy-require-cmk-encryption",
        "aws:ebs/snapshotCopy:SnapshotCopy",
        "EBS snapshot copy",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-copy-snapshot.html",
        {
            "sourceSnapshotId": "snap-0",
            "sourceRegion": "eu-central-1",
            "encrypted": True,
            "kmsKeyId": KEY,
        },
        switch=("encrypted",),
    ),
    Store(
        "aws-docdb-cluster-require-cmk-encryption",
        "aws:docdb/cluster:Cluster",
        "DocumentDB cluster",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/documentdb/latest/developerguide/encryption-at-rest.html",
        {"storageEncrypted": True, "kmsKeyId": KEY},
        switch=("storageEncrypted",),
    ),
    Store(
        "aws-docdb-elasticcluster-require-cmk-encryption",
        "aws:docdb/elasticCluster:ElasticCluster",
        "DocumentDB elastic cluster",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/documentdb/latest/developerguide/elastic-encryption.html",
        {"kmsKeyId": KEY},
    ),
    Store(
        "aws-neptune-cluster-require-cmk-encryption",
        "aws:neptune/cluster:Cluster",
        "Neptune cluster",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/neptune/latest/userguide/encrypt.html",
        {"storageEncrypted": True, "kmsKeyArn": KEY},
        switch=("storageEncrypted",),
    ),
    Store(
        "aws-redshift-cluster-require-cmk-encryption",
        "aws:redshift/cluster:Cluster",
        "Redshift cluster",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/redshift/latest/mgmt/working-with-db-encryption.html",
        {"encrypted": "true", "kmsKeyId": KEY, "publiclyAccessible": False},
        switch=("encrypted",),
        default_on=True,  # the provider's default is encrypted="true"
    ),
    Store(
        "aws-redshiftserverless-namespace-require-cmk-encryption",
        "aws:redshiftserverless/namespace:Namespace",
        "Redshift Serverless namespace",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-workgroup-namespace.html",
        {"namespaceName": "analytics", "kmsKeyId": KEY},
    ),
    Store(
        "aws-msk-cluster-require-cmk-encryption",
        "aws:msk/cluster:Cluster",
        "MSK cluster",
        ("encryptionInfo", "encryptionAtRestKmsKeyArn"),
        "https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html",
        {
            "encryptionInfo": {
                "encryptionAtRestKmsKeyArn": KEY,
                "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
            }
        },
    ),
    Store(
        "aws-timestreamwrite-database-require-cmk-encryption",
        "aws:timestreamwrite/database:Database",
        "Timestream database",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/timestream/latest/developerguide/EncryptionAtRest.html",
        {"databaseName": "metrics", "kmsKeyId": KEY},
    ),
    Store(
        "aws-memorydb-cluster-require-cmk-encryption",
        "aws:memorydb/cluster:Cluster",
        "MemoryDB cluster",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/memorydb/latest/devguide/at-rest-encryption.html",
        {"kmsKeyArn": KEY, "tlsEnabled": True},
    ),
    Store(
        "aws-ecr-repository-require-cmk-encryption",
        "aws:ecr/repository:Repository",
        "ECR repository",
        ("encryptionConfigurations", 0, "kmsKey"),
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html",
        {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}]},
        switch=("encryptionConfigurations", 0, "encryptionType"),
        switch_value="KMS",
    ),
    Store(
        "aws-backup-vault-require-cmk-encryption",
        "aws:backup/vault:Vault",
        "Backup vault",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html",
        {"kmsKeyArn": KEY},
    ),
    Store(
        "aws-cloudtrail-trail-require-cmk-encryption",
        "aws:cloudtrail/trail:Trail",
        "CloudTrail trail",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
        {"s3BucketName": "trail", "kmsKeyId": KEY},
    ),
    Store(
        "aws-keyspaces-table-require-cmk-encryption",
        "aws:keyspaces/table:Table",
        "Keyspaces table",
        ("encryptionSpecification", "kmsKeyIdentifier"),
        "https://docs.aws.amazon.com/keyspaces/latest/devguide/EncryptionAtRest.html",
        {
            "encryptionSpecification": {
                "type": "CUSTOMER_MANAGED_KMS_KEY",
                "kmsKeyIdentifier": KEY,
            }
        },
        switch=("encryptionSpecification", "type"),
        switch_value="CUSTOMER_MANAGED_KMS_KEY",
    ),
    *[
        Store(
            f"aws-fsx-{kind.lower()}-require-cmk-encryption",
            f"aws:fsx/{kind[0].lower()}{kind[1:]}:{kind}",
            f"FSx {label}",
            ("kmsKeyId",),
            "https://docs.aws.amazon.com/fsx/latest/LustreGuide/encryption-at-rest.html",
            {"kmsKeyId": KEY},
        )
        for kind, label in (
            ("LustreFileSystem", "for Lustre file system"),
            ("OntapFileSystem", "for ONTAP file system"),
            ("OpenZfsFileSystem", "for OpenZFS file system"),
            ("WindowsFileSystem", "for Windows file system"),
            ("FileCache", "file cache"),
        )
    ],
    Store(
        "aws-mq-broker-require-cmk-encryption",
        "aws:mq/broker:Broker",
        "Amazon MQ broker",
        ("encryptionOptions", "kmsKeyId"),
        "https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/data-protection.html",
        {"encryptionOptions": {"useAwsOwnedKey": False, "kmsKeyId": KEY}},
        switch=("encryptionOptions", "useAwsOwnedKey"),
        switch_value=False,
    ),
    Store(
        "aws-sfn-statemachine-require-cmk-encryption",
        "aws:sfn/stateMachine:StateMachine",
        "Step Functions state machine",
        ("encryptionConfiguration", "kmsKeyId"),
        "https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html",
        {"encryptionConfiguration": {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": KEY}},
        switch=("encryptionConfiguration", "type"),
        switch_value="CUSTOMER_MANAGED_KMS_KEY",
    ),
    Store(
        "aws-cloudwatch-eventbus-require-cmk-encryption",
        "aws:cloudwatch/eventBus:EventBus",
        "EventBridge event bus",
        ("kmsKeyIdentifier",),
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-at-rest.html",
        {"name": "orders", "kmsKeyIdentifier": KEY},
    ),
    Store(
        "aws-dynamodb-tableexport-require-cmk-encryption",
        "aws:dynamodb/tableExport:TableExport",
        "DynamoDB table export",
        ("s3SseKmsKeyId",),
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.HowItWorks.html",
        {"s3Bucket": "exports", "s3SseAlgorithm": "KMS", "s3SseKmsKeyId": KEY},
        switch=("s3SseAlgorithm",),
        switch_value="KMS",
    ),
    *[
        Store(
            f"aws-rds-{kind.lower()}-require-cmk-encryption",
            f"aws:rds/{kind[0].lower()}{kind[1:]}:{kind}",
            noun,
            ("kmsKeyId",),
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html",
            {"kmsKeyId": KEY},
        )
        for kind, noun in (
            ("SnapshotCopy", "RDS snapshot copy"),
            ("ClusterSnapshotCopy", "RDS cluster snapshot copy"),
            ("InstanceAutomatedBackupsReplication", "RDS automated-backup replica"),
        )
    ],
    Store(
        "aws-ec2-amicopy-require-cmk-encryption",
        "aws:ec2/amiCopy:AmiCopy",
        "AMI copy",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/CopyingAMIs.html",
        {
            "sourceAmiId": "ami-0",
            "sourceAmiRegion": "eu-central-1",
            "encrypted": True,
            "kmsKeyId": KEY,
        },
        switch=("encrypted",),
    ),
    Store(
        "aws-ebs-snapshotimport-require-cmk-encryption",
        "aws:ebs/snapshotImport:SnapshotImport",
        "EBS snapshot import",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/vm-import/latest/userguide/vmie_prereqs.html",
        {"diskContainer": {"format": "VHD"}, "encrypted": True, "kmsKeyId": KEY},
        switch=("encrypted",),
    ),
    Store(
        "aws-cloudwatch-eventarchive-require-cmk-encryption",
        "aws:cloudwatch/eventArchive:EventArchive",
        "EventBridge archive",
        ("kmsKeyIdentifier",),
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-archives.html",
        {
            "eventSourceArn": KEY.replace("kms", "events", 1).replace("key/", "event-bus/"),
            "kmsKeyIdentifier": KEY,
        },
    ),
    Store(
        "aws-customerprofiles-domain-require-cmk-encryption",
        "aws:customerprofiles/domain:Domain",
        "Customer Profiles domain",
        ("defaultEncryptionKey",),
        "https://docs.aws.amazon.com/customerprofiles/latest/APIReference/API_CreateDomain.html",
        {"domainName": "customers", "defaultExpirationDays": 365, "defaultEncryptionKey": KEY},
    ),
    Store(
        "aws-location-tracker-require-cmk-encryption",
        "aws:location/tracker:Tracker",
        "Location tracker",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/location/latest/developerguide/encryption-at-rest.html",
        {"trackerName": "devices", "kmsKeyId": KEY},
    ),
    Store(
        "aws-location-geofencecollection-require-cmk-encryption",
        "aws:location/geofenceCollection:GeofenceCollection",
        "Location geofence collection",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/location/latest/developerguide/encryption-at-rest.html",
        {"collectionName": "zones", "kmsKeyId": KEY},
    ),
    Store(
        "aws-mailmanager-archive-require-cmk-encryption",
        "aws:mailmanager/archive:Archive",
        "Mail Manager archive",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/ses/latest/dg/eb-archiving.html",
        {"kmsKeyArn": KEY},
    ),
    Store(
        "aws-workmail-organization-require-cmk-encryption",
        "aws:workmail/organization:Organization",
        "WorkMail organization",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/workmail/latest/adminguide/data-protection.html",
        {"organizationAlias": "mail", "kmsKeyArn": KEY},
    ),
    Store(
        "aws-qldb-ledger-require-cmk-encryption",
        "aws:qldb/ledger:Ledger",
        "QLDB ledger",
        ("kmsKey",),
        "https://docs.aws.amazon.com/qldb/latest/developerguide/encryption-at-rest.html",
        {"permissionsMode": "STANDARD", "kmsKey": KEY},
    ),
    Store(
        "aws-amp-workspace-require-cmk-encryption",
        "aws:amp/workspace:Workspace",
        "Managed Prometheus workspace",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/prometheus/latest/userguide/encryption-at-rest-Amazon-Service-Prometheus.html",
        {"kmsKeyArn": KEY},
    ),
    Store(
        "aws-grafana-workspace-require-cmk-encryption",
        "aws:grafana/workspace:Workspace",
        "Managed Grafana workspace",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/grafana/latest/userguide/encryption-at-rest.html",
        {
            "accountAccessType": "CURRENT_ACCOUNT",
            "authenticationProviders": ["AWS_SSO"],
            "permissionType": "SERVICE_MANAGED",
            "kmsKeyId": KEY,
        },
    ),
    Store(
        "aws-bedrock-agentcorememory-require-cmk-encryption",
        "aws:bedrock/agentcoreMemory:AgentcoreMemory",
        "Bedrock AgentCore memory",
        ("encryptionKeyArn",),
        "https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/memory-encryption.html",
        {"eventExpiryDuration": 30, "encryptionKeyArn": KEY},
    ),
    Store(
        "aws-bedrock-agentagent-require-cmk-encryption",
        "aws:bedrock/agentAgent:AgentAgent",
        "Bedrock agent",
        ("customerEncryptionKeyArn",),
        "https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-agents.html",
        {
            "agentName": "helper",
            "agentResourceRoleArn": "arn:aws:iam::123456789012:role/agent",
            "foundationModel": "m",
            "customerEncryptionKeyArn": KEY,
        },
    ),
    Store(
        "aws-memorydb-snapshot-require-cmk-encryption",
        "aws:memorydb/snapshot:Snapshot",
        "MemoryDB snapshot",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/memorydb/latest/devguide/at-rest-encryption.html",
        {"clusterName": "sessions", "kmsKeyArn": KEY},
    ),
    Store(
        "aws-neptunegraph-graph-require-cmk-encryption",
        "aws:neptunegraph/graph:Graph",
        "Neptune Analytics graph",
        ("kmsKeyIdentifier",),
        "https://docs.aws.amazon.com/neptune-analytics/latest/userguide/security-encryption.html",
        {"provisionedMemory": 16, "kmsKeyIdentifier": KEY, "publicConnectivity": False},
    ),
    Store(
        "aws-dsql-cluster-require-cmk-encryption",
        "aws:dsql/cluster:Cluster",
        "Aurora DSQL cluster",
        ("kmsEncryptionKey",),
        "https://docs.aws.amazon.com/aurora-dsql/latest/userguide/data-encryption.html",
        {"kmsEncryptionKey": KEY},
    ),
    Store(
        "aws-s3tables-tablebucket-require-cmk-encryption",
        "aws:s3tables/tableBucket:TableBucket",
        "S3 table bucket",
        ("encryptionConfiguration", "kmsKeyArn"),
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-tables-kms-encryption.html",
        {"name": "lake", "encryptionConfiguration": {"sseAlgorithm": "aws:kms", "kmsKeyArn": KEY}},
        switch=("encryptionConfiguration", "sseAlgorithm"),
        switch_value="aws:kms",
    ),
    Store(
        "aws-dms-replicationinstance-require-cmk-encryption",
        "aws:dms/replicationInstance:ReplicationInstance",
        "DMS replication instance",
        ("kmsKeyArn",),
        "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Security.html",
        {"replicationInstanceClass": "dms.t3.micro", "kmsKeyArn": KEY, "publiclyAccessible": False},
    ),
    *[
        Store(
            f"aws-storagegateway-{kind.lower()}-require-cmk-encryption",
            f"aws:storagegateway/{kind[0].lower()}{kind[1:]}:{kind}",
            noun,
            ("kmsKeyArn",),
            "https://docs.aws.amazon.com/filegateway/latest/files3/encrypt-objects-stored-by-file-gateway-in-amazon-s3.html",
            {"kmsEncrypted": True, "kmsKeyArn": KEY},
            switch=("kmsEncrypted",),
        )
        for kind, noun in (("NfsFileShare", "NFS file share"), ("SmbFileShare", "SMB file share"))
    ],
    *[
        Store(
            f"aws-sagemaker-{kind.lower()}-require-cmk-encryption",
            f"aws:sagemaker/{kind[0].lower()}{kind[1:]}:{kind}",
            noun,
            ("kmsKeyId",),
            "https://docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest.html",
            {"kmsKeyId": KEY},
        )
        for kind, noun in (
            ("NotebookInstance", "SageMaker notebook instance"),
            ("Domain", "SageMaker domain"),
        )
    ],
    Store(
        "aws-cloudtrail-eventdatastore-require-cmk-encryption",
        "aws:cloudtrail/eventDataStore:EventDataStore",
        "CloudTrail Lake event data store",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store-cmk.html",
        {"kmsKeyId": KEY},
    ),
    Store(
        "aws-codecommit-repository-require-cmk-encryption",
        "aws:codecommit/repository:Repository",
        "CodeCommit repository",
        ("kmsKeyId",),
        "https://docs.aws.amazon.com/codecommit/latest/userguide/encryption.html",
        {"repositoryName": "app", "kmsKeyId": KEY},
    ),
    Store(
        "aws-kendra-index-require-cmk-encryption",
        "aws:kendra/index:Index",
        "Kendra index",
        ("serverSideEncryptionConfiguration", "kmsKeyId"),
        "https://docs.aws.amazon.com/kendra/latest/dg/encryption-at-rest.html",
        {
            "roleArn": "arn:aws:iam::123456789012:role/kendra",
            "serverSideEncryptionConfiguration": {"kmsKeyId": KEY},
        },
    ),
    Store(
        "aws-backup-logicallyairgappedvault-require-cmk-encryption",
        "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault",
        "logically air-gapped backup vault",
        ("encryptionKeyArn",),
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html",
        {"maxRetentionDays": 35, "minRetentionDays": 7, "encryptionKeyArn": KEY},
    ),
]


# -- TLS in transit, where the store has a setting -------------------------------------


@dataclass(frozen=True)
class Transit:
    name: str
    types: frozenset[str]
    noun: str
    #: (path, required value, default when unset) per setting
    settings: tuple[tuple[tuple[str, ...], object, object], ...]
    url: str
    checkov: tuple[str, ...] = ()
    security_hub: tuple[str, ...] = ()


def transit_problems(spec: Transit, res: ResourceView) -> list[str]:
    problems = []
    for path, required, default in spec.settings:
        value = known(get(res.props, *path), ".".join(path))
        if value is None:
            actual, shown = default, f"unset (default {default!r})"
        else:
            actual = truthy(value) if isinstance(required, bool) else value
            shown = repr(value)
        if actual != required:
            problems.append(
                f"{spec.noun} {res.name!r} {'.'.join(path)} is {shown}, not {required!r} "
                f"(data would travel without TLS)"
            )
    return problems


def _transit_rule(spec: Transit) -> Rule:
    def check(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
        return transit_problems(spec, res)

    settings = ", ".join(f"{'.'.join(p)}={v!r}" for p, v, _ in spec.settings)
    return Rule(
        name=spec.name,
        description=f"{spec.noun[0].upper()}{spec.noun[1:]}s require TLS in transit.",
        group=GROUP,
        severity=Severity.HIGH,
        enforcement_level=EnforcementLevel.MANDATORY,
        fix=f"set {settings}",
        url=spec.url,
        types=spec.types,
        resource_check=check,
        checkov=spec.checkov,
        security_hub=spec.security_hub,
    )


TRANSIT: list[Transit] = [
    Transit(
        "aws-elasticache-replicationgroup-require-tls",
        frozenset({"aws:elasticache/replicationGroup:ReplicationGroup"}),
        "ElastiCache replication group",
        ((("transitEncryptionEnabled",), True, False),),
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption.html",
        checkov=("CKV_AWS_30",),
    ),
    Transit(
        "aws-memorydb-cluster-require-tls",
        frozenset({"aws:memorydb/cluster:Cluster"}),
        "MemoryDB cluster",
        ((("tlsEnabled",), True, True),),
        "https://docs.aws.amazon.com/memorydb/latest/devguide/in-transit-encryption.html",
        checkov=("CKV_AWS_202",),
    ),
    Transit(
        "aws-opensearch-domain-require-tls",
        frozenset({"aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"}),
        "OpenSearch domain",
        (
            (("domainEndpointOptions", "enforceHttps"), True, False),
            (("nodeToNodeEncryption", "enabled"), True, False),
        ),
        "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ntn.html",
        checkov=("CKV_AWS_6", "CKV_AWS_83"),
    ),
    Transit(
        "aws-msk-cluster-require-tls",
        frozenset({"aws:msk/cluster:Cluster"}),
        "MSK cluster",
        (
            (("encryptionInfo", "encryptionInTransit", "clientBroker"), "TLS", "TLS"),
            (("encryptionInfo", "encryptionInTransit", "inCluster"), True, True),
        ),
        "https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html",
        checkov=("CKV_AWS_81",),
    ),
]


RULES: list[Rule] = [_rule(s) for s in STORES] + [_transit_rule(t) for t in TRANSIT]
