"""Bad config of the compute tier stops the program with one line naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_config
from tests.infra.conftest import set_key, stack_file
from tools.preview import project_config

CASES: list[tuple[str, Any, str, str]] = [
    # (dotted key to change, new value, key named in the message, words in the message)
    ("eks.publicAccessCidrs", ["0.0.0.0/0"], "eks.publicAccessCidrs[0]", "internet"),
    ("eks.publicAccessCidrs", ["10.0.0.1/8"], "eks.publicAccessCidrs[0]", "host bits"),
    ("eks.adminRoleArn", "arn:aws:iam::123456789012:user/alice", "eks.adminRoleArn", "role"),
    ("eks.adminRoleArn", "platform-admin", "eks.adminRoleArn", "not an IAM role ARN"),
    ("app.image", "registry.example.com/api:latest", "app.image", "not pinned"),
    ("app.image", "registry.example.com:5000/api", "app.image", "not pinned"),
    ("app.jwtIssuer", None, "app.jwtIssuer", "required"),
    ("app.replicas", 1, "app.replicas", "greater than or equal to 2"),
    ("app.minReplicas", 5, "app.replicas", "minReplicas <= replicas"),
    ("app.maxReplicas", 2, "app.replicas", "replicas <= maxReplicas"),
    ("app.cpuRequest", "lots", "app.cpuRequest", "pattern"),
    ("app.livenessPath", "v1/health", "app.livenessPath", "pattern"),
    ("app.port", 80, "app.port", "greater than or equal to 1024"),
    ("app.colour", "blue", "app.colour", "unknown key"),
    ("app.jwtJwksUrl", "http://auth.example.com/jwks", "app.jwtJwksUrl", "pattern"),
    ("app.httpsEgressCidrs", ["0.0.0.0/0"], "app.httpsEgressCidrs[0]", "too wide"),
    ("app.httpsEgressCidrs", ["auth.example.com"], "app.httpsEgressCidrs[0]", "does not appear"),
    ("app.workerReplicas", 0, "app.workerReplicas", "greater than or equal to 1"),
    ("edge.aliases", [], "edge.aliases", "domain name"),
    ("edge.viewerCertificateArn", None, "edge.viewerCertificateArn", "us-east-1"),
    (
        "edge.viewerCertificateArn",
        "arn:aws:acm:eu-central-1:123456789012:certificate/x",
        "edge.viewerCertificateArn",
        "us-east-1",
    ),
    (
        "edge.originCertificateArns.eu-west-1",
        "arn:aws:acm:eu-central-1:123456789012:certificate/b",
        "edge.originCertificateArns.eu-west-1",
        "not an ACM certificate ARN in eu-west-1",
    ),
    (
        "edge.originCertificateArns.eu-west-2",
        "arn:aws:acm:eu-west-2:123456789012:certificate/c",
        "edge.originCertificateArns.eu-west-2",
        "not one of the stack's",
    ),
    ("edge.writeRegion", "us-east-1", "edge.writeRegion", "not one of the stack's regions"),
    ("edge.hstsMaxAgeSeconds", 3600, "edge.hstsMaxAgeSeconds", "31536000"),
    ("edge.failoverPathPatterns", ["v1/health"], "edge.failoverPathPatterns[0]", "pattern"),
    ("observability.logRetentionDays", 42, "observability.logRetentionDays", "accepts only"),
    # One log-retention type for every log group: values CloudWatch would refuse stop here.
    ("network.flowLogRetentionDays", 42, "network.flowLogRetentionDays", "accepts only"),
    ("audit.shipper.logRetentionDays", 10, "audit.shipper.logRetentionDays", "accepts only"),
    ("central.consumer.logRetentionDays", 2, "central.consumer.logRetentionDays", "accepts only"),
    ("observability.apiErrorRatePercent", 0, "observability.apiErrorRatePercent", "greater"),
    # Production alarms that page nobody: both stacks are production.
    ("observability.alarmEmails", [], "observability.alarmEmails", "alarm subscriber"),
    ("observability.alarmEmails", None, "observability.alarmEmails", "alarm subscriber"),
]


@pytest.mark.parametrize(("dotted", "value", "key", "words"), CASES)
def test_bad_compute_config_names_the_key(dotted: str, value: Any, key: str, words: str) -> None:
    changed = set_key(stack_file("eu"), dotted, value)
    with pytest.raises(ConfigError) as caught:
        parse_config("eu", project_config(changed))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"gdpr-platform:{key}: "), message
    assert words in message, message


def test_both_stack_files_parse_with_the_new_sections() -> None:
    for stack in ("eu", "us"):
        cfg = parse_config(stack, project_config(stack_file(stack)))
        assert set(cfg.edge.origin_certificate_arns) <= set(cfg.regions.all)
        assert cfg.app.min_replicas <= cfg.app.replicas <= cfg.app.max_replicas
        assert cfg.edge.viewer_certificate_arn is not None
        assert ":acm:us-east-1:" in cfg.edge.viewer_certificate_arn


def test_admin_role_is_optional_and_images_may_be_pinned_by_digest() -> None:
    config = set_key(stack_file("us"), "eks.adminRoleArn", None)
    config = set_key(config, "app.image", "registry.example.com/api@sha256:" + "a" * 64)
    cfg = parse_config("us", project_config(config))
    assert cfg.eks.admin_role_arn is None
    assert cfg.app.image is not None
    assert cfg.app.image.endswith("a" * 64)


def test_alarm_subscribers_are_optional_outside_production() -> None:
    changed = set_key(stack_file("eu"), "observability.alarmEmails", None)
    changed = set_key(changed, "environment", "staging")
    assert parse_config("eu", project_config(changed)).observability.alarm_emails == ()


@pytest.mark.parametrize("stack", ["eu", "us"])
def test_production_stacks_name_their_alarm_subscribers(stack: str) -> None:
    config = parse_config(stack, project_config(stack_file(stack)))
    assert config.is_production
    assert config.observability.alarm_emails
