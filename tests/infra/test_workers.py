"""The queue worker on its own: what the program does not exercise (an alarm topic)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings

from components.config import Environment, LambdaWorkerConfig, ProtectionConfig, ProtectionFloor
from components.keys import PURPOSES, KeyArns
from components.workers import QueueWorkerArgs, WorkerSite, lambda_code
from tools.mocks import ResourceRecord, install

KEYS = KeyArns(
    **{p: f"arn:aws:kms:eu-central-1:123456789012:key/{p}" for p in PURPOSES},
)
FLOOR = ProtectionFloor.settle(ProtectionConfig(), Environment.PRODUCTION)
TOPIC = "arn:aws:sns:eu-central-1:123456789012:alarms"


def build_worker(alarm_topic_arn: str | None) -> list[ResourceRecord]:
    runtime_settings.ROOT.set(None)
    runtime_config.CONFIG.set({})
    monitor = install("gdpr-platform", "unit", preview=True)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> pulumi.Output[Any]:
        provider = aws.Provider("aws-eu-central-1", region="eu-central-1")
        site = WorkerSite(
            stack="unit",
            region="eu-central-1",
            protection=FLOOR,
            vpc_id="vpc-1",
            subnet_ids=["subnet-1"],
            keys=KEYS,
            code=lambda_code(),
            alarm_topic_arn=alarm_topic_arn,
        )
        worker = site.queue_worker(
            "w",
            QueueWorkerArgs(
                handler="app.shardmap.handler",
                description="unit",
                settings=LambdaWorkerConfig(),
                log_name="w",
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        return worker.dlq_alarm.arn

    run()
    return monitor.records


def alarm(records: list[ResourceRecord]) -> dict[str, Any]:
    [record] = [r for r in records if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"]
    inputs: dict[str, Any] = record["inputs"]
    return inputs


def test_the_dlq_alarm_notifies_the_topic_when_given_one() -> None:
    inputs = alarm(build_worker(TOPIC))
    assert inputs["alarmActions"] == [TOPIC]
    assert inputs["okActions"] == [TOPIC]


def test_without_a_topic_the_alarm_exists_with_no_actions() -> None:
    inputs = alarm(build_worker(None))
    assert inputs.get("alarmActions", []) == []


def test_the_archive_holds_the_app_package_without_caches() -> None:
    archive = lambda_code()
    assert "app/__init__.py" in archive.assets
    assert all(name.startswith("app/") for name in archive.assets)
    assert not any("__pycache__" in name for name in archive.assets)
