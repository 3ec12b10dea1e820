"""The pack catches a registry that leaves the jurisdiction.

A repository placed abroad is caught today by the generic residency rule. Replication
abroad is a destination inside ``aws:ecr/replicationConfiguration`` (the resource itself
stays in the primary region), which only a rule reading the destinations can see: that
rule lands with the pack's registry rules; until then its test is skipped, by name.
"""

from __future__ import annotations

import copy

import pytest

from policies.gdpr_pack.pack import BY_NAME
from tests.infra.conftest import stack_file
from tests.policies.records import PACK_DIR
from tools.policy_client import PolicyPackProcess, load_policy_config
from tools.preview import collect

REPOSITORY = "aws:ecr/repository:Repository"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
REGION_RULE = "aws-resource-require-region-in-jurisdiction"
REPLICATION_RULE = "aws-ecr-replicationconfiguration-require-destination-in-jurisdiction"


def test_the_registry_as_built_passes(pack: PolicyPackProcess) -> None:
    result = collect("eu", stack_file("eu"))
    registry = {r["urn"] for r in result.resources if r["type"] in (REPOSITORY, REPLICATION)}
    assert len(registry) == 3
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    assert [v for v in pack.analyze(result.resources) if v.urn in registry] == []


def test_a_repository_placed_abroad_is_caught(pack: PolicyPackProcess) -> None:
    records = copy.deepcopy(collect("eu", stack_file("eu")).resources)
    repo = next(r for r in records if r["type"] == REPOSITORY and r["region"] == "eu-west-1")
    repo["inputs"]["region"] = "us-east-1"
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    found = [v for v in pack.analyze(records) if v.urn == repo["urn"]]
    assert (REGION_RULE, "mandatory") in {(v.policy, v.level) for v in found}


@pytest.mark.skipif(
    REPLICATION_RULE not in BY_NAME, reason=f"{REPLICATION_RULE} is not in the pack yet"
)
def test_replication_to_a_region_abroad_is_caught(pack: PolicyPackProcess) -> None:
    records = copy.deepcopy(collect("eu", stack_file("eu")).resources)
    replication = next(r for r in records if r["type"] == REPLICATION)
    [rule] = replication["inputs"]["replicationConfiguration"]["rules"]
    rule["destinations"][0]["region"] = "us-east-1"
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    found = [v for v in pack.analyze(records) if v.urn == replication["urn"]]
    assert [(v.policy, v.level) for v in found] == [(REPLICATION_RULE, "mandatory")]
    assert "us-east-1" in found[0].message
