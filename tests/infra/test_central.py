"""The central hub: only in the hosting stack, reached by the others through a StackReference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError, check_single_hub, parse_config
from tests.infra.conftest import by_name, of_type, policy_doc, set_key, stack_file
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult, collect, project_config

HUB = "gdpr-platform:central:CentralHub"
HUB_REFERENCE = "gdpr-platform:central:CentralHubReference"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


def under(result: PreviewResult, component_type: str) -> list[ResourceRecord]:
    """Resources whose URN type chain passes through ``component_type``."""
    return [
        r for r in result.resources if component_type in r["urn"].split("::")[2].split("$")[:-1]
    ]


ONLY_PRODUCER = "arn:aws:iam::123456789012:role/only-producer"


@pytest.fixture(scope="module")
def changed_eu() -> PreviewResult:
    """eu with one producer and relaxed protection: one preview for the two tests using it."""
    config = stack_file("eu")
    for dotted, value in {
        "central.producerRoleArns": [ONLY_PRODUCER],
        "protection.deletionProtection": False,
        "protection.protectResources": False,
        "protection.skipFinalSnapshot": True,
    }.items():
        config = set_key(config, dotted, value)
    return collect("eu", config)


def region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def key_arn(result: PreviewResult, region: str, purpose: str) -> str:
    arn: str = result.outputs["kmsKeyArns"][region][purpose]
    return arn


def depends_on(record: ResourceRecord, prop: str, other: ResourceRecord) -> bool:
    return other["urn"] in record["propertyDependencies"].get(prop, [])


# --- where the hub is ---------------------------------------------------------------------


def test_the_hosting_stack_builds_the_hub_in_its_primary_region(eu: PreviewResult) -> None:
    assert len(of_type(eu, HUB)) == 1
    hub = under(eu, HUB)
    assert len(hub) > 20
    assert {r["region"] for r in hub} == {"eu-central-1"}
    assert of_type(eu, STACK_REFERENCE) == []


def test_a_producer_stack_has_no_hub_but_reads_it_through_a_stack_reference(
    us: PreviewResult,
) -> None:
    assert of_type(us, HUB) == []
    assert under(us, HUB) == []
    [reference] = of_type(us, STACK_REFERENCE)
    assert reference["read"] is True
    assert reference["inputs"]["name"] == "organization/gdpr-platform/eu"
    [component] = of_type(us, HUB_REFERENCE)
    assert reference["parent"] == component["urn"]


def test_hub_outputs_name_the_eu_queue_in_both_stacks(eu: PreviewResult, us: PreviewResult) -> None:
    # us produces across the border to eu-central-1: the only cross-border path, for
    # pseudonymized events only.
    for result in (eu, us):
        assert region_of_arn(result.outputs["centralQueueArn"]) == "eu-central-1"
        assert result.outputs["centralQueueUrl"].startswith("https://sqs.eu-central-1.")
    queue = by_name(eu, "central-consumer-queue")
    assert eu.outputs["centralQueueArn"].rsplit(":", 1)[1].startswith(queue["name"])
    assert "eu-central-1.rds.amazonaws.com" in eu.outputs["centralDatabaseEndpoint"]
    assert "centralDatabaseEndpoint" not in us.outputs


def test_the_hub_moves_where_the_config_says(
    preview_with: Callable[..., PreviewResult],
) -> None:
    moved = preview_with(
        "eu",
        **{"central": {"host": False, "hostStack": "organization/gdpr-platform/us"}},
    )
    assert of_type(moved, HUB) == []
    [reference] = of_type(moved, STACK_REFERENCE)
    assert reference["inputs"]["name"] == "organization/gdpr-platform/us"
    assert region_of_arn(moved.outputs["centralQueueArn"]) == "us-east-1"


def test_every_hub_resource_is_classified_pseudonymized(eu: PreviewResult) -> None:
    tagged = [r for r in under(eu, HUB) if "tags" in r["inputs"]]
    assert len(tagged) > 10
    assert {r["inputs"]["tags"]["data-classification"] for r in tagged} == {"pseudonymized"}
    queue = by_name(eu, "central-consumer-queue")
    assert queue["inputs"]["tags"]["data-classification"] == "pseudonymized"


# --- queue, DLQ and queue policy ----------------------------------------------------------


def test_queue_and_dlq_use_the_hub_regions_queues_key(eu: PreviewResult) -> None:
    queues_key = key_arn(eu, "eu-central-1", "queues")
    for name in ("central-consumer-queue", "central-consumer-dlq"):
        queue = by_name(eu, name)
        assert queue["inputs"]["kmsMasterKeyId"] == queues_key
        assert queue["inputs"]["kmsDataKeyReusePeriodSeconds"] == 300


def test_queue_redrives_to_its_dlq_after_max_receive_count(eu: PreviewResult) -> None:
    queue = by_name(eu, "central-consumer-queue")
    dlq = by_name(eu, "central-consumer-dlq")
    redrive = policy_doc(queue, "redrivePolicy")
    assert redrive["maxReceiveCount"] == eu.config.central.consumer.max_receive_count
    assert redrive["deadLetterTargetArn"].rsplit(":", 1)[1].startswith(dlq["name"])
    assert depends_on(queue, "redrivePolicy", dlq)
    timeout = eu.config.central.consumer.timeout_seconds
    assert queue["inputs"]["visibilityTimeoutSeconds"] >= 6 * timeout


def test_only_the_configured_producers_may_send_and_only_over_tls(eu: PreviewResult) -> None:
    doc = policy_doc(by_name(eu, "central-queue-policy"))
    producers = sorted(eu.config.central.producer_role_arns)
    statements = {s["Sid"]: s for s in doc["Statement"]}
    allows = [s for s in doc["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    # Accounts as principals (they exist before any producer role does), the roles by
    # condition: a first deploy of the hub does not wait for the producers' stacks.
    accounts = sorted({f"arn:aws:iam::{arn.split(':')[4]}:root" for arn in producers})
    assert allows[0]["Principal"]["AWS"] == accounts
    assert sorted(allows[0]["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == producers
    assert not any(":role/" in str(s.get("Principal")) for s in doc["Statement"])
    assert allows[0]["Action"] == "sqs:SendMessage"
    deny_others = statements["DenySendFromAnyoneElse"]
    assert deny_others["Effect"] == "Deny"
    assert sorted(deny_others["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == producers
    tls = [
        s
        for s in doc["Statement"]
        if s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(tls) == 1
    assert tls[0]["Action"] == "sqs:*"


def test_producer_list_comes_from_config(changed_eu: PreviewResult) -> None:
    doc = policy_doc(by_name(changed_eu, "central-queue-policy"))
    allow = next(s for s in doc["Statement"] if s["Effect"] == "Allow")
    assert allow["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [ONLY_PRODUCER]
    assert allow["Principal"]["AWS"] == [f"arn:aws:iam::{ONLY_PRODUCER.split(':')[4]}:root"]


def test_the_dlq_also_refuses_plain_http(eu: PreviewResult) -> None:
    doc = policy_doc(by_name(eu, "central-consumer-dlq-policy"))
    [statement] = doc["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- consumer -----------------------------------------------------------------------------


def test_consumer_function(eu: PreviewResult) -> None:
    fn = by_name(eu, "central-consumer-fn")
    settings = eu.config.central.consumer
    inputs = fn["inputs"]
    assert inputs["runtime"] in {"python3.12", "python3.13"}
    assert inputs["handler"] == "app.lambdas.central_consumer.handler"
    assert inputs["reservedConcurrentExecutions"] == settings.reserved_concurrency
    assert inputs["memorySize"] == settings.memory_mb
    assert inputs["timeout"] == settings.timeout_seconds
    assert inputs["kmsKeyArn"] == key_arn(eu, "eu-central-1", "secrets")
    assert inputs["vpcConfig"]["subnetIds"] == eu.outputs["privateSubnetIds"]["eu-central-1"]
    assert depends_on(fn, "vpcConfig", by_name(eu, "central-consumer-sg"))
    log_group = by_name(eu, "central-consumer-logs")
    assert inputs["loggingConfig"]["logGroup"] == log_group["inputs"]["name"]
    assert log_group["inputs"]["kmsKeyId"] == key_arn(eu, "eu-central-1", "logs")
    assert log_group["inputs"]["retentionInDays"] == settings.log_retention_days
    # The group exists before the function, so Lambda never creates an unencrypted one.
    assert log_group["urn"] in fn["dependencies"]
    env = inputs["environment"]["variables"]
    assert set(env) == {
        "CENTRAL_DB_HOST",
        "CENTRAL_DB_PORT",
        "CENTRAL_DB_NAME",
        "CENTRAL_DB_SECRET_ARN",
        "CENTRAL_JURISDICTIONS",
    }
    assert env["CENTRAL_DB_HOST"] == eu.outputs["centralDatabaseEndpoint"]


def test_consumer_event_source_mapping(eu: PreviewResult) -> None:
    esm = by_name(eu, "central-consumer-esm")
    settings = eu.config.central.consumer
    assert esm["inputs"]["batchSize"] == settings.batch_size
    assert esm["inputs"]["maximumBatchingWindowInSeconds"] == settings.batching_window_seconds
    assert esm["inputs"]["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm["inputs"]["scalingConfig"]["maximumConcurrency"] <= settings.reserved_concurrency
    assert depends_on(esm, "eventSourceArn", by_name(eu, "central-consumer-queue"))
    assert depends_on(esm, "functionName", by_name(eu, "central-consumer-fn"))


def test_consumer_role_is_least_privilege(eu: PreviewResult) -> None:
    doc = policy_doc(by_name(eu, "central-consumer-policy"))
    resources = [s["Resource"] for s in doc["Statement"]]
    assert "*" not in resources
    by_sid: dict[str, Any] = {s["Sid"]: s for s in doc["Statement"]}
    assert set(by_sid["ConsumeOwnQueue"]["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    }
    assert by_sid["ConsumeOwnQueue"]["Resource"] == eu.outputs["centralQueueArn"]
    log_group = by_name(eu, "central-consumer-logs")["inputs"]["name"]
    assert by_sid["WriteOwnLogGroup"]["Resource"].endswith(f":log-group:{log_group}:*")
    kms = {s["Resource"] for s in doc["Statement"] if s["Action"] == "kms:Decrypt"}
    assert kms == {key_arn(eu, "eu-central-1", p) for p in ("queues", "secrets")}
    secret = by_sid["ReadDatabaseCredential"]
    assert secret["Action"] == "secretsmanager:GetSecretValue"
    assert secret["Resource"].startswith("arn:aws:secretsmanager:eu-central-1:")
    assert "rds!cluster" in secret["Resource"]
    [attachment] = [
        r
        for r in under(eu, HUB)
        if r["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    ]
    assert attachment["inputs"]["policyArn"].endswith(
        ":policy/service-role/AWSLambdaVPCAccessExecutionRole"
    )


# --- central database ---------------------------------------------------------------------


def test_central_database(eu: PreviewResult) -> None:
    cluster = by_name(eu, "central-db")
    db = eu.config.central.database
    inputs = cluster["inputs"]
    assert cluster["region"] == "eu-central-1"
    assert inputs["engine"] == "aurora-postgresql"
    assert inputs["engineMode"] == "provisioned"
    assert inputs["serverlessv2ScalingConfiguration"] == {
        "minCapacity": db.min_acu,
        "maxCapacity": db.max_acu,
    }
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == key_arn(eu, "eu-central-1", "database")
    assert inputs["manageMasterUserPassword"] is True
    assert inputs["masterUserSecretKmsKeyId"] == key_arn(eu, "eu-central-1", "secrets")
    assert "masterPassword" not in inputs
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["backupRetentionPeriod"] == db.backup_retention_days >= 7
    assert inputs["deletionProtection"] is True
    assert cluster["options"]["protect"] is True
    group = by_name(eu, "central-db-subnets")
    assert depends_on(cluster, "dbSubnetGroupName", group)
    assert all("-isolated-" in s for s in group["inputs"]["subnetIds"])
    instances = [
        r for r in under(eu, HUB) if r["type"] == "aws:rds/clusterInstance:ClusterInstance"
    ]
    assert len(instances) == db.instance_count
    assert {i["inputs"]["instanceClass"] for i in instances} == {"db.serverless"}
    assert not any(i["inputs"]["publiclyAccessible"] for i in instances)
    # RDS would create its export log group unencrypted; ours exists first, on the logs CMK.
    db_logs = by_name(eu, "central-db-logs")
    assert db_logs["inputs"]["name"] == f"/aws/rds/cluster/{inputs['clusterIdentifier']}/postgresql"
    assert db_logs["urn"] in cluster["dependencies"]


def test_database_admits_postgres_only_from_the_consumer(eu: PreviewResult) -> None:
    db_sg = by_name(eu, "central-db-sg")
    consumer_sg = by_name(eu, "central-consumer-sg")
    ingress = [
        r
        for r in of_type(eu, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if depends_on(r, "securityGroupId", db_sg)
    ]
    assert len(ingress) == 1
    rule = ingress[0]
    assert depends_on(rule, "referencedSecurityGroupId", consumer_sg)
    assert (rule["inputs"]["fromPort"], rule["inputs"]["toPort"]) == (5432, 5432)
    assert "cidrIpv4" not in rule["inputs"]
    assert "ingress" not in db_sg["inputs"] or db_sg["inputs"]["ingress"] == []


def test_database_protection_has_the_production_floor(changed_eu: PreviewResult) -> None:
    # changed_eu relaxes every protection flag, but eu is production: the floor holds (and
    # outside production the flags stand: tests/infra/test_protection_floor.py).
    cluster = by_name(changed_eu, "central-db")
    assert cluster["inputs"]["deletionProtection"] is True
    assert cluster["inputs"]["skipFinalSnapshot"] is False
    assert cluster["inputs"]["finalSnapshotIdentifier"] == "gdpr-platform-eu-central-final"
    assert cluster["options"]["protect"] is True


# --- bad config: one line naming the key ----------------------------------------------------


def parse(stack: str, **changes: Any) -> None:
    config = stack_file(stack)
    for dotted, value in changes.items():
        config = set_key(config, dotted, value)
    parse_config(stack, project_config(config))


@pytest.mark.parametrize(
    ("stack", "changes", "key", "fragment"),
    [
        # us claims the hub while naming eu's stack: two hosts.
        ("us", {"central.host": True}, "central.host", "only one"),
        ("us", {"central.hostStack": None}, "central.hostStack", "required when host is false"),
        (
            "us",
            {"central.hostStack": "organization/gdpr-platform/us"},
            "central.hostStack",
            "this stack",
        ),
        (
            "us",
            {"central.hostStack": "gdpr-platform/eu"},
            "central.hostStack",
            "<org>/<project>/<stack>",
        ),
        (
            "us",
            {"central.producerRoleArns": ["arn:aws:iam::123456789012:role/x"]},
            "central.producerRoleArns",
            "hosting stack",
        ),
        ("us", {"central.consumer.batchSize": 5}, "central.consumer", "hosting stack"),
        ("eu", {"central.producerRoleArns": []}, "central.producerRoleArns", "must name"),
        (
            "eu",
            {"central.producerRoleArns": ["arn:aws:iam::123456789012:user/bob"]},
            "central.producerRoleArns[0]",
            "not an IAM role ARN",
        ),
        ("eu", {"central.database.minAcu": 16}, "central.database.minAcu", "must not exceed"),
        ("eu", {"central.database.maxAcu": 7.3}, "central.database.maxAcu", "multiple of 0.5"),
        (
            "eu",
            {"central.consumer.batchSize": 100, "central.consumer.batchingWindowSeconds": 0},
            "central.consumer.batchingWindowSeconds",
            "at least 1 s",
        ),
        (
            "eu",
            {"central.consumer.reservedConcurrency": 1},
            "central.consumer.reservedConcurrency",
            "2",
        ),
        ("eu", {"central.consumer.batchSise": 5}, "central.consumer.batchSise", "unknown key"),
        ("eu", {"central": None}, "central", "required key is missing"),
    ],
)
def test_bad_central_config_names_the_key(
    stack: str, changes: dict[str, Any], key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse(stack, **changes)
    assert err.value.key == f"gdpr-platform:{key}"
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"gdpr-platform:{key}: ")
    assert fragment in message


def test_the_stack_files_agree_on_one_hub() -> None:
    configs = {s: parse_config(s, project_config(stack_file(s))) for s in ("eu", "us")}
    check_single_hub(configs)
    assert configs["eu"].central.host
    assert not configs["us"].central.host


def test_two_hosting_stacks_are_refused() -> None:
    us_hosting = set_key(stack_file("us"), "central.host", True)
    us_hosting = set_key(us_hosting, "central.hostStack", "organization/gdpr-platform/us")
    us_hosting = set_key(
        us_hosting, "central.producerRoleArns", ["arn:aws:iam::123456789012:role/us-api"]
    )
    configs = {
        "eu": parse_config("eu", project_config(stack_file("eu"))),
        "us": parse_config("us", project_config(us_hosting)),
    }
    with pytest.raises(ConfigError, match=r"^gdpr-platform:central\.host: stacks eu, us all host"):
        check_single_hub(configs)


def test_a_producer_naming_the_wrong_hub_is_refused() -> None:
    eu = parse_config("eu", project_config(stack_file("eu")))
    us_text = set_key(stack_file("us"), "central.hostStack", "organization/gdpr-platform/apac")
    us = parse_config("us", project_config(us_text))
    with pytest.raises(ConfigError, match=r"central\.hostStack: stack us names"):
        check_single_hub({"eu": eu, "us": us})


def test_a_hub_nobody_hosts_is_refused() -> None:
    eu = set_key(stack_file("eu"), "central", {"host": False, "hostStack": "org/gdpr-platform/us"})
    configs = {
        "eu": parse_config("eu", project_config(eu)),
        "us": parse_config("us", project_config(stack_file("us"))),
    }
    with pytest.raises(ConfigError, match=r"central\.host: no stack hosts the hub"):
        check_single_hub(configs)


def test_hub_queue_key_admits_the_producers_without_naming_their_roles(
    eu: PreviewResult, us: PreviewResult
) -> None:
    producers = sorted(eu.config.central.producer_role_arns)
    primary = eu.config.regions.primary
    key = by_name(eu, f"keys-{primary}-queues", "aws:kms/key:Key")
    statements = {s["Sid"]: s for s in policy_doc(key)["Statement"]}
    grant = statements["CentralProducersEncryptThroughSqs"]
    assert grant["Principal"]["AWS"] == sorted(
        {f"arn:aws:iam::{arn.split(':')[4]}:root" for arn in producers}
    )
    assert grant["Condition"]["ArnEquals"]["aws:PrincipalArn"] == producers
    assert grant["Condition"]["StringEquals"]["kms:ViaService"] == f"sqs.{primary}.amazonaws.com"
    assert grant["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    # Only the hub's queues key, only in the hosting stack.
    for result in (eu, us):
        for record in result.resources:
            if record["type"] == "aws:kms/key:Key" and record is not key:
                assert "CentralProducers" not in str(record["inputs"].get("policy"))
