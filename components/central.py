"""The central hub: one queue every jurisdiction sends to, its consumer, the central database.

Only the stack whose config says ``central.host: true`` builds :class:`CentralHub` (eu by
default, so EU events never leave the EU). Every other stack builds a
:class:`CentralHubReference`, which reads the hub's queue from the hosting stack through a
``pulumi.StackReference`` and hands it to the API as a producer.

GDPR: a producer in another jurisdiction sending here is a cross-border transfer. It is
allowed only because central events are pseudonymized or aggregate (a keyed pseudonym for
the user, no direct identifier; the allow-list test lives with the event schema in
``app/``). Every hub resource is tagged ``data-classification: pseudonymized``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import CentralConfig, DataClassification
from components.tagging import classification
from components.workers import QueueWorkerArgs, WorkerSite, deny_insecure_transport
from policies.gdpr_pack.jurisdictions import JURISDICTIONS

CONSUMER_HANDLER = "app.lambdas.central_consumer.handler"
POSTGRES_PORT = 5432
MASTER_USERNAME = "central_admin"

_PSEUDONYMIZED = classification(DataClassification.PSEUDONYMIZED.value)


@dataclass
class CentralHubArgs:
    settings: CentralConfig
    vpc_cidr: str
    isolated_subnet_ids: Sequence[pulumi.Input[str]]
    #: The primary region's worker site; its floor also protects the central database.
    site: WorkerSite


class CentralHub(pulumi.ComponentResource):
    """Queue + DLQ, consumer Lambda, Aurora Serverless v2 database, queue policy."""

    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_key_arn: pulumi.Output[str]
    database_endpoint: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: CentralHubArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:central:CentralHub", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        # The cluster identifier is fixed so its log group can exist (encrypted) first.
        self._cluster_identifier = f"gdpr-platform-{args.site.stack}-central"

        self._create_database()
        self._create_consumer()
        self._create_network_rules()
        self._create_queue_policy()

        self.queue_url = self.consumer.queue.url
        self.queue_arn = self.consumer.queue.arn
        # Producers encrypt with this key when they send (SSE-KMS on the queue).
        self.queue_key_arn = pulumi.Output.from_input(args.site.keys.queues)
        self.database_endpoint = self.cluster.endpoint
        self.register_outputs(
            {
                "queueUrl": self.queue_url,
                "queueArn": self.queue_arn,
                "queueKeyArn": self.queue_key_arn,
                "databaseEndpoint": self.database_endpoint,
                "databaseSecretArn": self._db_secret_arn,
            }
        )

    def _create_database(self) -> None:
        args = self._args
        db = args.settings.database
        protection = args.site.protection
        protected = pulumi.ResourceOptions(parent=self, protect=protection.protect)
        self.db_security_group = aws.ec2.SecurityGroup(
            f"{self._name}-db-sg",
            vpc_id=args.site.vpc_id,
            description="Central database: PostgreSQL from the consumer Lambda only",
            tags=_PSEUDONYMIZED,
            opts=self._child,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{self._name}-db-subnets",
            description="Central database: isolated subnets, no route out of the VPC",
            subnet_ids=list(args.isolated_subnet_ids),
            tags=_PSEUDONYMIZED,
            opts=self._child,
        )
        major = db.engine_version.split(".")[0]
        parameters = aws.rds.ClusterParameterGroup(
            f"{self._name}-db-params",
            family=f"aurora-postgresql{major}",
            description="Central database: TLS only",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
            ],
            tags=_PSEUDONYMIZED,
            opts=self._child,
        )
        # RDS would create this log group itself, unencrypted and kept forever.
        db_logs = aws.cloudwatch.LogGroup(
            f"{self._name}-db-logs",
            name=f"/aws/rds/cluster/{self._cluster_identifier}/postgresql",
            retention_in_days=args.settings.consumer.log_retention_days,
            kms_key_id=args.site.keys.logs,
            tags=_PSEUDONYMIZED,
            opts=self._child,
        )
        self.cluster = aws.rds.Cluster(
            f"{self._name}-db",
            cluster_identifier=self._cluster_identifier,
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            engine_mode="provisioned",
            engine_version=db.engine_version,
            database_name=db.database_name,
            master_username=MASTER_USERNAME,
            # A single-region cluster (not a global database), so AWS may manage the
            # password: rotated, in Secrets Manager, on our secrets CMK, never in state.
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.site.keys.secrets,
            iam_database_authentication_enabled=True,
            storage_encrypted=True,  # defaults to false for provisioned clusters
            kms_key_id=args.site.keys.database,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=db.min_acu,
                max_capacity=db.max_acu,
            ),
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.db_security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            port=POSTGRES_PORT,
            backup_retention_period=db.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=protection.deletion_protection,
            skip_final_snapshot=protection.skip_final_snapshot,
            final_snapshot_identifier=(
                None if protection.skip_final_snapshot else f"{self._cluster_identifier}-final"
            ),
            enabled_cloudwatch_logs_exports=["postgresql"],
            tags=_PSEUDONYMIZED,
            opts=pulumi.ResourceOptions.merge(
                protected, pulumi.ResourceOptions(depends_on=[db_logs])
            ),
        )
        # Writer plus a reader in another AZ to fail over to.
        self.instances = [
            aws.rds.ClusterInstance(
                f"{self._name}-db-{i + 1}",
                cluster_identifier=self.cluster.id,
                instance_class="db.serverless",
                engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                engine_version=self.cluster.engine_version,
                db_subnet_group_name=subnet_group.name,
                publicly_accessible=False,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=args.site.keys.database,
                auto_minor_version_upgrade=True,
                copy_tags_to_snapshot=True,
                tags=_PSEUDONYMIZED,
                opts=protected,
            )
            for i in range(db.instance_count)
        ]
        self._db_secret_arn: pulumi.Output[str] = self.cluster.master_user_secrets.apply(
            lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
        )

    def _create_consumer(self) -> None:
        args = self._args
        db = args.settings.database
        secret_arn = self._db_secret_arn
        extra = secret_arn.apply(
            lambda arn: [
                {
                    "Sid": "ReadDatabaseCredential",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": arn,
                }
            ]
        )
        self.consumer = args.site.queue_worker(
            f"{self._name}-consumer",
            QueueWorkerArgs(
                handler=CONSUMER_HANDLER,
                description="Central consumer: hub queue to the central database",
                settings=args.settings.consumer,
                log_name="central-consumer",
                environment={
                    "CENTRAL_DB_HOST": self.cluster.endpoint,
                    "CENTRAL_DB_PORT": str(POSTGRES_PORT),
                    "CENTRAL_DB_NAME": db.database_name,
                    "CENTRAL_DB_SECRET_ARN": secret_arn,
                    # Events of these jurisdictions only: the pack's table, every row.
                    "CENTRAL_JURISDICTIONS": ",".join(JURISDICTIONS),
                },
                extra_statements=extra,
                tags=_PSEUDONYMIZED,
            ),
            opts=self._child,
        )

    def _create_network_rules(self) -> None:
        consumer_sg = self.consumer.security_group
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-db-from-consumer",
            security_group_id=self.db_security_group.id,
            referenced_security_group_id=consumer_sg.id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            description="PostgreSQL from the central consumer",
            tags=_PSEUDONYMIZED,
            opts=self._child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-consumer-to-db",
            security_group_id=consumer_sg.id,
            referenced_security_group_id=self.db_security_group.id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            description="PostgreSQL to the central database",
            tags=_PSEUDONYMIZED,
            opts=self._child,
        )
        # Secrets Manager and KMS through the VPC's interface endpoints; no internet.
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-consumer-to-endpoints",
            security_group_id=consumer_sg.id,
            cidr_ipv4=self._args.vpc_cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS interface endpoints in the VPC",
            tags=_PSEUDONYMIZED,
            opts=self._child,
        )

    def _create_queue_policy(self) -> None:
        producers = list(self._args.settings.producer_role_arns)
        queue = self.consumer.queue
        aws.sqs.QueuePolicy(
            f"{self._name}-queue-policy",
            queue_url=queue.url,
            policy=queue.arn.apply(lambda arn: json.dumps(hub_queue_policy(arn, producers))),
            opts=self._child,
        )


def hub_queue_policy(queue_arn: str, producer_role_arns: Sequence[str]) -> dict[str, Any]:
    """Only the named producer roles send, and only over TLS.

    The principals are the producers' accounts, narrowed to the roles by ``aws:PrincipalArn``
    (a role's ARN, whichever session it signs with): SQS refuses a policy whose principal
    is a role that does not exist yet, and on a first deploy from empty accounts the other
    stacks' API roles do not. An account principal always exists, and a condition value is
    a plain string, so the hub can be deployed before its producers. The other account's
    own IAM policy must allow the send too (the API role's SendCentralEvents does).

    The explicit deny makes "only" true even for account principals whose own IAM policy
    would allow ``sqs:SendMessage``. Consequence: a DLQ redrive back into this queue must
    run as one of the producer roles.
    """
    producers = list(producer_role_arns)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowNamedProducersToSend",
                "Effect": "Allow",
                "Principal": {"AWS": producer_accounts(producers)},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:PrincipalArn": producers}},
            },
            {
                "Sid": "DenySendFromAnyoneElse",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": producers}},
            },
            deny_insecure_transport([queue_arn], "sqs"),
        ],
    }


def producer_key_statement(region: str, producer_role_arns: Sequence[str]) -> dict[str, Any]:
    """On the hub's queues key: the producers may have SQS encrypt with it as they send.

    Same form as the queue policy (accounts as principals, the roles by aws:PrincipalArn),
    so the key can be created before the producers' roles exist; a producer in another
    account is otherwise refused by the key's own-account-only statements.
    """
    producers = sorted(producer_role_arns)
    return {
        "Sid": "CentralProducersEncryptThroughSqs",
        "Effect": "Allow",
        "Principal": {"AWS": producer_accounts(producers)},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"},
            "ArnEquals": {"aws:PrincipalArn": producers},
        },
    }


def producer_accounts(role_arns: Sequence[str]) -> list[str]:
    """``arn:<partition>:iam::<account>:root`` of every account that owns a producer role."""
    roots = set()
    for arn in role_arns:
        parts = arn.split(":")
        roots.add(f"arn:{parts[1]}:iam::{parts[4]}:root")
    return sorted(roots)


@dataclass
class CentralHubReferenceArgs:
    #: ``<org>/<project>/<stack>`` of the hosting stack (config ``central.hostStack``).
    host_stack: str


class CentralHubReference(pulumi.ComponentResource):
    """A producer's view of the hub, read from the hosting stack's outputs.

    CROSS-BORDER PATH: the queue these outputs name lives in another jurisdiction's region
    (eu-central-1 for the us stack). Whatever this stack sends there must be a
    pseudonymized or aggregate central event, never a record of personal data.
    """

    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    queue_key_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: CentralHubReferenceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:central:CentralHubReference", name, None, opts)
        hub = pulumi.StackReference(
            f"{name}-hub", stack_name=args.host_stack, opts=pulumi.ResourceOptions(parent=self)
        )
        # require_output: a hub stack that exports no queue fails the update, rather than
        # handing the API an empty URL.
        self.queue_url = hub.require_output("centralQueueUrl").apply(str)
        self.queue_arn = hub.require_output("centralQueueArn").apply(str)
        self.queue_key_arn = hub.require_output("centralQueueKeyArn").apply(str)
        self.register_outputs(
            {
                "queueUrl": self.queue_url,
                "queueArn": self.queue_arn,
                "queueKeyArn": self.queue_key_arn,
            }
        )
