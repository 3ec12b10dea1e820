"""Rules for the types the Lambda mode adds (schedule CMK, stage access logs) and the TLS
CloudFront may offer a custom or VPC origin, through the real pack process."""

from __future__ import annotations

from typing import Any

import pytest

from policies.gdpr_pack.pack import BY_NAME
from tests.policies.records import DELETE, PRIMARY, UNKNOWN, Stack, arn
from tests.policies.test_coverage_protocol import KEY, Case, _by_key, _config, level_of, stack
from tools.policy_client import PolicyPackProcess

SCHEDULE = "aws:scheduler/schedule:Schedule"
STAGE = "aws:apigatewayv2/stage:Stage"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
SCHEDULE_CMK = "aws-scheduler-schedule-require-cmk"
STAGE_LOGS = "aws-apigatewayv2-stage-enable-access-logs"
HTTPS = "aws-cloudfront-distribution-require-https"

SCHEDULE_INPUTS: dict[str, Any] = {
    "scheduleExpression": "rate(1 minute)",
    "flexibleTimeWindow": {"mode": "OFF"},
    "kmsKeyArn": KEY,
    "target": {
        "arn": arn("lambda", PRIMARY, "function:outbox"),
        "roleArn": "arn:aws:iam::123456789012:role/scheduler",
    },
}
LOG_GROUP = arn("logs", PRIMARY, "log-group:/aws/apigateway/api")
STAGE_INPUTS: dict[str, Any] = {
    "apiId": "a1b2c3",
    "name": "$default",
    "autoDeploy": True,
    "accessLogSettings": {
        "destinationArn": LOG_GROUP,
        "format": '{"requestId":"$context.requestId"}',
    },
}


def _schedule(**changes: Any) -> Stack:
    s = stack((SCHEDULE, "outbox", SCHEDULE_INPUTS))
    for path, value in changes.items():
        s = s.set("outbox", path, value)
    return s


def _stage(path: str | None = None, value: Any = None) -> Stack:
    s = stack((STAGE, "api", STAGE_INPUTS))
    return s if path is None else s.set("api", path, value)


def _distribution(protocols: Any) -> Stack:
    custom = {
        "originProtocolPolicy": "https-only",
        "httpPort": 80,
        "httpsPort": 443,
        "originSslProtocols": protocols,
    }
    return stack(
        (
            DISTRIBUTION,
            "cdn",
            {
                "enabled": True,
                "origins": [
                    {
                        "originId": "api",
                        "domainName": "api.example.com",
                        "customOriginConfig": custom,
                    }
                ],
                "defaultCacheBehavior": {
                    "targetOriginId": "api",
                    "viewerProtocolPolicy": "redirect-to-https",
                    "cachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                },
                "orderedCacheBehaviors": [],
                "viewerCertificate": {"cloudfrontDefaultCertificate": True},
            },
        )
    )


def _vpc_origin(items: list[str]) -> Stack:
    config = {
        "name": "api",
        "arn": arn("elasticloadbalancing", PRIMARY, "loadbalancer/app/api/1"),
        "httpPort": 80,
        "httpsPort": 443,
        "originProtocolPolicy": "https-only",
        "originSslProtocols": {"items": items, "quantity": len(items)},
    }
    return stack((VPC_ORIGIN, "origin", {"vpcOriginEndpointConfig": config}))


#: The production config (pack.json) raises the rule from its advisory default.
STAGE_DEFAULT = {STAGE_LOGS: "mandatory"}

CASES: list[Case] = [
    Case("schedule-with-cmk", _schedule),
    Case(
        "schedule-aws-owned-key",
        lambda: _schedule(kmsKeyArn=DELETE),
        ((SCHEDULE_CMK, "outbox", "has no customer-managed KMS key"),),
    ),
    Case(
        "schedule-aws-managed-alias",
        lambda: _schedule(kmsKeyArn="alias/aws/scheduler"),
        ((SCHEDULE_CMK, "outbox", "uses the AWS-managed key 'alias/aws/scheduler'"),),
    ),
    Case("stage-with-access-logs", _stage, levels=STAGE_DEFAULT),
    Case(
        "stage-log-group-unknown-at-preview",
        lambda: _stage("accessLogSettings.destinationArn", UNKNOWN),
        levels=STAGE_DEFAULT,
    ),
    Case(
        "stage-without-access-logs",
        lambda: _stage("accessLogSettings", DELETE),
        ((STAGE_LOGS, "api", "writes no access logs"),),
        levels=STAGE_DEFAULT,
    ),
    Case(
        "stage-access-logs-without-destination",
        lambda: _stage("accessLogSettings.destinationArn", DELETE),
        ((STAGE_LOGS, "api", "writes no access logs"),),
        levels=STAGE_DEFAULT,
    ),
    Case("custom-origin-tls12-only", lambda: _distribution(["TLSv1.2"])),
    Case(
        "custom-origin-offers-tls10",
        lambda: _distribution(["TLSv1", "TLSv1.2"]),
        ((HTTPS, "cdn", "origin 'api' may be reached over TLSv1; allow only TLSv1.2"),),
    ),
    Case(
        "custom-origin-offers-sslv3-and-tls11",
        lambda: _distribution(["SSLv3", "TLSv1.1"]),
        ((HTTPS, "cdn", "may be reached over SSLv3, TLSv1.1"),),
    ),
    Case(
        "custom-origin-no-protocols",
        lambda: _distribution([]),
        ((HTTPS, "cdn", "names no origin TLS protocols"),),
    ),
    Case("vpc-origin-tls12-only", lambda: _vpc_origin(["TLSv1.2"])),
    Case(
        "vpc-origin-offers-tls11",
        lambda: _vpc_origin(["TLSv1.1", "TLSv1.2"]),
        ((HTTPS, "origin", "VPC origin 'origin' may be reached over TLSv1.1"),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(pack: PolicyPackProcess, case: Case) -> None:
    pack.configure(_config(case))
    s = case.build()
    found = pack.analyze(s.records)
    got = sorted((v.policy, v.urn, v.level) for v in found)
    wanted = sorted((p, s.urn_of(name), level_of(p, case)) for p, name, _ in case.expect)
    assert got == wanted, [v.message for v in found]
    for (policy, name, fragment), v in zip(sorted(case.expect), _by_key(found, s), strict=True):
        assert (v.policy, v.urn) == (policy, s.urn_of(name))
        assert fragment in v.message, v.message


def test_the_stage_rule_is_advisory_until_the_config_raises_it(pack: PolicyPackProcess) -> None:
    assert BY_NAME[STAGE_LOGS].enforcement_level.value == "advisory"
    pack.configure(_config(Case("default", _stage)))
    s = _stage("accessLogSettings", DELETE)
    (violation,) = pack.analyze(s.records)
    assert (violation.policy, violation.level) == (STAGE_LOGS, "mandatory")
