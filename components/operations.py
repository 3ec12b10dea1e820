"""The operations pane: one view over every region of the jurisdiction, from the primary.

- AWS Config: a recorder and delivery channel per region into the pane's bucket in the
  primary (CMK, versioned, TLS only), and an aggregator whose sources are the stack's
  regions only.
- Systems Manager: a resource data sync per region into the same bucket, so Explorer and
  Inventory show the whole jurisdiction from the primary.
- Resource Explorer: an index per region, the aggregator index and default view in the
  primary (the API counterpart of EC2 Global View).
- Security Hub with AWS Foundational Security Best Practices per region, and a finding
  aggregator in the primary linking only the stack's other regions.
- Optional: Trusted Advisor check-status events to the alarm topic (a named exception
  where the jurisdiction lacks us-east-1), CloudWatch cross-account observability sinks and
  links.

Nothing here holds personal data: configuration items, inventory and findings describe
resources. They still stay in the jurisdiction, encrypted with a customer key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pulumi
import pulumi_aws as aws

from components.access_logs import LogTarget, enable_access_logging
from components.audit import audit_bucket_policy
from components.buckets import expire_objects, private_bucket_controls
from components.config import OperationsConfig, ProtectionFloor
from components.keys import KeyPurpose, key_policy
from components.observability import OperationsDashboard, OperationsDashboardArgs
from components.tagging import classification
from policies.gdpr_pack.operations import TRUSTED_ADVISOR_EXCEPTION, TRUSTED_ADVISOR_REGION

#: Configuration items, inventory and findings describe resources, not people.
_INTERNAL = classification("internal")

OPERATIONS_KEY = KeyPurpose(
    "AWS Config history and Systems Manager inventory in the operations bucket",
    via_services=("s3",),
    # The data sync writes as the service itself; Config writes through its role (via S3).
    service_principals=("ssm", "config"),
)
CONFIG_PREFIX = "config"
INVENTORY_PREFIX = "inventory"
FSBP_VERSION = "1.0.0"
TRUSTED_ADVISOR_PATTERN: Mapping[str, Any] = {
    "source": ["aws.trustedadvisor"],
    "detail-type": ["Trusted Advisor Check Item Refresh Notification"],
    "detail": {"status": ["ERROR", "WARN"]},
}


def fsbp_standard_arn(partition: str, *, region: str) -> str:
    """The standard's ARN names its region (``arn:...:securityhub:<region>::standards/...``)."""
    return (
        f"arn:{partition}:securityhub:{region}::standards/"
        f"aws-foundational-security-best-practices/v/{FSBP_VERSION}"
    )


def linked_regions(regions: Sequence[str], primary: str) -> list[str]:
    """What the finding aggregator in ``primary`` links: the stack's other regions only."""
    return [r for r in regions if r != primary]


def operations_bucket_policy(bucket_arn: str, key_arn: str, account_id: str) -> dict[str, Any]:
    """The audit bucket's guarantees (TLS only, SSE-KMS with our key) plus SSM's delivery."""
    policy = audit_bucket_policy(bucket_arn, key_arn)
    source = {"aws:SourceAccount": account_id}
    policy["Statement"] += [
        {
            "Sid": "SsmDataSyncBucketCheck",
            "Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": source},
        },
        {
            "Sid": "SsmDataSyncDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{INVENTORY_PREFIX}/*/accountid={account_id}/*",
            "Condition": {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    ]
    return policy


def config_delivery_policy(
    bucket_arn: str, key_arn: str, account_id: str, regions: Sequence[str]
) -> dict[str, Any]:
    """What the Config recorders' role may do beyond AWS_ConfigRole: deliver to our prefix."""
    within = {"aws:RequestedRegion": list(regions)}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DeliverToOperationsBucket",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{CONFIG_PREFIX}/AWSLogs/{account_id}/*",
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **within}
                },
            },
            {
                "Sid": "CheckOperationsBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": within},
            },
            {
                "Sid": "EncryptWithOperationsKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {"StringEquals": within},
            },
        ],
    }


