"""Log groups, dashboards and alarms."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings

from components.observability import (
    RegionalMonitoring,
    RegionalMonitoringArgs,
    RegionalSignals,
)
from tests.infra.conftest import of_type, policy_doc
from tests.infra.iam_checks import least_privilege_problems
from tests.infra.records import in_region, one
from tools.mocks import ResourceRecord, install
from tools.preview import PreviewResult

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"

REQUIRED_WIDGETS = (
    "API 5xx",
    "API latency",
    "Aurora CPU",
    "Aurora connections",
    "AuroraGlobalDBReplicationLag",
    "SQS depth",
    "SQS age of oldest message",
    "DLQ depth",
    "Lambda errors",
)


def widgets(record: ResourceRecord) -> list[dict[str, Any]]:
    body = json.loads(record["inputs"]["dashboardBody"])
    found: list[dict[str, Any]] = body["widgets"]
    return found


def metric_widgets(record: ResourceRecord) -> list[dict[str, Any]]:
    return [w for w in widgets(record) if w["type"] == "metric"]


def test_every_log_group_is_encrypted_with_its_regions_logs_key_and_expires(
    stack: PreviewResult,
) -> None:
    groups = of_type(stack, "aws:cloudwatch/logGroup:LogGroup")
    # Per region at least: flow logs, EKS control plane, Container Insights (4 groups).
    assert len(groups) >= 6 * len(stack.config.regions.all)
    for group in groups:
        assert group["inputs"]["kmsKeyId"] == stack.outputs["kmsKeyArns"][group["region"]]["logs"]
        assert group["inputs"]["retentionInDays"] > 0


def test_compute_log_groups_take_retention_from_config(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        for suffix in ("eks-control-plane", "application", "dataplane", "host", "performance"):
            group = one(stack, "aws:cloudwatch/logGroup:LogGroup", f"logs-{region}-{suffix}")
            assert group["inputs"]["retentionInDays"] == (
                stack.config.observability.log_retention_days
            )
            assert group["region"] == region


def test_each_region_has_a_dashboard_of_its_own_metrics(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        (dashboard,) = [
            d
            for d in in_region(stack, DASHBOARD, region)
            if not d["name"].startswith(("dashboard-all-regions", "operations-"))
        ]
        titles = [w["properties"]["title"] for w in metric_widgets(dashboard)]
        for wanted in REQUIRED_WIDGETS:
            assert any(t.startswith(wanted) for t in titles), (region, wanted)
        assert {w["properties"]["region"] for w in metric_widgets(dashboard)} == {region}
        alb = one(stack, "aws:lb/loadBalancer:LoadBalancer", f"origin-{region}-alb")
        assert alb["urn"] in dashboard["dependencies"]


def test_one_cross_region_dashboard_in_the_primary_shows_every_region(
    stack: PreviewResult,
) -> None:
    (dashboard,) = [d for d in of_type(stack, DASHBOARD) if d["name"].startswith("dashboard-all")]
    assert dashboard["region"] == stack.config.regions.primary
    shown = {w["properties"]["region"] for w in metric_widgets(dashboard)}
    assert shown == set(stack.config.regions.all)
    for region in stack.config.regions.all:
        titles = [
            w["properties"]["title"]
            for w in metric_widgets(dashboard)
            if w["properties"]["region"] == region
        ]
        for wanted in REQUIRED_WIDGETS:
            assert any(t.startswith(f"{region}: {wanted}") for t in titles), (region, wanted)


def test_alarms_go_to_the_regions_encrypted_topic(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        (topic,) = in_region(stack, TOPIC, region)
        assert topic["inputs"]["kmsMasterKeyId"] == stack.outputs["kmsKeyArns"][region]["queues"]
        topic_arn = stack.outputs["alarmTopicArns"][region]
        alarms = [
            a
            for a in in_region(stack, ALARM, region)
            if (a["parent"] or "").endswith(f"RegionalMonitoring::monitoring-{region}")
        ]
        assert alarms
        for alarm in alarms:
            assert alarm["inputs"]["alarmActions"] == [topic_arn]
        policy = policy_doc(
            one(stack, "aws:sns/topicPolicy:TopicPolicy", f"monitoring-{region}-alarms")
        )
        publish = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchAlarmsPublish")
        assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert publish["Resource"] == topic_arn


def test_5xx_rate_alarm_uses_the_configured_threshold(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        alarm = one(stack, ALARM, f"monitoring-{region}-api-5xx-rate")
        assert alarm["inputs"]["threshold"] == stack.config.observability.api_error_rate_percent
        (rate,) = [q for q in alarm["inputs"]["metricQueries"] if q.get("returnData")]
        assert "requests" in rate["expression"]


def run_under_mocks(build: Callable[[], None]) -> list[ResourceRecord]:
    """Run ``build`` as a one-off program under the recording mocks."""
    runtime_settings.ROOT.set(None)
    runtime_config.CONFIG.set({})
    monitor = install("gdpr-platform", "unit", preview=True)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> None:
        build()

    program()
    return monitor.records


def test_replication_lag_and_dlq_alarms_once_the_data_tiers_are_wired() -> None:
    def build() -> None:
        provider = aws.Provider("aws-eu-west-1", region="eu-west-1")
        RegionalMonitoring(
            "monitoring-eu-west-1",
            RegionalMonitoringArgs(
                signals=RegionalSignals(
                    region="eu-west-1",
                    load_balancer_arn_suffix="app/api/123",
                    target_group_arn_suffix="targetgroup/api/456",
                    db_cluster_ids=["shard-00-eu-west-1", "shard-01-eu-west-1"],
                    replica_cluster_ids=["shard-00-eu-west-1", "shard-01-eu-west-1"],
                    queue_names=["audit-shipper"],
                    dlq_names=["audit-shipper-dlq"],
                    function_names=["audit-shipper"],
                ),
                stack="eu",
                queues_key_arn="arn:aws:kms:eu-west-1:123456789012:key/q",
                error_rate_percent=1.0,
                replication_lag_ms=2000,
                alarm_emails=["oncall@example.com"],
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )

    records = run_under_mocks(build)
    alarms = {r["name"]: r["inputs"] for r in records if r["type"] == ALARM}
    lag = [a for a in alarms.values() if a.get("metricName") == "AuroraGlobalDBReplicationLag"]
    assert sorted(a["dimensions"]["DBClusterIdentifier"] for a in lag) == [
        "shard-00-eu-west-1",
        "shard-01-eu-west-1",
    ]
    assert all(a["threshold"] == 2000 for a in lag)
    (dlq,) = [
        a for a in alarms.values() if a.get("dimensions") == {"QueueName": "audit-shipper-dlq"}
    ]
    assert dlq["threshold"] == 0
    assert dlq["comparisonOperator"] == "GreaterThanThreshold"
    (topic,) = [r for r in records if r["type"] == TOPIC]
    topic_arn = f"arn:aws:sns:eu-west-1:123456789012:{topic['name']}-"
    assert all(a["alarmActions"][0].startswith(topic_arn) for a in alarms.values())
    (dashboard,) = [r for r in records if r["type"] == DASHBOARD]
    body = json.dumps(json.loads(dashboard["inputs"]["dashboardBody"]))
    for identifier in ("shard-01-eu-west-1", "audit-shipper-dlq", "app/api/123"):
        assert identifier in body
    assert "SEARCH(" not in body
    (subscription,) = [
        r for r in records if r["type"] == "aws:sns/topicSubscription:TopicSubscription"
    ]
    assert subscription["inputs"]["protocol"] == "email"
    assert {r["region"] for r in records if r["type"].startswith("aws:")} == {"eu-west-1"}


def test_container_logs_are_shipped_into_the_premade_groups_only(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        addon = one(stack, "aws:eks/addon:Addon", f"cluster-{region}-cloudwatch-observability")
        groups = [
            one(stack, "aws:cloudwatch/logGroup:LogGroup", f"logs-{region}-{kind}")
            for kind in ("application", "dataplane", "host", "performance")
        ]
        assert {g["urn"] for g in groups} <= set(addon["dependencies"])
        assert groups[0]["inputs"]["name"] == (
            f"/aws/containerinsights/{stack.outputs['eksClusterNames'][region]}/application"
        )
        doc = policy_doc(
            one(stack, "aws:iam/rolePolicy:RolePolicy", f"cluster-{region}-cloudwatch-agent")
        )
        assert least_privilege_problems(doc, {region}) == []
        writes = next(s for s in doc["Statement"] if s["Sid"] == "WriteOwnLogGroups")
        assert all(f":logs:{region}:" in arn for arn in writes["Resource"])
        assert len(writes["Resource"]) == 8  # four groups and their streams
        metrics = next(s for s in doc["Statement"] if s["Sid"] == "ContainerInsightsMetrics")
        assert metrics["Condition"]["StringEquals"]["cloudwatch:namespace"] == "ContainerInsights"


def test_metrics_server_backs_the_autoscaler(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        addon = one(stack, "aws:eks/addon:Addon", f"cluster-{region}-metrics-server")
        assert addon["inputs"]["clusterName"] == stack.outputs["eksClusterNames"][region]
        assert addon["region"] == region
