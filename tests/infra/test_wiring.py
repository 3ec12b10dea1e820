"""The tiers wired together: what the API in each region may touch and is told about."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import by_name, of_type, policy_doc
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult

SHARD_CLUSTER = "aws:rds/cluster:Cluster"


def _statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    matches = [s for s in doc["Statement"] if s["Sid"] == sid]
    assert len(matches) == 1, sid
    statement: dict[str, Any] = matches[0]
    return statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _shard_clusters(stack: PreviewResult, region: str) -> list[ResourceRecord]:
    return [
        c
        for c in of_type(stack, SHARD_CLUSTER)
        if c["region"] == region and "gdpr-platform:database:" in c["urn"]
    ]


def _resource_id(stack: PreviewResult, cluster: ResourceRecord) -> str:
    # What the mocks give the cluster as its (computed) clusterResourceId.
    from tools.mocks import _computed_state

    state = _computed_state(cluster["type"], cluster["name"], cluster["region"], cluster["inputs"])
    resource_id: str = state["clusterResourceId"]
    return resource_id


def _api_config(stack: PreviewResult, region: str) -> dict[str, str]:
    config_maps = [
        r
        for r in of_type(stack, "kubernetes:core/v1:ConfigMap")
        if r["inputs"].get("data", {}).get("GDPR_API_REGION") == region
    ]
    assert len(config_maps) == 1
    data: dict[str, str] = config_maps[0]["inputs"]["data"]
    return data


def test_api_connects_to_primary_writers_and_local_readers_only(stack: PreviewResult) -> None:
    primary = stack.config.regions.primary
    for region in stack.config.regions.all:
        doc = policy_doc(by_name(stack, f"api-{region}-irsa", "aws:iam/rolePolicy:RolePolicy"))
        resources = set(_as_list(_statement(doc, "ConnectToOwnShards")["Resource"]))
        wanted = {primary, region}
        expected = {
            f"arn:aws:rds-db:{c['region']}:123456789012:dbuser:{_resource_id(stack, c)}/app"
            for where in wanted
            for c in _shard_clusters(stack, where)
        }
        assert len(expected) == len(stack.config.shard_map.shards) * len(wanted)
        assert resources == expected


def test_api_reads_its_regions_shard_map_and_pseudonym_key_only(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        doc = policy_doc(by_name(stack, f"api-{region}-irsa", "aws:iam/rolePolicy:RolePolicy"))
        parameters = _as_list(_statement(doc, "ReadShardMap")["Resource"])
        assert parameters == [
            f"arn:aws:ssm:{region}:123456789012:parameter/gdpr-platform/{stack.stack}/shard-map"
        ]
        secrets = _as_list(_statement(doc, "ReadShardSecrets")["Resource"])
        assert len(secrets) == 1
        assert secrets[0].startswith(f"arn:aws:secretsmanager:{region}:")
        assert "pseudonym-key" in secrets[0]


def test_api_writes_to_its_own_regions_audit_bucket(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        doc = policy_doc(by_name(stack, f"api-{region}-irsa", "aws:iam/rolePolicy:RolePolicy"))
        bucket = stack.outputs["auditBucketNames"][region]
        assert _as_list(_statement(doc, "WriteAuditFiles")["Resource"]) == [
            f"arn:aws:s3:::{bucket}/*"
        ]
        assert _api_config(stack, region)["GDPR_API_AUDIT_BUCKET"] == bucket


def test_api_is_told_the_published_shard_map_and_the_central_queue(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        config = _api_config(stack, region)
        assert json.loads(config["GDPR_API_SHARD_MAP"]) == json.loads(stack.outputs["shardMap"])
        assert config["GDPR_API_CENTRAL_QUEUE_URL"] == stack.outputs["centralQueueUrl"]
        assert (
            config["GDPR_API_CENTRAL_QUEUE_REGION"]
            == (stack.outputs["centralQueueArn"].split(":")[3])
        )
        assert config["GDPR_API_PSEUDONYM_KEY_SECRET_ID"].startswith(
            f"arn:aws:secretsmanager:{region}:"
        )


def test_published_shard_map_names_real_endpoints_in_every_region(stack: PreviewResult) -> None:
    document = json.loads(stack.outputs["shardMap"])
    for shard in document["shards"]:
        assert set(shard["regions"]) == set(stack.config.regions.all)
        for region, endpoints in shard["regions"].items():
            assert f".{region}.rds.amazonaws.com" in endpoints["reader"]


def test_pseudonym_key_stays_in_the_jurisdiction_on_regional_keys(stack: PreviewResult) -> None:
    secret = by_name(stack, "pseudonym-key", "aws:secretsmanager/secret:Secret")
    assert secret["region"] == stack.config.regions.primary
    assert secret["inputs"]["kmsKeyId"].startswith(f"arn:aws:kms:{stack.config.regions.primary}:")
    replicas = secret["inputs"]["replicas"]
    assert {r["region"] for r in replicas} == set(stack.config.regions.secondaries)
    for replica in replicas:
        assert replica["kmsKeyId"].startswith(f"arn:aws:kms:{replica['region']}:")


def test_every_api_role_is_an_admitted_producer_of_the_hub(
    eu: PreviewResult, us: PreviewResult
) -> None:
    """The hub's queue denies every other sender: each API role must be named in it."""
    hub = eu if eu.config.central.host else us
    queue_policy = policy_doc(
        by_name(hub, "central-queue-policy", "aws:sqs/queuePolicy:QueuePolicy")
    )
    named = json.dumps(queue_policy)
    producers = set(hub.config.central.producer_role_arns)
    for stack in (eu, us):
        for region, role_arn in stack.outputs["apiRoleArns"].items():
            assert role_arn in producers, (stack.stack, region)
            assert role_arn in named


def test_every_api_may_encrypt_for_the_hubs_queue_in_its_region(stack: PreviewResult) -> None:
    key_arn = stack.outputs["centralQueueKeyArn"]
    hub_region = key_arn.split(":")[3]
    assert hub_region == stack.outputs["centralQueueArn"].split(":")[3]
    for region in stack.config.regions.all:
        doc = policy_doc(by_name(stack, f"api-{region}-irsa", "aws:iam/rolePolicy:RolePolicy"))
        grant = _statement(doc, "EncryptCentralEvents")
        assert _as_list(grant["Resource"]) == [key_arn]
        assert set(grant["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
        allowed = grant["Condition"]["StringEquals"]["aws:RequestedRegion"]
        assert hub_region in allowed


def test_the_hub_region_comes_from_the_hosting_stacks_config(
    eu: PreviewResult, us: PreviewResult
) -> None:
    assert us.outputs["centralQueueArn"].split(":")[3] == eu.config.regions.primary
