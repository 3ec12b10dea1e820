"""Both stacks as a whole: residency of every resource, tags, providers, outputs."""

from __future__ import annotations

import json

import pytest

from app.shardmap import ShardMap
from components.config import REQUIRED_TAG_KEYS
from policies.gdpr_pack.jurisdictions import is_global_type
from policies.gdpr_pack.taggable import is_taggable
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult

HOME_REGIONS = {"eu": {"eu-central-1", "eu-west-1"}, "us": {"us-east-1", "us-west-2"}}


def _lives_on_a_cluster(type_token: str) -> bool:
    """Kubernetes objects and providers: no AWS region of their own (see cluster_region)."""
    return type_token.startswith("kubernetes:") or type_token == "pulumi:providers:kubernetes"


def cluster_region(stack: PreviewResult, record: ResourceRecord) -> str | None:
    """Where a Kubernetes object lives: the region of the cluster its provider talks to.

    The engine knows no region for these (the Kubernetes provider has no region input),
    so follow the object's provider, then that provider's parents, up to the first
    resource with an AWS region: the EksCluster component that made the provider.
    """
    by_urn = {r["urn"]: r for r in stack.resources}
    start = record
    if record["type"] != "pulumi:providers:kubernetes":
        assert record["provider"], f"{record['name']} has no explicit Kubernetes provider"
        start = by_urn[record["provider"].rsplit("::", 1)[0]]
    assert start["type"] == "pulumi:providers:kubernetes", record["name"]
    node: ResourceRecord | None = start
    while node is not None:
        if node["region"] is not None:
            assert node["type"] == "gdpr-platform:cluster:EksCluster", node["type"]
            region: str = node["region"]
            return region
        node = by_urn.get(node["parent"] or "")
    return None


def test_every_regional_resource_is_in_its_stacks_regions(stack: PreviewResult) -> None:
    outside = [
        (r["name"], r["region"])
        for r in stack.resources
        # A read (the us stack's StackReference to the hub) creates nothing anywhere;
        # random:* values exist only in Pulumi's state, in no AWS region.
        if not is_global_type(r["type"])
        and not _lives_on_a_cluster(r["type"])
        and not r.get("read")
        and not r["type"].startswith("random:")
        and r["region"] not in HOME_REGIONS[stack.stack]
    ]
    assert outside == []


def test_every_kubernetes_object_lives_on_a_cluster_in_its_stacks_regions(
    stack: PreviewResult,
) -> None:
    on_clusters = [r for r in stack.resources if _lives_on_a_cluster(r["type"])]
    assert on_clusters
    outside = [
        (r["name"], cluster_region(stack, r))
        for r in on_clusters
        if cluster_region(stack, r) not in HOME_REGIONS[stack.stack]
    ]
    assert outside == []


def test_both_home_regions_are_used(stack: PreviewResult) -> None:
    assert {r["region"] for r in stack.resources} >= HOME_REGIONS[stack.stack]


def test_every_aws_resource_has_an_explicit_provider(stack: PreviewResult) -> None:
    implicit = [
        r["name"] for r in stack.resources if r["type"].startswith("aws:") and not r["provider"]
    ]
    assert implicit == []


def test_every_taggable_resource_carries_the_required_tags(stack: PreviewResult) -> None:
    taggable = [r for r in stack.resources if is_taggable(r["type"])]
    assert len(taggable) > 50
    for record in taggable:
        tags = record["inputs"].get("tags")
        assert isinstance(tags, dict), record["name"]
        missing = [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]
        assert missing == [], f"{record['name']} lacks {missing}"
        assert tags["jurisdiction"] == stack.stack
        assert tags["environment"] == "production"


def test_resource_may_declare_its_own_classification(eu: PreviewResult) -> None:
    vpc = next(r for r in eu.resources if r["type"] == "aws:ec2/vpc:Vpc")
    key = next(r for r in eu.resources if r["type"] == "aws:kms/key:Key")
    assert vpc["inputs"]["tags"]["data-classification"] == "internal"
    assert key["inputs"]["tags"]["data-classification"] == "personal"


def test_untaggable_resources_get_no_tags(eu: PreviewResult) -> None:
    routes = [r for r in eu.resources if r["type"] == "aws:ec2/route:Route"]
    assert routes
    assert all("tags" not in r["inputs"] for r in routes)


def test_urns_name_the_stack_and_project(stack: PreviewResult) -> None:
    prefix = f"urn:pulumi:{stack.stack}::gdpr-platform::"
    assert all(r["urn"].startswith(prefix) for r in stack.resources)
    assert len({r["urn"] for r in stack.resources}) == len(stack.resources)


def test_shard_map_output_matches_the_config(stack: PreviewResult) -> None:
    published = ShardMap.from_json(stack.outputs["shardMap"])
    assert published.jurisdiction == stack.stack
    assert [(s.start, s.end) for s in published.shards] == [
        (s.start, s.end) for s in stack.config.shard_map.shards
    ]
    assert [s.size for s in published.shards] == [30_000] * 4


def test_id_blocks_and_cidrs_of_the_two_jurisdictions_are_disjoint(
    eu: PreviewResult, us: PreviewResult
) -> None:
    import ipaddress

    eu_block, us_block = eu.config.shard_map.block, us.config.shard_map.block
    assert eu_block.end <= us_block.start or us_block.end <= eu_block.start
    eu_nets = [ipaddress.ip_network(c) for c in eu.config.network.vpc_cidrs.values()]
    us_nets = [ipaddress.ip_network(c) for c in us.config.network.vpc_cidrs.values()]
    assert not any(a.overlaps(b) for a in eu_nets for b in us_nets)


@pytest.mark.parametrize("output", ["vpcIds", "kmsKeyArns", "privateSubnetIds"])
def test_regional_outputs_cover_every_region(stack: PreviewResult, output: str) -> None:
    assert set(stack.outputs[output]) == HOME_REGIONS[stack.stack]
    json.dumps(stack.outputs[output])


def test_what_launch_templates_launch_is_tagged_too(stack: PreviewResult) -> None:
    templates = [r for r in stack.resources if r["type"] == "aws:ec2/launchTemplate:LaunchTemplate"]
    assert templates
    for template in templates:
        specs = {s["resourceType"]: s["tags"] for s in template["inputs"]["tagSpecifications"]}
        assert set(specs) == {"instance", "volume", "network-interface"}
        for tags in specs.values():
            assert tags == template["inputs"]["tags"]
            assert all(tags.get(k) for k in REQUIRED_TAG_KEYS)
