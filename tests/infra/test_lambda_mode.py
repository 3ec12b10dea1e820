"""compute.mode lambda, previewed under mocks from the test-suite stack files
(tests/infra/fixtures/Pulumi.<stack>-lambda.yaml), next to the deployed EKS-mode stacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.api_function import MIGRATE_HANDLER, api_code, code_digest
from components.config import ConfigError, parse_config
from tests.infra.conftest import stack_file
from tests.infra.iam_checks import least_privilege_problems
from tests.infra.records import in_region, one
from tools.preview import PROJECT_DIR, PreviewResult, check_policies, collect, read_stack_file

FIXTURES = PROJECT_DIR / "tests" / "infra" / "fixtures"
FUNCTION = "aws:lambda/function:Function"
KUBERNETES_OR_EKS = ("eks:", "kubernetes:")


def lambda_stack_file(stack: str) -> dict[str, Any]:
    return read_stack_file(FIXTURES / f"Pulumi.{stack}-lambda.yaml")


@pytest.fixture(scope="module")
def eu_lambda() -> PreviewResult:
    return collect("eu", lambda_stack_file("eu"))


@pytest.fixture(scope="module")
def us_lambda() -> PreviewResult:
    return collect("us", lambda_stack_file("us"))


@pytest.fixture(params=["eu", "us"])
def lam(
    request: pytest.FixtureRequest, eu_lambda: PreviewResult, us_lambda: PreviewResult
) -> PreviewResult:
    return eu_lambda if request.param == "eu" else us_lambda


def _types(result: PreviewResult) -> set[str]:
    return {r["type"] for r in result.resources}


def test_the_fixtures_differ_from_the_deployed_stacks_only_in_compute_mode() -> None:
    for stack in ("eu", "us"):
        fixture = lambda_stack_file(stack)
        assert fixture.pop("gdpr-platform:compute")["mode"] == "lambda"
        assert fixture == stack_file(stack)


def test_lambda_mode_has_no_cluster_and_no_kubernetes_object(
    lam: PreviewResult, stack: PreviewResult
) -> None:
    assert not [t for t in _types(lam) if t.startswith(KUBERNETES_OR_EKS)]
    assert [t for t in _types(stack) if t.startswith(KUBERNETES_OR_EKS)], "EKS mode has them"
    assert "aws:lb/loadBalancer:LoadBalancer" not in _types(lam)
    assert "aws:cloudfront/vpcOrigin:VpcOrigin" not in _types(lam)


def test_functions_per_region_are_arm64_private_bounded_and_on_the_regions_keys(
    lam: PreviewResult,
) -> None:
    cfg = lam.config
    for region in cfg.regions.all:
        fns = {
            r["inputs"]["handler"]: r["inputs"]
            for r in in_region(lam, FUNCTION, region)
            if r["name"].startswith(f"api-{region}-")
        }
        migrations = {MIGRATE_HANDLER} if region == cfg.regions.primary else set()
        assert set(fns) == {"app.lambda_api.handler", "app.audit.scheduled.handler", *migrations}
        keys = lam.outputs["kmsKeyArns"][region]
        subnets = set(lam.outputs["privateSubnetIds"][region])
        log_groups = {
            r["inputs"].get("name"): r["inputs"]
            for r in in_region(lam, "aws:cloudwatch/logGroup:LogGroup", region)
        }
        for fn in fns.values():
            assert fn["architectures"] == ["arm64"]
            assert fn["runtime"] == "python3.12"
            assert fn["kmsKeyArn"] == keys["secrets"]
            assert set(fn["vpcConfig"]["subnetIds"]) == subnets
            assert fn["reservedConcurrentExecutions"] >= 1
            assert log_groups[fn["loggingConfig"]["logGroup"]]["kmsKeyId"] == keys["logs"]
            assert len(fn["layers"]) == 1
        api = fns["app.lambda_api.handler"]
        env = api["environment"]["variables"]
        assert api["reservedConcurrentExecutions"] == cfg.compute.api.reserved_concurrency
        assert env["GDPR_API_DB_POOL_MAX"] == str(cfg.compute.api.db_pool_max)
        assert env["GDPR_API_DB_POOL_MIN"] == "0"
        assert env["GDPR_API_SHARD_MAP"] == f"ssm:{lam.outputs['shardMapParameter']}"
        assert env["GDPR_API_REGION"] == region


def test_function_role_has_the_irsa_roles_name_and_document(
    lam: PreviewResult, eu: PreviewResult, us: PreviewResult
) -> None:
    eks = eu if lam.stack == "eu" else us
    assert lam.outputs["apiRoleArns"] == eks.outputs["apiRoleArns"]
    for region in lam.config.regions.all:
        on_lambda = one(lam, "aws:iam/rolePolicy:RolePolicy", f"api-{region}-api")
        on_eks = one(eks, "aws:iam/rolePolicy:RolePolicy", f"api-{region}-irsa")
        assert on_lambda["inputs"]["policy"] == on_eks["inputs"]["policy"]
        regions = set(lam.config.regions.all)
        for name in (f"api-{region}-api", f"api-{region}-logs", f"api-{region}-scheduler"):
            doc = json.loads(one(lam, "aws:iam/rolePolicy:RolePolicy", name)["inputs"]["policy"])
            # The hub's queue may sit in another stack's region: that one statement may name it.
            problems = [
                p
                for p in least_privilege_problems(doc, regions | {"eu-central-1"})
                if not p.startswith(("SendCentralEvents", "EncryptCentralEvents"))
            ]
            assert problems == [], name


def test_outbox_runs_on_a_schedule_with_a_cmk_and_a_dead_letter_queue(lam: PreviewResult) -> None:
    for region in lam.config.regions.all:
        (schedule,) = in_region(lam, "aws:scheduler/schedule:Schedule", region)
        keys = lam.outputs["kmsKeyArns"][region]
        assert schedule["inputs"]["kmsKeyArn"] == keys["queues"]
        target = schedule["inputs"]["target"]
        outbox = one(lam, FUNCTION, f"api-{region}-outbox-fn")
        assert target["arn"].split(":function:")[1].startswith(f"api-{region}-outbox-fn")
        assert outbox["inputs"]["handler"] == "app.audit.scheduled.handler"
        dlq = one(lam, "aws:sqs/queue:Queue", f"api-{region}-schedule-dlq")
        assert dlq["inputs"]["kmsMasterKeyId"] == keys["queues"]
        assert target["deadLetterConfig"]["arn"].split(":")[3] == region
        assert json.loads(target["input"]) == {
            "max_rows": lam.config.compute.outbox.max_rows_per_run
        }


def test_cloudfront_reaches_each_regions_http_api_with_the_same_headers_policy(
    lam: PreviewResult, stack: PreviewResult
) -> None:
    (dist,) = [r for r in lam.resources if r["type"] == "aws:cloudfront/distribution:Distribution"]
    origins = {o["originId"]: o for o in dist["inputs"]["origins"]}
    for region in lam.config.regions.all:
        origin = origins[f"api-{region}"]
        assert origin["domainName"] == lam.outputs["originApiEndpoints"][region].removeprefix(
            "https://"
        )
        assert origin["customOriginConfig"]["originProtocolPolicy"] == "https-only"
        assert [h["name"] for h in origin["customHeaders"]] == ["x-origin-verify"]
        fn = one(lam, FUNCTION, f"api-{region}-fn")["inputs"]
        secret = fn["environment"]["variables"]["GDPR_EDGE_ORIGIN_SECRET"]
        assert origin["customHeaders"][0]["value"] == secret
    (policy,) = [
        r
        for r in lam.resources
        if r["type"] == "aws:cloudfront/originRequestPolicy:OriginRequestPolicy"
    ]
    headers = policy["inputs"]["headersConfig"]
    assert headers["headerBehavior"] == "allExcept"
    assert headers["headers"]["items"] == ["Host"]

    def headers_policy(result: PreviewResult) -> dict[str, Any]:
        (p,) = [
            r
            for r in result.resources
            if r["type"] == "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
        ]
        return dict(p["inputs"])

    eks = stack if stack.stack == lam.stack else None
    if eks is not None:
        assert headers_policy(lam) == headers_policy(eks)
    behavior = dist["inputs"]["defaultCacheBehavior"]
    assert behavior["cachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def test_api_and_outbox_egress_is_scoped(lam: PreviewResult) -> None:
    cfg = lam.config
    for region in cfg.regions.all:
        rules = [
            r["inputs"]
            for r in in_region(
                lam, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", region
            )
            if r["name"].startswith(f"api-{region}-api-")
        ]
        assert rules
        assert all(r.get("cidrIpv4") != "0.0.0.0/0" for r in rules)
        assert {r["toPort"] for r in rules} == {443, 5432}


def test_policy_pack_passes_lambda_mode(lam: PreviewResult) -> None:
    check_policies(lam, lambda_stack_file(lam.stack))
    assert lam.violations == []


def test_connection_budget_is_checked_before_any_resource() -> None:
    raw = {
        k.removeprefix("gdpr-platform:"): v
        for k, v in lambda_stack_file("eu").items()
        if k.startswith("gdpr-platform:")
    }
    raw["compute"] = {"mode": "lambda", "api": {"reservedConcurrency": 200, "dbPoolMax": 2}}
    with pytest.raises(ConfigError) as caught:
        parse_config("eu", raw)
    assert "compute.api.reservedConcurrency" in str(caught.value)
    assert "maxWriterConnections 400" in str(caught.value)
    raw["compute"]["maxWriterConnections"] = 1000
    assert parse_config("eu", raw).compute.is_lambda


def test_each_region_keeps_its_alarms_watching_the_http_api(lam: PreviewResult) -> None:
    for region in lam.config.regions.all:
        alarms = {
            r["name"]: r["inputs"]
            for r in in_region(lam, "aws:cloudwatch/metricAlarm:MetricAlarm", region)
        }
        rate = alarms[f"monitoring-{region}-api-5xx-rate"]
        watched = {
            (q["metric"]["namespace"], q["metric"]["metricName"])
            for q in rate["metricQueries"]
            if "metric" in q
        }
        assert watched == {("AWS/ApiGateway", "5xx"), ("AWS/ApiGateway", "Count")}
        api_id = lam.outputs["originApiEndpoints"][region].split("//")[1].split(".")[0]
        assert all(
            q["metric"]["dimensions"] == {"ApiId": api_id}
            for q in rate["metricQueries"]
            if "metric" in q
        )
        if region != lam.config.regions.primary:
            assert any("replication-lag" in name for name in alarms)
    assert set(lam.outputs["alarmTopicArns"]) == set(lam.config.regions.all)


def test_lambda_stacks_export_their_modes_outputs(lam: PreviewResult) -> None:
    from components.outputs import OUTPUTS

    expected = {o.name for o in OUTPUTS if o.compute_mode in (None, "lambda")}
    if not lam.config.central.host:
        expected.discard("centralDatabaseEndpoint")
    assert set(lam.outputs) == expected


INVOCATION = "aws:lambda/invocation:Invocation"
STAGE = "aws:apigatewayv2/stage:Stage"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def test_migrations_run_once_per_release_in_the_primary_before_any_function(
    lam: PreviewResult, stack: PreviewResult
) -> None:
    cfg = lam.config
    primary = cfg.regions.primary
    migrators = [r for r in lam.resources if r["inputs"].get("handler") == MIGRATE_HANDLER]
    assert [(m["type"], m["region"]) for m in migrators] == [(FUNCTION, primary)]
    fn = migrators[0]["inputs"]
    api = one(lam, FUNCTION, f"api-{primary}-fn")["inputs"]
    # The API's role (so its IAM limits), layer, subnets and environment key.
    for key in ("role", "layers", "kmsKeyArn", "runtime", "architectures"):
        assert fn[key] == api[key], key
    assert set(fn["vpcConfig"]["subnetIds"]) == set(api["vpcConfig"]["subnetIds"])
    assert fn["reservedConcurrentExecutions"] == 1
    env = fn["environment"]["variables"]
    assert env["GDPR_API_SHARD_MAP"] == api["environment"]["variables"]["GDPR_API_SHARD_MAP"]
    assert "GDPR_EDGE_ORIGIN_SECRET" not in env
    keys = lam.outputs["kmsKeyArns"][primary]
    log_groups = {r["inputs"].get("name"): r["inputs"] for r in in_region(lam, LOG_GROUP, primary)}
    assert log_groups[fn["loggingConfig"]["logGroup"]]["kmsKeyId"] == keys["logs"]
    logs_doc = one(lam, "aws:iam/rolePolicy:RolePolicy", f"api-{primary}-logs")["inputs"]
    assert any(
        fn["loggingConfig"]["logGroup"] in r
        for s in json.loads(logs_doc["policy"])["Statement"]
        for r in s["Resource"]
    )
    rules = [
        r["inputs"]
        for r in in_region(lam, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", primary)
        if r["name"].startswith(f"api-{primary}-migrate-")
    ]
    assert {r["toPort"] for r in rules} == {443, 5432}
    assert all(r.get("cidrIpv4") != "0.0.0.0/0" for r in rules)

    (invocation,) = [r for r in lam.resources if r["type"] == INVOCATION]
    assert invocation["region"] == primary
    assert migrators[0]["urn"] in invocation["propertyDependencies"]["functionName"]
    assert invocation["inputs"]["lifecycleScope"] == "CREATE_ONLY"
    # It runs once the shard writers and the shard map it reads exist.
    awaited = set(invocation["dependencies"])
    writers = [
        r
        for r in in_region(lam, "aws:rds/clusterInstance:ClusterInstance", primary)
        if r["name"].startswith("shard-") and r["name"].endswith("-writer")
    ]
    assert len(writers) == len(cfg.shard_map.shards)
    assert {r["urn"] for r in writers} <= awaited
    parameters = [r for r in lam.resources if r["type"] == "aws:ssm/parameter:Parameter"]
    assert {r["urn"] for r in parameters if r["name"].startswith("shard-map-")} <= awaited
    # A new release (code or layer) is a new invocation: each release migrates once.
    assert invocation["inputs"]["triggers"] == {
        "code": code_digest(api_code()),
        "layer": api["layers"][0],
    }
    gated = [
        one(lam, FUNCTION, f"api-{region}-{suffix}")
        for region in cfg.regions.all
        for suffix in ("fn", "outbox-fn")
    ]
    assert all(invocation["urn"] in f["dependencies"] for f in gated)

    assert not [r for r in stack.resources if r["type"] == INVOCATION]
    assert not [r for r in stack.resources if r["inputs"].get("handler") == MIGRATE_HANDLER]


def test_code_digest_follows_the_code(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "migrate.py").write_text("A = 1\n")
    first = code_digest(api_code(tmp_path))
    assert code_digest(api_code(tmp_path)) == first
    (tmp_path / "db" / "migrate.py").write_text("A = 2\n")
    assert code_digest(api_code(tmp_path)) != first
    (tmp_path / "db" / "migrate.py").write_text("A = 1\n")
    (tmp_path / "db" / "renamed.py").write_text("")
    assert code_digest(api_code(tmp_path)) != first


def test_http_api_stage_logs_each_request_into_its_regions_personal_log_group(
    lam: PreviewResult,
) -> None:
    cfg = lam.config
    for region in cfg.regions.all:
        (stage,) = in_region(lam, STAGE, region)
        settings = stage["inputs"]["accessLogSettings"]
        (group_urn,) = stage["propertyDependencies"]["accessLogSettings"]
        (group,) = [r for r in lam.resources if r["urn"] == group_urn]
        assert group["type"] == LOG_GROUP
        assert group["region"] == region
        assert settings["destinationArn"].split(":")[3] == region
        assert settings["destinationArn"].endswith(f":log-group:{group['inputs']['name']}")
        assert group["inputs"]["kmsKeyId"] == lam.outputs["kmsKeyArns"][region]["logs"]
        assert group["inputs"]["retentionInDays"] == cfg.compute.api.log_retention_days
        assert group["inputs"]["tags"]["data-classification"] == "personal"
        fields = json.loads(settings["format"])
        assert {
            "requestId",
            "ip",
            "routeKey",
            "status",
            "responseLength",
            "integrationLatencyMs",
        } <= set(fields)
        assert fields["ip"] == "$context.identity.sourceIp"
        # Neither the path (user IDs) nor a header, body or token reaches the log.
        for variable in fields.values():
            assert not variable.startswith(
                ("$context.path", "$context.authorizer", "$request", "$input")
            ), variable


def test_functions_reach_the_shard_map_in_ssm_through_the_vpc(lam: PreviewResult) -> None:
    for region in lam.config.regions.all:
        endpoints = {
            r["inputs"]["serviceName"]: r
            for r in in_region(lam, "aws:ec2/vpcEndpoint:VpcEndpoint", region)
        }
        ssm = endpoints[f"com.amazonaws.{region}.ssm"]
        assert ssm["inputs"]["vpcEndpointType"] == "Interface"
        assert ssm["inputs"]["privateDnsEnabled"] is True
        assert set(ssm["inputs"]["subnetIds"]) == set(lam.outputs["privateSubnetIds"][region])
        # The same group as the network's other endpoints: HTTPS from the VPC only.
        kms = endpoints[f"com.amazonaws.{region}.kms"]
        assert ssm["inputs"]["securityGroupIds"] == kms["inputs"]["securityGroupIds"]
        functions = [r for r in in_region(lam, FUNCTION, region) if r["name"].startswith("api-")]
        assert all(ssm["urn"] in f["dependencies"] for f in functions)
