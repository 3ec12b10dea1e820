"""Encryption: customer-managed KMS keys wherever data rests, key hygiene, TLS in transit.

"CMK" means a key the stack manages: never an AWS-managed ``alias/aws/...`` key and never the
service's default encryption (which a missing key id means).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .context import ResourceView, StackView
from .log_delivery import SSE_S3, is_access_log_bucket, refers_to
from .rule import Rule, each
from .values import as_list, get, is_aws_managed_key, is_unknown, known, truthy

GROUP = "encryption"


def cmk_problem(what: str, key: Any, path: str) -> str | None:
    """None when ``key`` names a customer-managed key; raises (advisory) when unknown."""
    if key is None or key == "":
        return f"{what} has no customer-managed KMS key ({path} is not set)"
    if is_unknown(key):
        return None  # an unknown key id is an output of a key resource: a CMK
    if is_aws_managed_key(key):
        return f"{what} uses the AWS-managed key {key!r} ({path})"
    return None


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _one(problem: str | None) -> list[str]:
    return [problem] if problem else []


# -- Aurora ----------------------------------------------------------------------------


def check_rds_cluster(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    what = f"Aurora cluster {res.name!r}"
    problems = []
    if not truthy(known(res.props.get("storageEncrypted"), "storageEncrypted")):
        problems.append(f"{what} has storageEncrypted unset or false (provisioned default: false)")
    problems += _one(cmk_problem(what, res.props.get("kmsKeyId"), "kmsKeyId"))
    if truthy(res.props.get("manageMasterUserPassword"), "manageMasterUserPassword"):
        key = res.props.get("masterUserSecretKmsKeyId")
        problems += _one(cmk_problem(f"{what} master user secret", key, "masterUserSecretKmsKeyId"))
    return problems


RDS_CLUSTER = Rule(
    name="aws-rds-cluster-require-cmk-encryption",
    description="Aurora/RDS clusters encrypt storage with a customer-managed KMS key.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set storage_encrypted=True and kms_key_id to the region's database key (and "
    "master_user_secret_kms_key_id to the secrets key when RDS manages the password)",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Overview.Encryption.html",
    types=frozenset({"aws:rds/cluster:Cluster"}),
    resource_check=check_rds_cluster,
    checkov=("CKV_AWS_96", "CKV_AWS_327"),
    security_hub=("RDS.27",),
)


def check_global_cluster(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if res.props.get("sourceDbClusterIdentifier") is not None:
        return []  # encryption follows the source cluster, which the cluster rule checks
    if truthy(known(res.props.get("storageEncrypted"), "storageEncrypted")):
        return []
    return [f"global cluster {res.name!r} has storageEncrypted unset or false"]


GLOBAL_CLUSTER = Rule(
    name="aws-rds-globalcluster-require-storage-encryption",
    description="Aurora, DocumentDB and Neptune global clusters are created encrypted.",
    group=GROUP,
    severity=Severity.CRITICAL,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set storage_encrypted=True on the GlobalCluster",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html",
    types=frozenset(
        {
            "aws:rds/globalCluster:GlobalCluster",
            "aws:docdb/globalCluster:GlobalCluster",
            "aws:neptune/globalCluster:GlobalCluster",
        }
    ),
    resource_check=check_global_cluster,
    checkov=("CKV_AWS_140", "CKV_AWS_292"),
)


def check_performance_insights(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if not truthy(known(res.props.get("performanceInsightsEnabled"), "performanceInsightsEnabled")):
        return []
    what = f"{res.type.rsplit(':', 1)[-1]} {res.name!r} Performance Insights"
    key = res.props.get("performanceInsightsKmsKeyId")
    return _one(cmk_problem(what, key, "performanceInsightsKmsKeyId"))


PERFORMANCE_INSIGHTS = Rule(
    name="aws-rds-performanceinsights-require-cmk",
    description="Performance Insights data (which holds query text) is encrypted with a CMK.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set performance_insights_kms_key_id to the region's database key",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.Enabling.html",
    types=frozenset(
        {
            "aws:rds/cluster:Cluster",
            "aws:rds/clusterInstance:ClusterInstance",
            "aws:rds/instance:Instance",
        }
    ),
    resource_check=check_performance_insights,
    checkov=("CKV_AWS_354",),
)


# -- secrets, queues, topics, logs, functions ------------------------------------------


def _key_rule(
    name: str,
    type_token: str,
    prop: str,
    noun: str,
    url: str,
    checkov: tuple[str, ...] = (),
    security_hub: tuple[str, ...] = (),
) -> Rule:
    def check(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
        return _one(cmk_problem(f"{noun} {res.name!r}", res.props.get(prop), prop))

    return Rule(
        name=name,
        description=f"{noun[0].upper()}{noun[1:]}s are encrypted with a customer-managed KMS key.",
        group=GROUP,
        severity=Severity.HIGH,
        enforcement_level=EnforcementLevel.MANDATORY,
        fix=f"set {_snake(prop)} to the region's customer-managed key for this purpose",
        url=url,
        types=frozenset({type_token}),
        resource_check=check,
        checkov=checkov,
        security_hub=security_hub,
    )


def check_secret(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    what = f"secret {res.name!r}"
    problems = _one(cmk_problem(what, res.props.get("kmsKeyId"), "kmsKeyId"))
    replicas = known(res.props.get("replicas"), "replicas")
    for i, replica in enumerate(as_list(replicas)):
        problems += _one(
            cmk_problem(f"{what} replica {i}", get(replica, "kmsKeyId"), "replicas[].kmsKeyId")
        )
    return problems


SECRET = Rule(
    name="aws-secretsmanager-secret-require-cmk",
    description="Secrets Manager secrets and their replicas are encrypted with a CMK.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set kms_key_id (and each replica's kms_key_id) to the region's secrets key",
    url="https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
    types=frozenset({"aws:secretsmanager/secret:Secret"}),
    resource_check=check_secret,
    checkov=("CKV_AWS_149",),
)

SQS = _key_rule(
    "aws-sqs-queue-require-cmk",
    "aws:sqs/queue:Queue",
    "kmsMasterKeyId",
    "SQS queue",
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html",
    ("CKV_AWS_27", "CKV2_AWS_73"),
    ("SQS.1",),
)
SNS = _key_rule(
    "aws-sns-topic-require-cmk",
    "aws:sns/topic:Topic",
    "kmsMasterKeyId",
    "SNS topic",
    "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    ("CKV_AWS_26",),
    ("SNS.1",),
)
SCHEDULE = _key_rule(
    "aws-scheduler-schedule-require-cmk",
    "aws:scheduler/schedule:Schedule",
    "kmsKeyArn",
    "EventBridge Scheduler schedule",
    "https://docs.aws.amazon.com/scheduler/latest/UserGuide/encryption-rest.html",
    ("CKV_AWS_297",),
)
LOG_GROUP = _key_rule(
    "aws-cloudwatch-loggroup-require-cmk",
    "aws:cloudwatch/logGroup:LogGroup",
    "kmsKeyId",
    "log group",
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    ("CKV_AWS_158",),
)


def check_lambda_env(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    variables = get(res.props, "environment", "variables")
    if not variables:
        return []
    return _one(
        cmk_problem(f"function {res.name!r} environment", res.props.get("kmsKeyArn"), "kmsKeyArn")
    )


LAMBDA_ENV = Rule(
    name="aws-lambda-function-require-environment-cmk",
    description="Lambda functions with environment variables encrypt them with a CMK.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set kms_key_arn on the function",
    url="https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html",
    types=frozenset({"aws:lambda/function:Function"}),
    resource_check=check_lambda_env,
    checkov=("CKV_AWS_173",),
)


# -- S3 ----------------------------------------------------------------------------------

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _sse_rules_problems(what: str, rules: Any) -> list[str]:
    rules = known(rules, "rules")
    if not rules:
        return [f"{what} has no encryption rule"]
    problems = []
    for i, rule in enumerate(as_list(rules)):
        default = get(rule, "applyServerSideEncryptionByDefault")
        algorithm = get(default, "sseAlgorithm")
        if algorithm not in KMS_ALGORITHMS:
            problems.append(f"{what} rule {i} uses sseAlgorithm {algorithm!r}, not aws:kms")
            continue
        problems += _one(
            cmk_problem(f"{what} rule {i}", get(default, "kmsMasterKeyId"), "kmsMasterKeyId")
        )
    return problems


def _sse_s3_only(rules: Any) -> bool:
    rules = as_list(known(rules, "rules"))
    return bool(rules) and all(
        get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm") == SSE_S3 for r in rules
    )


def check_sse_config(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    log_buckets = [b for b in stack.of_type(S3_BUCKET) if is_access_log_bucket(stack, b)]

    def one(res: ResourceView) -> Iterator[tuple[str, str]]:
        rules = res.props.get("rules")
        for_log_bucket = any(refers_to(res, "bucket", b) for b in log_buckets)
        if for_log_bucket and _sse_s3_only(rules):
            return  # log delivery supports SSE-S3 only (policies/gdpr_pack/log_delivery.py)
        for p in _sse_rules_problems(f"bucket encryption {res.name!r}", rules):
            yield res.urn, p

    return each(stack.of_type(S3_SSE), one)


S3_SSE_CONFIG = Rule(
    name="aws-s3-bucketserversideencryptionconfiguration-require-cmk",
    description="S3 default encryption is SSE-KMS with a customer-managed key (an access-log "
    "bucket that only log delivery writes: SSE-S3, the only encryption log delivery supports).",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set apply_server_side_encryption_by_default.sse_algorithm='aws:kms' and "
    "kms_master_key_id to the region's key",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
    types=frozenset({S3_SSE}),
    stack_check=check_sse_config,
    checkov=("CKV_AWS_145",),
    security_hub=("S3.17",),
)


def _bucket_configs(stack: StackView, bucket: ResourceView, config_type: str) -> list[ResourceView]:
    """Configuration resources (v7 standalone) attached to ``bucket``."""
    found = []
    for cfg in stack.of_type(config_type):
        ref = cfg.props.get("bucket")
        by_dependency = bucket.urn in cfg.property_dependencies.get("bucket", [])
        by_name = ref is not None and not is_unknown(ref) and ref == bucket.props.get("bucket")
        if by_dependency or by_name:
            found.append(cfg)
    return found


def check_bucket_encryption(
    stack: StackView, config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    for bucket in stack.of_type(S3_BUCKET):
        inline = get(bucket.props, "serverSideEncryptionConfiguration", "rule")
        if inline is not None:
            for p in _sse_rules_problems(f"bucket {bucket.name!r}", [inline]):
                yield bucket.urn, p
            continue
        if not _bucket_configs(stack, bucket, S3_SSE):
            yield (
                bucket.urn,
                f"bucket {bucket.name!r} has no BucketServerSideEncryptionConfiguration in "
                f"this stack (S3 would fall back to SSE-S3, not a CMK)",
            )


S3_BUCKET_ENCRYPTION = Rule(
    name="aws-s3-bucket-require-cmk-encryption",
    description="Every S3 bucket has a default-encryption configuration (SSE-KMS, CMK).",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html",
    types=frozenset({S3_BUCKET}),
    stack_check=check_bucket_encryption,
    checkov=("CKV_AWS_19", "CKV_AWS_145"),
    security_hub=("S3.17",),
)


def _denies_insecure_transport(policy: Any) -> bool:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    for statement in as_list(get(policy, "Statement")):
        if get(statement, "Effect") != "Deny":
            continue
        condition = get(statement, "Condition", "Bool") or {}
        if str(get(condition, "aws:SecureTransport")).lower() == "false":
            return True
    return False


def check_bucket_tls(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    def one(bucket: ResourceView) -> Iterator[tuple[str, str]]:
        policies = _bucket_configs(stack, bucket, "aws:s3/bucketPolicy:BucketPolicy")
        docs = [known(p.props.get("policy"), "policy") for p in policies]
        if not any(_denies_insecure_transport(d) for d in docs):
            yield (
                bucket.urn,
                f"bucket {bucket.name!r} has no bucket policy denying requests without TLS",
            )

    return each(stack.of_type(S3_BUCKET), one)


S3_TLS = Rule(
    name="aws-s3-bucket-require-tls-policy",
    description="Every S3 bucket's policy denies requests that do not use TLS.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="attach a BucketPolicy with a Deny statement on Condition Bool aws:SecureTransport=false",
    url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
    types=frozenset({S3_BUCKET}),
    stack_check=check_bucket_tls,
    security_hub=("S3.5",),
)


# -- EKS ---------------------------------------------------------------------------------


def check_eks_secrets(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    what = f"EKS cluster {res.name!r}"
    if res.type == "eks:index:Cluster":
        return _one(
            cmk_problem(what, res.props.get("encryptionConfigKeyArn"), "encryptionConfigKeyArn")
        )
    encryption = known(res.props.get("encryptionConfig"), "encryptionConfig")
    if not encryption:
        return [f"{what} has no encryptionConfig (Kubernetes secrets are not envelope-encrypted)"]
    problems = []
    if "secrets" not in as_list(get(encryption, "resources")):
        problems.append(f"{what} encryptionConfig does not cover 'secrets'")
    problems += _one(
        cmk_problem(what, get(encryption, "provider", "keyArn"), "encryptionConfig.provider.keyArn")
    )
    return problems


EKS_SECRETS = Rule(
    name="aws-eks-cluster-require-secrets-encryption",
    description="EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed key.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set encryption_config_key_arn (pulumi-eks) or encryption_config.provider.key_arn with "
    "resources=['secrets'] to the region's EKS key",
    url="https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html",
    types=frozenset({"eks:index:Cluster", "aws:eks/cluster:Cluster"}),
    resource_check=check_eks_secrets,
    checkov=("CKV_AWS_58",),
    security_hub=("EKS.3",),
)


# -- EBS ---------------------------------------------------------------------------------


def check_ebs(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    what = f"{res.type.rsplit(':', 1)[-1]} {res.name!r}"
    if res.type == "aws:ebs/volume:Volume":
        if not truthy(known(res.props.get("encrypted"), "encrypted")):
            return [f"{what} is not encrypted"]
        return _one(cmk_problem(what, res.props.get("kmsKeyId"), "kmsKeyId"))
    if res.type == "eks:index:Cluster":
        if truthy(res.props.get("skipDefaultNodeGroup")):
            return []
        if truthy(known(res.props.get("nodeRootVolumeEncrypted"), "nodeRootVolumeEncrypted")):
            return []
        return [f"{what} default node group root volumes are not encrypted"]
    problems = []
    mappings = known(res.props.get("blockDeviceMappings"), "blockDeviceMappings")
    for i, mapping in enumerate(as_list(mappings)):
        ebs = get(mapping, "ebs")
        if ebs is None:
            continue
        if not truthy(get(ebs, "encrypted")):
            problems.append(f"{what} block device {i} is not encrypted")
        else:
            problems += _one(
                cmk_problem(f"{what} block device {i}", get(ebs, "kmsKeyId"), "ebs.kmsKeyId")
            )
    return problems


EBS = Rule(
    name="aws-ebs-volume-require-cmk-encryption",
    description="EBS volumes and launch-template block devices are encrypted with a CMK.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set encrypted=True and kms_key_id on every EBS volume / launch-template block device",
    url="https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
    types=frozenset(
        {"aws:ebs/volume:Volume", "aws:ec2/launchTemplate:LaunchTemplate", "eks:index:Cluster"}
    ),
    resource_check=check_ebs,
    checkov=("CKV_AWS_3", "CKV_AWS_189"),
    security_hub=("EC2.3", "EC2.7"),
)


# -- KMS keys ----------------------------------------------------------------------------


def check_rotation(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    spec = res.props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT" or res.props.get("customKeyStoreId"):
        return []  # AWS cannot rotate asymmetric/HMAC or external-store keys
    what = f"KMS key {res.name!r}"
    if not truthy(known(res.props.get("enableKeyRotation"), "enableKeyRotation")):
        return [f"{what} has enableKeyRotation unset or false"]
    period = known(res.props.get("rotationPeriodInDays"), "rotationPeriodInDays")
    limit = int(config["maxRotationPeriodDays"])
    if period is not None and int(period) > limit:
        return [f"{what} rotates every {int(period)} days, more than {limit}"]
    return []


KMS_ROTATION = Rule(
    name="aws-kms-key-enable-rotation",
    description="Symmetric customer-managed keys rotate, at most every maxRotationPeriodDays.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set enable_key_rotation=True (rotation_period_in_days within the limit)",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
    types=frozenset({"aws:kms/key:Key"}),
    resource_check=check_rotation,
    config={"maxRotationPeriodDays": {"type": "integer", "minimum": 90, "default": 365}},
    checkov=("CKV_AWS_7",),
    security_hub=("KMS.4",),
)


def check_key_policy_safety(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    problems = []
    what = f"KMS key {res.name!r}"
    if truthy(
        known(res.props.get("bypassPolicyLockoutSafetyCheck"), "bypassPolicyLockoutSafetyCheck")
    ):
        problems.append(f"{what} bypasses the policy lockout safety check")
    window = known(res.props.get("deletionWindowInDays"), "deletionWindowInDays")
    minimum = int(config["minDeletionWindowDays"])
    if window is not None and int(window) < minimum:
        problems.append(f"{what} deletion window is {int(window)} days, less than {minimum}")
    return problems


KMS_DELETION = Rule(
    name="aws-kms-key-configure-deletion-safety",
    description="KMS keys keep a minimum deletion window and never bypass the lockout check.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="leave deletion_window_in_days at 30 (or at least the minimum) and do not set "
    "bypass_policy_lockout_safety_check",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
    types=frozenset({"aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"}),
    resource_check=check_key_policy_safety,
    config={
        "minDeletionWindowDays": {"type": "integer", "minimum": 7, "maximum": 30, "default": 14}
    },
    security_hub=("KMS.3",),
)


# -- TLS in transit ----------------------------------------------------------------------


def _force_ssl(res: ResourceView) -> Any:
    for parameter in as_list(known(res.props.get("parameters"), "parameters")):
        if get(parameter, "name") == "rds.force_ssl":
            return get(parameter, "value")
    return None


def check_force_ssl(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    family = str(res.props.get("family") or "")
    if "postgres" not in family:
        return []
    if str(_force_ssl(res)) == "1":
        return []
    return [f"parameter group {res.name!r} ({family}) does not set rds.force_ssl=1"]


RDS_TLS = Rule(
    name="aws-rds-parametergroup-require-force-ssl",
    description="PostgreSQL (Aurora/RDS) parameter groups force TLS (rds.force_ssl=1).",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="add the parameter rds.force_ssl=1 to the (cluster) parameter group",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html",
    types=frozenset(
        {
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            "aws:rds/parameterGroup:ParameterGroup",
        }
    ),
    resource_check=check_force_ssl,
)


def check_cluster_tls(stack: StackView, config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    groups = stack.of_type("aws:rds/clusterParameterGroup:ClusterParameterGroup")
    for cluster in stack.of_type("aws:rds/cluster:Cluster"):
        if "postgres" not in str(cluster.props.get("engine") or ""):
            continue
        name = cluster.props.get("dbClusterParameterGroupName")
        attached = [
            g
            for g in groups
            if g.urn in cluster.property_dependencies.get("dbClusterParameterGroupName", [])
            or (name is not None and not is_unknown(name) and g.props.get("name") == name)
        ]
        if not any(str(_force_ssl(g)) == "1" for g in attached):
            yield (
                cluster.urn,
                f"Aurora cluster {cluster.name!r} does not use a cluster parameter group of this "
                f"stack with rds.force_ssl=1",
            )


RDS_CLUSTER_TLS = Rule(
    name="aws-rds-cluster-require-tls-parameter-group",
    description="Aurora PostgreSQL clusters use a cluster parameter group that forces TLS.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set db_cluster_parameter_group_name to a ClusterParameterGroup with rds.force_ssl=1",
    url="https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html",
    types=frozenset({"aws:rds/cluster:Cluster"}),
    stack_check=check_cluster_tls,
)

HTTPS_VIEWER_POLICIES = ("https-only", "redirect-to-https")
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"


#: What CloudFront may offer an origin; SSLv3, TLSv1 and TLSv1.1 are deprecated.
ORIGIN_TLS = frozenset({"TLSv1.2"})


def _origin_tls(label: str, protocols: Any, path: str) -> list[str]:
    offered = [str(p) for p in as_list(known(protocols, path))]
    weak = sorted(set(offered) - ORIGIN_TLS)
    if not offered:
        return [f"{label} names no origin TLS protocols ({path} is empty)"]
    if weak:
        return [f"{label} may be reached over {', '.join(weak)}; allow only TLSv1.2"]
    return []


def check_cloudfront_https(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    if res.type == VPC_ORIGIN:
        policy = get(res.props, "vpcOriginEndpointConfig", "originProtocolPolicy")
        if known(policy, "vpcOriginEndpointConfig", "originProtocolPolicy") != "https-only":
            return [f"VPC origin {res.name!r} is reached without HTTPS only ({policy!r})"]
        path = ("vpcOriginEndpointConfig", "originSslProtocols", "items")
        return _origin_tls(f"VPC origin {res.name!r}", get(res.props, *path), ".".join(path))
    what = f"distribution {res.name!r}"
    problems = []
    behaviors = [("default", res.props.get("defaultCacheBehavior"))]
    ordered = known(res.props.get("orderedCacheBehaviors"), "orderedCacheBehaviors")
    behaviors += [(str(get(b, "pathPattern")), b) for b in as_list(ordered)]
    for label, behavior in behaviors:
        policy = known(get(behavior, "viewerProtocolPolicy"), "viewerProtocolPolicy")
        if policy not in HTTPS_VIEWER_POLICIES:
            problems.append(f"{what} behaviour {label!r} allows viewers over HTTP ({policy!r})")
    for origin in as_list(known(res.props.get("origins"), "origins")):
        custom = get(origin, "customOriginConfig")
        if custom is None:
            continue
        label = f"{what} origin {get(origin, 'originId')!r}"
        if get(custom, "originProtocolPolicy") != "https-only":
            problems.append(f"{label} is reached without HTTPS only")
        problems += _origin_tls(label, get(custom, "originSslProtocols"), "originSslProtocols")
    minimum = get(res.props, "viewerCertificate", "minimumProtocolVersion")
    if truthy(get(res.props, "viewerCertificate", "cloudfrontDefaultCertificate")) is False and (
        minimum is not None and not str(minimum).startswith("TLSv1.2")
    ):
        problems.append(f"{what} accepts viewer TLS below 1.2 ({minimum!r})")
    return problems


CLOUDFRONT_HTTPS = Rule(
    name="aws-cloudfront-distribution-require-https",
    description="CloudFront speaks HTTPS only, to viewers (TLS 1.2+) and to custom and VPC "
    "origins (TLSv1.2 only).",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set viewer_protocol_policy='redirect-to-https' (or https-only) on every behaviour, "
    "origin_protocol_policy='https-only', origin_ssl_protocols=['TLSv1.2'] and "
    "minimum_protocol_version='TLSv1.2_2021'",
    url="https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https.html",
    types=frozenset({"aws:cloudfront/distribution:Distribution", VPC_ORIGIN}),
    resource_check=check_cloudfront_https,
    checkov=("CKV_AWS_34",),
    security_hub=("CloudFront.3", "CloudFront.9", "CloudFront.10"),
)


RULES: list[Rule] = [
    RDS_CLUSTER,
    GLOBAL_CLUSTER,
    PERFORMANCE_INSIGHTS,
    SECRET,
    SQS,
    SNS,
    SCHEDULE,
    LOG_GROUP,
    LAMBDA_ENV,
    S3_SSE_CONFIG,
    S3_BUCKET_ENCRYPTION,
    S3_TLS,
    EKS_SECRETS,
    EBS,
    KMS_ROTATION,
    KMS_DELETION,
    RDS_TLS,
    RDS_CLUSTER_TLS,
    CLOUDFRONT_HTTPS,
]
