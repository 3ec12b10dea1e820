"""HTTP API stages: access logging, a baseline rule advisory by default like the other
access-logging rules (exposure.py); the production config raises it once named there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .context import ResourceView
from .rule import Rule
from .values import get, known

STAGE = "aws:apigatewayv2/stage:Stage"


def check_stage_logs(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    settings = known(res.props.get("accessLogSettings"), "accessLogSettings")
    # A destination not yet known at preview (a log group created alongside) is still set.
    if not get(settings, "destinationArn"):
        return [f"stage {res.name!r} writes no access logs (accessLogSettings.destinationArn)"]
    return []


STAGE_LOGS = Rule(
    name="aws-apigatewayv2-stage-enable-access-logs",
    description="API Gateway HTTP and WebSocket API stages write access logs.",
    group="baseline",
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.ADVISORY,
    fix="set access_log_settings={'destination_arn': <a log group of the region>, "
    "'format': <a JSON format>}",
    url="https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html",
    types=frozenset({STAGE}),
    resource_check=check_stage_logs,
    checkov=("CKV_AWS_76",),
    security_hub=("APIGateway.9",),
)

RULES: list[Rule] = [STAGE_LOGS]
