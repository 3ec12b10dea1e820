"""Logs, dashboards and alarms.

- ``RegionalLogs``: the log groups of everything that logs in a region, created before
  the things that write to them so that none is auto-created without KMS or retention.
- ``RegionalMonitoring``: a region's dashboard and alarms, to a KMS-encrypted SNS topic.
- ``JurisdictionDashboard``: one dashboard in the primary region with every region's
  widgets (CloudWatch draws cross-region widgets from the same account).
- ``OperationsDashboard``: the operations pane's dashboard in the primary: per region, Config
  rules turning non-compliant and Security Hub findings (counted by EventBridge rules).

Identifiers of the data and data-flow tiers (Aurora clusters, queues, functions) are
arguments; while a list is empty its widget searches the namespace instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi_aws as aws

from components.tagging import classification

#: Dashboards and alarms carry metrics only: no personal data.
_AGGREGATE = classification("aggregate")
PERIOD_SECONDS = 300


def eks_control_plane_log_group_name(cluster_name: str) -> str:
    """The group EKS writes control-plane logs to (and creates if it does not exist)."""
    return f"/aws/eks/{cluster_name}/cluster"


def app_log_group_name(cluster_name: str) -> str:
    """Container Insights / Fluent Bit's application log group for the cluster."""
    return container_insights_log_group_name(cluster_name, "application")


#: The groups the amazon-cloudwatch-observability add-on writes to (and would create).
CONTAINER_INSIGHTS_LOGS: tuple[str, ...] = ("application", "dataplane", "host", "performance")


def container_insights_log_group_name(cluster_name: str, kind: str) -> str:
    return f"/aws/containerinsights/{cluster_name}/{kind}"


@dataclass
class RegionalLogsArgs:
    region: str
    cluster_name: str
    logs_key_arn: pulumi.Input[str]
    retention_days: int


class RegionalLogs(pulumi.ComponentResource):
    """KMS-encrypted log groups with retention, made before their writers exist."""

    control_plane: aws.cloudwatch.LogGroup
    application: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: RegionalLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gdpr-platform:observability:RegionalLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.control_plane = aws.cloudwatch.LogGroup(
            f"{name}-eks-control-plane",
            name=eks_control_plane_log_group_name(args.cluster_name),
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.retention_days,
            # Audit logs name the callers of the Kubernetes API.
            tags=classification("personal"),
            opts=child,
        )
        # Container logs carry whatever the API logs (request paths name user IDs);
        # node and performance logs are internal.
        self.container_insights = {
            kind: aws.cloudwatch.LogGroup(
                f"{name}-{kind}",
                name=container_insights_log_group_name(args.cluster_name, kind),
                kms_key_id=args.logs_key_arn,
                retention_in_days=args.retention_days,
                tags=classification("personal" if kind == "application" else "internal"),
                opts=child,
            )
            for kind in CONTAINER_INSIGHTS_LOGS
        }
        self.application = self.container_insights["application"]
        self.register_outputs(
            {
                "controlPlaneLogGroup": self.control_plane.name,
                "applicationLogGroup": self.application.name,
            }
        )


@dataclass(frozen=True)
class RegionalSignals:
    """The identifiers a region's dashboard and alarms watch.

    The data tiers fill in theirs; the compute tier adds its load balancer
    (:meth:`with_load_balancer`) before the region's monitoring is built.
    """

    region: str
    #: ``app/<name>/<id>`` of the API's load balancer and its target group.
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    target_group_arn_suffix: pulumi.Input[str] | None = None
    #: Aurora clusters in this region (data tier).
    db_cluster_ids: Sequence[pulumi.Input[str]] = field(default_factory=list)
    #: Secondary (replica) clusters, which report AuroraGlobalDBReplicationLag.
    replica_cluster_ids: Sequence[pulumi.Input[str]] = field(default_factory=list)
    #: Work queues and dead-letter queues by name (data-flows tier).
    queue_names: Sequence[pulumi.Input[str]] = field(default_factory=list)
    dlq_names: Sequence[pulumi.Input[str]] = field(default_factory=list)
    function_names: Sequence[pulumi.Input[str]] = field(default_factory=list)
    #: Lambda mode: the API's HTTP API, watched instead of a load balancer.
    http_api_id: pulumi.Input[str] | None = None

    def with_http_api(self, http_api_id: pulumi.Input[str]) -> RegionalSignals:
        return replace(self, http_api_id=http_api_id)

    def with_load_balancer(
        self,
        load_balancer_arn_suffix: pulumi.Input[str],
        target_group_arn_suffix: pulumi.Input[str],
    ) -> RegionalSignals:
        return replace(
            self,
            load_balancer_arn_suffix=load_balancer_arn_suffix,
            target_group_arn_suffix=target_group_arn_suffix,
        )


