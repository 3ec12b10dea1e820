"""Each rule, through the analyzer protocol against the real pack process.

One compliant stack (``records.compliant_stack``) passes every rule; each case changes one
thing in it and asserts the exact violation that results, and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from policies.gdpr_pack.log_delivery import elb_log_principal
from policies.gdpr_pack.pack import BY_NAME
from tests.policies.records import (
    DELETE,
    PACK_DIR,
    UNKNOWN,
    Stack,
    arn,
    compliant_stack,
    secret,
    tags_for,
)
from tools.policy_client import PolicyPackProcess, Violation, load_policy_config

EU = compliant_stack("eu")
US_EAST = "us-east-1"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _with_cache_policy(s: Stack, *, max_ttl: int) -> Stack:
    s = s.copy()
    ttls = {"minTtl": 0, "defaultTtl": 0 if max_ttl == 0 else 60, "maxTtl": max_ttl}
    s.add(
        "aws:cloudfront/cachePolicy:CachePolicy", "api-no-cache", {"name": "api-no-cache", **ttls}
    )
    return s


def message(policy: str, problem: str) -> str:
    rule = BY_NAME[policy]
    return f"{rule.description}\n{rule.message(problem)}"


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Stack], Stack]
    policy: str
    resource: str
    problem: str
    level: str = "mandatory"
    #: further (policy, resource, problem) the same change rightly causes
    also: tuple[tuple[str, str, str], ...] = ()


def _set(name: str, path: str, value: object) -> Callable[[Stack], Stack]:
    return lambda s: s.set(name, path, value)


def _remove(name: str) -> Callable[[Stack], Stack]:
    return lambda s: s.remove(name)


def _deps(name: str, deps: dict[str, list[str]]) -> Callable[[Stack], Stack]:
    return lambda s: s.set_record(
        name, "propertyDependencies", {k: [s.urn_of(n) for n in v] for k, v in deps.items()}
    )


def _grant_put(s: Stack, policy: str, principal: object) -> Stack:
    doc = json.loads(s.get(policy)["inputs"]["policy"])
    doc["Statement"].append(
        {"Effect": "Allow", "Principal": principal, "Action": "s3:PutObject", "Resource": "*"}
    )
    return s.set(policy, "policy", json.dumps(doc))


def _elb_service_principal(s: Stack) -> Stack:
    doc = json.loads(s.get("access-logs-tls")["inputs"]["policy"])
    doc["Statement"][1]["Principal"] = elb_log_principal("eu-south-2")
    return s.set("access-logs-tls", "policy", json.dumps(doc))


def _then(*steps: Callable[[Stack], Stack]) -> Callable[[Stack], Stack]:
    def run(s: Stack) -> Stack:
        for step in steps:
            s = step(s)
        return s

    return run


S3_LOGS = "aws-s3-bucket-enable-access-logging"
REGION = "aws-resource-require-region-in-jurisdiction"
RDS_REPL = "aws-rds-cluster-require-replication-in-jurisdiction"
S3_REPL = "aws-s3-bucketreplicationconfig-require-destination-in-jurisdiction"
SECRET_REPL = "aws-secretsmanager-secret-require-replicas-in-jurisdiction"
KMS_REPL = "aws-kms-replicakey-require-primary-in-jurisdiction"
EU_REGIONS = "eu (eu-central-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-3)"

RESIDENCY = [
    Case(
        "region-us",
        _set("audit-dlq", "region", US_EAST),
        REGION,
        "audit-dlq",
        f"aws:sqs/queue:Queue 'audit-dlq' is in 'us-east-1', outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "region-london",
        _set("audit-dlq", "region", "eu-west-2"),
        REGION,
        "audit-dlq",
        f"aws:sqs/queue:Queue 'audit-dlq' is in 'eu-west-2', outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "region-eu-prefix-not-eu",
        _set("audit-dlq", "region", "eu-isoe-west-1"),
        REGION,
        "audit-dlq",
        "aws:sqs/queue:Queue 'audit-dlq' is in 'eu-isoe-west-1', outside jurisdiction "
        f"{EU_REGIONS}",
    ),
    Case(
        "region-unknown",
        _set("audit-dlq", "region", UNKNOWN),
        REGION,
        "audit-dlq",
        "aws:sqs/queue:Queue 'audit-dlq': region is unknown at preview; residency fails closed",
    ),
    Case(
        "region-none",
        lambda s: s.set_record("audit-dlq", "provider", None),
        REGION,
        "audit-dlq",
        "aws:sqs/queue:Queue 'audit-dlq' has no region the pack can see (no own 'region' and no "
        "provider 'region'); residency fails closed",
    ),
    Case(
        "regional-web-acl-in-the-edge-region",
        lambda s: _add_edge_certificate(s).set("edge-acl", "scope", "REGIONAL"),
        REGION,
        "edge-acl",
        f"aws:wafv2/webAcl:WebAcl 'edge-acl' is in 'us-east-1', outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "aurora-source-region",
        _set("shard-0-secondary", "sourceRegion", US_EAST),
        RDS_REPL,
        "shard-0-secondary",
        f"aws:rds/cluster:Cluster 'shard-0-secondary': sourceRegion is in 'us-east-1', outside "
        f"jurisdiction {EU_REGIONS}",
    ),
    Case(
        "aurora-source-region-unknown",
        _set("shard-0-secondary", "sourceRegion", UNKNOWN),
        RDS_REPL,
        "shard-0-secondary",
        "aws:rds/cluster:Cluster 'shard-0-secondary': sourceRegion: region is unknown at preview; "
        "residency fails closed",
    ),
    Case(
        "aurora-foreign-global-cluster",
        _then(
            _set("shard-0-secondary", "globalClusterIdentifier", "us-shard-0"),
            _deps("shard-0-secondary", {"dbClusterParameterGroupName": ["pg-tls-secondary"]}),
        ),
        RDS_REPL,
        "shard-0-secondary",
        "aws:rds/cluster:Cluster 'shard-0-secondary' joins global cluster 'us-shard-0' that is not "
        "declared in this stack, so where its other members live cannot be checked",
    ),
    Case(
        "s3-replication-foreign-bucket",
        _then(
            _set("audit-replication", "rules.0.destination.bucket", "arn:aws:s3:::someone-else"),
            _deps("audit-replication", {"bucket": ["audit"]}),
        ),
        S3_REPL,
        "audit-replication",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig 'audit-replication' rule 0 "
        "destination 'arn:aws:s3:::someone-else' is not a bucket of this stack, so its region "
        "cannot be checked; residency fails closed",
    ),
    Case(
        "s3-replication-unknown-destination",
        _then(
            _set("audit-replication", "rules.0.destination.bucket", UNKNOWN),
            _deps("audit-replication", {"bucket": ["audit"]}),
        ),
        S3_REPL,
        "audit-replication",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig 'audit-replication' rule 0 "
        "destination unknown at preview is not a bucket of this stack, so its region cannot be "
        "checked; residency fails closed",
    ),
    Case(
        "secret-replica-region",
        _set("db-master", "replicas.0.region", US_EAST),
        SECRET_REPL,
        "db-master",
        f"secret 'db-master' replica 0 is in 'us-east-1', outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "secret-replica-unknown",
        _set("db-master", "replicas.0.region", UNKNOWN),
        SECRET_REPL,
        "db-master",
        "secret 'db-master' replica 0: region is unknown at preview; residency fails closed",
    ),
    Case(
        "kms-primary-foreign",
        _then(
            _set("db-key-replica", "primaryKeyArn", arn("kms", US_EAST, "key/mrk-x")),
            _deps("db-key-replica", {}),
        ),
        KMS_REPL,
        "db-key-replica",
        f"aws:kms/replicaKey:ReplicaKey 'db-key-replica': primary key is in 'us-east-1', outside "
        f"jurisdiction {EU_REGIONS}",
    ),
    Case(
        "kms-primary-unknown-unresolved",
        _then(_set("db-key-replica", "primaryKeyArn", UNKNOWN), _deps("db-key-replica", {})),
        KMS_REPL,
        "db-key-replica",
        "aws:kms/replicaKey:ReplicaKey 'db-key-replica': primary key: region is unknown at "
        "preview; "
        "residency fails closed",
    ),
    Case(
        "vpc-peering-peer",
        _set("peer-secondary", "peerRegion", "us-west-2"),
        "aws-ec2-vpcpeeringconnection-require-peer-in-jurisdiction",
        "peer-secondary",
        f"VPC peering 'peer-secondary': peer is in 'us-west-2', outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "vpc-peering-unknown",
        _set("peer-secondary", "peerRegion", UNKNOWN),
        "aws-ec2-vpcpeeringconnection-require-peer-in-jurisdiction",
        "peer-secondary",
        "VPC peering 'peer-secondary': peer: region is unknown at preview; residency fails closed",
    ),
    Case(
        "tgw-peering-peer",
        _set("tgw-peer", "peerRegion", "eu-central-2"),
        "aws-ec2transitgateway-peeringattachment-require-peer-in-jurisdiction",
        "tgw-peer",
        "transit gateway peering 'tgw-peer': peer is in 'eu-central-2', outside jurisdiction "
        f"{EU_REGIONS}",
    ),
    Case(
        "backup-copy-foreign-vault",
        _set(
            "daily",
            "rules.0.copyActions.0.destinationVaultArn",
            arn("backup", US_EAST, "backup-vault:x"),
        ),
        "aws-backup-plan-require-copy-destination-in-jurisdiction",
        "daily",
        f"backup plan 'daily' rule 0 copy 0 destination vault is in 'us-east-1', outside "
        f"jurisdiction {EU_REGIONS}",
    ),
    Case(
        "snapshot-copy-destination",
        _set("nightly-copy", "destinationRegion", US_EAST),
        "aws-snapshotcopy-require-regions-in-jurisdiction",
        "nightly-copy",
        f"aws:rds/snapshotCopy:SnapshotCopy 'nightly-copy': destinationRegion is in 'us-east-1', "
        f"outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "lambda-dlq-foreign",
        _then(
            _set("audit-shipper", "deadLetterConfig.targetArn", arn("sqs", US_EAST, "central")),
            _deps("audit-shipper", {}),
        ),
        "aws-lambda-function-require-event-paths-in-jurisdiction",
        "audit-shipper",
        f"aws:lambda/function:Function 'audit-shipper': dead-letter target is in 'us-east-1', "
        f"outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "lambda-destination-foreign",
        _then(
            _set(
                "shipper-async", "destinationConfig.onFailure.destination", arn("sqs", US_EAST, "x")
            ),
            _deps("shipper-async", {"functionName": ["audit-shipper"]}),
        ),
        "aws-lambda-function-require-event-paths-in-jurisdiction",
        "shipper-async",
        f"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig 'shipper-async': "
        f"onFailure destination is in 'us-east-1', outside jurisdiction {EU_REGIONS}",
    ),
    Case(
        "sns-endpoint-foreign",
        _then(
            _set("alarms-to-dlq", "endpoint", arn("sqs", US_EAST, "central")),
            _deps("alarms-to-dlq", {"topic": ["alarms"]}),
        ),
        "aws-sns-topicsubscription-require-endpoint-in-jurisdiction",
        "alarms-to-dlq",
        "SNS subscription 'alarms-to-dlq': endpoint is in 'us-east-1', outside jurisdiction "
        f"{EU_REGIONS}",
    ),
    Case(
        "cloudfront-caches-api",
        _set("edge", "orderedCacheBehaviors.0.cachePolicyId", CACHING_OPTIMIZED),
        "aws-cloudfront-distribution-disallow-caching-personal-api",
        "edge",
        "distribution 'edge' caches API path '/v1/*' (personal data would rest in edge caches "
        "outside the jurisdiction)",
    ),
    Case(
        "cloudfront-default-behaviour-caches-api",
        _then(
            _set("edge", "orderedCacheBehaviors", []),
            _set("edge", "defaultCacheBehavior.cachePolicyId", CACHING_OPTIMIZED),
        ),
        "aws-cloudfront-distribution-disallow-caching-personal-api",
        "edge",
        "distribution 'edge' serves API path '/v1/*' from its default behaviour, which caches "
        "(personal data would rest in edge caches outside the jurisdiction)",
    ),
    Case(
        "cloudfront-stack-cache-policy-caches",
        _then(
            lambda s: _with_cache_policy(s, max_ttl=3600),
            _set("edge", "orderedCacheBehaviors.0.cachePolicyId", UNKNOWN),
            _deps("edge", {"orderedCacheBehaviors": ["api-no-cache"]}),
        ),
        "aws-cloudfront-distribution-disallow-caching-personal-api",
        "edge",
        "distribution 'edge' caches API path '/v1/*' (personal data would rest in edge caches "
        "outside the jurisdiction)",
    ),
]

ENCRYPTION = [
    Case(
        "aurora-unencrypted",
        _set("shard-0-primary", "storageEncrypted", False),
        "aws-rds-cluster-require-cmk-encryption",
        "shard-0-primary",
        "Aurora cluster 'shard-0-primary' has storageEncrypted unset or false (provisioned "
        "default: false)",
    ),
    Case(
        "aurora-aws-managed-key",
        _set("shard-0-primary", "kmsKeyId", "alias/aws/rds"),
        "aws-rds-cluster-require-cmk-encryption",
        "shard-0-primary",
        "Aurora cluster 'shard-0-primary' uses the AWS-managed key 'alias/aws/rds' (kmsKeyId)",
    ),
    Case(
        "aurora-no-key",
        _set("shard-0-secondary", "kmsKeyId", DELETE),
        "aws-rds-cluster-require-cmk-encryption",
        "shard-0-secondary",
        "Aurora cluster 'shard-0-secondary' has no customer-managed KMS key (kmsKeyId is not set)",
    ),
    Case(
        "global-cluster-unencrypted",
        _set("shard-0", "storageEncrypted", DELETE),
        "aws-rds-globalcluster-require-storage-encryption",
        "shard-0",
        "global cluster 'shard-0' has storageEncrypted unset or false",
    ),
    Case(
        "performance-insights-default-key",
        _set("shard-0-writer", "performanceInsightsKmsKeyId", DELETE),
        "aws-rds-performanceinsights-require-cmk",
        "shard-0-writer",
        "ClusterInstance 'shard-0-writer' Performance Insights has no customer-managed KMS key "
        "(performanceInsightsKmsKeyId is not set)",
    ),
    Case(
        "secret-default-key",
        _set("db-master", "kmsKeyId", DELETE),
        "aws-secretsmanager-secret-require-cmk",
        "db-master",
        "secret 'db-master' has no customer-managed KMS key (kmsKeyId is not set)",
    ),
    Case(
        "secret-replica-default-key",
        _set("db-master", "replicas.0.kmsKeyId", DELETE),
        "aws-secretsmanager-secret-require-cmk",
        "db-master",
        "secret 'db-master' replica 0 has no customer-managed KMS key (replicas[].kmsKeyId is "
        "not set)",
    ),
    Case(
        "sqs-aws-managed",
        _set("audit-dlq", "kmsMasterKeyId", "alias/aws/sqs"),
        "aws-sqs-queue-require-cmk",
        "audit-dlq",
        "SQS queue 'audit-dlq' uses the AWS-managed key 'alias/aws/sqs' (kmsMasterKeyId)",
    ),
    Case(
        "sns-no-key",
        _set("alarms", "kmsMasterKeyId", DELETE),
        "aws-sns-topic-require-cmk",
        "alarms",
        "SNS topic 'alarms' has no customer-managed KMS key (kmsMasterKeyId is not set)",
    ),
    Case(
        "log-group-no-key",
        _set("api-logs", "kmsKeyId", DELETE),
        "aws-cloudwatch-loggroup-require-cmk",
        "api-logs",
        "log group 'api-logs' has no customer-managed KMS key (kmsKeyId is not set)",
    ),
    Case(
        "lambda-env-no-key",
        _set("audit-shipper", "kmsKeyArn", DELETE),
        "aws-lambda-function-require-environment-cmk",
        "audit-shipper",
        "function 'audit-shipper' environment has no customer-managed KMS key (kmsKeyArn is not "
        "set)",
    ),
    Case(
        "s3-sse-s3",
        _set("audit-sse", "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"),
        "aws-s3-bucketserversideencryptionconfiguration-require-cmk",
        "audit-sse",
        "bucket encryption 'audit-sse' rule 0 uses sseAlgorithm 'AES256', not aws:kms",
    ),
    Case(
        "s3-log-bucket-sse-s3-writable-by-another-principal",
        lambda s: _grant_put(s, "access-logs-tls", {"AWS": arn("iam", "", "role/api")}),
        "aws-s3-bucketserversideencryptionconfiguration-require-cmk",
        "access-logs-sse",
        "bucket encryption 'access-logs-sse' rule 0 uses sseAlgorithm 'AES256', not aws:kms",
    ),
    Case(
        "s3-sse-s3-on-a-bucket-nothing-logs-to",
        _remove("audit-replica-logging"),
        "aws-s3-bucketserversideencryptionconfiguration-require-cmk",
        "access-logs-replica-sse",
        "bucket encryption 'access-logs-replica-sse' rule 0 uses sseAlgorithm 'AES256', not "
        "aws:kms",
        also=(
            (S3_LOGS, "audit-replica", "bucket 'audit-replica' has no server access logging"),
            (
                S3_LOGS,
                "access-logs-replica",
                "bucket 'access-logs-replica' has no server access logging",
            ),
        ),
    ),
    Case(
        "s3-bucket-without-encryption",
        _remove("audit-sse"),
        "aws-s3-bucket-require-cmk-encryption",
        "audit",
        "bucket 'audit' has no BucketServerSideEncryptionConfiguration in this stack (S3 "
        "would fall back to SSE-S3, not a CMK)",
    ),
    Case(
        "s3-bucket-without-tls-policy",
        _remove("audit-tls"),
        "aws-s3-bucket-require-tls-policy",
        "audit",
        "bucket 'audit' has no bucket policy denying requests without TLS",
    ),
    Case(
        "eks-component-no-secrets-key",
        _set("api-cluster", "encryptionConfigKeyArn", DELETE),
        "aws-eks-cluster-require-secrets-encryption",
        "api-cluster",
        "EKS cluster 'api-cluster' has no customer-managed KMS key (encryptionConfigKeyArn is "
        "not set)",
    ),
    Case(
        "eks-cluster-no-secrets-resource",
        _set("raw-cluster", "encryptionConfig.resources", []),
        "aws-eks-cluster-require-secrets-encryption",
        "raw-cluster",
        "EKS cluster 'raw-cluster' encryptionConfig does not cover 'secrets'",
    ),
    Case(
        "ebs-unencrypted",
        _set("data", "encrypted", False),
        "aws-ebs-volume-require-cmk-encryption",
        "data",
        "Volume 'data' is not encrypted",
    ),
    Case(
        "launch-template-unencrypted",
        _set("nodes", "blockDeviceMappings.0.ebs.encrypted", "false"),
        "aws-ebs-volume-require-cmk-encryption",
        "nodes",
        "LaunchTemplate 'nodes' block device 0 is not encrypted",
    ),
    Case(
        "kms-no-rotation",
        _set("db-key", "enableKeyRotation", False),
        "aws-kms-key-enable-rotation",
        "db-key",
        "KMS key 'db-key' has enableKeyRotation unset or false",
    ),
    Case(
        "kms-slow-rotation",
        _set("db-key", "rotationPeriodInDays", 730),
        "aws-kms-key-enable-rotation",
        "db-key",
        "KMS key 'db-key' rotates every 730 days, more than 365",
    ),
    Case(
        "kms-short-deletion-window",
        _set("db-key", "deletionWindowInDays", 7),
        "aws-kms-key-configure-deletion-safety",
        "db-key",
        "KMS key 'db-key' deletion window is 7 days, less than 14",
    ),
    Case(
        "kms-lockout-bypass",
        _set("db-key", "bypassPolicyLockoutSafetyCheck", True),
        "aws-kms-key-configure-deletion-safety",
        "db-key",
        "KMS key 'db-key' bypasses the policy lockout safety check",
    ),
    Case(
        "rds-force-ssl-off",
        _set("pg-tls", "parameters.0.value", "0"),
        "aws-rds-parametergroup-require-force-ssl",
        "pg-tls",
        "parameter group 'pg-tls' (aurora-postgresql16) does not set rds.force_ssl=1",
        also=(
            (
                "aws-rds-cluster-require-tls-parameter-group",
                "shard-0-primary",
                "Aurora cluster 'shard-0-primary' does not use a cluster parameter group of this "
                "stack with rds.force_ssl=1",
            ),
        ),
    ),
    Case(
        "aurora-default-parameter-group",
        _then(
            _set("shard-0-primary", "dbClusterParameterGroupName", "default.aurora-postgresql16"),
            _deps("shard-0-primary", {"globalClusterIdentifier": ["shard-0"]}),
        ),
        "aws-rds-cluster-require-tls-parameter-group",
        "shard-0-primary",
        "Aurora cluster 'shard-0-primary' does not use a cluster parameter group of this stack "
        "with "
        "rds.force_ssl=1",
    ),
    Case(
        "cloudfront-vpc-origin-http",
        _set("api-origin", "vpcOriginEndpointConfig.originProtocolPolicy", "http-only"),
        "aws-cloudfront-distribution-require-https",
        "api-origin",
        "VPC origin 'api-origin' is reached without HTTPS only ('http-only')",
    ),
    Case(
        "aurora-managed-password-default-key",
        _set("shard-0-primary", "manageMasterUserPassword", True),
        "aws-rds-cluster-require-cmk-encryption",
        "shard-0-primary",
        "Aurora cluster 'shard-0-primary' master user secret has no customer-managed KMS key "
        "(masterUserSecretKmsKeyId is not set)",
    ),
    Case(
        "cloudfront-http",
        _set("edge", "defaultCacheBehavior.viewerProtocolPolicy", "allow-all"),
        "aws-cloudfront-distribution-require-https",
        "edge",
        "distribution 'edge' behaviour 'default' allows viewers over HTTP ('allow-all')",
    ),
]

TAGS = [
    Case(
        "tag-missing",
        _set("audit-dlq", "tags.owner", DELETE),
        "aws-resource-require-tags",
        "audit-dlq",
        "aws:sqs/queue:Queue 'audit-dlq' is missing tag(s): owner",
    ),
    Case(
        "tag-value",
        _set("audit-dlq", "tags.data-classification", "secret"),
        "aws-resource-require-allowed-tag-values",
        "audit-dlq",
        "aws:sqs/queue:Queue 'audit-dlq' tag data-classification='secret' is not one of personal, "
        "pseudonymized, aggregate, internal, public",
    ),
    Case(
        "tag-jurisdiction",
        _set("audit-dlq", "tags.jurisdiction", "us"),
        "aws-resource-require-jurisdiction-tag-match",
        "audit-dlq",
        "aws:sqs/queue:Queue 'audit-dlq' has tag jurisdiction='us' in a 'eu' stack",
    ),
    Case(
        "tag-on-component",
        _set("api-cluster", "tags.environment", DELETE),
        "aws-resource-require-tags",
        "api-cluster",
        "eks:index:Cluster 'api-cluster' is missing tag(s): environment",
    ),
]

BASELINE = [
    Case(
        "db-public",
        _set("shard-0-writer", "publiclyAccessible", True),
        "aws-rds-instance-disallow-public-access",
        "shard-0-writer",
        "ClusterInstance 'shard-0-writer' is publicly accessible",
    ),
    Case(
        "db-deletion-protection",
        _set("shard-0-primary", "deletionProtection", False),
        "aws-rds-cluster-enable-deletion-protection",
        "shard-0-primary",
        "Cluster 'shard-0-primary' has deletionProtection unset or false",
    ),
    Case(
        "db-backups",
        _set("shard-0-primary", "backupRetentionPeriod", DELETE),
        "aws-rds-cluster-configure-backups",
        "shard-0-primary",
        "Cluster 'shard-0-primary' keeps backups unset (AWS default 1) days, less than 7",
    ),
    Case(
        "eks-public-endpoint-default",
        _set("api-cluster", "endpointPublicAccess", DELETE),
        "aws-eks-cluster-disallow-public-endpoint",
        "api-cluster",
        "EKS cluster 'api-cluster' endpointPublicAccess is unset (default: public)",
    ),
    Case(
        "eks-public-endpoint",
        _set("raw-cluster", "vpcConfig.endpointPublicAccess", True),
        "aws-eks-cluster-disallow-public-endpoint",
        "raw-cluster",
        "EKS cluster 'raw-cluster' endpointPublicAccess is true",
    ),
    Case(
        "eks-logs",
        _set("api-cluster", "enabledClusterLogTypes", ["api"]),
        "aws-eks-cluster-enable-control-plane-logs",
        "api-cluster",
        "EKS cluster 'api-cluster' does not log control-plane types: audit, authenticator",
    ),
    Case(
        "vpc-no-flow-log",
        _remove("vpc-flow"),
        "aws-ec2-vpc-enable-flow-logs",
        "vpc",
        "VPC 'vpc' has no flow log",
    ),
    Case(
        "vpc-default-sg-open",
        _remove("vpc-default-sg"),
        "aws-ec2-vpc-require-closed-default-security-group",
        "vpc",
        "VPC 'vpc' leaves its default security group open (no DefaultSecurityGroup resource "
        "takes it over)",
    ),
    Case(
        "vpc-default-sg-rules",
        _set(
            "vpc-default-sg",
            "ingress",
            [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
        ),
        "aws-ec2-vpc-require-closed-default-security-group",
        "vpc-default-sg",
        "default security group 'vpc-default-sg' has rules",
    ),
    Case(
        "sg-public-ssh",
        _set("lb-sg", "ingress.0.fromPort", 22),
        "aws-ec2-securitygroup-disallow-public-ingress",
        "lb-sg",
        "SecurityGroup 'lb-sg' opens port(s) 22-443 to the internet",
    ),
    Case(
        "sg-public-443-without-lb",
        _remove("api-lb"),
        "aws-ec2-securitygroup-disallow-public-ingress",
        "lb-sg",
        "SecurityGroup 'lb-sg' opens port(s) 443 to the internet on a security group that fronts "
        "no load balancer",
    ),
    Case(
        "iam-admin",
        _set(
            "shipper-s3", "policy", '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
        ),
        "aws-iam-policy-disallow-wildcard-admin",
        "shipper-s3",
        "IAM policy 'shipper-s3' statement 0 allows every action on every resource",
    ),
    Case(
        "s3-public-policy",
        _set("audit-pab", "blockPublicPolicy", False),
        "aws-s3-bucket-require-public-access-block",
        "audit",
        "bucket 'audit' public access block leaves off: blockPublicPolicy",
        also=(
            (
                "aws-s3-bucketpublicaccessblock-require-all-flags",
                "audit-pab",
                "BucketPublicAccessBlock 'audit-pab' leaves off: blockPublicPolicy",
            ),
        ),
    ),
    Case(
        "s3-no-public-access-block",
        _remove("audit-replica-pab"),
        "aws-s3-bucket-require-public-access-block",
        "audit-replica",
        "bucket 'audit-replica' has no public access block",
    ),
    Case(
        "log-retention-forever",
        _set("api-logs", "retentionInDays", DELETE),
        "aws-cloudwatch-loggroup-configure-retention",
        "api-logs",
        "log group 'api-logs' keeps logs forever (retentionInDays unset)",
    ),
    Case(
        "tgw-auto-accept",
        _set("tgw", "autoAcceptSharedAttachments", "enable"),
        "aws-ec2transitgateway-disable-auto-accept",
        "tgw",
        "transit gateway 'tgw' auto-accepts shared attachments",
    ),
]

CASES = RESIDENCY + ENCRYPTION + TAGS + BASELINE


@pytest.fixture(scope="module")
def eu_pack(pack: PolicyPackProcess) -> PolicyPackProcess:
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    return pack


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_change_one_violation(eu_pack: PolicyPackProcess, case: Case) -> None:
    mutated = case.mutate(EU)
    expected = [
        Violation(policy, mutated.urn_of(resource), message(policy, problem), case.level)
        for policy, resource, problem in [(case.policy, case.resource, case.problem), *case.also]
    ]
    assert eu_pack.analyze(mutated.records) == sorted(expected)


def test_every_rule_of_this_file_is_a_known_rule() -> None:
    # every rule's failing case: here or in test_coverage_protocol.py (which checks the union)
    assert {c.policy for c in CASES} <= set(BY_NAME)


# -- passing variations: the compliant stack changed in ways the rules must accept -------

PASSING = {
    "adequacy-off-but-in-eu": _set("audit-dlq", "region", "eu-north-1"),
    "kms-primary-unknown-resolved-by-dependency": _set("db-key-replica", "primaryKeyArn", UNKNOWN),
    "s3-replication-cross-border-pseudonymized": _then(
        _set("audit-replication", "rules.0.destination.bucket", "arn:aws:s3:::central-us"),
        _deps("audit-replication", {"bucket": ["audit"]}),
        _set("audit", "tags", tags_for("eu", "pseudonymized")),
    ),
    "lambda-dlq-cross-border-aggregate": _then(
        _set("audit-shipper", "deadLetterConfig.targetArn", arn("sqs", US_EAST, "central")),
        _deps("audit-shipper", {}),
        _set("audit-shipper", "tags", tags_for("eu", "aggregate")),
    ),
    "cloudfront-public-content-may-cache": _then(
        _set("edge", "tags", tags_for("eu", "public")),
        _set("edge", "orderedCacheBehaviors.0.cachePolicyId", CACHING_OPTIMIZED),
    ),
    "acm-certificate-for-cloudfront-in-us-east-1": lambda s: _add_edge_certificate(s),
    "provider-default-tags": lambda s: _tags_from_provider(s),
    "same-region-peering": _set("peer-secondary", "peerRegion", DELETE),
    "secret-inputs-are-read-through": lambda s: s.set(
        "audit-tls", "policy", secret(s.get("audit-tls")["inputs"]["policy"])
    ),
    "cloudfront-api-on-a-non-caching-default-behaviour": _set("edge", "orderedCacheBehaviors", []),
    "cloudfront-stack-cache-policy-without-caching": _then(
        lambda s: _with_cache_policy(s, max_ttl=0),
        _set("edge", "orderedCacheBehaviors.0.cachePolicyId", "api-no-cache-id"),
        _deps("edge", {"orderedCacheBehaviors": ["api-no-cache"]}),
    ),
    "log-bucket-for-a-region-with-the-elb-service-principal": _elb_service_principal,
    "asymmetric-key-without-rotation": _then(
        _set("db-key", "customerMasterKeySpec", "RSA_2048"),
        _set("db-key", "enableKeyRotation", False),
    ),
}


def _add_edge_certificate(s: Stack) -> Stack:
    s = s.copy()
    s.provider(US_EAST)
    s.add(
        "aws:acm/certificate:Certificate",
        "edge-cert",
        {"domainName": "example.com"},
        region=US_EAST,
    )
    s.add("aws:wafv2/webAcl:WebAcl", "edge-acl", {"scope": "CLOUDFRONT"}, region=US_EAST)
    return s


def _tags_from_provider(s: Stack) -> Stack:
    s = s.set("aws-eu-central-1", "defaultTags", '{"tags":{"owner":"platform-team"}}')
    return s.set("audit-dlq", "tags.owner", DELETE)


@pytest.mark.parametrize("change", PASSING.values(), ids=list(PASSING))
def test_accepted_variations_pass(
    eu_pack: PolicyPackProcess, change: Callable[[Stack], Stack]
) -> None:
    assert eu_pack.analyze(change(EU).records) == []
