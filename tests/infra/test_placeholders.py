"""Example values are refused in a production stack, one line each: the key and the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from components.config import ConfigError, parse_config
from components.config.stack import check_no_example_values
from components.placeholders import find_example_values, refuse_example_values
from tests.infra.conftest import set_key, stack_file
from tools.preview import PROJECT_DIR, collect, engine_config, project_config

ORG = "acme"

# (dotted key, example value, key named in the error, words of the fix)
EXAMPLES: list[tuple[str, Any, str, str]] = [
    (
        "eks.adminRoleArn",
        "arn:aws:iam::123456789012:role/platform-eks-admin",
        "eks.adminRoleArn",
        "cluster administrators",
    ),
    (
        "central.producerRoleArns",
        ["arn:aws:iam::111122223333:role/gdpr-platform-eu-api-eu-central-1"],
        "central.producerRoleArns[0]",
        "apiRoleArns output",
    ),
    (
        "edge.viewerCertificateArn",
        "arn:aws:acm:us-east-1:123456789012:certificate/eu-viewer",
        "edge.viewerCertificateArn",
        "ACM certificate",
    ),
    ("edge.aliases", ["api.eu.example.com"], "edge.aliases[0]", "real domain name"),
    ("app.jwtIssuer", "https://auth.eu.example.com/", "app.jwtIssuer", "issuer URL"),
    (
        "app.jwtJwksUrl",
        "https://auth.eu.example.com/.well-known/jwks.json",
        "app.jwtJwksUrl",
        "JWKS URL",
    ),
    ("app.httpsEgressCidrs", ["192.0.2.0/24"], "app.httpsEgressCidrs[0]", "address ranges"),
    ("app.httpsEgressCidrs", ["198.51.100.0/24"], "app.httpsEgressCidrs[0]", "address ranges"),
    ("app.httpsEgressCidrs", ["203.0.113.64/26"], "app.httpsEgressCidrs[0]", "address ranges"),
    (
        "audit.institutionUrl",
        "https://audit.institution.example.eu/v1/files",
        "audit.institutionUrl",
        "institution",
    ),
    (
        "observability.alarmEmails",
        ["platform-oncall@example.com"],
        "observability.alarmEmails[0]",
        "on-call",
    ),
    ("tags.owner", "platform-team@example.com", "tags.owner", "owning team"),
    ("central.hostStack", "organization/gdpr-platform/eu", "central.hostStack", "organization"),
    (
        "release.imageDigest",
        "sha256:" + "0" * 64,
        "release.imageDigest",
        "digest the image job pushed",
    ),
    (
        "deployer.githubRepository",
        "example-org/gdpr-platform",
        "deployer.githubRepository",
        "<owner>/<name>",
    ),
    (
        "deployer.connectionArn",
        "arn:aws:codeconnections:eu-central-1:123456789012:connection/"
        "00000000-0000-4000-8000-000000000000",
        "deployer.connectionArn",
        "CodeConnections",
    ),
]


def _real_eu() -> dict[str, Any]:
    """The eu stack file with every example replaced by a plausible real value."""
    config = stack_file("eu")
    real: dict[str, Any] = {
        "eks.adminRoleArn": "arn:aws:iam::210987654321:role/platform-eks-admin",
        "central.hostStack": f"{ORG}/gdpr-platform/eu",
        "central.producerRoleArns": [
            "arn:aws:iam::210987654321:role/gdpr-platform-eu-api-eu-central-1",
            "arn:aws:iam::210987654321:role/gdpr-platform-eu-api-eu-west-1",
            "arn:aws:iam::310987654321:role/gdpr-platform-us-api-us-east-1",
        ],
        "edge.viewerCertificateArn": "arn:aws:acm:us-east-1:210987654321:certificate/"
        "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "edge.aliases": ["api.eu.acme-payments.eu"],
        "app.jwtIssuer": "https://login.acme-payments.eu/",
        "app.jwtJwksUrl": "https://login.acme-payments.eu/.well-known/jwks.json",
        "app.httpsEgressCidrs": ["52.29.0.0/16"],
        "audit.institutionUrl": "https://files.audit-bureau.eu/v1/files",
        "observability.alarmEmails": ["oncall@acme-payments.eu"],
        "tags.owner": "platform@acme-payments.eu",
        "release.imageDigest": "sha256:" + "4e7a" * 16,
        "deployer.githubRepository": "acme/gdpr-platform",
        "deployer.connectionArn": "arn:aws:codeconnections:eu-central-1:210987654321:"
        "connection/7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09",
    }
    for key, value in real.items():
        config = set_key(config, key, value)
    return config


def test_a_real_production_config_passes() -> None:
    raw = project_config(_real_eu())
    assert find_example_values(raw, organization=ORG) == []
    check_no_example_values(parse_config("eu", raw), raw, offline=False, organization=ORG)


@pytest.mark.parametrize(("dotted", "value", "key", "fix"), EXAMPLES)
def test_each_example_value_is_refused_in_production(
    dotted: str, value: Any, key: str, fix: str
) -> None:
    raw = project_config(set_key(_real_eu(), dotted, value))
    config = parse_config("eu", raw)
    with pytest.raises(ConfigError) as caught:
        check_no_example_values(config, raw, offline=False, organization=ORG)
    message = str(caught.value)
    assert message.startswith(f"gdpr-platform:{key}: ")
    assert "example value" in message
    assert fix in message
    assert "\n" not in message


def test_development_stacks_may_keep_examples() -> None:
    raw = project_config(set_key(stack_file("eu"), "environment", "development"))
    check_no_example_values(parse_config("eu", raw), raw, offline=False, organization=ORG)


def test_the_committed_stack_files_are_templates_refused_for_real() -> None:
    for stack in ("eu", "us"):
        raw = project_config(stack_file(stack))
        config = parse_config(stack, raw)
        assert config.is_production
        found = {e.key for e in find_example_values(raw, organization=ORG)}
        assert {"eks.adminRoleArn", "app.httpsEgressCidrs[0]", "release.imageDigest"} <= found
        with pytest.raises(ConfigError):
            check_no_example_values(config, raw, offline=False, organization=ORG)
        # ... while the offline preview (Pulumi mocks: nothing can be created) runs them.
        check_no_example_values(config, raw, offline=True, organization=ORG)


def test_the_offline_preview_runs_the_templates_under_mocks() -> None:
    result = collect("us", stack_file("us"))
    assert result.resources


def test_organization_placeholder_is_right_on_a_self_managed_backend() -> None:
    raw = {"central": {"host": False, "hostStack": "organization/gdpr-platform/eu"}}
    assert find_example_values(raw, organization="organization") == []
    [found] = find_example_values(raw, organization=ORG)
    assert "self-managed" in found.message()


def test_structured_values_arrive_as_json_text() -> None:
    raw = {"app": '{"httpsEgressCidrs": ["2001:db8::/48"], "port": 8080}'}
    [found] = find_example_values(raw, organization=ORG)
    assert found.key == "app.httpsEgressCidrs[0]"
    with pytest.raises(ValueError, match=r"^gdpr-platform:app\.httpsEgressCidrs\[0\]: "):
        refuse_example_values(raw, organization=ORG)


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.0/8",
        "16.6",
        "db.r7g.large",
        "https://audit.bureau.eu/v1",
        "sha256:" + "0123456789abcdef" * 4,
        "arn:aws:iam::123456789013:role/x",
    ],
)
def test_real_looking_values_are_not_examples(value: str) -> None:
    assert find_example_values({"k": value}, organization=ORG) == []


def test_the_engine_path_refuses_the_templates_before_any_resource() -> None:
    """What ``pulumi up`` runs: config from the engine (PULUMI_CONFIG), no mocks."""
    config = engine_config(stack_file("eu"))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from components.config import load_from_pulumi; load_from_pulumi('eu')",
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "PULUMI_CONFIG": json.dumps(config)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("components.config.errors.ConfigError: gdpr-platform:")
    assert "is an example value" in last