@dataclass
class _Resolved:
    region: str
    lb: str | None
    tg: str | None
    db: list[str]
    replicas: list[str]
    queues: list[str]
    dlqs: list[str]
    functions: list[str]
    api: str | None = None


def _resolve(signals: RegionalSignals) -> pulumi.Output[_Resolved]:
    return pulumi.Output.all(
        lb=signals.load_balancer_arn_suffix,
        tg=signals.target_group_arn_suffix,
        db=list(signals.db_cluster_ids),
        replicas=list(signals.replica_cluster_ids),
        queues=list(signals.queue_names),
        dlqs=list(signals.dlq_names),
        functions=list(signals.function_names),
        api=signals.http_api_id,
    ).apply(lambda v: _Resolved(region=signals.region, **v))


def _metric_rows(
    namespace: str,
    metric: str,
    dimension: str,
    ids: Sequence[str],
    stat: str,
    region: str,
    search_term: str = "",
) -> list[Any]:
    if ids:
        return [
            [namespace, metric, dimension, i, {"stat": stat, "region": region, "label": i}]
            for i in ids
        ]
    # Nothing wired yet: search the namespace, so the widget shows what exists.
    query = f'{{{namespace},{dimension}}} MetricName="{metric}" {search_term}'.strip()
    expression = f"SEARCH('{query}', '{stat}', {PERIOD_SECONDS})"
    return [[{"expression": expression, "id": f"s_{metric.lower()}", "region": region}]]


def _widget(title: str, metrics: list[Any], region: str, x: int, y: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "period": PERIOD_SECONDS,
            "view": "timeSeries",
            "stacked": False,
        },
    }


def _api_rows(signals: _Resolved) -> tuple[list[Any], list[Any]]:
    """The API's 5xx/requests and latency rows: its load balancer, or its HTTP API."""
    r = signals.region
    if signals.lb is None and signals.api is not None:
        errors = [
            ["AWS/ApiGateway", metric, "ApiId", signals.api, {"stat": "Sum", "region": r}]
            for metric in ("5xx", "Count")
        ]
        latency_ms = [
            ["AWS/ApiGateway", "Latency", "ApiId", signals.api, {"stat": s, "region": r}]
            for s in ("p50", "p99")
        ]
        return errors, latency_ms
    api_5xx = [
        [
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            "LoadBalancer",
            signals.lb,
            {"stat": "Sum", "region": r},
        ],
        [
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            "LoadBalancer",
            signals.lb,
            {"stat": "Sum", "region": r},
        ],
        [
            "AWS/ApplicationELB",
            "RequestCount",
            "LoadBalancer",
            signals.lb,
            {"stat": "Sum", "region": r},
        ],
    ]
    latency = [
        [
            "AWS/ApplicationELB",
            "TargetResponseTime",
            "LoadBalancer",
            signals.lb,
            {"stat": stat, "region": r, "label": stat},
        ]
        for stat in ("p50", "p99")
    ]
    return api_5xx, latency


