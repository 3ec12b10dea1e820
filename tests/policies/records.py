"""Resource records in the offline preview's format, and one compliant stack to mutate.

A record is what ``tools/preview.py`` hands the analyzer driver: camelCase inputs as the
engine would send them, the provider as ``<urn>::<id>``, property dependencies by URN.
"""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.gdpr_pack.log_delivery import S3_LOG_SERVICE, elb_log_principal
from policies.gdpr_pack.residency import CACHING_DISABLED
from policies.gdpr_pack.taggable import is_taggable

PROJECT = "gdpr-platform"
ROOT = pathlib.Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
ACCOUNT = "123456789012"
PRIMARY, SECONDARY = "eu-central-1", "eu-west-1"


def tags_for(stack: str, classification: str = "personal") -> dict[str, str]:
    return {
        "owner": "platform-team",
        "cost-center": "cc-1234",
        "environment": "production",
        "jurisdiction": stack,
        "data-classification": classification,
    }


def urn(stack: str, type_token: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_token}::{name}"


def arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG: SECRET, "value": value}


@dataclass
class Stack:
    """An ordered set of records, addressed by resource name."""

    name: str
    records: list[dict[str, Any]] = field(default_factory=list)

    def provider(self, region: str, inputs: Mapping[str, Any] | None = None) -> str:
        name = f"aws-{region}"
        self.records.append(
            {
                "urn": urn(self.name, "pulumi:providers:aws", name),
                "type": "pulumi:providers:aws",
                "name": name,
                "custom": True,
                "parent": None,
                "provider": None,
                "region": region,
                "inputs": {"region": region, "version": "7.51.1", **(inputs or {})},
                "dependencies": [],
                "propertyDependencies": {},
                "options": {},
            }
        )
        return name

    def add(
        self,
        type_token: str,
        name: str,
        inputs: Mapping[str, Any],
        *,
        region: str | None = PRIMARY,
        deps: Mapping[str, list[str]] | None = None,
        classification: str = "personal",
        custom: bool = True,
    ) -> str:
        """Add a resource; ``deps`` maps an input to the *names* of resources feeding it."""
        inputs = dict(inputs)
        if is_taggable(type_token) and "tags" not in inputs:
            inputs["tags"] = tags_for(self.name, classification)
        prop_deps = {k: [self.urn_of(n) for n in v] for k, v in (deps or {}).items()}
        provider = None
        if region is not None:
            provider_urn = urn(self.name, "pulumi:providers:aws", f"aws-{region}")
            provider = f"{provider_urn}::{region}-id"
        record = {
            "urn": urn(self.name, type_token, name),
            "type": type_token,
            "name": name,
            "custom": custom,
            "parent": None,
            "provider": provider,
            "region": region,
            "inputs": inputs,
            "dependencies": sorted({u for us in prop_deps.values() for u in us}),
            "propertyDependencies": prop_deps,
            "options": {"protect": False, "ignoreChanges": [], "additionalSecretOutputs": []},
        }
        self.records.append(record)
        return str(record["urn"])

    def urn_of(self, name: str) -> str:
        return str(self.get(name)["urn"])

    def get(self, name: str) -> dict[str, Any]:
        for record in self.records:
            if record["name"] == name:
                return record
        raise KeyError(name)

    def copy(self) -> Stack:
        return Stack(self.name, copy.deepcopy(self.records))

    def set(self, name: str, path: str, value: Any) -> Stack:
        """A copy with ``inputs.<path>`` (dot-separated, ints index lists) set; DELETE removes."""
        changed = self.copy()
        target: Any = changed.get(name)["inputs"]
        steps: list[str | int] = [int(s) if s.isdigit() else s for s in path.split(".")]
        for step in steps[:-1]:
            target = target[step]
        if value is DELETE:
            del target[steps[-1]]
        else:
            target[steps[-1]] = value
        return changed

    def remove(self, name: str) -> Stack:
        changed = self.copy()
        changed.records = [r for r in changed.records if r["name"] != name]
        return changed

    def set_record(self, name: str, key: str, value: Any) -> Stack:
        changed = self.copy()
        changed.get(name)[key] = value
        return changed


DELETE = object()


