"""A queue-driven Lambda: the building block shared by the central consumer and the shipper.

One :class:`QueueWorker` is an SQS queue with its dead-letter queue (both on the region's
queues CMK), a Python Lambda in private subnets with its own security group, role and
KMS-encrypted log group, the event source mapping that feeds it partial batches, and an
alarm on the dead-letter queue's depth. Who may send to the queue, and where the function
may connect, are the caller's business: it adds the queue policy and the egress rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import LambdaWorkerConfig, ProtectionFloor
from components.iam_documents import service_trust_policy
from components.keys import KeyArns

PROJECT_DIR = Path(__file__).resolve().parent.parent
LAMBDA_RUNTIME = "python3.12"
#: Graviton: cheaper per GB-second; the handlers are pure Python (native wheels must be arm64).
LAMBDA_ARCHITECTURE = "arm64"
#: Four days to drain a backlog; the DLQ keeps a message its full 14 days, counted from the
#: original enqueue, so it must outlive the source queue's retention.
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
#: Reuse a data key for 5 minutes: fewer KMS calls (cost, throttling) for a short exposure.
KMS_DATA_KEY_REUSE_SECONDS = 300
#: The managed policy AWS documents for VPC Lambdas (ENI create/describe/delete).
VPC_ACCESS_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"


#: Third-party packages of the handlers (app/lambdas/requirements.txt), built for the
#: Lambda runtime's platform by ``make lambda-layer``; shipped as a layer per region.
LAMBDA_LAYER_DIR = PROJECT_DIR / "build" / "lambda-layer"


def lambda_code(app_dir: Path = PROJECT_DIR / "app") -> pulumi.AssetArchive:
    """The handlers as the Lambda sees them (``app.lambdas.*`` importable), nothing else.

    Lists the files one by one rather than archiving the directory, so that
    ``__pycache__`` and test leftovers never change the archive's hash (a spurious update),
    and the API's code stays out of the functions.
    """
    handlers = sorted(
        p
        for p in (app_dir / "lambdas").rglob("*")
        if p.is_file() and p.suffix in {".py", ".sql", ".typed"} and "__pycache__" not in p.parts
    )
    files = [app_dir / "__init__.py", *handlers]
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {
        f"app/{p.relative_to(app_dir).as_posix()}": pulumi.FileAsset(str(p)) for p in files
    }
    return pulumi.AssetArchive(assets)


def lambda_dependencies(layer_dir: Path = LAMBDA_LAYER_DIR) -> pulumi.FileArchive:
    """The built dependencies; stops the program with the fix when they are missing."""
    if not (layer_dir / "python").is_dir():
        raise pulumi.RunError(
            f"{layer_dir.relative_to(PROJECT_DIR)} is missing: run `make lambda-layer` "
            f"(builds app/lambdas/requirements.txt for {LAMBDA_RUNTIME}/{LAMBDA_ARCHITECTURE})"
        )
    return pulumi.FileArchive(str(layer_dir))


def deny_insecure_transport(resource_arns: Sequence[str], service: str) -> dict[str, Any]:
    """The statement every resource policy here carries: no request without TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": f"{service}:*",
        "Resource": list(resource_arns) if len(resource_arns) > 1 else resource_arns[0],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@dataclass(frozen=True)
