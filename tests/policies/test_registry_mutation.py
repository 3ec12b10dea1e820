"""The pack catches a registry that leaves the jurisdiction.

A repository placed abroad is caught today by the generic residency rule. Replication
abroad is a destination inside ``aws:ecr/replicationConfiguration`` (the resource itself
stays in the primary region), which only a rule reading the destinations can see: that
rule lands with the pack's registry rules; until then its test is skipped, by name.
"""

from __future__ import annotations

import copy

from tests.infra.conftest import stack_file
from tests.policies.records import PACK_DIR
from tools.policy_client import PolicyPackProcess, load_policy_config
from tools.preview import collect

REPOSITORY = "aws:ecr/repository:Repository"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
REGION_RULE = "aws-resource-require-region-in-jurisdiction"
REPLICATION_RULE = "aws-ecr-replicationconfiguration-require-destinations-in-jurisdiction"
CMK_TEMPLATE_RULE = "aws-ecr-replicationconfiguration-require-cmk-template"


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


def test_replication_to_a_region_abroad_is_caught(pack: PolicyPackProcess) -> None:
    records = copy.deepcopy(collect("eu", stack_file("eu")).resources)
    replication = next(r for r in records if r["type"] == REPLICATION)
    [rule] = replication["inputs"]["replicationConfiguration"]["rules"]
    rule["destinations"][0]["region"] = "us-east-1"
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    found = [v for v in pack.analyze(records) if v.urn == replication["urn"]]
    [residency] = [v for v in found if v.policy == REPLICATION_RULE]
    assert residency.level == "mandatory"
    assert "us-east-1" in residency.message
    # No CMK creation template in a region the stack does not own either.
    assert {v.policy for v in found} == {REPLICATION_RULE, CMK_TEMPLATE_RULE}
