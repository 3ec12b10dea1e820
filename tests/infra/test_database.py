"""The data tier under mocks: one Aurora global database per shard, inside the jurisdiction."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from app.shardmap import ShardMap
from components.cidr import carve_subnets
from components.config import (
    ConfigError,
    Environment,
    ProtectionConfig,
    ProtectionFloor,
    parse_config,
)
from components.database import (
    arn_in_region,
    cluster_parameters,
    parameter_group_family,
    rds_identifier,
)
from components.shardmap_parameter import assemble
from policies.gdpr_pack.jurisdictions import allowed_regions
from tests.infra.conftest import of_type as _of_type
from tests.infra.conftest import set_key, stack_file
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult, project_config

GLOBAL = "aws:rds/globalCluster:GlobalCluster"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SG = "aws:ec2/securityGroup:SecurityGroup"
PARAMS = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
SSM = "aws:ssm/parameter:Parameter"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SECRET_MARKER = "4dabf18193072939515e22adb298388d"

Preview = Callable[..., PreviewResult]


def of_type(result: PreviewResult, type_token: str) -> list[ResourceRecord]:
    """Records of the data tier only: the central hub has an Aurora cluster and secrets too."""
    records = _of_type(result, type_token)
    if type_token.startswith(("aws:rds/", "aws:secretsmanager/", "aws:appautoscaling/", "random:")):
        return [r for r in records if "gdpr-platform:database:" in r["urn"]]
    return records


def arn_region(arn: str) -> str:
    return arn.split(":")[3]


def unwrap(value: Any) -> Any:
    """The plain value of a secret-wrapped input (as the engine sends it)."""
    if isinstance(value, dict) and SECRET_MARKER in value:
        return value["value"]
    return value


def shard_name(record: ResourceRecord) -> str:
    tags = record["inputs"]["tags"]
    assert isinstance(tags, dict)
    name: str = tags["shard"]
    return name


def members(result: PreviewResult) -> tuple[list[ResourceRecord], list[ResourceRecord]]:
    clusters = of_type(result, CLUSTER)
    writers = [c for c in clusters if "sourceRegion" not in c["inputs"]]
    readers = [c for c in clusters if "sourceRegion" in c["inputs"]]
    return writers, readers


# -- pure functions -----------------------------------------------------------------------


def test_rds_identifier_joins_and_lowercases() -> None:
    assert rds_identifier("Gdpr-Platform-EU", "shard-00") == "gdpr-platform-eu-shard-00"
    # Empty parts are skipped and edge hyphens dropped, never doubled.
    assert rds_identifier("abc-", "", "-def") == "abc-def"


@pytest.mark.parametrize("parts", [("1abc",), ("a" * 64,), ("ab--c",), ("ab_c",), ("a b",)])
def test_rds_identifier_rejects_what_rds_rejects(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="not a valid RDS identifier"):
        rds_identifier(*parts)


def test_parameter_group_family_follows_the_major_version() -> None:
    assert parameter_group_family("16.6") == "aurora-postgresql16"
    assert parameter_group_family("15") == "aurora-postgresql15"
    with pytest.raises(ValueError, match="numeric major"):
        parameter_group_family("latest")


def test_arn_in_region_changes_only_the_region() -> None:
    arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:a/b:c-AbCdEf"
    moved = arn_in_region(arn, "eu-west-1")
    assert moved == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a/b:c-AbCdEf"
    with pytest.raises(ValueError, match="not an ARN"):
        arn_in_region("shard-00", "eu-west-1")


@pytest.mark.parametrize(
    ("production", "configured", "expected"),
    [
        (True, (False, False, True), (True, False, True)),  # production is a floor
        (False, (False, False, True), (False, True, False)),
        (False, (True, True, False), (True, False, True)),
    ],
)
def test_data_protection(
    production: bool, configured: tuple[bool, bool, bool], expected: tuple[bool, bool, bool]
) -> None:
    deletion, protect, skip = configured
    config = ProtectionConfig(
        deletion_protection=deletion, protect_resources=protect, skip_final_snapshot=skip
    )
    environment = Environment.PRODUCTION if production else Environment.DEVELOPMENT
    got = ProtectionFloor.settle(config, environment)
    assert (got.deletion_protection, got.skip_final_snapshot, got.protect) == expected


def test_no_parameter_logs_bind_values() -> None:
    values = {name: value for name, value, _ in cluster_parameters(500)}
    assert values["log_parameter_max_length"] == "0"
    assert values["log_parameter_max_length_on_error"] == "0"
    assert values["log_statement"] in {"none", "ddl"}  # "mod"/"all" would log row values
    assert values["log_min_duration_statement"] == "500"


# -- config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "value", "key", "words"),
    [
        ("database.performanceInsightsRetentionDays", 30, "performanceInsightsRetentionDays", "31"),
        ("database.monitoringIntervalSeconds", 20, "monitoringIntervalSeconds", "one of"),
        ("database.logRetentionDays", 100, "logRetentionDays", "accepts only"),
        ("database.port", 80, "database.port", "greater than or equal"),
        ("database.engineVersion", "latest", "engineVersion", "pattern"),
        ("database.databaseName", "App-DB", "databaseName", "pattern"),
        ("database.masterPasswordVersion", 0, "masterPasswordVersion", "greater"),
        (
            "database.readerAutoscaling",
            {"minCapacity": 4, "maxCapacity": 2},
            "readerAutoscaling.minCapacity",
            "above maxCapacity",
        ),
        (
            "database.readerAutoscaling",
            {"minCapacity": 0, "maxCapacity": 1},
            None,
            None,
        ),
        (
            "database.masterSecretRotation",
            {"lambdaArn": "arn:aws:lambda:eu-west-2:123456789012:function:rotate", "days": 30},
            "masterSecretRotation.lambdaArn",
            "primary region",
        ),
        (
            "database.masterSecretRotation",
            {"lambdaArn": "rotate-me"},
            "masterSecretRotation.lambdaArn",
            "not a Lambda function ARN",
        ),
        (
            "database.masterSecretRotation",
            {"lambdaArn": "arn:aws:lambda:eu-central-1:123456789012:function:r", "days": 0},
            "masterSecretRotation.days",
            "greater",
        ),
    ],
)
def test_bad_database_config_names_the_key(
    dotted: str, value: Any, key: str | None, words: str | None
) -> None:
    raw = project_config(set_key(stack_file("eu"), dotted, value))
    if key is None:
        parse_config("eu", raw)  # valid: shown so the rule above is not over-broad
        return
    with pytest.raises(ConfigError) as caught:
        parse_config("eu", raw)
    message = str(caught.value)
    assert message.startswith("gdpr-platform:database.")
    assert key in message.split(":", 2)[1]
    assert words is not None
    assert words in message
    assert "\n" not in message


def test_reader_autoscaling_must_be_able_to_reach_the_provisioned_readers() -> None:
    raw = project_config(
        set_key(
            set_key(stack_file("eu"), "database.primaryReaderCount", 3),
            "database.readerAutoscaling",
            {"minCapacity": 1, "maxCapacity": 2},
        )
    )
    with pytest.raises(ConfigError, match=r"readerAutoscaling\.maxCapacity: 2 is below"):
        parse_config("eu", raw)


# -- the global databases -------------------------------------------------------------------


def test_one_global_cluster_per_shard(stack: PreviewResult) -> None:
    shards = [s.name for s in stack.config.shard_map.shards]
    globals_ = of_type(stack, GLOBAL)
    assert sorted(shard_name(g) for g in globals_) == shards
    for g in globals_:
        assert g["region"] == stack.config.regions.primary
        assert g["inputs"]["storageEncrypted"] is True
        assert g["inputs"]["engine"] == "aurora-postgresql"
        assert g["inputs"]["engineVersion"] == stack.config.database.engine_version


def test_one_writer_cluster_in_the_primary_per_shard(stack: PreviewResult) -> None:
    writers, _ = members(stack)
    primary = stack.config.regions.primary
    assert Counter(shard_name(c) for c in writers) == Counter(
        s.name for s in stack.config.shard_map.shards
    )
    for cluster in writers:
        inputs = cluster["inputs"]
        assert cluster["region"] == primary
        assert inputs["masterUsername"]
        # The password is generated and write-only, never a literal in the program.
        assert "masterPasswordWo" in inputs
        assert inputs["masterPasswordWoVersion"] == 1
        assert "masterPassword" not in inputs
        assert "manageMasterUserPassword" not in inputs
        assert inputs["databaseName"] == stack.config.database.database_name


def test_one_reader_cluster_per_secondary_per_shard(stack: PreviewResult) -> None:
    _, readers = members(stack)
    cfg = stack.config
    expected = {(s.name, r) for s in cfg.shard_map.shards for r in cfg.regions.secondaries}
    assert sorted((shard_name(c), c["region"]) for c in readers) == sorted(expected)
    writer_instances = {
        shard_name(i): i["urn"]
        for i in of_type(stack, INSTANCE)
        if i["inputs"]["tags"]["role"] == "writer"
    }
    for cluster in readers:
        inputs = cluster["inputs"]
        assert inputs["sourceRegion"] == cfg.regions.primary
        assert not {"masterUsername", "masterPasswordWo", "databaseName"} & set(inputs)
        assert writer_instances[shard_name(cluster)] in cluster["dependencies"]
        assert set(cluster["options"]["ignoreChanges"]) >= {
            "replicationSourceIdentifier",
            "globalClusterIdentifier",
            "engineVersion",
        }


def test_every_member_joins_its_own_shards_global_cluster(eu: PreviewResult) -> None:
    globals_by_shard = {shard_name(g): g["urn"] for g in of_type(eu, GLOBAL)}
    for cluster in of_type(eu, CLUSTER):
        deps = cluster["propertyDependencies"]["globalClusterIdentifier"]
        assert deps == [globals_by_shard[shard_name(cluster)]]


def test_every_cluster_is_encrypted_with_a_key_of_its_own_region(stack: PreviewResult) -> None:
    clusters = of_type(stack, CLUSTER)
    assert clusters
    for cluster in clusters:
        inputs = cluster["inputs"]
        assert inputs["storageEncrypted"] is True
        assert arn_region(inputs["kmsKeyId"]) == cluster["region"]
        assert ":key/" in inputs["kmsKeyId"]


def test_every_cluster_is_hardened(stack: PreviewResult) -> None:
    for cluster in of_type(stack, CLUSTER):
        inputs = cluster["inputs"]
        assert inputs["iamDatabaseAuthenticationEnabled"] is True
        assert inputs["backupRetentionPeriod"] >= 7
        assert inputs["copyTagsToSnapshot"] is True
        assert inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
        assert inputs["port"] == stack.config.database.port
        assert "dbClusterParameterGroupName" in inputs
        assert cluster["propertyDependencies"]["dbSubnetGroupName"]


def test_instances_are_private_monitored_and_encrypted_in_their_region(
    stack: PreviewResult,
) -> None:
    roles = {r["urn"] for r in of_type(stack, "aws:iam/role:Role") if "monitoring" in r["name"]}
    for instance in of_type(stack, INSTANCE):
        inputs = instance["inputs"]
        assert inputs["publiclyAccessible"] is False
        assert inputs["performanceInsightsEnabled"] is True
        assert arn_region(inputs["performanceInsightsKmsKeyId"]) == instance["region"]
        assert inputs["monitoringInterval"] == stack.config.database.monitoring_interval_seconds
        assert inputs["monitoringInterval"] > 0
        assert set(instance["propertyDependencies"]["monitoringRoleArn"]) <= roles
        assert inputs["monitoringRoleArn"].startswith("arn:aws:iam::")


def test_postgresql_log_groups_are_precreated_encrypted_in_region(stack: PreviewResult) -> None:
    groups = {
        g["inputs"]["name"]: g for g in of_type(stack, LOG_GROUP) if "postgresql" in g["name"]
    }
    for cluster in of_type(stack, CLUSTER):
        name = f"/aws/rds/cluster/{cluster['inputs']['clusterIdentifier']}/postgresql"
        group = groups[name]
        assert group["region"] == cluster["region"]
        assert arn_region(group["inputs"]["kmsKeyId"]) == cluster["region"]
        assert group["urn"] in cluster["dependencies"]


def instance_counts(result: PreviewResult) -> Counter[tuple[str, str, str]]:
    return Counter(
        (shard_name(i), i["region"], i["inputs"]["tags"]["role"].split("-")[0])
        for i in of_type(result, INSTANCE)
    )


def expected_counts(result: PreviewResult) -> Counter[tuple[str, str, str]]:
    cfg, db = result.config, result.config.database
    expected: Counter[tuple[str, str, str]] = Counter()
    for shard in cfg.shard_map.shards:
        expected[(shard.name, cfg.regions.primary, "writer")] = 1
        if db.primary_reader_count:
            expected[(shard.name, cfg.regions.primary, "reader")] = db.primary_reader_count
        for region in cfg.regions.secondaries:
            expected[(shard.name, region, "reader")] = db.secondary_reader_count
    return expected


def test_instance_counts_follow_the_config(eu: PreviewResult) -> None:
    assert instance_counts(eu) == expected_counts(eu)


def test_readers_wait_for_the_writer(eu: PreviewResult) -> None:
    instances = of_type(eu, INSTANCE)
    writers = {
        shard_name(i): i["urn"] for i in instances if i["inputs"]["tags"]["role"] == "writer"
    }
    primary_readers = [
        i
        for i in instances
        if i["region"] == eu.config.regions.primary and i["inputs"]["tags"]["role"] != "writer"
    ]
    assert primary_readers
    assert all(writers[shard_name(i)] in i["dependencies"] for i in primary_readers)


def test_reader_autoscaling_on_each_primary_cluster(stack: PreviewResult) -> None:
    scaling = stack.config.database.reader_autoscaling
    assert scaling is not None
    targets = of_type(stack, TARGET)
    assert len(targets) == len(stack.config.shard_map.shards)
    writers, _ = members(stack)
    writer_urns = {c["urn"] for c in writers}
    for target in targets:
        inputs = target["inputs"]
        assert inputs["scalableDimension"] == "rds:cluster:ReadReplicaCount"
        assert inputs["serviceNamespace"] == "rds"
        assert inputs["resourceId"].startswith("cluster:")
        assert (inputs["minCapacity"], inputs["maxCapacity"]) == (
            scaling.min_capacity,
            scaling.max_capacity,
        )
        assert set(target["propertyDependencies"]["resourceId"]) <= writer_urns
    for policy in of_type(stack, POLICY):
        tracking = policy["inputs"]["targetTrackingScalingPolicyConfiguration"]
        assert tracking["targetValue"] == scaling.target_cpu_percent
        assert (
            tracking["predefinedMetricSpecification"]["predefinedMetricType"]
            == "RDSReaderAverageCPUUtilization"
        )


def test_counts_autoscaling_and_rotation_follow_changed_config(preview_with: Preview) -> None:
    lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate-postgres"
    changed = preview_with(
        "us",
        **{
            "database.primaryReaderCount": 3,
            "database.secondaryReaderCount": 2,
            "database.readerAutoscaling": None,
            "database.masterSecretRotation": {"lambdaArn": lambda_arn, "days": 14},
        },
    )
    assert instance_counts(changed) == expected_counts(changed)
    assert sum(instance_counts(changed).values()) == 4 * (1 + 3 + 2)
    assert of_type(changed, TARGET) == []
    assert of_type(changed, POLICY) == []
    rotations = of_type(changed, "aws:secretsmanager/secretRotation:SecretRotation")
    assert len(rotations) == 4
    for rotation in rotations:
        assert rotation["inputs"]["rotationLambdaArn"] == lambda_arn
        assert rotation["inputs"]["rotationRules"]["automaticallyAfterDays"] == 14
        assert rotation["region"] == "us-east-1"
    for version in of_type(changed, SECRET_VERSION):
        assert "secretString" in version["options"]["ignoreChanges"]


# -- network placement ----------------------------------------------------------------------


def database_groups(result: PreviewResult) -> dict[str, ResourceRecord]:
    return {g["region"]: g for g in of_type(result, SG) if g["name"].startswith("database-")}


def test_database_security_groups_admit_5432_from_workload_subnets_only(
    stack: PreviewResult,
) -> None:
    cfg = stack.config
    private = {
        r: set(carve_subnets(cfg.network.vpc_cidrs[r], cfg.network.az_count).private)
        for r in cfg.regions.all
    }
    groups = database_groups(stack)
    assert set(groups) == set(cfg.regions.all)
    for region, group in groups.items():
        inputs = group["inputs"]
        assert inputs["egress"] == []
        admitted: set[str] = set()
        for rule in inputs["ingress"]:
            assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (5432, 5432, "tcp")
            for cidr in rule.get("cidrBlocks", []):
                assert ipaddress.ip_network(cidr).prefixlen > 0, "0.0.0.0/0 is never admitted"
                admitted.add(cidr)
            assert not rule.get("ipv6CidrBlocks")
        # The primary's writer takes writes from every region; a secondary serves its own.
        if region == cfg.regions.primary:
            assert admitted == set().union(*private.values())
        else:
            assert admitted == private[region]


def test_subnet_groups_use_the_isolated_subnets(eu: PreviewResult) -> None:
    for group in of_type(eu, "aws:rds/subnetGroup:SubnetGroup"):
        deps = group["propertyDependencies"]["subnetIds"]
        assert len(deps) == eu.config.network.az_count
        assert all("-isolated-" in urn for urn in deps)


def test_parameter_groups_force_tls_and_log_without_values(stack: PreviewResult) -> None:
    groups = of_type(stack, PARAMS)
    assert {g["region"] for g in groups} == set(stack.config.regions.all)
    for group in groups:
        assert group["inputs"]["family"] == "aurora-postgresql16"
        values = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
        assert values["rds.force_ssl"] == "1"
        assert values["ssl_min_protocol_version"] == "TLSv1.2"
        assert values["log_connections"] == "1"
        assert values["log_min_duration_statement"] == str(stack.config.database.slow_statement_ms)
        assert values["log_parameter_max_length"] == "0"
    for cluster in of_type(stack, CLUSTER):
        (dep,) = cluster["propertyDependencies"]["dbClusterParameterGroupName"]
        assert dep in {g["urn"] for g in groups if g["region"] == cluster["region"]}


# -- the master credential ------------------------------------------------------------------


def test_secret_is_in_the_primary_with_replicas_only_in_the_jurisdiction(
    stack: PreviewResult,
) -> None:
    cfg = stack.config
    allowed = allowed_regions(cfg.jurisdiction)
    secrets = of_type(stack, SECRET)
    assert len(secrets) == len(cfg.shard_map.shards)
    for secret in secrets:
        inputs = secret["inputs"]
        assert secret["region"] == cfg.regions.primary
        assert arn_region(inputs["kmsKeyId"]) == cfg.regions.primary
        replicas = inputs["replicas"]
        assert sorted(r["region"] for r in replicas) == sorted(cfg.regions.secondaries)
        for replica in replicas:
            assert replica["region"] in allowed
            assert arn_region(replica["kmsKeyId"]) == replica["region"]
        assert "secrets" in secret["propertyDependencies"]["kmsKeyId"][0]


def test_secret_value_and_cluster_password_come_from_the_generator(eu: PreviewResult) -> None:
    passwords = {p["name"]: p for p in of_type(eu, "random:index/randomPassword:RandomPassword")}
    assert len(passwords) == 4
    for password in passwords.values():
        assert password["inputs"]["length"] >= 32
        special = password["inputs"]["overrideSpecial"]
        assert not set('/@" ') & set(special)
    writers, _ = members(eu)
    for cluster in writers:
        deps = cluster["propertyDependencies"]["masterPasswordWo"]
        assert len(deps) == 1
        assert deps[0].endswith(f"::{shard_name(cluster)}-master")
    for version in of_type(eu, SECRET_VERSION):
        assert version["region"] == "eu-central-1"
        assert any(d.endswith("-master") for d in version["propertyDependencies"]["secretString"])


# -- protection -----------------------------------------------------------------------------

DATA_TYPES = (GLOBAL, CLUSTER, SECRET)


def test_production_protects_data_bearing_resources(eu: PreviewResult) -> None:
    for record in (
        r for r in eu.resources if r["type"] in DATA_TYPES and "gdpr-platform:database:" in r["urn"]
    ):
        assert record["options"]["protect"] is True, record["name"]
    for cluster in of_type(eu, CLUSTER):
        inputs = cluster["inputs"]
        assert inputs["deletionProtection"] is True
        assert inputs["skipFinalSnapshot"] is False
        assert inputs["finalSnapshotIdentifier"] == f"{inputs['clusterIdentifier']}-final"
    assert all(g["inputs"]["deletionProtection"] is True for g in of_type(eu, GLOBAL))


def test_development_may_drop_protection_but_production_may_not(preview_with: Preview) -> None:
    unprotected = {
        "protection.deletionProtection": False,
        "protection.protectResources": False,
        "protection.skipFinalSnapshot": True,
    }
    dev = preview_with("eu", environment="development", **unprotected)
    for record in (
        r
        for r in dev.resources
        if r["type"] in DATA_TYPES and "gdpr-platform:database:" in r["urn"]
    ):
        assert record["options"]["protect"] is False, record["name"]
    for cluster in of_type(dev, CLUSTER):
        inputs = cluster["inputs"]
        assert inputs["deletionProtection"] is False
        assert inputs["skipFinalSnapshot"] is True
        assert "finalSnapshotIdentifier" not in inputs
    assert all(g["inputs"]["deletionProtection"] is False for g in of_type(dev, GLOBAL))

    prod = preview_with("eu", **unprotected)
    for record in (
        r
        for r in prod.resources
        if r["type"] in DATA_TYPES and "gdpr-platform:database:" in r["urn"]
    ):
        assert record["options"]["protect"] is True, record["name"]
    assert all(c["inputs"]["deletionProtection"] is True for c in of_type(prod, CLUSTER))
    assert all(c["inputs"]["skipFinalSnapshot"] is False for c in of_type(prod, CLUSTER))


# -- the published shard map -----------------------------------------------------------------


def check_published_map(result: PreviewResult) -> ShardMap:
    cfg = result.config
    published = ShardMap.from_json(result.outputs["shardMap"])
    assert [(s.start, s.end) for s in published.shards] == [
        (s.start, s.end) for s in cfg.shard_map.shards
    ]
    assert published.block == cfg.shard_map.block
    assert published.signup_shard_index == cfg.shard_map.signup_shard_index
    for shard in published.shards:
        assert set(shard.regions) == set(cfg.regions.all)
        writers = {ep.writer for ep in shard.regions.values()}
        assert len(writers) == 1, "every region writes through the one global writer endpoint"
        assert f"{shard.name}-global" in writers.pop()
        for region, ep in shard.regions.items():
            assert f"{shard.name}-{region}.cluster-ro-" in ep.reader
            assert ep.reader.endswith(f".{region}.rds.amazonaws.com")
            assert ep.port == cfg.database.port
            assert ep.database == cfg.database.database_name
            assert ep.secret_arn is not None
            assert arn_region(ep.secret_arn) == region
    return published


def test_shard_map_output_carries_ranges_and_endpoints_per_region(stack: PreviewResult) -> None:
    check_published_map(stack)


def parameter_values(result: PreviewResult, region: str) -> dict[str, Any]:
    return {
        p["inputs"]["name"]: json.loads(unwrap(p["inputs"]["value"]))
        for p in of_type(result, SSM)
        if p["region"] == region
    }


def test_shard_map_parameter_in_every_region_equals_the_output(stack: PreviewResult) -> None:
    path = f"/gdpr-platform/{stack.stack}/shard-map"
    assert stack.outputs["shardMapParameter"] == path
    expected = json.loads(stack.outputs["shardMap"])
    for region in stack.config.regions.all:
        values = parameter_values(stack, region)
        assert list(values) == [path], "four shards fit in one parameter"
        assert values[path] == expected
    for parameter in of_type(stack, SSM):
        assert parameter["inputs"]["type"] == "String"
        assert parameter["inputs"]["tags"]["data-classification"] == "internal"


def test_a_64_shard_layout_previews_and_publishes_in_parts(preview_with: Preview) -> None:
    big = preview_with("eu", **{"shards.count": 64, "shards.size": 15_000})
    assert len(of_type(big, GLOBAL)) == 64
    assert len(of_type(big, CLUSTER)) == 128
    published = check_published_map(big)
    assert len(published.shards) == 64
    expected = json.loads(big.outputs["shardMap"])
    for region in big.config.regions.all:
        values = parameter_values(big, region)
        head = values["/gdpr-platform/eu/shard-map"]
        assert len(head["parts"]) > 1
        assert assemble(head, values) == expected
    for parameter in of_type(big, SSM):
        assert len(unwrap(parameter["inputs"]["value"]).encode()) <= 8192
    # Shared per region, so 64 shards stay inside RDS quotas (50 of each per region).
    assert len(of_type(big, PARAMS)) == 2
    assert len(of_type(big, "aws:rds/subnetGroup:SubnetGroup")) == 2


# -- the shared per-region component on its own ------------------------------------------


def region_records(**changes: Any) -> list[ResourceRecord]:
    """Register one DatabaseRegion under the recording mocks; return what it registered."""
    import pulumi
    import pulumi_aws as aws
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings as runtime_settings

    from components.database import DatabaseRegion, DatabaseRegionArgs
    from tools.mocks import install

    runtime_settings.ROOT.set(None)
    runtime_config.CONFIG.set({})
    monitor = install("gdpr-platform", "unit")
    args = DatabaseRegionArgs(
        region="eu-west-1",
        vpc_id="vpc-0123",
        isolated_subnet_ids=["subnet-a", "subnet-b"],
        client_cidrs=["10.11.0.0/19"],
        engine_version="16.6",
        port=5432,
        slow_statement_ms=1000,
        monitoring_interval_seconds=0,
    )
    for key, value in changes.items():
        setattr(args, key, value)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def register() -> pulumi.Output[None]:
        provider = aws.Provider("aws-eu-west-1", region="eu-west-1")
        DatabaseRegion("database-eu-west-1", args, pulumi.ResourceOptions(provider=provider))
        return pulumi.Output.from_input(None)

    register()
    return monitor.records


def test_database_region_admits_named_security_groups_on_the_port_only() -> None:
    records = region_records(source_security_group_ids=["sg-eks-nodes"])
    (group,) = [r for r in records if r["type"] == SG]
    rules = group["inputs"]["ingress"]
    assert [r.get("securityGroups") for r in rules] == [None, ["sg-eks-nodes"]]
    assert all((r["fromPort"], r["toPort"]) == (5432, 5432) for r in rules)
    # No Enhanced Monitoring asked for, so no role either.
    assert not [r for r in records if r["type"] == "aws:iam/role:Role"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_cidrs": ["0.0.0.0/0"]}, "open the database to everyone"),
        ({"client_cidrs": []}, "no client CIDR or security group"),
    ],
)
def test_database_region_refuses_open_or_unreachable_databases(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        region_records(**changes)


@pytest.mark.parametrize("shards", [1, 4, 9, 64, 256])
def test_shard_map_parts_fit_ssm_with_real_length_names(shards: int) -> None:
    """The size estimate holds for AWS-length endpoints and ARNs, not just the mocks'."""
    from app.shardmap import IdBlock, RegionEndpoints
    from components.shardmap_parameter import MAX_VALUE_BYTES, part_count, split_document

    prefix = "gdpr-platform-production-eu"  # longer than any stack name we use
    regions = ["eu-central-1", "eu-west-1", "eu-south-2"]
    layout = ShardMap.uniform("eu", IdBlock(0, 10_000_000), 30_000, shards)

    def endpoints(index: int) -> dict[str, RegionEndpoints]:
        name = f"{prefix}-shard-{index:02d}"
        return {
            region: RegionEndpoints(
                writer=f"{name}.global-abcdefghijkl.global.rds.amazonaws.com",
                reader=f"{name}-{region}.cluster-ro-abcdefghijkl.{region}.rds.amazonaws.com",
                port=5432,
                database="app",
                secret_arn=(
                    f"arn:aws:secretsmanager:{region}:123456789012:secret:"
                    f"{prefix}/shard-{index:02d}/master-AbCdEf"
                ),
            )
            for region in regions
        }

    document = layout.with_endpoints([endpoints(i) for i in range(shards)]).to_dict()
    parts = part_count(shards, len(regions), len(prefix))
    names = [f"/p/part-{i:02d}" for i in range(parts)]
    head, chunks = split_document(document, parts, names)
    for value in [head, *chunks]:
        assert len(json.dumps(value, separators=(",", ":")).encode()) <= MAX_VALUE_BYTES
    assert assemble(head, dict(zip(names, chunks, strict=True))) == document
    assert ShardMap.from_dict(assemble(head, dict(zip(names, chunks, strict=True))))