class WorkerSite:
    """What every queue worker of one region shares; built once per region (program.py)."""

    stack: str
    region: str
    #: The queues hold messages not yet delivered: ``protect`` follows the stack's floor.
    protection: ProtectionFloor
    vpc_id: pulumi.Input[str]
    #: The private subnets the functions run in.
    subnet_ids: Sequence[pulumi.Input[str]]
    #: The region's CMKs: queues (both queues), secrets (environment), logs (log group).
    keys: KeyArns
    code: pulumi.AssetArchive
    #: The region's layer with the handlers' third-party packages (layers are regional).
    layer_arn: pulumi.Input[str] | None = None
    #: SNS topic for the DLQ alarms; without one an alarm still records state, with no action.
    alarm_topic_arn: pulumi.Input[str] | None = None

    def queue_worker(
        self, name: str, args: QueueWorkerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> QueueWorker:
        return QueueWorker(name, self, args, opts)


@dataclass
class QueueWorkerArgs:
    """What one worker adds to its site."""

    #: Dotted handler path inside :func:`lambda_code`, e.g. ``app.lambdas.x.handler``.
    handler: str
    description: str
    settings: LambdaWorkerConfig
    #: The log group is ``/gdpr-platform/<stack>/lambda/<log_name>``: fixed and readable; the
    #: function logs there through ``logging_config``.
    log_name: str
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    #: IAM statements the handler needs beyond its queue, keys and log group.
    extra_statements: pulumi.Input[Sequence[Mapping[str, Any]]] = field(default_factory=list)
    tags: Mapping[str, str] = field(default_factory=dict)


class QueueWorker(pulumi.ComponentResource):
    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue
    function: aws.lambda_.Function
    role: aws.iam.Role
    security_group: aws.ec2.SecurityGroup
    log_group: aws.cloudwatch.LogGroup
    event_source_mapping: aws.lambda_.EventSourceMapping
    dlq_alarm: aws.cloudwatch.MetricAlarm

    def __init__(
        self,
        name: str,
        site: WorkerSite,
        args: QueueWorkerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:workers:QueueWorker", name, None, opts)
        self._name = name
        self._site = site
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)

        self._warn_if_handler_missing()
        self._create_queues()
        self._create_log_group()
        self._create_role()
        self._create_function()
        self._create_event_source_mapping()
        self._create_dlq_alarm()

        self.register_outputs(
            {
                "queueArn": self.queue.arn,
                "queueUrl": self.queue.url,
                "deadLetterQueueArn": self.dead_letter_queue.arn,
                "functionArn": self.function.arn,
                "roleArn": self.role.arn,
                "securityGroupId": self.security_group.id,
                "logGroupName": self.log_group.name,
            }
        )

    def _warn_if_handler_missing(self) -> None:
        module = self._args.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
        if module not in self._site.code.assets:
            # Not an error: the handler code may land after the infrastructure that runs it.
            pulumi.log.warn(
                f"{module} is not in the Lambda archive; {self._name} would fail to import "
                f"its handler {self._args.handler}",
                resource=self,
            )

    def _create_queues(self) -> None:
        args = self._args
        settings = args.settings
        holding = pulumi.ResourceOptions(parent=self, protect=self._site.protection.protect)
        self.dead_letter_queue = aws.sqs.Queue(
            f"{self._name}-dlq",
            kms_master_key_id=self._site.keys.queues,
            kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            tags=dict(args.tags),
            opts=holding,
        )
        redrive = self.dead_letter_queue.arn.apply(
            lambda arn: json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": settings.max_receive_count}
            )
        )
        self.queue = aws.sqs.Queue(
            f"{self._name}-queue",
            kms_master_key_id=self._site.keys.queues,
            kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS,
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            # AWS: at least six times the function timeout plus the batching window, or a
            # batch still running becomes visible again and is processed twice.
            visibility_timeout_seconds=6 * settings.timeout_seconds
            + settings.batching_window_seconds,
            # Long polling: fewer empty receives.
            receive_wait_time_seconds=20,
            redrive_policy=redrive,
            tags=dict(args.tags),
            opts=holding,
        )
        aws.sqs.QueuePolicy(
            f"{self._name}-dlq-policy",
            queue_url=self.dead_letter_queue.url,
            policy=self.dead_letter_queue.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [deny_insecure_transport([arn], "sqs")],
                    }
                )
            ),
            opts=self._child,
        )

    def _create_log_group(self) -> None:
        # Created before the function, so Lambda never makes an unencrypted one of its own.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/gdpr-platform/{self._site.stack}/lambda/{self._args.log_name}",
            retention_in_days=self._args.settings.log_retention_days,
            kms_key_id=self._site.keys.logs,
            tags=dict(self._args.tags),
            opts=self._child,
        )

    def _create_role(self) -> None:
        args = self._args
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self))
        self.role = aws.iam.Role(
            f"{self._name}-role",
            description=f"{args.description} ({self._site.region})",
            assume_role_policy=service_trust_policy("lambda.amazonaws.com"),
            tags=dict(args.tags),
            opts=self._child,
        )
        self._vpc_access = aws.iam.RolePolicyAttachment(
            f"{self._name}-vpc-access",
            role=self.role.name,
            policy_arn=partition.partition.apply(
                lambda p: f"arn:{p}:iam::aws:policy/{VPC_ACCESS_POLICY}"
            ),
            opts=self._child,
        )
        policy = pulumi.Output.all(
            self.queue.arn,
            self._site.keys.queues,
            self._site.keys.secrets,
            self.log_group.arn,
            args.extra_statements,
        ).apply(lambda v: json.dumps(_worker_policy(v[0], v[1], v[2], v[3], v[4])))
        self._policy = aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=self.role.id,
            policy=policy,
            opts=self._child,
        )

    def _create_function(self) -> None:
        args = self._args
        settings = args.settings
        self.security_group = aws.ec2.SecurityGroup(
            f"{self._name}-sg",
            vpc_id=self._site.vpc_id,
            # No inline rules: the caller adds egress rules as separate resources, and the
            # provider removes the default allow-all egress rule AWS creates.
            description=f"{args.description}: egress only to what it needs",
            tags=dict(args.tags),
            opts=self._child,
        )
        self.function = aws.lambda_.Function(
            f"{self._name}-fn",
            description=args.description,
            runtime=LAMBDA_RUNTIME,
            architectures=[LAMBDA_ARCHITECTURE],
            handler=args.handler,
            code=self._site.code,
            layers=[self._site.layer_arn] if self._site.layer_arn is not None else [],
            role=self.role.arn,
            memory_size=settings.memory_mb,
            timeout=settings.timeout_seconds,
            reserved_concurrent_executions=settings.reserved_concurrency,
            # The environment names secrets and endpoints: encrypt it with our CMK.
            kms_key_arn=self._site.keys.secrets,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment)),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(self._site.subnet_ids),
                security_group_ids=[self.security_group.id],
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level="INFO",
                system_log_level="WARN",
            ),
            tags=dict(args.tags),
            # Permissions first: the first invocation must not fail on a missing grant.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self._policy, self._vpc_access, self.log_group]
            ),
        )

    def _create_event_source_mapping(self) -> None:
        settings = self._args.settings
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{self._name}-esm",
            event_source_arn=self.queue.arn,
            function_name=self.function.arn,
            batch_size=settings.batch_size,
            maximum_batching_window_in_seconds=settings.batching_window_seconds,
            # The handler names the failed records; only those return to the queue (and
            # after maxReceiveCount, to the DLQ), the rest of the batch is deleted.
            function_response_types=["ReportBatchItemFailures"],
            # Never poll more than the function may run: throttled batches would burn
            # receive counts and push healthy messages to the DLQ.
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=settings.reserved_concurrency
            ),
            tags=dict(self._args.tags),
            # AWS checks the role can read the queue when the mapping is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._policy]),
        )

    def _create_dlq_alarm(self) -> None:
        args = self._args
        actions: list[pulumi.Input[str]] = (
            [self._site.alarm_topic_arn] if self._site.alarm_topic_arn is not None else []
        )
        self.dlq_alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-dlq-depth",
            alarm_description=(
                f"{args.description}: messages in the dead-letter queue. Each one failed "
                f"{args.settings.max_receive_count} times; inspect, fix, then redrive."
            ),
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dead_letter_queue.name},
            statistic="Maximum",
            period=60,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            tags=dict(args.tags),
            opts=self._child,
        )


def _worker_policy(
    queue_arn: str,
    queues_key_arn: str,
    secrets_key_arn: str,
    log_group_arn: str,
    extra: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConsumeOwnQueue",
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                "Resource": queue_arn,
            },
            {
                # SQS decrypts each message with the caller's rights on the queue's key.
                "Sid": "DecryptQueueMessages",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": queues_key_arn,
            },
            {
                # The function's environment (and any secret it reads) is on this key.
                "Sid": "DecryptEnvironmentAndSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": secrets_key_arn,
            },
            {
                "Sid": "WriteOwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
            *[dict(s) for s in extra],
        ],
    }