def log_policy(bucket: str, region: str) -> str:
    """An access-log bucket's policy: TLS only; ALB and S3 log delivery may put objects."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Effect": "Allow",
                    "Principal": elb_log_principal(region),
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/alb/AWSLogs/{ACCOUNT}/*",
                },
                {
                    "Effect": "Allow",
                    "Principal": {"Service": S3_LOG_SERVICE},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/s3/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                },
            ],
        }
    )


def compliant_stack(stack: str = "eu") -> Stack:
    """Every resource type the pack has a rule for, each configured the compliant way."""
    primary, secondary = (PRIMARY, SECONDARY) if stack == "eu" else ("us-east-1", "us-west-2")
    s = Stack(stack)
    s.provider(primary)
    s.provider(secondary)
    key = arn("kms", primary, "key/mrk-db")
    key2 = arn("kms", secondary, "key/mrk-db")
    queue_arn = arn("sqs", primary, "audit-dlq")

    # keys
    s.add(
        "aws:kms/key:Key",
        "db-key",
        {
            "enableKeyRotation": True,
            "multiRegion": True,
            "deletionWindowInDays": 30,
            "description": "database",
        },
        region=primary,
    )
    s.add(
        "aws:kms/replicaKey:ReplicaKey",
        "db-key-replica",
        {"primaryKeyArn": key, "deletionWindowInDays": 30},
        region=secondary,
        deps={"primaryKeyArn": ["db-key"]},
    )

    # Aurora global database
    s.add(
        "aws:rds/globalCluster:GlobalCluster",
        "shard-0",
        {
            "globalClusterIdentifier": "shard-0",
            "engine": "aurora-postgresql",
            "storageEncrypted": True,
            "deletionProtection": True,
        },
        region=primary,
    )
    for group, region in (("pg-tls", primary), ("pg-tls-secondary", secondary)):
        s.add(
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            group,
            {
                "family": "aurora-postgresql16",
                "name": group,
                "parameters": [
                    {"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"}
                ],
            },
            region=region,
        )
    cluster = {
        "engine": "aurora-postgresql",
        "storageEncrypted": True,
        "globalClusterIdentifier": "shard-0",
        "deletionProtection": True,
        "backupRetentionPeriod": 14,
        "copyTagsToSnapshot": True,
        "iamDatabaseAuthenticationEnabled": True,
        "masterPasswordWo": secret("s3cr3t"),
    }
    s.add(
        "aws:rds/cluster:Cluster",
        "shard-0-primary",
        {**cluster, "kmsKeyId": key, "dbClusterParameterGroupName": "pg-tls"},
        region=primary,
        deps={
            "globalClusterIdentifier": ["shard-0"],
            "kmsKeyId": ["db-key"],
            "dbClusterParameterGroupName": ["pg-tls"],
        },
    )
    s.add(
        "aws:rds/cluster:Cluster",
        "shard-0-secondary",
        {
            **{k: v for k, v in cluster.items() if k != "masterPasswordWo"},
            "kmsKeyId": key2,
            "sourceRegion": primary,
            "dbClusterParameterGroupName": "pg-tls-secondary",
        },
        region=secondary,
        deps={
            "globalClusterIdentifier": ["shard-0"],
            "dbClusterParameterGroupName": ["pg-tls-secondary"],
        },
    )
    s.add(
        "aws:rds/clusterInstance:ClusterInstance",
        "shard-0-writer",
        {
            "clusterIdentifier": UNKNOWN,
            "instanceClass": "db.r7g.large",
            "publiclyAccessible": False,
            "performanceInsightsEnabled": True,
            "performanceInsightsKmsKeyId": key,
        },
        region=primary,
        deps={"clusterIdentifier": ["shard-0-primary"]},
    )
    s.add(
        "aws:rds/snapshotCopy:SnapshotCopy",
        "nightly-copy",
        {
            "sourceDbSnapshotIdentifier": arn("rds", primary, "snapshot:nightly"),
            "targetDbSnapshotIdentifier": "nightly-copy",
            "destinationRegion": secondary,
            "kmsKeyId": key2,
        },
        region=secondary,
    )

    # secrets, queues, topics, logs, functions
    s.add(
        "aws:secretsmanager/secret:Secret",
        "db-master",
        {"kmsKeyId": key, "replicas": [{"region": secondary, "kmsKeyId": key2}]},
        region=primary,
    )
    s.add("aws:sqs/queue:Queue", "audit-dlq", {"kmsMasterKeyId": key}, region=primary)
    s.add("aws:sns/topic:Topic", "alarms", {"kmsMasterKeyId": key}, region=primary)
    s.add(
        "aws:sns/topicSubscription:TopicSubscription",
        "alarms-to-dlq",
        {"topic": arn("sns", primary, "alarms"), "protocol": "sqs", "endpoint": queue_arn},
        region=primary,
        deps={"topic": ["alarms"], "endpoint": ["audit-dlq"]},
    )
    s.add(
        "aws:cloudwatch/logGroup:LogGroup",
        "api-logs",
        {"kmsKeyId": key, "retentionInDays": 365},
        region=primary,
    )
    s.add(
        "aws:lambda/function:Function",
        "audit-shipper",
        {
            "name": "audit-shipper",
            "runtime": "python3.12",
            "kmsKeyArn": key,
            "environment": {"variables": {"BUCKET": "audit-eu"}},
            "deadLetterConfig": {"targetArn": queue_arn},
        },
        region=primary,
        deps={"deadLetterConfig": ["audit-dlq"]},
    )
    s.add(
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "shipper-events",
        {"functionName": "audit-shipper", "eventSourceArn": queue_arn},
        region=primary,
        deps={"functionName": ["audit-shipper"], "eventSourceArn": ["audit-dlq"]},
    )
    s.add(
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "shipper-async",
        {
            "functionName": "audit-shipper",
            "destinationConfig": {"onFailure": {"destination": queue_arn}},
        },
        region=primary,
        deps={"functionName": ["audit-shipper"], "destinationConfig": ["audit-dlq"]},
    )

    # S3: audit bucket replicated to the secondary region
    deny_http = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",'
        '"Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
    )
    buckets = (
        ("audit", primary),
        ("audit-replica", secondary),
        ("access-logs", primary),
        ("access-logs-replica", secondary),
    )
    for bucket, region in buckets:
        name = f"{bucket}-{stack}"
        k = key if region == primary else key2
        # Log delivery supports SSE-S3 only; the bucket admits nothing but log delivery.
        is_log = bucket.startswith("access-logs")
        sse: dict[str, object] = (
            {"sseAlgorithm": "AES256"}
            if is_log
            else {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": k}
        )
        s.add("aws:s3/bucket:Bucket", bucket, {"bucket": name}, region=region)
        s.add(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{bucket}-sse",
            {
                "bucket": name,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": sse,
                        "bucketKeyEnabled": not is_log,
                    }
                ],
            },
            region=region,
            deps={"bucket": [bucket]},
        )
        s.add(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{bucket}-pab",
            {
                "bucket": name,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            region=region,
            deps={"bucket": [bucket]},
        )
        s.add(
            "aws:s3/bucketPolicy:BucketPolicy",
            f"{bucket}-tls",
            {"bucket": name, "policy": log_policy(name, region) if is_log else deny_http},
            region=region,
            deps={"bucket": [bucket]},
        )
    for bucket, target in (("audit", "access-logs"), ("audit-replica", "access-logs-replica")):
        s.add(
            "aws:s3/bucketLogging:BucketLogging",
            f"{bucket}-logging",
            {"bucket": f"{bucket}-{stack}", "targetBucket": f"{target}-{stack}"},
            region=primary if target == "access-logs" else secondary,
            deps={"bucket": [bucket], "targetBucket": [target]},
        )
    s.add(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "audit-replication",
        {
            "bucket": f"audit-{stack}",
            "role": arn("iam", "", "role/replication"),
            "rules": [
                {
                    "id": "all",
                    "status": "Enabled",
                    "destination": {"bucket": f"arn:aws:s3:::audit-replica-{stack}"},
                }
            ],
        },
        region=primary,
        deps={"bucket": ["audit"], "rules": ["audit-replica"]},
    )

    # network
    s.add("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}, region=primary)
    s.add(
        "aws:ec2/flowLog:FlowLog",
        "vpc-flow",
        {
            "vpcId": UNKNOWN,
            "trafficType": "ALL",
            "logDestination": arn("logs", primary, "log-group:flow"),
        },
        region=primary,
        deps={"vpcId": ["vpc"]},
    )
    s.add(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "vpc-default-sg",
        {"vpcId": UNKNOWN},
        region=primary,
        deps={"vpcId": ["vpc"]},
    )
    s.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "lb-sg",
        {
            "vpcId": UNKNOWN,
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
            ],
        },
        region=primary,
        deps={"vpcId": ["vpc"]},
    )
    s.add(
        "aws:lb/loadBalancer:LoadBalancer",
        "api-lb",
        {
            "loadBalancerType": "application",
            "securityGroups": [UNKNOWN],
            "internal": False,
            "accessLogs": {"bucket": f"access-logs-{stack}", "enabled": True},
        },
        region=primary,
        deps={"securityGroups": ["lb-sg"], "accessLogs": ["access-logs"]},
    )
    s.add(
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "peer-secondary",
        {"vpcId": UNKNOWN, "peerVpcId": UNKNOWN, "peerRegion": secondary},
        region=primary,
    )
    s.add(
        "aws:ec2transitgateway/transitGateway:TransitGateway",
        "tgw",
        {"autoAcceptSharedAttachments": "disable"},
        region=primary,
    )
    s.add(
        "aws:ec2transitgateway/peeringAttachment:PeeringAttachment",
        "tgw-peer",
        {"transitGatewayId": UNKNOWN, "peerTransitGatewayId": UNKNOWN, "peerRegion": secondary},
        region=primary,
    )

    # backups, EBS
    s.add("aws:backup/vault:Vault", "vault-secondary", {"kmsKeyArn": key2}, region=secondary)
    s.add(
        "aws:backup/plan:Plan",
        "daily",
        {
            "rules": [
                {
                    "ruleName": "daily",
                    "targetVaultName": "main",
                    "copyActions": [
                        {"destinationVaultArn": arn("backup", secondary, "backup-vault:vault")}
                    ],
                }
            ]
        },
        region=primary,
    )
    s.add(
        "aws:ebs/volume:Volume",
        "data",
        {"availabilityZone": f"{primary}a", "size": 10, "encrypted": True, "kmsKeyId": key},
        region=primary,
    )
    s.add(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "nodes",
        {
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "ebs": {"encrypted": "true", "kmsKeyId": key, "volumeSize": 50},
                }
            ]
        },
        region=primary,
    )

    # EKS: the pulumi-eks component's inputs and a plain aws.eks.Cluster
    logs = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    s.add(
        "eks:index:Cluster",
        "api-cluster",
        {
            "encryptionConfigKeyArn": key,
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
            "enabledClusterLogTypes": logs,
            "skipDefaultNodeGroup": True,
        },
        region=None,
        custom=False,
    )
    s.add(
        "eks:index:ManagedNodeGroup",
        "api-nodes",
        {"cluster": UNKNOWN, "launchTemplate": {"id": UNKNOWN, "version": "$Latest"}},
        region=None,
        custom=False,
    )
    s.add(
        "aws:eks/cluster:Cluster",
        "raw-cluster",
        {
            "roleArn": arn("iam", "", "role/eks"),
            "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": key}},
            "vpcConfig": {
                "endpointPublicAccess": False,
                "endpointPrivateAccess": True,
                "subnetIds": [UNKNOWN],
            },
            "enabledClusterLogTypes": logs,
        },
        region=primary,
    )

    # IAM and CloudFront (global services: no region of their own)
    s.add("aws:iam/role:Role", "shipper-role", {"assumeRolePolicy": "{}"}, region=primary)
    s.add(
        "aws:iam/rolePolicy:RolePolicy",
        "shipper-s3",
        {
            "role": UNKNOWN,
            "policy": (
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],'
                '"Resource":"arn:aws:s3:::audit-eu/*"}]}'
            ),
        },
        region=primary,
    )
    s.add(
        "aws:cloudfront/vpcOrigin:VpcOrigin",
        "api-origin",
        {
            "vpcOriginEndpointConfig": {
                "arn": arn("elasticloadbalancing", primary, "loadbalancer/app/api/1"),
                "name": "api",
                "httpPort": 80,
                "httpsPort": 443,
                "originProtocolPolicy": "https-only",
                "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1},
            }
        },
        region=primary,
    )
    s.add(
        "aws:cloudfront/distribution:Distribution",
        "edge",
        {
            "enabled": True,
            "origins": [
                {
                    "originId": "api",
                    "domainName": "api.example.com",
                    "customOriginConfig": {
                        "originProtocolPolicy": "https-only",
                        "httpPort": 80,
                        "httpsPort": 443,
                        "originSslProtocols": ["TLSv1.2"],
                    },
                }
            ],
            "defaultCacheBehavior": {
                "targetOriginId": "api",
                "viewerProtocolPolicy": "redirect-to-https",
                "cachePolicyId": CACHING_DISABLED,
            },
            "orderedCacheBehaviors": [
                {
                    "pathPattern": "/v1/*",
                    "targetOriginId": "api",
                    "viewerProtocolPolicy": "https-only",
                    "cachePolicyId": CACHING_DISABLED,
                }
            ],
            "viewerCertificate": {
                "acmCertificateArn": arn("acm", "us-east-1", "certificate/x"),
                "minimumProtocolVersion": "TLSv1.2_2021",
                "sslSupportMethod": "sni-only",
            },
        },
        region=primary,
    )
    return s
