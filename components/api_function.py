"""Lambda mode: the API and its outbox worker as functions in one region, no cluster.

- The API function runs the same application as the pods (``app.lambda_api.handler``:
  Mangum around ``app.main.create_app``), arm64, in the private subnets, with reserved
  concurrency, its environment on the region's secrets CMK and its logs in a log group
  made first on the logs CMK.
- A regional HTTP API (payload v2) is its origin. A function URL behind CloudFront's
  origin access control was the other choice; it fails this API twice: OAC signs with
  SigV4 in the ``Authorization`` header, where the API's bearer tokens travel, and for
  POST/PUT/PATCH Lambda needs the viewer itself to send ``x-amz-content-sha256`` of the
  body (it takes no unsigned payloads), which no API client of ours does. The HTTP API's
  endpoint is public, so CloudFront adds a secret header and the handler refuses requests
  without it (app/lambda_api.py); stage throttling bounds what gets through at all.
- The role is the IRSA role's twin: same name (the hub's queue policy admits producers by
  it), same policy document from :func:`components.workload.api_role_policy`, plus the
  function's own log groups and VPC access.
- The outbox worker is a function on an EventBridge Scheduler schedule (schedule and
  dead-letter queue on the region's queues CMK), one bounded drain per run.
- The primary region also has the migration function (``app.db.migrate_lambda.handler``,
  the same role, layer, subnets and keys), which Pulumi invokes once per release: the
  invocation's triggers are the code's digest and the layer's ARN, so a new release is a
  new invocation, and every region's API and outbox functions depend on it. A failed
  migration fails the invocation and stops ``pulumi up`` before new code serves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam_documents as docs
from components.config import LambdaApiConfig, OutboxScheduleConfig
from components.keys import KeyArns
from components.tagging import classification
from components.workers import (
    DLQ_RETENTION_SECONDS,
    KMS_DATA_KEY_REUSE_SECONDS,
    LAMBDA_ARCHITECTURE,
    LAMBDA_RUNTIME,
    PROJECT_DIR,
    VPC_ACCESS_POLICY,
    deny_insecure_transport,
)
from components.workload import ApiPermissions, api_policy_document

API_HANDLER = "app.lambda_api.handler"
OUTBOX_HANDLER = "app.audit.scheduled.handler"
MIGRATE_HANDLER = "app.db.migrate_lambda.handler"
#: Lambda's longest run, the EKS migration Job's deadline too; one run at a time.
MIGRATE_TIMEOUT_SECONDS = 900
MIGRATE_MEMORY_MB = 512
#: The header CloudFront adds to origin requests; app/lambda_api.py checks it.
ORIGIN_HEADER = "x-origin-verify"
ORIGIN_SECRET_ENV = "GDPR_EDGE_ORIGIN_SECRET"
#: What API Gateway logs per request. The client's address makes it personal data (its log
#: group is classified so); no path (user IDs), no body, no header (bearer tokens).
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
    },
    sort_keys=True,
)
#: Layer of the API's third-party packages (app/requirements-lambda.txt), built for the
#: runtime's platform by ``make lambda-layer``.
API_LAYER_DIR = PROJECT_DIR / "build" / "lambda-api-layer"
_CODE_SUFFIXES = {".py", ".sql", ".typed", ".ini", ".mako", ".ttf"}


def api_code(app_dir: Path = PROJECT_DIR / "app") -> pulumi.AssetArchive:
    """The whole ``app`` package, file by file (no caches: a stable archive hash)."""
    files = sorted(
        p
        for p in app_dir.rglob("*")
        if p.is_file() and p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts
    )
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {
        f"app/{p.relative_to(app_dir).as_posix()}": pulumi.FileAsset(str(p)) for p in files
    }
    return pulumi.AssetArchive(assets)


def code_digest(code: pulumi.AssetArchive) -> str:
    """SHA-256 over the archive's file names and contents: a release's identity."""
    digest = hashlib.sha256()
    for name, asset in sorted(code.assets.items()):
        if not isinstance(asset, pulumi.FileAsset):
            raise TypeError(f"{name}: the API's code is files only")
        digest.update(name.encode() + b"\0")
        digest.update(Path(asset.path).read_bytes())
    return digest.hexdigest()


def api_dependencies(layer_dir: Path = API_LAYER_DIR) -> pulumi.FileArchive:
    if not (layer_dir / "python").is_dir():
        raise pulumi.RunError(
            f"{layer_dir.relative_to(PROJECT_DIR)} is missing: run `make lambda-layer` "
            f"(builds app/requirements-lambda.txt for {LAMBDA_RUNTIME}/{LAMBDA_ARCHITECTURE})"
        )
    return pulumi.FileArchive(str(layer_dir))


@dataclass
class ApiFunctionArgs:
    stack: str
    region: str
    jurisdiction: str
    #: Same name as the IRSA role of EKS mode (``api_role_name``).
    role_name: str
    jurisdiction_regions: Sequence[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    #: VPC CIDRs of every region: shard writers live in the primary's.
    database_cidrs: Sequence[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    #: The network's security group of its interface endpoints (HTTPS from the VPC).
    endpoint_security_group_id: pulumi.Input[str]
    keys: KeyArns
    code: pulumi.AssetArchive
    layer_arn: pulumi.Input[str]
    db_user: str
    #: Every GDPR_API_* setting the pods get from their ConfigMap.
    environment: Mapping[str, pulumi.Input[str]]
    origin_secret: pulumi.Input[str]
    api: LambdaApiConfig
    outbox: OutboxScheduleConfig
    permissions: ApiPermissions = field(default_factory=ApiPermissions)
    #: Extra HTTPS destinations (the identity provider's JWKS).
    https_egress_cidrs: Sequence[str] = ()
    #: The primary region: it runs each release's migrations (every shard's writer is there).
    runs_migrations: bool = False
    #: Outside the primary: the primary's migration invocation, which the functions await.
    rollout_after: Sequence[pulumi.Resource] = ()
    #: What the migration invocation awaits (the shard databases, the shard map).
    migrate_after: Sequence[pulumi.Resource] = ()


class ApiFunction(pulumi.ComponentResource):
    role: aws.iam.Role
    function: aws.lambda_.Function
    outbox_function: aws.lambda_.Function
    http_api: aws.apigatewayv2.Api
    stage: aws.apigatewayv2.Stage
    schedule: aws.scheduler.Schedule
    schedule_dlq: aws.sqs.Queue
    migrate_function: aws.lambda_.Function | None = None
    migration: aws.lambda_.Invocation | None = None

    def __init__(
        self, name: str, args: ApiFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gdpr-platform:compute:ApiFunction", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._invoke = pulumi.InvokeOptions(parent=self)
        self._create_log_groups()
        self._create_security_groups()
        self._create_ssm_endpoint()
        self._create_role()
        self._create_functions()
        self._create_http_api()
        self._create_schedule()
        self.register_outputs(
            {
                "functionArn": self.function.arn,
                "outboxFunctionArn": self.outbox_function.arn,
                "roleArn": self.role.arn,
                "apiEndpoint": self.http_api.api_endpoint,
                "scheduleArn": self.schedule.arn,
                "migrateFunctionArn": self.migrate_function.arn if self.migrate_function else None,
            }
        )

    @property
    def origin_domain(self) -> pulumi.Output[str]:
        """The HTTP API's host name, CloudFront's origin for this region."""
        return self.http_api.api_endpoint.apply(lambda url: url.removeprefix("https://"))

    def _log_group(self, suffix: str, path: str, days: int) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self._name}-{suffix}",
            name=f"/gdpr-platform/{self._args.stack}/{path}",
            retention_in_days=days,
            kms_key_id=self._args.keys.logs,
            # Even the access log names the client's address; nothing here is anonymous.
            tags=classification("personal"),
            opts=self._child,
        )

    def _create_log_groups(self) -> None:
        # Made before the functions, so Lambda never creates an unencrypted one itself.
        args = self._args
        self.api_logs = self._log_group("logs", "lambda/api", args.api.log_retention_days)
        self.outbox_logs = self._log_group(
            "outbox-logs", "lambda/outbox", args.outbox.log_retention_days
        )
        self.access_logs = self._log_group(
            "access-logs", "apigateway/api", args.api.log_retention_days
        )
        self.migrate_logs = (
            self._log_group("migrate-logs", "lambda/migrate", args.api.log_retention_days)
            if args.runs_migrations
            else None
        )

    def _egress(self, sg: aws.ec2.SecurityGroup, suffix: str, port: int, **peer: Any) -> None:
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-{suffix}",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            opts=self._child,
            **peer,
        )

    def _create_security_groups(self) -> None:
        """The pods' NetworkPolicies as security groups (no inline rules: no default egress)."""
        args = self._args
        self.api_sg = aws.ec2.SecurityGroup(
            f"{self._name}-sg",
            vpc_id=args.vpc_id,
            description="API function: Aurora, AWS endpoints, named HTTPS only",
            opts=self._child,
        )
        self.outbox_sg = aws.ec2.SecurityGroup(
            f"{self._name}-outbox-sg",
            vpc_id=args.vpc_id,
            description="Outbox function: Aurora and HTTPS (S3, the hub's queue)",
            opts=self._child,
        )
        s3 = aws.ec2.get_managed_prefix_list_output(
            name=f"com.amazonaws.{args.region}.s3", opts=self._invoke
        )
        for sg, prefix in ((self.api_sg, "api"), (self.outbox_sg, "outbox")):
            for i, cidr in enumerate(sorted({args.vpc_cidr, *args.database_cidrs})):
                self._egress(sg, f"{prefix}-db-{i}", 5432, cidr_ipv4=cidr)
        self._egress(self.api_sg, "api-endpoints", 443, cidr_ipv4=args.vpc_cidr)
        self._egress(self.api_sg, "api-s3", 443, prefix_list_id=s3.id)
        for i, cidr in enumerate(args.https_egress_cidrs):
            self._egress(self.api_sg, f"api-https-{i}", 443, cidr_ipv4=cidr)
        # The hub's queue may be in another stack's region: its public endpoint, through
        # NAT; the role names the only queue the function can use there.
        self._egress(self.outbox_sg, "outbox-https", 443, cidr_ipv4="0.0.0.0/0")
        self.migrate_sg: aws.ec2.SecurityGroup | None = None
        if args.runs_migrations:
            # The writers and AWS's endpoints in the VPC (the shard map in SSM): no internet.
            self.migrate_sg = aws.ec2.SecurityGroup(
                f"{self._name}-migrate-sg",
                vpc_id=args.vpc_id,
                description="Migration function: the shard writers and AWS endpoints only",
                opts=self._child,
            )
            for i, cidr in enumerate(sorted({args.vpc_cidr, *args.database_cidrs})):
                self._egress(self.migrate_sg, f"migrate-db-{i}", 5432, cidr_ipv4=cidr)
            self._egress(self.migrate_sg, "migrate-endpoints", 443, cidr_ipv4=args.vpc_cidr)

    def _create_ssm_endpoint(self) -> None:
        """The functions read the shard map from SSM (pods get it from a ConfigMap, so the
        network's endpoints leave SSM out); their groups allow no HTTPS beyond the VPC."""
        args = self._args
        self.ssm_endpoint = aws.ec2.VpcEndpoint(
            f"{self._name}-ssm",
            vpc_id=args.vpc_id,
            service_name=f"com.amazonaws.{args.region}.ssm",
            vpc_endpoint_type="Interface",
            subnet_ids=list(args.private_subnet_ids),
            security_group_ids=[args.endpoint_security_group_id],
            private_dns_enabled=True,
            tags=classification("internal"),
            opts=self._child,
        )

    def _create_role(self) -> None:
        args = self._args
        self.role = aws.iam.Role(
            f"{self._name}-role",
            # A fixed name: the central hub's queue policy admits producers by role ARN.
            name=args.role_name,
            description=f"The API's functions in {args.region} ({args.jurisdiction})",
            assume_role_policy=docs.service_trust_policy("lambda.amazonaws.com"),
            opts=self._child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{self._name}-api",
            role=self.role.id,
            policy=api_policy_document(
                args.permissions, args.jurisdiction_regions, args.db_user, self._invoke
            ),
            opts=self._child,
        )
        self.logs_policy = aws.iam.RolePolicy(
            f"{self._name}-logs",
            role=self.role.id,
            policy=pulumi.Output.all(
                *(g.arn for g in (self.api_logs, self.outbox_logs, self.migrate_logs) if g)
            ).apply(
                lambda arns: docs.policy(
                    [
                        docs.statement(
                            "WriteOwnLogGroups",
                            ["logs:CreateLogStream", "logs:PutLogEvents"],
                            [f"{arn}:*" for arn in arns],
                            [args.region],
                        )
                    ]
                )
            ),
            opts=self._child,
        )
        partition = aws.get_partition_output(opts=self._invoke).partition
        self.vpc_access = aws.iam.RolePolicyAttachment(
            f"{self._name}-vpc-access",
            role=self.role.name,
            policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{VPC_ACCESS_POLICY}"),
            opts=self._child,
        )

    def _function(
        self,
        suffix: str,
        *,
        handler: str,
        description: str,
        memory_mb: int,
        timeout_seconds: int,
        reserved_concurrency: int,
        security_group: aws.ec2.SecurityGroup,
        log_group: aws.cloudwatch.LogGroup,
        environment: Mapping[str, pulumi.Input[str]],
        after: Sequence[pulumi.Resource] = (),
    ) -> aws.lambda_.Function:
        args = self._args
        return aws.lambda_.Function(
            f"{self._name}-{suffix}",
            description=description,
            runtime=LAMBDA_RUNTIME,
            architectures=[LAMBDA_ARCHITECTURE],
            handler=handler,
            code=args.code,
            layers=[args.layer_arn],
            role=self.role.arn,
            memory_size=memory_mb,
            timeout=timeout_seconds,
            reserved_concurrent_executions=reserved_concurrency,
            # The environment names endpoints and the edge's shared secret.
            kms_key_arn=args.keys.secrets,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(environment)),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(args.private_subnet_ids),
                security_group_ids=[security_group.id],
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=log_group.name,
                application_log_level="INFO",
                system_log_level="WARN",
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    self.policy,
                    self.logs_policy,
                    self.vpc_access,
                    log_group,
                    self.ssm_endpoint,
                    *after,
                ],
            ),
        )

    def _create_functions(self) -> None:
        args = self._args
        settings = {
            **args.environment,
            # Bounded per execution environment; nothing is held before a request needs it.
            "GDPR_API_DB_POOL_MIN": "0",
            "GDPR_API_DB_POOL_MAX": str(args.api.db_pool_max),
        }
        after = list(args.rollout_after)
        if args.runs_migrations:
            after = [self._create_migration(settings)]
        self.function = self._function(
            "fn",
            handler=API_HANDLER,
            description=f"gdpr-platform API ({args.jurisdiction}, {args.region})",
            memory_mb=args.api.memory_mb,
            timeout_seconds=args.api.timeout_seconds,
            reserved_concurrency=args.api.reserved_concurrency,
            security_group=self.api_sg,
            log_group=self.api_logs,
            environment={**settings, ORIGIN_SECRET_ENV: args.origin_secret},
            after=after,
        )
        self.outbox_function = self._function(
            "outbox-fn",
            handler=OUTBOX_HANDLER,
            description=f"gdpr-platform outbox worker ({args.jurisdiction}, {args.region})",
            memory_mb=args.outbox.memory_mb,
            timeout_seconds=args.outbox.timeout_seconds,
            reserved_concurrency=args.outbox.reserved_concurrency,
            security_group=self.outbox_sg,
            log_group=self.outbox_logs,
            environment=settings,
            after=after,
        )

    def _create_migration(self, settings: Mapping[str, pulumi.Input[str]]) -> pulumi.Resource:
        """The migration function and its one invocation per release (see the module's note).

        The invocation is create-only: a new code digest or layer replaces it, which invokes
        the function again; removing it invokes nothing.
        """
        args = self._args
        if self.migrate_logs is None or self.migrate_sg is None:
            raise ValueError("migrations need their log group and security group first")
        self.migrate_function = self._function(
            "migrate-fn",
            handler=MIGRATE_HANDLER,
            description=f"gdpr-platform migrations ({args.jurisdiction}, every shard)",
            memory_mb=MIGRATE_MEMORY_MB,
            timeout_seconds=MIGRATE_TIMEOUT_SECONDS,
            reserved_concurrency=1,
            security_group=self.migrate_sg,
            log_group=self.migrate_logs,
            environment=settings,
        )
        release = code_digest(args.code)
        self.migration = aws.lambda_.Invocation(
            f"{self._name}-migrate",
            function_name=self.migrate_function.name,
            input=json.dumps({"release": release[:12]}),
            triggers={"code": release, "layer": args.layer_arn},
            lifecycle_scope="CREATE_ONLY",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.migrate_after)),
        )
        return self.migration

    def _create_http_api(self) -> None:
        args = self._args
        self.http_api = aws.apigatewayv2.Api(
            f"{self._name}-http",
            name=f"gdpr-platform-{args.stack}-api",
            protocol_type="HTTP",
            description="The API's regional origin behind CloudFront",
            opts=self._child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{self._name}-integration",
            api_id=self.http_api.id,
            integration_type="AWS_PROXY",
            integration_uri=self.function.invoke_arn,
            payload_format_version="2.0",
            timeout_milliseconds=min(30_000, args.api.timeout_seconds * 1000 + 1000),
            opts=self._child,
        )
        aws.apigatewayv2.Route(
            f"{self._name}-route",
            api_id=self.http_api.id,
            route_key="$default",
            target=integration.id.apply(lambda i: f"integrations/{i}"),
            opts=self._child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{self._name}-stage",
            api_id=self.http_api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=self.access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_rate_limit=args.api.throttle_rate_limit,
                throttling_burst_limit=args.api.throttle_burst_limit,
                detailed_metrics_enabled=True,
            ),
            opts=self._child,
        )
        aws.lambda_.Permission(
            f"{self._name}-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="apigateway.amazonaws.com",
            source_arn=self.http_api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
            opts=self._child,
        )

    def _create_schedule(self) -> None:
        args = self._args
        keys = args.keys
        self.schedule_dlq = aws.sqs.Queue(
            f"{self._name}-schedule-dlq",
            kms_master_key_id=keys.queues,
            kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            opts=self._child,
        )
        aws.sqs.QueuePolicy(
            f"{self._name}-schedule-dlq-policy",
            queue_url=self.schedule_dlq.url,
            policy=self.schedule_dlq.arn.apply(
                lambda arn: json.dumps(
                    {"Version": "2012-10-17", "Statement": [deny_insecure_transport([arn], "sqs")]}
                )
            ),
            opts=self._child,
        )
        account = aws.get_caller_identity_output(opts=self._invoke).account_id
        scheduler_role = aws.iam.Role(
            f"{self._name}-scheduler",
            description=f"EventBridge Scheduler: runs the outbox worker in {args.region}",
            assume_role_policy=account.apply(
                lambda a: docs.service_trust_policy("scheduler.amazonaws.com", a)
            ),
            opts=self._child,
        )
        region = [args.region]
        scheduler_policy = aws.iam.RolePolicy(
            f"{self._name}-scheduler",
            role=scheduler_role.id,
            policy=pulumi.Output.all(
                self.outbox_function.arn, self.schedule_dlq.arn, keys.queues
            ).apply(
                lambda v: docs.policy(
                    [
                        docs.statement("RunOutbox", ["lambda:InvokeFunction"], [v[0]], region),
                        docs.statement("DeadLetters", ["sqs:SendMessage"], [v[1]], region),
                        docs.statement(
                            "DeadLetterKey", ["kms:Decrypt", "kms:GenerateDataKey"], [v[2]], region
                        ),
                    ]
                )
            ),
            opts=self._child,
        )
        rate = args.outbox.rate_minutes
        self.schedule = aws.scheduler.Schedule(
            f"{self._name}-outbox",
            name=f"gdpr-platform-{args.stack}-outbox",
            description="One bounded drain of every shard's outbox",
            schedule_expression=f"rate({rate} minute{'s' if rate > 1 else ''})",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            kms_key_arn=keys.queues,
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self.outbox_function.arn,
                role_arn=scheduler_role.arn,
                input=json.dumps({"max_rows": args.outbox.max_rows_per_run}),
                dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(
                    arn=self.schedule_dlq.arn
                ),
                # A missed run is made up by the next one; retry only within one period.
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_retry_attempts=2, maximum_event_age_in_seconds=max(60, rate * 60)
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[scheduler_policy]),
        )
