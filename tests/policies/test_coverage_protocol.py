"""The rules that cover the generated type table, through the real pack process.

Each case is a small stack (one provider, the resources the rule looks at): the compliant
variant passes every rule, the failing one draws exactly the expected violation(s). Store
rules come from their specs (``stores.STORES``): the spec's compliant inputs pass, and
dropping the key (or turning encryption off) fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from policies.gdpr_pack import stores
from policies.gdpr_pack.pack import BY_NAME
from tests.policies.records import (
    DELETE,
    PACK_DIR,
    PRIMARY,
    SECONDARY,
    UNKNOWN,
    Stack,
    arn,
    tags_for,
)
from tools.policy_client import PolicyPackProcess, Violation, load_policy_config

US = "us-east-1"
KEY = arn("kms", PRIMARY, "key/mrk-store")
KEY2 = arn("kms", SECONDARY, "key/mrk-store")


def stack(
    *resources: tuple[str, str, Mapping[str, Any]],
    deps: Mapping[str, Mapping[str, list[str]]] | None = None,
) -> Stack:
    """A stack of ``(type, name, inputs)``; ``__region`` in inputs picks a region other than
    the primary; ``deps``: resource name -> input -> names feeding it."""
    s = Stack("eu")
    s.provider(PRIMARY)
    s.provider(SECONDARY)
    s.provider(US)
    for type_token, name, inputs in resources:
        region = inputs.get("__region", PRIMARY)
        clean = {k: v for k, v in inputs.items() if k != "__region"}
        s.add(type_token, name, clean, region=region, deps=(deps or {}).get(name))
    return s


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], Stack]
    #: (policy, resource name, a fragment of the problem) expected; empty = passes
    expect: tuple[tuple[str, str, str], ...] = ()
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: policy -> enforcement level replacing the eu config's
    levels: Mapping[str, str] = field(default_factory=dict)


def _store_cases() -> list[Case]:
    cases = []
    for spec in stores.STORES:
        inputs = dict(spec.compliant)

        def build(inputs: Mapping[str, Any] = inputs, spec: stores.Store = spec) -> Stack:
            return stack((spec.type, "store", inputs))

        cases.append(Case(f"{spec.name}-passes", build))

        def no_key(spec: stores.Store = spec, inputs: Mapping[str, Any] = inputs) -> Stack:
            s = stack((spec.type, "store", inputs))
            path = ".".join(str(p) for p in spec.key)
            return s.set("store", path, DELETE)

        cases.append(
            Case(
                f"{spec.name}-no-key",
                no_key,
                ((spec.name, "store", "has no customer-managed KMS key"),),
            )
        )

        def aws_managed(spec: stores.Store = spec, inputs: Mapping[str, Any] = inputs) -> Stack:
            s = stack((spec.type, "store", inputs))
            return s.set("store", ".".join(str(p) for p in spec.key), "alias/aws/whatever")

        cases.append(
            Case(
                f"{spec.name}-aws-managed-key",
                aws_managed,
                ((spec.name, "store", "uses the AWS-managed key 'alias/aws/whatever'"),),
            )
        )
        if spec.switch is not None:
            off: object = False if not isinstance(spec.switch_value, str) else "NONE"
            if spec.switch_value is False:
                off = True

            def switch_off(
                spec: stores.Store = spec, inputs: Mapping[str, Any] = inputs, off: object = off
            ) -> Stack:
                s = stack((spec.type, "store", inputs))
                return s.set("store", ".".join(str(p) for p in spec.switch or ()), off)

            cases.append(
                Case(
                    f"{spec.name}-switched-off",
                    switch_off,
                    ((spec.name, "store", "is not encrypted at rest with a customer-managed key"),),
                )
            )
    return cases


def _transit_cases() -> list[Case]:
    cases = []
    compliant = {s.type: s.compliant for s in stores.STORES}
    for spec in stores.TRANSIT:
        for type_token in sorted(spec.types):
            inputs = compliant[type_token]
            path, required, _ = spec.settings[0]
            bad: object = False if isinstance(required, bool) else "PLAINTEXT"

            def build(
                type_token: str = type_token,
                inputs: Mapping[str, Any] = inputs,
                path: tuple[str, ...] = path,
                bad: object = bad,
            ) -> Stack:
                return stack((type_token, "store", inputs)).set("store", ".".join(path), bad)

            cases.append(
                Case(
                    f"{spec.name}-{type_token.rsplit(':', 1)[-1]}-plaintext",
                    build,
                    ((spec.name, "store", "(data would travel without TLS)"),),
                )
            )
    return cases


STORE_INPUTS = {spec.type: dict(spec.compliant) for spec in stores.STORES}
TABLE = "aws:dynamodb/table:Table"
DDB_ENCRYPTED = {"serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY}}
ECR_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
ECR_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
EFS_REPLICATION = "aws:efs/replicationConfiguration:ReplicationConfiguration"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
FIREHOSE_SSE = {"enabled": True, "keyType": "CUSTOMER_MANAGED_CMK", "keyArn": KEY}
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def _ecr(region: str, template: Mapping[str, Any] | None) -> Stack:
    rules = {"rules": [{"destinations": [{"region": region, "registryId": "123456789012"}]}]}
    resources: list[tuple[str, str, Mapping[str, Any]]] = [
        (ECR_REPLICATION, "ecr-repl", {"replicationConfiguration": rules})
    ]
    if template is not None:
        resources.append((ECR_TEMPLATE, "ecr-template", {**template, "__region": region}))
    return stack(*resources)


ECR_KMS_TEMPLATE = {
    "prefix": "ROOT",
    "appliedFors": ["REPLICATION"],
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY2}],
}


MEMBER_INPUTS: Mapping[str, Mapping[str, Any]] = {
    "docdb": {"storageEncrypted": True, "kmsKeyId": KEY},
    "neptune": {"storageEncrypted": True, "kmsKeyArn": KEY},
    "elasticache": {
        "atRestEncryptionEnabled": True,
        "kmsKeyId": KEY,
        "transitEncryptionEnabled": True,
    },
    "memorydb": {"kmsKeyArn": KEY, "tlsEnabled": True},
}

GLOBALS = [
    (
        "docdb",
        "aws:docdb/cluster:Cluster",
        "aws:docdb/globalCluster:GlobalCluster",
        "globalClusterIdentifier",
    ),
    (
        "neptune",
        "aws:neptune/cluster:Cluster",
        "aws:neptune/globalCluster:GlobalCluster",
        "globalClusterIdentifier",
    ),
    (
        "elasticache",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
        "globalReplicationGroupId",
    ),
    (
        "memorydb",
        "aws:memorydb/cluster:Cluster",
        "aws:memorydb/multiRegionCluster:MultiRegionCluster",
        "multiRegionClusterName",
    ),
]


def _global(service: str, member: str, global_type: str, prop: str, declared: bool) -> Stack:
    inputs = {**MEMBER_INPUTS[service], prop: "g1"}
    if not declared:
        return stack((member, "member", inputs))
    g_inputs = (
        {"globalClusterIdentifier": "g1", "storageEncrypted": True}
        if global_type.endswith("GlobalCluster")
        else {}
    )
    return stack(
        (global_type, "global", g_inputs),
        (member, "member", inputs),
        deps={"member": {prop: ["global"]}},
    )


def _global_cases() -> list[Case]:
    cases = []
    for service, member, global_type, prop in GLOBALS:
        kind = member.rsplit(":", 1)[-1].lower()
        policy = f"aws-{service}-{kind}-require-replication-in-jurisdiction"
        args = (service, member, global_type, prop)

        def declared(a: tuple[str, str, str, str] = args) -> Stack:
            return _global(*a, True)

        def undeclared(a: tuple[str, str, str, str] = args) -> Stack:
            return _global(*a, False)

        cases.append(Case(f"{service}-global-declared", declared))
        cases.append(
            Case(
                f"{service}-global-not-in-stack",
                undeclared,
                ((policy, "member", "that is not declared in this stack"),),
            )
        )
    return cases


def _distribution(associations: list[Any], classification: str = "personal") -> Stack:
    behaviour = {
        "targetOriginId": "api",
        "viewerProtocolPolicy": "https-only",
        "cachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "lambdaFunctionAssociations": associations,
    }
    s = stack(
        (
            DISTRIBUTION,
            "cdn",
            {
                "enabled": True,
                "origins": [{"originId": "api", "domainName": "api.example.com"}],
                "defaultCacheBehavior": behaviour,
                "orderedCacheBehaviors": [],
                "viewerCertificate": {"cloudfrontDefaultCertificate": True},
            },
        )
    )
    return s.set("cdn", "tags", tags_for("eu", classification))


EDGE_FN = {"eventType": "viewer-request", "lambdaArn": arn("lambda", US, "function:edge:1")}
FIREHOSE_HTTP = {
    "destination": "http_endpoint",
    "serverSideEncryption": FIREHOSE_SSE,
    "httpEndpointConfiguration": {"url": "https://collector.example.com/v1", "name": "c"},
}


def _firehose(classification: str = "personal", **changes: Any) -> Stack:
    s = stack((FIREHOSE, "fh", {**FIREHOSE_HTTP, **changes}))
    return s.set("fh", "tags", tags_for("eu", classification))


def _bucket(name: str, region: str = PRIMARY) -> tuple[str, str, Mapping[str, Any]]:
    return ("aws:s3/bucket:Bucket", name, {"bucket": f"{name}-eu", "__region": region})


def _s3_baseline(*names: str) -> list[tuple[str, str, Mapping[str, Any]]]:
    """What every bucket of the compliant stack has, so only the rule under test speaks."""
    out: list[tuple[str, str, Mapping[str, Any]]] = []
    deny = (
        '{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",'
        '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
    )
    for n in names:
        out.append(_bucket(n))
        sse = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
        out.append(
            (
                "aws:s3/bucketServerSideEncryptionConfiguration:"
                "BucketServerSideEncryptionConfiguration",
                f"{n}-sse",
                {"bucket": f"{n}-eu", "rules": [{"applyServerSideEncryptionByDefault": sse}]},
            )
        )
        out.append(
            (
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                f"{n}-pab",
                {
                    "bucket": f"{n}-eu",
                    "blockPublicAcls": True,
                    "blockPublicPolicy": True,
                    "ignorePublicAcls": True,
                    "restrictPublicBuckets": True,
                },
            )
        )
        out.append(
            ("aws:s3/bucketPolicy:BucketPolicy", f"{n}-tls", {"bucket": f"{n}-eu", "policy": deny})
        )
    return out


PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ALL_FLAGS = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
LB = "aws:lb/loadBalancer:LoadBalancer"
REDSHIFT_OK = {"encrypted": "true", "kmsKeyId": KEY, "publiclyAccessible": False}

#: The production configs disable access logging until the program logs (see
#: test_pack_files); these cases run it at its own default level.
LOGGING_ADVISORY = {
    "aws-s3-bucket-enable-access-logging": "advisory",
    "aws-lb-loadbalancer-enable-access-logs": "advisory",
}
DDB = "aws-dynamodb-table-require-replicas-in-jurisdiction"
ECR = "aws-ecr-replicationconfiguration-require-destinations-in-jurisdiction"
ECR_CMK = "aws-ecr-replicationconfiguration-require-cmk-template"
EFS = "aws-efs-replicationconfiguration-require-destination-in-jurisdiction"
EFS_CMK = "aws-efs-replicationconfiguration-require-cmk"
FH = "aws-kinesis-firehosedeliverystream-require-destination-in-jurisdiction"
EVENTS = "aws-cloudwatch-eventtarget-require-target-in-jurisdiction"
EDGE = "aws-cloudfront-distribution-disallow-lambda-edge-personal"
DEST = "aws-resource-require-destinations-in-jurisdiction"
SNAP = "aws-snapshotcopy-require-regions-in-jurisdiction"
OUTSIDE = "outside jurisdiction eu"
CLOSED = "residency fails closed"

HAND: list[Case] = [
    # DynamoDB
    Case(
        "ddb-replica-in-eu",
        lambda: stack(
            (
                TABLE,
                "t",
                {**DDB_ENCRYPTED, "replicas": [{"regionName": SECONDARY, "kmsKeyArn": KEY2}]},
            )
        ),
    ),
    Case(
        "ddb-replica-in-us",
        lambda: stack((TABLE, "t", {**DDB_ENCRYPTED, "replicas": [{"regionName": US}]})),
        ((DDB, "t", f"replica 0 is in 'us-east-1', {OUTSIDE}"),),
    ),
    Case(
        "ddb-replicas-unknown",
        lambda: stack((TABLE, "t", {**DDB_ENCRYPTED, "replicas": UNKNOWN})),
        ((DDB, "t", f"replicas is unknown at preview; {CLOSED}"),),
    ),
    Case(
        "ddb-table-replica-of-us-table",
        lambda: stack(
            (
                "aws:dynamodb/tableReplica:TableReplica",
                "r",
                {"globalTableArn": arn("dynamodb", US, "table/t"), "kmsKeyArn": KEY},
            )
        ),
        ((DDB, "r", f"source table is in 'us-east-1', {OUTSIDE}"),),
    ),
    # ECR
    Case("ecr-replication-in-eu-with-template", lambda: _ecr(SECONDARY, ECR_KMS_TEMPLATE)),
    Case(
        "ecr-replication-to-us",
        lambda: _ecr(
            US,
            {
                **ECR_KMS_TEMPLATE,
                "encryptionConfigurations": [
                    {"encryptionType": "KMS", "kmsKey": arn("kms", US, "key/x")}
                ],
            },
        ),
        (
            (ECR, "ecr-repl", f"rule 0 destination 0 is in 'us-east-1', {OUTSIDE}"),
            ("aws-resource-require-region-in-jurisdiction", "ecr-template", OUTSIDE),
        ),
    ),
    Case(
        "ecr-replication-without-template",
        lambda: _ecr(SECONDARY, None),
        ((ECR_CMK, "ecr-repl", "replicated repositories are created with AES256"),),
    ),
    Case(
        "ecr-template-aes",
        lambda: _ecr(
            SECONDARY,
            {**ECR_KMS_TEMPLATE, "encryptionConfigurations": [{"encryptionType": "AES256"}]},
        ),
        ((ECR_CMK, "ecr-template", "creates repositories without KMS encryption"),),
    ),
    # EFS
    Case(
        "efs-replica-in-eu",
        lambda: stack(
            (
                EFS_REPLICATION,
                "efs-r",
                {
                    "sourceFileSystemId": "fs-1",
                    "destination": {"region": SECONDARY, "kmsKeyId": KEY2},
                },
            )
        ),
    ),
    Case(
        "efs-replica-in-us",
        lambda: stack(
            (
                EFS_REPLICATION,
                "efs-r",
                {"sourceFileSystemId": "fs-1", "destination": {"region": US, "kmsKeyId": KEY2}},
            )
        ),
        ((EFS, "efs-r", f"destination is in 'us-east-1', {OUTSIDE}"),),
    ),
    Case(
        "efs-replica-region-unknown",
        lambda: stack(
            (
                EFS_REPLICATION,
                "efs-r",
                {
                    "sourceFileSystemId": "fs-1",
                    "destination": {"region": UNKNOWN, "kmsKeyId": KEY2},
                },
            )
        ),
        ((EFS, "efs-r", f"region is unknown at preview; {CLOSED}"),),
    ),
    Case(
        "efs-replica-default-key",
        lambda: stack(
            (
                EFS_REPLICATION,
                "efs-r",
                {"sourceFileSystemId": "fs-1", "destination": {"region": SECONDARY}},
            )
        ),
        ((EFS_CMK, "efs-r", "has no customer-managed KMS key"),),
    ),
    # Firehose
    Case(
        "firehose-http-endpoint",
        lambda: _firehose(),
        ((FH, "fh", "an endpoint outside AWS whose location the pack cannot check"),),
    ),
    Case("firehose-http-endpoint-pseudonymized", lambda: _firehose("pseudonymized")),
    Case(
        "firehose-http-endpoint-allowed-host",
        lambda: _firehose(),
        config={FH: {"allowedEndpointHosts": ["collector.example.com"]}},
    ),
    Case(
        "firehose-opensearch-in-us",
        lambda: _firehose(
            destination="opensearch",
            httpEndpointConfiguration=None,
            opensearchConfiguration={"domainArn": arn("es", US, "domain/logs"), "indexName": "i"},
        ),
        ((FH, "fh", f"is in 'us-east-1', {OUTSIDE}"),),
    ),
    # EventBridge
    Case(
        "event-target-in-eu",
        lambda: stack(
            (
                "aws:cloudwatch/eventTarget:EventTarget",
                "tgt",
                {"rule": "r", "arn": arn("sqs", PRIMARY, "q")},
            )
        ),
    ),
    Case(
        "event-target-cross-region-bus",
        lambda: stack(
            (
                "aws:cloudwatch/eventTarget:EventTarget",
                "tgt",
                {"rule": "r", "arn": arn("events", US, "event-bus/central")},
            )
        ),
        ((EVENTS, "tgt", f"is in 'us-east-1', {OUTSIDE}"),),
    ),
    Case(
        "event-api-destination",
        lambda: stack(
            (
                "aws:cloudwatch/eventApiDestination:EventApiDestination",
                "api",
                {
                    "invocationEndpoint": "https://hooks.example.com/x",
                    "httpMethod": "POST",
                    "connectionArn": arn("events", PRIMARY, "connection/c"),
                },
            )
        ),
        ((EVENTS, "api", "an endpoint outside AWS"),),
    ),
    # Lambda@Edge
    Case("cloudfront-no-lambda-edge", lambda: _distribution([])),
    Case(
        "cloudfront-lambda-edge-personal",
        lambda: _distribution([EDGE_FN]),
        ((EDGE, "cdn", "runs Lambda@Edge"),),
    ),
    Case("cloudfront-lambda-edge-public-content", lambda: _distribution([EDGE_FN], "public")),
    # other destinations
    Case(
        "log-subscription-in-eu",
        lambda: stack(
            (
                "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
                "sub",
                {
                    "logGroup": "g",
                    "filterPattern": "",
                    "destinationArn": arn("kinesis", SECONDARY, "stream/s"),
                },
            )
        ),
    ),
    Case(
        "log-subscription-to-us",
        lambda: stack(
            (
                "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
                "sub",
                {
                    "logGroup": "g",
                    "filterPattern": "",
                    "destinationArn": arn("kinesis", US, "stream/s"),
                },
            )
        ),
        ((DEST, "sub", f"destinationArn is in 'us-east-1', {OUTSIDE}"),),
    ),
    Case(
        "flow-log-destination-unknown-but-a-log-group-of-the-stack",
        lambda: stack(
            (
                "aws:cloudwatch/logGroup:LogGroup",
                "flow-logs",
                {"kmsKeyId": KEY, "retentionInDays": 365},
            ),
            ("aws:ec2/flowLog:FlowLog", "flow", {"trafficType": "ALL", "logDestination": UNKNOWN}),
            deps={"flow": {"logDestination": ["flow-logs"]}},
        ),
    ),
    Case(
        "flow-log-destination-unknown-and-unresolved",
        lambda: stack(
            ("aws:ec2/flowLog:FlowLog", "flow", {"trafficType": "ALL", "logDestination": UNKNOWN})
        ),
        ((DEST, "flow", f"region is unknown at preview; {CLOSED}"),),
    ),
    Case(
        "rds-read-replica-of-us-instance",
        lambda: stack(
            (
                "aws:rds/instance:Instance",
                "replica",
                {
                    **STORE_INPUTS["aws:rds/instance:Instance"],
                    "replicateSourceDb": arn("rds", US, "db:main"),
                },
            )
        ),
        ((DEST, "replica", f"replicateSourceDb is in 'us-east-1', {OUTSIDE}"),),
    ),
    Case(
        "keyspace-replicated-to-us",
        lambda: stack(
            (
                "aws:keyspaces/keyspace:Keyspace",
                "ks",
                {
                    "replicationSpecification": {
                        "replicationStrategy": "MULTI_REGION",
                        "regionLists": [PRIMARY, US],
                    }
                },
            )
        ),
        ((DEST, "ks", f"is in 'us-east-1', {OUTSIDE}"),),
    ),
    Case(
        "dsql-witness-unknown",
        lambda: stack(
            (
                "aws:dsql/cluster:Cluster",
                "dsql",
                {"kmsEncryptionKey": KEY, "multiRegionProperties": {"witnessRegion": UNKNOWN}},
            )
        ),
        ((DEST, "dsql", f"region is unknown at preview; {CLOSED}"),),
    ),
    Case(
        "s3-inventory-to-foreign-bucket",
        lambda: stack(
            (
                "aws:s3/inventory:Inventory",
                "inv",
                {
                    "bucket": "audit-eu",
                    "destination": {
                        "bucket": {"bucketArn": "arn:aws:s3:::elsewhere", "format": "CSV"}
                    },
                },
            )
        ),
        ((DEST, "inv", "has no region the pack can see"),),
    ),
    Case(
        "redshift-snapshot-copy-to-us",
        lambda: stack(
            (
                "aws:redshift/snapshotCopy:SnapshotCopy",
                "copy",
                {"clusterIdentifier": "dw", "destinationRegion": US},
            )
        ),
        ((SNAP, "copy", f"destinationRegion is in 'us-east-1', {OUTSIDE}"),),
    ),
    Case(
        "docdb-global-cluster-unencrypted",
        lambda: stack(
            (
                "aws:docdb/globalCluster:GlobalCluster",
                "g",
                {"globalClusterIdentifier": "g", "storageEncrypted": False},
            )
        ),
        (("aws-rds-globalcluster-require-storage-encryption", "g", "storageEncrypted unset"),),
    ),
    # public exposure (advisory by default; mandatory in the production config)
    Case("access-block-alone-all-on", lambda: stack((PAB, "pab", {"bucket": "x", **ALL_FLAGS}))),
    Case(
        "access-block-alone-one-off",
        lambda: stack((PAB, "pab", {"bucket": "x", **ALL_FLAGS, "restrictPublicBuckets": False})),
        (
            (
                "aws-s3-bucketpublicaccessblock-require-all-flags",
                "pab",
                "leaves off: restrictPublicBuckets",
            ),
        ),
    ),
    Case(
        "account-access-block-unset-flag",
        lambda: stack(
            ("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "acct", ALL_FLAGS)
        ).set("acct", "blockPublicAcls", DELETE),
        (
            (
                "aws-s3-bucketpublicaccessblock-require-all-flags",
                "acct",
                "leaves off: blockPublicAcls",
            ),
        ),
    ),
    Case(
        "access-point-default-blocks",
        lambda: stack(("aws:s3/accessPoint:AccessPoint", "ap", {"bucket": "x"})),
    ),
    Case(
        "bucket-acl-public-read",
        lambda: stack(("aws:s3/bucketAcl:BucketAcl", "acl", {"bucket": "x", "acl": "public-read"})),
        (("aws-s3-bucketacl-disallow-public-acl", "acl", "grants the canned ACL 'public-read'"),),
    ),
    Case(
        "bucket-acl-private",
        lambda: stack(("aws:s3/bucketAcl:BucketAcl", "acl", {"bucket": "x", "acl": "private"})),
    ),
    Case(
        "redshift-public",
        lambda: stack(
            ("aws:redshift/cluster:Cluster", "dw", {**REDSHIFT_OK, "publiclyAccessible": True})
        ),
        (("aws-resource-disallow-publicly-accessible", "dw", "has publiclyAccessible true"),),
    ),
    Case(
        "secret-policy-without-block",
        lambda: stack(
            (
                "aws:secretsmanager/secretPolicy:SecretPolicy",
                "sp",
                {"secretArn": arn("secretsmanager", PRIMARY, "secret:x"), "policy": "{}"},
            )
        ),
        (
            (
                "aws-secretsmanager-secretpolicy-require-block-public-policy",
                "sp",
                "does not set blockPublicPolicy",
            ),
        ),
    ),
    Case(
        "secret-policy-blocks",
        lambda: stack(
            (
                "aws:secretsmanager/secretPolicy:SecretPolicy",
                "sp",
                {
                    "secretArn": arn("secretsmanager", PRIMARY, "secret:x"),
                    "policy": "{}",
                    "blockPublicPolicy": True,
                },
            )
        ),
    ),
    # access logging
    Case(
        "bucket-without-access-logs",
        lambda: stack(*_s3_baseline("data"), deps={}),
        (("aws-s3-bucket-enable-access-logging", "data", "has no server access logging"),),
        levels=LOGGING_ADVISORY,
    ),
    Case(
        "bucket-logging-to-log-bucket",
        lambda: stack(
            *_s3_baseline("data", "logs"),
            (
                "aws:s3/bucketLogging:BucketLogging",
                "data-logging",
                {"bucket": "data-eu", "targetBucket": "logs-eu"},
            ),
        ),
        levels=LOGGING_ADVISORY,
    ),
    Case(
        "load-balancer-without-access-logs",
        lambda: stack((LB, "alb", {"loadBalancerType": "application", "internal": True})),
        (("aws-lb-loadbalancer-enable-access-logs", "alb", "does not write access logs"),),
        levels=LOGGING_ADVISORY,
    ),
    Case(
        "load-balancer-with-access-logs",
        lambda: stack(
            *_s3_baseline("logs"),
            (
                LB,
                "alb",
                {
                    "loadBalancerType": "application",
                    "internal": True,
                    "accessLogs": {"bucket": "logs-eu", "enabled": True},
                },
            ),
        ),
        levels=LOGGING_ADVISORY,
    ),
]

CASES = _store_cases() + _transit_cases() + _global_cases() + HAND
PACK_CONFIG = load_policy_config(PACK_DIR / "config" / "pack.json")


def level_of(policy: str, case: Case) -> str:
    """The level the pack config gives ``policy`` (the engine's rule: config beats the rule)."""
    configured = case.levels.get(policy) or PACK_CONFIG.get(policy, {}).get("enforcementLevel")
    return str(configured or BY_NAME[policy].enforcement_level.value)


def _config(case: Case) -> dict[str, Any]:
    merged = {k: {**v, "properties": dict(v.get("properties", {}))} for k, v in PACK_CONFIG.items()}
    for policy, properties in case.config.items():
        entry = merged.setdefault(policy, {"properties": {}})
        entry["properties"].update(properties)
    for policy, level in case.levels.items():
        merged.setdefault(policy, {"properties": {}})["enforcementLevel"] = level
    return merged


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(pack: PolicyPackProcess, case: Case) -> None:
    pack.configure(_config(case))
    s = case.build()
    found = pack.analyze(s.records)
    got = sorted((v.policy, v.urn, v.level) for v in found)
    wanted = sorted((p, s.urn_of(name), level_of(p, case)) for p, name, _ in case.expect)
    assert got == wanted, [v.message for v in found]
    for (policy, name, fragment), v in zip(sorted(case.expect), _by_key(found, s), strict=True):
        assert (v.policy, v.urn) == (policy, s.urn_of(name))
        assert fragment in v.message, v.message


def _by_key(found: list[Violation], s: Stack) -> list[Violation]:
    names = {r["urn"]: r["name"] for r in s.records}
    return sorted(found, key=lambda v: (v.policy, names[v.urn]))


def test_every_rule_has_a_failing_case_here_or_in_the_stack_cases() -> None:
    from policies.gdpr_pack.operations import RULES as OPERATIONS  # test_operations_rules.py
    from tests.policies.test_lambda_mode_rules import CASES as LAMBDA_CASES
    from tests.policies.test_rules_protocol import CASES as STACK_CASES

    cases = CASES + LAMBDA_CASES
    failing = {p for c in cases for p, _, _ in c.expect} | {c.policy for c in STACK_CASES}
    assert failing | {r.name for r in OPERATIONS} == set(BY_NAME)


def test_every_new_rule_also_has_a_passing_case() -> None:
    from policies.gdpr_pack.operations import RULES as OPERATIONS  # test_operations_rules.py
    from tests.policies.test_lambda_mode_rules import CASES as LAMBDA_CASES
    from tests.policies.test_rules_protocol import CASES as STACK_CASES

    old = {c.policy for c in STACK_CASES} | {r.name for r in OPERATIONS}
    passing_types = {
        r["type"]
        for c in CASES + LAMBDA_CASES
        if not c.expect
        for r in c.build().records
        if r["custom"]
    }
    for name, rule in BY_NAME.items():
        if name in old:
            continue  # the compliant stack passes them
        assert rule.types & passing_types, name
