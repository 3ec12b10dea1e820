"""Customer-managed KMS keys for one region, one per purpose, rotating."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import ProtectionFloor

ENCRYPT_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)

#: What the account root (and so any IAM principal the account allows) may do with a key
#: unconditionally: administer it, never use it. AWS's key-administrator list, except that
#: ``kms:Create*`` is narrowed to ``kms:CreateAlias``: the wildcard also matches
#: ``kms:CreateGrant``, and a grant is a way round the ViaService condition to Decrypt.
#: ``kms:PutKeyPolicy`` stays here so the account can never lock itself out of the key.
ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:CreateAlias",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)


@dataclass(frozen=True)
class KeyPurpose:
    """Who may use a key: AWS services acting for the account, and service principals."""

    description: str
    #: Services whose calls may use the key on behalf of account principals (kms:ViaService).
    via_services: tuple[str, ...]
    #: Service principals that use the key themselves (e.g. CloudWatch Logs), by host prefix.
    service_principals: tuple[str, ...] = ()
    #: Grants are needed by services that hand the key to their own workers (RDS, EKS, ...).
    allow_grants: bool = False
    #: Service-linked roles (path under ``role/aws-service-role/``) that use the key
    #: directly; IAM policies cannot give them a customer key, only the key policy can.
    service_linked_roles: tuple[str, ...] = ()


PURPOSES: Mapping[str, KeyPurpose] = {
    "database": KeyPurpose(
        "Aurora storage, snapshots and Performance Insights",
        via_services=("rds",),
        allow_grants=True,
    ),
    "secrets": KeyPurpose(
        "Secrets Manager secrets and Lambda environments",
        via_services=("secretsmanager", "lambda"),
        allow_grants=True,
    ),
    "logs": KeyPurpose(
        "CloudWatch log groups, including VPC flow logs",
        via_services=("logs",),
        service_principals=("logs",),
    ),
    "queues": KeyPurpose(
        "SQS queues and SNS topics, including S3 event notifications into them",
        # EventBridge Scheduler: the outbox schedule of Lambda mode.
        via_services=("sqs", "sns", "scheduler"),
        service_principals=("s3", "sns", "events", "cloudwatch"),
    ),
    "audit": KeyPurpose("S3 audit files", via_services=("s3",)),
    # ECR encrypts each repository's layers through a grant it creates at repository creation.
    "images": KeyPurpose("ECR container images", via_services=("ecr",), allow_grants=True),
    "eks": KeyPurpose(
        "Kubernetes secrets envelope encryption and node volumes",
        via_services=("eks", "ec2", "autoscaling"),
        allow_grants=True,
        # EKS managed node groups launch through Auto Scaling, whose service-linked role
        # creates the encrypted root volumes.
        service_linked_roles=("autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",),
    ),
}


@dataclass(frozen=True)
class KeyArns:
    """One region's CMKs by purpose (the fields are :data:`PURPOSES`' keys)."""

    database: pulumi.Input[str]
    secrets: pulumi.Input[str]
    logs: pulumi.Input[str]
    queues: pulumi.Input[str]
    audit: pulumi.Input[str]
    images: pulumi.Input[str]
    eks: pulumi.Input[str]

    def by_purpose(self) -> dict[str, pulumi.Input[str]]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class RegionalKeysArgs:
    region: str
    alias_prefix: str
    #: ``protect`` and, in production, ``retain_on_delete``: data outlives its key otherwise.
    protection: ProtectionFloor
    deletion_window_in_days: int = 30
    rotation_period_in_days: int = 365
    #: More key-policy statements per purpose (the hub's producers on its queues key).
    extra_statements: Mapping[str, Sequence[dict[str, Any]]] = field(default_factory=dict)


def key_policy(
    purpose: KeyPurpose, *, region: str, account_id: str, partition: str
) -> dict[str, Any]:
    """The key policy: the account root administers; only named services may use the key.

    Data-plane actions (Encrypt, Decrypt, GenerateDataKey*, ReEncrypt*, CreateGrant) appear
    only in conditioned statements: through the named services (kms:ViaService and
    kms:CallerAccount), for the named service principals, and for service-linked roles.
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    use_actions = list(ENCRYPT_ACTIONS)
    if purpose.allow_grants:
        use_actions += ["kms:CreateGrant", "kms:ListGrants"]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountRootAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "UseThroughNamedServicesOnly",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": use_actions,
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:CallerAccount": account_id,
                    "kms:ViaService": [
                        f"{svc}.{region}.amazonaws.com" for svc in purpose.via_services
                    ],
                }
            },
        },
    ]
    for service in purpose.service_principals:
        principal = (
            f"{service}.{region}.amazonaws.com" if service == "logs" else f"{service}.amazonaws.com"
        )
        condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
        if service == "logs":
            condition = {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    )
                }
            }
        statements.append(
            {
                "Sid": f"ServicePrincipal{service.capitalize()}",
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": list(ENCRYPT_ACTIONS),
                "Resource": "*",
                "Condition": condition,
            }
        )
    for linked in purpose.service_linked_roles:
        role_arn = f"arn:{partition}:iam::{account_id}:role/aws-service-role/{linked}"
        sid = "".join(ch for ch in linked.split("/")[-1] if ch.isalnum())
        statements.append(
            {
                "Sid": f"ServiceLinkedRole{sid}",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": list(ENCRYPT_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": account_id}},
            }
        )
        statements.append(
            {
                "Sid": f"ServiceLinkedRole{sid}Grants",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account_id},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _render_policy(
    purpose: KeyPurpose,
    region: str,
    account_id: pulumi.Output[str],
    partition: pulumi.Output[str],
    extra: Sequence[dict[str, Any]] = (),
) -> pulumi.Output[str]:
    def render(ids: list[str]) -> str:
        doc = key_policy(purpose, region=region, account_id=ids[0], partition=ids[1])
        doc["Statement"] += list(extra)
        return json.dumps(doc)

    return pulumi.Output.all(account_id, partition).apply(render)


class RegionalKeys(pulumi.ComponentResource):
    """One CMK (with alias) per purpose in one region."""

    keys: dict[str, aws.kms.Key]
    arns: KeyArns

    def __init__(
        self,
        name: str,
        args: RegionalKeysArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:keys:RegionalKeys", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self))

        self.keys = {}
        for purpose_name in PURPOSES:
            purpose = PURPOSES[purpose_name]
            policy = _render_policy(
                purpose,
                args.region,
                identity.account_id,
                partition.partition,
                args.extra_statements.get(purpose_name, ()),
            )
            key = aws.kms.Key(
                f"{name}-{purpose_name}",
                description=f"{args.alias_prefix} {purpose_name}: {purpose.description}",
                enable_key_rotation=True,
                rotation_period_in_days=args.rotation_period_in_days,
                deletion_window_in_days=args.deletion_window_in_days,
                # A replica in another region would be a copy outside our control.
                multi_region=False,
                policy=policy,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protection.protect,
                    retain_on_delete=args.protection.retain_keys,
                ),
            )
            aws.kms.Alias(
                f"{name}-{purpose_name}",
                name=f"alias/{args.alias_prefix}/{purpose_name}",
                target_key_id=key.key_id,
                opts=child,
            )
            self.keys[purpose_name] = key
        self.arns = KeyArns(**{purpose: key.arn for purpose, key in self.keys.items()})
        self.register_outputs({"arns": self.arns.by_purpose()})