def service_trust(service: str, account_id: str) -> str:
    """Only ``service`` acting for this account may assume the role (confused deputy)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": f"{service}.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        },
        sort_keys=True,
    )


def sink_policy(sink_arn: str, source_account_ids: Sequence[str], types: Sequence[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": list(source_account_ids)},
                    "Action": ["oam:CreateLink", "oam:UpdateLink"],
                    "Resource": sink_arn,
                    "Condition": {"ForAllValues:StringEquals": {"oam:ResourceTypes": list(types)}},
                }
            ],
        },
        sort_keys=True,
    )


@dataclass
class OperationsPaneArgs:
    stack: str
    primary: str
    #: Every region of the stack, the primary first, each with its provider.
    providers: Mapping[str, aws.Provider]
    settings: OperationsConfig
    protection: ProtectionFloor
    #: {region: alarm topic}; Trusted Advisor events go to one of them.
    alarm_topic_arns: Mapping[str, pulumi.Input[str]]
    #: The primary's access-log bucket (components/access_logs.py).
    access_logs: LogTarget
    #: As the audit buckets: COMPLIANCE object lock for as long as the history is kept.
    object_lock: bool = False


class OperationsPane(pulumi.ComponentResource):
    """The pane's bucket and key in the primary, the services in every region."""

    bucket: aws.s3.Bucket
    key: aws.kms.Key
    aggregator: aws.cfg.ConfigurationAggregator | None
    finding_aggregator: aws.securityhub.FindingAggregator | None
    view: aws.resourceexplorer.View | None
    dashboard: OperationsDashboard

    def __init__(
        self, name: str, args: OperationsPaneArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gdpr-platform:operations:OperationsPane", name, None, opts)
        self._name = name
        self._args = args
        self._regions = list(args.providers)
        self._prefix = f"gdpr-platform-{args.stack}"
        primary = args.providers[args.primary]
        invoke = pulumi.InvokeOptions(parent=self, provider=primary)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self._create_key()
        self._create_bucket()
        self.aggregator = None
        if args.settings.create_config_recorders:
            self._create_recorders()
        if args.settings.create_config_aggregator:
            self._create_aggregator()
        self._create_data_syncs()
        self.view = (
            self._create_resource_explorer() if args.settings.create_resource_explorer else None
        )
        self.finding_aggregator = (
            self._create_security_hub() if args.settings.create_security_hub else None
        )
        self._create_cross_account()
        if args.settings.trusted_advisor.enabled:
            self._create_trusted_advisor()
        self.dashboard = OperationsDashboard(
            f"{name}-dashboard",
            OperationsDashboardArgs(
                stack=args.stack,
                primary=args.primary,
                regions=self._regions,
                providers=args.providers,
            ),
            opts=self._in(args.primary),
        )
        self.register_outputs(
            {
                "bucketName": self.bucket.bucket,
                "aggregatorName": self.aggregator.name if self.aggregator else None,
                "dashboardName": self.dashboard.dashboard.dashboard_name,
            }
        )

    def _in(self, region: str, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._args.providers[region], **kwargs)

    def _create_key(self) -> None:
        args = self._args
        policy = pulumi.Output.all(self._account, self._partition).apply(
            lambda v: json.dumps(
                key_policy(OPERATIONS_KEY, region=args.primary, account_id=v[0], partition=v[1])
            )
        )
        self.key = aws.kms.Key(
            f"{self._name}-key",
            description=f"{self._prefix} operations: {OPERATIONS_KEY.description}",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            multi_region=False,
            policy=policy,
            opts=self._in(
                args.primary,
                protect=args.protection.protect,
                retain_on_delete=args.protection.retain_keys,
            ),
        )
        aws.kms.Alias(
            f"{self._name}-key",
            name=f"alias/gdpr-platform/{args.stack}/operations",
            target_key_id=self.key.key_id,
            opts=self._in(args.primary),
        )

    def _create_bucket(self) -> None:
        args = self._args
        here = self._in(args.primary)
        self.bucket = aws.s3.Bucket(
            f"{self._name}-bucket",
            # Object lock can only be switched on when the bucket is created.
            object_lock_enabled=args.object_lock,
            force_destroy=False,
            tags=_INTERNAL,
            opts=self._in(args.primary, protect=args.protection.protect),
        )
        enable_access_logging(
            f"{self._name}-access-logging", self.bucket.id, args.access_logs, here
        )
        bucket = self.bucket.id
        days = args.settings.bucket_retention_days
        # Configuration history nobody can rewrite while it is kept.
        controls = private_bucket_controls(
            self._name,
            bucket,
            kms_key_arn=self.key.arn,
            opts=here,
            lock_days=days if args.object_lock else None,
        )
        public = controls.public_access_block
        expire_objects(
            self._name,
            bucket,
            rule_id="expire-history",
            days=days,
            noncurrent_days=30,
            abort_upload_days=7,
            versioning=controls.versioning,
            opts=here,
        )
        self.bucket_policy = aws.s3.BucketPolicy(
            f"{self._name}-bucket-policy",
            bucket=bucket,
            policy=pulumi.Output.all(self.bucket.arn, self.key.arn, self._account).apply(
                lambda v: json.dumps(operations_bucket_policy(v[0], v[1], v[2]))
            ),
            opts=self._in(args.primary, depends_on=[public]),
        )

    def _create_recorders(self) -> None:
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-config",
            name=f"{self._prefix}-config-recorder",
            assume_role_policy=self._account.apply(lambda a: service_trust("config", a)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-config-managed",
            role=role.name,
            policy_arn=self._partition.apply(
                lambda p: f"arn:{p}:iam::aws:policy/service-role/AWS_ConfigRole"
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        delivery = aws.iam.RolePolicy(
            f"{self._name}-config-delivery",
            role=role.name,
            policy=pulumi.Output.all(self.bucket.arn, self.key.arn, self._account).apply(
                lambda v: json.dumps(config_delivery_policy(v[0], v[1], v[2], self._regions))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for region in self._regions:
            recorder = aws.cfg.Recorder(
                f"{self._name}-recorder-{region}",
                name=self._prefix,
                role_arn=role.arn,
                recording_group=aws.cfg.RecorderRecordingGroupArgs(
                    all_supported=True,
                    # Global types (IAM) once, in the primary, not once per region.
                    include_global_resource_types=region == args.primary,
                ),
                opts=self._in(region),
            )
            channel = aws.cfg.DeliveryChannel(
                f"{self._name}-channel-{region}",
                name=self._prefix,
                s3_bucket_name=self.bucket.bucket,
                s3_key_prefix=CONFIG_PREFIX,
                s3_kms_key_arn=self.key.arn,
                snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                    delivery_frequency="TwentyFour_Hours"
                ),
                opts=self._in(region, depends_on=[recorder, self.bucket_policy, delivery]),
            )
            aws.cfg.RecorderStatus(
                f"{self._name}-recorder-status-{region}",
                name=recorder.name,
                is_enabled=True,
                opts=self._in(region, depends_on=[channel]),
            )

    def _create_aggregator(self) -> None:
        self.aggregator = aws.cfg.ConfigurationAggregator(
            f"{self._name}-config-aggregator",
            name=self._prefix,
            account_aggregation_source=aws.cfg.ConfigurationAggregatorAccountAggregationSourceArgs(
                account_ids=[self._account],
                regions=self._regions,
                all_regions=False,
            ),
            tags=_INTERNAL,
            opts=self._in(self._args.primary),
        )

    def _create_data_syncs(self) -> None:
        for region in self._regions:
            aws.ssm.ResourceDataSync(
                f"{self._name}-data-sync-{region}",
                name=f"{self._prefix}-{region}",
                s3_destination=aws.ssm.ResourceDataSyncS3DestinationArgs(
                    bucket_name=self.bucket.bucket,
                    region=self._args.primary,
                    kms_key_arn=self.key.arn,
                    prefix=INVENTORY_PREFIX,
                    sync_format="JsonSerDe",
                ),
                opts=self._in(region, depends_on=[self.bucket_policy]),
            )

    def _create_resource_explorer(self) -> aws.resourceexplorer.View:
        primary = self._args.primary
        indexes = {
            region: aws.resourceexplorer.Index(
                f"{self._name}-index-{region}",
                type="AGGREGATOR" if region == primary else "LOCAL",
                tags=_INTERNAL,
                opts=self._in(region),
            )
            for region in self._regions
        }
        return aws.resourceexplorer.View(
            f"{self._name}-view",
            name=self._prefix,
            default_view=True,
            included_properties=[aws.resourceexplorer.ViewIncludedPropertyArgs(name="tags")],
            tags=_INTERNAL,
            opts=self._in(primary, depends_on=list(indexes.values())),
        )

    def _create_security_hub(self) -> aws.securityhub.FindingAggregator:
        accounts = []
        for region in self._regions:
            account = aws.securityhub.Account(
                f"{self._name}-security-hub-{region}",
                enable_default_standards=False,
                control_finding_generator="SECURITY_CONTROL",
                auto_enable_controls=True,
                opts=self._in(region),
            )
            aws.securityhub.StandardsSubscription(
                f"{self._name}-fsbp-{region}",
                standards_arn=self._partition.apply(partial(fsbp_standard_arn, region=region)),
                opts=self._in(region, depends_on=[account]),
            )
            accounts.append(account)
        return aws.securityhub.FindingAggregator(
            f"{self._name}-finding-aggregator",
            linking_mode="SPECIFIED_REGIONS",
            specified_regions=linked_regions(self._regions, self._args.primary),
            opts=self._in(self._args.primary, depends_on=accounts),
        )

    def _create_cross_account(self) -> None:
        xa = self._args.settings.cross_account
        if xa.create_sinks:
            for region in self._regions:
                sink = aws.oam.Sink(
                    f"{self._name}-sink-{region}",
                    name=self._prefix,
                    tags=_INTERNAL,
                    opts=self._in(region),
                )
                aws.oam.SinkPolicy(
                    f"{self._name}-sink-policy-{region}",
                    sink_identifier=sink.arn,
                    policy=sink.arn.apply(
                        lambda arn: sink_policy(arn, xa.source_account_ids, xa.resource_types)
                    ),
                    opts=self._in(region),
                )
        for region, sink_arn in xa.sink_arns.items():
            aws.oam.Link(
                f"{self._name}-link-{region}",
                label_template="$AccountName",
                resource_types=list(xa.resource_types),
                sink_identifier=sink_arn,
                tags=_INTERNAL,
                opts=self._in(region),
            )

    def _create_trusted_advisor(self) -> None:
        """Check-status events exist only in us-east-1: a rule there, to an alarm topic.

        In a stack without us-east-1 (the named exception), the rule forwards to the
        primary's default bus, where a second rule sends to the primary's alarm topic.
        """
        args = self._args
        pattern = json.dumps(TRUSTED_ADVISOR_PATTERN, sort_keys=True)
        exception = TRUSTED_ADVISOR_REGION not in args.providers
        provider = args.providers.get(TRUSTED_ADVISOR_REGION) or aws.Provider(
            f"aws-{TRUSTED_ADVISOR_REGION}-{TRUSTED_ADVISOR_EXCEPTION}",
            region=TRUSTED_ADVISOR_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )
        at_source = pulumi.ResourceOptions(parent=self, provider=provider)
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-trusted-advisor",
            name=f"{self._prefix}-trusted-advisor",
            description=(
                f"Trusted Advisor check status (exception {TRUSTED_ADVISOR_EXCEPTION}: "
                "account metadata only)"
                if exception
                else "Trusted Advisor check status"
            ),
            event_pattern=pattern,
            tags=_INTERNAL,
            opts=at_source,
        )
        if not exception:
            aws.cloudwatch.EventTarget(
                f"{self._name}-trusted-advisor",
                rule=rule.name,
                arn=args.alarm_topic_arns[TRUSTED_ADVISOR_REGION],
                opts=at_source,
            )
            return
        bus_arn = pulumi.Output.all(self._partition, self._account).apply(
            lambda v: f"arn:{v[0]}:events:{args.primary}:{v[1]}:event-bus/default"
        )
        forward = aws.iam.Role(
            f"{self._name}-trusted-advisor-forward",
            name=f"{self._prefix}-trusted-advisor-forward",
            assume_role_policy=self._account.apply(lambda a: service_trust("events", a)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{self._name}-trusted-advisor-forward",
            role=forward.name,
            policy=bus_arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "events:PutEvents",
                                "Resource": arn,
                                # The call goes to the primary's endpoint, not us-east-1's.
                                "Condition": {
                                    "StringEquals": {"aws:RequestedRegion": args.primary}
                                },
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-trusted-advisor",
            rule=rule.name,
            arn=bus_arn,
            role_arn=forward.arn,
            opts=at_source,
        )
        in_primary = self._in(args.primary)
        local = aws.cloudwatch.EventRule(
            f"{self._name}-trusted-advisor-{args.primary}",
            name=f"{self._prefix}-trusted-advisor",
            description="Trusted Advisor check status, forwarded from us-east-1",
            event_pattern=pattern,
            tags=_INTERNAL,
            opts=in_primary,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-trusted-advisor-{args.primary}",
            rule=local.name,
            arn=args.alarm_topic_arns[args.primary],
            opts=in_primary,
        )