def region_widgets(signals: _Resolved, y0: int = 0, prefix: str = "") -> list[dict[str, Any]]:
    """Every widget of one region: API, Aurora, queues, DLQs, Lambda."""
    r = signals.region
    api_5xx, latency = _api_rows(signals)
    rows = [
        (f"{prefix}API 5xx and requests", api_5xx),
        (f"{prefix}API latency (s)", latency),
        (
            f"{prefix}Aurora CPU %",
            _metric_rows(
                "AWS/RDS", "CPUUtilization", "DBClusterIdentifier", signals.db, "Average", r
            ),
        ),
        (
            f"{prefix}Aurora connections",
            _metric_rows(
                "AWS/RDS", "DatabaseConnections", "DBClusterIdentifier", signals.db, "Sum", r
            ),
        ),
        (
            f"{prefix}AuroraGlobalDBReplicationLag (ms)",
            _metric_rows(
                "AWS/RDS",
                "AuroraGlobalDBReplicationLag",
                "DBClusterIdentifier",
                signals.replicas,
                "Maximum",
                r,
            ),
        ),
        (
            f"{prefix}SQS depth",
            _metric_rows(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                signals.queues,
                "Maximum",
                r,
            ),
        ),
        (
            f"{prefix}SQS age of oldest message (s)",
            _metric_rows(
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                "QueueName",
                signals.queues,
                "Maximum",
                r,
            ),
        ),
        (
            f"{prefix}DLQ depth",
            _metric_rows(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                signals.dlqs,
                "Maximum",
                r,
                search_term="dlq",
            ),
        ),
        (
            f"{prefix}Lambda errors",
            _metric_rows("AWS/Lambda", "Errors", "FunctionName", signals.functions, "Sum", r),
        ),
    ]
    return [
        _widget(title, metrics, r, x=12 * (i % 2), y=y0 + 6 * (i // 2))
        for i, (title, metrics) in enumerate(rows)
    ]


def dashboard_body(regions: Sequence[_Resolved], *, titled: bool) -> str:
    widgets: list[dict[str, Any]] = []
    y = 0
    for signals in regions:
        if titled:
            widgets.append(
                {
                    "type": "text",
                    "x": 0,
                    "y": y,
                    "width": 24,
                    "height": 1,
                    "properties": {"markdown": f"## {signals.region}"},
                }
            )
            y += 1
        region_part = region_widgets(signals, y0=y, prefix=f"{signals.region}: " if titled else "")
        widgets.extend(region_part)
        y = max(w["y"] + w["height"] for w in region_part)
    return json.dumps({"widgets": widgets}, sort_keys=True)


def alarm_topic_policy(topic_arn: str, account_id: str) -> str:
    """CloudWatch alarms and EventBridge rules of this account may publish (the operations
    pane's Trusted Advisor events); nobody may use the topic without TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "EventBridgeRulesPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "DenyWithoutTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        },
        sort_keys=True,
    )


@dataclass
class RegionalMonitoringArgs:
    signals: RegionalSignals
    stack: str
    #: The region's queues CMK: SNS encrypts with it, CloudWatch needs to use it.
    queues_key_arn: pulumi.Input[str]
    error_rate_percent: float
    replication_lag_ms: int
    alarm_emails: Sequence[str] = ()


class RegionalMonitoring(pulumi.ComponentResource):
    """One region's dashboard, and alarms to an encrypted SNS topic."""

    topic: aws.sns.Topic
    dashboard: aws.cloudwatch.Dashboard
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self,
        name: str,
        args: RegionalMonitoringArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:observability:RegionalMonitoring", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        region = args.signals.region
        if args.signals.load_balancer_arn_suffix is None and args.signals.http_api_id is None:
            raise ValueError(f"{name}: the signals of {region} name no load balancer or API")
        self._create_topic()
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"gdpr-platform-{args.stack}-{region}",
            dashboard_body=_resolve(args.signals).apply(
                lambda resolved: dashboard_body([resolved], titled=False)
            ),
            opts=self._child,
        )
        self.alarms = []
        self._create_alarms()
        self.register_outputs(
            {"topicArn": self.topic.arn, "dashboardName": self.dashboard.dashboard_name}
        )

    def _create_topic(self) -> None:
        self.topic = aws.sns.Topic(
            f"{self._name}-alarms",
            kms_master_key_id=self._args.queues_key_arn,
            tags=_AGGREGATE,
            opts=self._child,
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        aws.sns.TopicPolicy(
            f"{self._name}-alarms",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, account).apply(
                lambda v: alarm_topic_policy(v[0], v[1])
            ),
            opts=self._child,
        )
        for i, email in enumerate(self._args.alarm_emails):
            aws.sns.TopicSubscription(
                f"{self._name}-alarms-email-{i}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=self._child,
            )

    def _alarm(self, suffix: str, **kwargs: Any) -> None:
        self.alarms.append(
            aws.cloudwatch.MetricAlarm(
                f"{self._name}-{suffix}",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                tags=_AGGREGATE,
                opts=self._child,
                **kwargs,
            )
        )

    def _create_alarms(self) -> None:
        args = self._args
        signals = args.signals

        lb = signals.load_balancer_arn_suffix
        dimensions: dict[str, pulumi.Input[str]]
        if lb is not None:
            namespace, dimensions, requests = (
                "AWS/ApplicationELB",
                {"LoadBalancer": lb},
                "RequestCount",
            )
            errors = [
                ("target5xx", "HTTPCode_Target_5XX_Count"),
                ("elb5xx", "HTTPCode_ELB_5XX_Count"),
            ]
        else:  # Lambda mode: the HTTP API counts every 5xx, the function's and its own
            api = signals.http_api_id
            assert api is not None  # checked in __init__
            namespace, dimensions, requests = "AWS/ApiGateway", {"ApiId": api}, "Count"
            errors = [("api5xx", "5xx")]

        def metric(name: str) -> aws.cloudwatch.MetricAlarmMetricQueryMetricArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=namespace,
                metric_name=name,
                dimensions=dimensions,
                period=PERIOD_SECONDS,
                stat="Sum",
            )

        queries = [
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=qid, metric=metric(name), return_data=False
            )
            for qid, name in errors
        ]
        summed = " + ".join(f"FILL({qid}, 0)" for qid, _ in errors)
        self._alarm(
            "api-5xx-rate",
            alarm_description=(
                f"API 5xx above {args.error_rate_percent}% of requests in {signals.region}"
            ),
            comparison_operator="GreaterThanThreshold",
            threshold=args.error_rate_percent,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            treat_missing_data="notBreaching",
            metric_queries=[
                *queries,
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="requests", metric=metric(requests), return_data=False
                ),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate",
                    expression=f"100 * ({summed}) / requests",
                    label="5xx %",
                    return_data=True,
                ),
            ],
        )
        for i, cluster_id in enumerate(signals.replica_cluster_ids):
            self._alarm(
                f"replication-lag-{i}",
                alarm_description=(
                    f"Aurora global replication lag above {args.replication_lag_ms} ms"
                ),
                namespace="AWS/RDS",
                metric_name="AuroraGlobalDBReplicationLag",
                dimensions={"DBClusterIdentifier": cluster_id},
                statistic="Maximum",
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator="GreaterThanThreshold",
                threshold=args.replication_lag_ms,
                # A replica that stops reporting lag has stopped replicating.
                treat_missing_data="breaching",
            )
        for i, dlq in enumerate(signals.dlq_names):
            self._alarm(
                f"dlq-depth-{i}",
                alarm_description="A message reached a dead-letter queue",
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": dlq},
                statistic="Maximum",
                period=60,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                treat_missing_data="notBreaching",
            )


