"""Changed stacks are caught, by config validation or by the pack, naming what caught them."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError
from tests.infra.conftest import set_key, stack_file
from tests.policies.records import PACK_DIR
from tools.policy_client import PolicyPackProcess, load_policy_config
from tools.preview import PROJECT_DIR, collect

RDS_CLUSTER = "aws:rds/cluster:Cluster"


def _london_secondary() -> dict[str, Any]:
    # Valid for the program in adequacy mode, but the eu pack config does not allow it.
    config = set_key(stack_file("eu"), "regions.allowAdequacy", True)
    config = set_key(config, "regions.secondaries", ["eu-west-2"])
    return set_key(
        config, "network.vpcCidrs", {"eu-central-1": "10.10.0.0/16", "eu-west-2": "10.11.0.0/16"}
    )


def test_us_secondary_for_eu_is_stopped_by_config() -> None:
    with pytest.raises(ConfigError, match=r"regions\.secondaries\[0\].*outside jurisdiction 'eu'"):
        collect("eu", set_key(stack_file("eu"), "regions.secondaries", ["us-west-2"]))


def test_adequacy_region_is_caught_by_the_pack(pack: PolicyPackProcess) -> None:
    result = collect("eu", _london_secondary())
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    found = [v for v in pack.analyze(result.resources) if v.level == "mandatory"]
    residency = {v.urn for v in found if v.policy == "aws-resource-require-region-in-jurisdiction"}
    london = {r["urn"] for r in result.resources if r["region"] == "eu-west-2" and r["custom"]}
    regional = {u for u in london if "aws:iam/" not in u and "pulumi:providers:" not in u}
    assert regional
    assert regional <= residency
    assert any("eu-west-2" in v.message for v in found)


def test_shard_cluster_without_its_cmk_is_caught(pack: PolicyPackProcess) -> None:
    result = collect("eu", stack_file("eu"))
    records = copy.deepcopy(result.resources)
    shard_clusters = [
        r for r in records if r["type"] == RDS_CLUSTER and "gdpr-platform:database:" in r["urn"]
    ]
    victim = shard_clusters[0]
    # The test-only override: the program always sets the key, so drop it from the record.
    del victim["inputs"]["kmsKeyId"]
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    found = pack.analyze(records)
    assert [(v.policy, v.level) for v in found if v.urn == victim["urn"]] == [
        ("aws-rds-cluster-require-cmk-encryption", "mandatory")
    ]
    assert all(v.urn == victim["urn"] for v in found if v.level == "mandatory")


def test_secret_replica_outside_the_jurisdiction_is_caught(pack: PolicyPackProcess) -> None:
    result = collect("eu", stack_file("eu"))
    records = copy.deepcopy(result.resources)
    secret = next(
        r
        for r in records
        if r["type"] == "aws:secretsmanager/secret:Secret" and r["inputs"].get("replicas")
    )
    secret["inputs"]["replicas"][0]["region"] = "eu-west-2"
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    policies = {v.policy for v in pack.analyze(records) if v.urn == secret["urn"]}
    assert "aws-secretsmanager-secret-require-replicas-in-jurisdiction" in policies


def test_cli_exits_1_and_names_the_rule_on_a_mandatory_violation(
    tmp_stack_file: Callable[[dict[str, Any]], Path],
) -> None:
    path = tmp_stack_file(_london_secondary())
    proc = subprocess.run(
        [sys.executable, "-m", "tools.preview", "--config-file", str(path), "--stack-name", "eu"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "[mandatory] aws-resource-require-region-in-jurisdiction" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("stack", ["eu", "us"])
def test_cli_passes_both_stacks(stack: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.preview", "--stack", stack],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    assert "0 violations (0 mandatory)" in proc.stdout