@dataclass
class JurisdictionDashboardArgs:
    stack: str
    regions: Sequence[RegionalSignals]


class JurisdictionDashboard(pulumi.ComponentResource):
    """One dashboard in the primary region with a section per region of the jurisdiction."""

    dashboard: aws.cloudwatch.Dashboard

    def __init__(
        self,
        name: str,
        args: JurisdictionDashboardArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:observability:JurisdictionDashboard", name, None, opts)
        resolved = pulumi.Output.all(*[_resolve(s) for s in args.regions])
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"gdpr-platform-{args.stack}-all-regions",
            dashboard_body=resolved.apply(lambda rs: dashboard_body(rs, titled=True)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name})


#: The findings the operations dashboard counts, by EventBridge rule (per region).
OPERATIONS_EVENT_PATTERNS: dict[str, dict[str, Any]] = {
    "config-noncompliant": {
        "source": ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        "detail": {"newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]}},
    },
    "securityhub-findings": {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "Severity": {"Label": ["CRITICAL", "HIGH", "MEDIUM"]},
                "Workflow": {"Status": ["NEW"]},
                "RecordState": ["ACTIVE"],
            }
        },
    },
}
_OPERATIONS_TITLES = {
    "config-noncompliant": "Config rules turned NON_COMPLIANT",
    "securityhub-findings": "Security Hub findings (new, medium and above)",
}


def operations_rule_name(stack: str, kind: str) -> str:
    return f"gdpr-platform-{stack}-{kind}"


def operations_dashboard_body(stack: str, regions: Sequence[str]) -> str:
    """Per region: Config compliance changes and Security Hub findings, as rule matches."""
    widgets: list[dict[str, Any]] = []
    for row, region in enumerate(regions):
        for col, kind in enumerate(OPERATIONS_EVENT_PATTERNS):
            metrics = [
                [
                    "AWS/Events",
                    "MatchedEvents",
                    "RuleName",
                    operations_rule_name(stack, kind),
                    {"stat": "Sum", "region": region, "label": region},
                ]
            ]
            widgets.append(
                _widget(f"{region}: {_OPERATIONS_TITLES[kind]}", metrics, region, 12 * col, 6 * row)
            )
    return json.dumps({"widgets": widgets}, sort_keys=True)


@dataclass
class OperationsDashboardArgs:
    stack: str
    primary: str
    regions: Sequence[str]
    #: {region: provider}: the counting rules live in each region.
    providers: Mapping[str, aws.Provider]


class OperationsDashboard(pulumi.ComponentResource):
    """Config compliance and Security Hub finding counts of every region, in the primary.

    Neither service publishes these counts as CloudWatch metrics; an EventBridge rule per
    region and kind matches the events, and its ``MatchedEvents`` metric is the count.
    """

    dashboard: aws.cloudwatch.Dashboard
    rules: list[aws.cloudwatch.EventRule]

    def __init__(
        self,
        name: str,
        args: OperationsDashboardArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:observability:OperationsDashboard", name, None, opts)
        self.rules = [
            aws.cloudwatch.EventRule(
                f"{name}-{kind}-{region}",
                name=operations_rule_name(args.stack, kind),
                description=f"Counts {_OPERATIONS_TITLES[kind]} for the operations dashboard",
                event_pattern=json.dumps(pattern, sort_keys=True),
                tags=_AGGREGATE,
                opts=pulumi.ResourceOptions(parent=self, provider=args.providers[region]),
            )
            for region in args.regions
            for kind, pattern in OPERATIONS_EVENT_PATTERNS.items()
        ]
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"gdpr-platform-{args.stack}-operations",
            dashboard_body=operations_dashboard_body(args.stack, args.regions),
            opts=pulumi.ResourceOptions(parent=self, provider=args.providers[args.primary]),
        )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name})
