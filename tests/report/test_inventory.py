"""The report shows what the preview shows: every store, every replica, every link."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import set_key, stack_file
from tools.preview import PROJECT_DIR, PreviewResult
from tools.residency_report.extract import PERSONAL_CLASSES, SSE_S3_KEY, STORE_KINDS

STACKS = ["eu", "us"]


def _pick(name: str, eu: Any, us: Any) -> Any:
    return eu if name == "eu" else us


def _tagged_stores(resources: Iterable[Mapping[str, Any]]) -> dict[str, str | None]:
    """Every resource of a store type tagged as personal data, by URN: the report's stores."""
    return {
        r["urn"]: r["region"]
        for r in resources
        if r["type"] in STORE_KINDS
        and (r["inputs"].get("tags") or {}).get("data-classification") in PERSONAL_CLASSES
    }


def _log_targets(resources: Iterable[Mapping[str, Any]]) -> set[str]:
    """URNs of the buckets access logs are delivered to (ALB and S3 server access logs)."""
    return {
        urn
        for r in resources
        if r["type"] in ("aws:s3/bucketLogging:BucketLogging", "aws:lb/loadBalancer:LoadBalancer")
        for prop in ("targetBucket", "accessLogs")
        for urn in r["propertyDependencies"].get(prop, [])
    }


@pytest.mark.parametrize("name", STACKS)
def test_stores_are_the_previews_personal_data_resources(
    name: str,
    eu_checked: PreviewResult,
    us_checked: PreviewResult,
    eu_report: dict[str, Any],
    us_report: dict[str, Any],
) -> None:
    result, report = _pick(name, eu_checked, us_checked), _pick(name, eu_report, us_report)
    assert {s["urn"]: s["region"] for s in report["stores"]} == _tagged_stores(result.resources)
    by_urn = {r["urn"]: r for r in result.resources}
    log_buckets = _log_targets(result.resources)
    assert log_buckets <= set(by_urn)
    assert len(log_buckets) == len(result.config.regions.all)
    for store in report["stores"]:
        if store["urn"] in log_buckets:
            # Log delivery supports SSE-S3 only: named as such, never as a CMK.
            assert store["kms_key"] is None, store
            assert store["kms_key_name"] == SSE_S3_KEY, store
            continue
        # Every store names a key, and the key is the preview's KMS key of the same region.
        assert store["kms_key_region"] == store["region"], store["name"]
        key_urns = [
            u
            for deps in by_urn[store["urn"]]["propertyDependencies"].values()
            for u in deps
            if "aws:kms/key:Key" in u
        ]
        if store["type"] != "aws:s3/bucket:Bucket":  # the bucket's key is on its SSE config
            assert any(by_urn[u]["name"] == store["kms_key_name"] for u in key_urns), store


@pytest.mark.parametrize("name", STACKS)
def test_every_replica_and_link_in_the_preview_is_an_edge(
    name: str,
    eu_checked: PreviewResult,
    us_checked: PreviewResult,
    eu_report: dict[str, Any],
    us_report: dict[str, Any],
) -> None:
    result, report = _pick(name, eu_checked, us_checked), _pick(name, eu_report, us_report)
    pairs = {
        (e["carriers"][0], e["source"]["region"], e["target"]["region"]) for e in report["edges"]
    }
    expected: set[tuple[str, str | None, str | None]] = set()
    for r in result.resources:
        inputs = r["inputs"]
        if r["type"] == "aws:rds/cluster:Cluster" and inputs.get("sourceRegion"):
            expected.add((r["urn"], inputs["sourceRegion"], r["region"]))
        if r["type"] == "aws:secretsmanager/secret:Secret":
            expected |= {
                (r["urn"], r["region"], rep["region"]) for rep in inputs.get("replicas", [])
            }
        if r["type"] == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
            expected.add((r["urn"], r["region"], inputs["peerRegion"]))
    assert expected
    assert expected <= pairs
    replication = [e for e in report["edges"] if e["category"] in ("replication", "network")]
    assert len(replication) == len(expected)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_removing_a_secondary_region_removes_its_edges(
    tmp_path: Path,
    tmp_stack_file: Callable[[dict[str, Any]], Path],
    eu_report: dict[str, Any],
) -> None:
    config = set_key(stack_file("eu"), "regions.secondaries", ["eu-west-1", "eu-west-3"])
    path = tmp_stack_file(set_key(config, "network.vpcCidrs.eu-west-3", "10.12.0.0/16"))
    stack = ("--config-file", str(path), "--stack-name", "eu")
    preview = _run("tools.preview", *stack, "--json")
    assert preview.returncode == 0, preview.stderr
    shown = json.loads(preview.stdout)
    made = _run("tools.residency_report", *stack, "--out-dir", str(tmp_path / "wider"))
    assert made.returncode == 0, made.stdout + made.stderr
    wider = json.loads((tmp_path / "wider" / "report.json").read_text())

    # The report's stores and replicas are exactly what `tools.preview --json` shows.
    assert {s["urn"]: s["region"] for s in wider["stores"]} == _tagged_stores(shown["resources"])
    replicas = {
        (r["urn"], rep["region"])
        for r in shown["resources"]
        if r["type"] == "aws:secretsmanager/secret:Secret"
        for rep in r["inputs"].get("replicas", [])
    }
    assert replicas == {
        (e["carriers"][0], e["target"]["region"])
        for e in wider["edges"]
        if e["id"].startswith("secret-replica:")
    }

    def touching(report: dict[str, Any], region: str) -> list[dict[str, Any]]:
        return [
            e for e in report["edges"] if region in (e["source"]["region"], e["target"]["region"])
        ]

    added = touching(wider, "eu-west-3")
    assert {e["category"] for e in added} >= {"replication", "network", "data-flow"}
    # One more Aurora secondary per shard (as many as eu-west-1 has), all in eu-west-3.
    secondaries = [
        s
        for s in eu_report["stores"]
        if s["region"] == "eu-west-1" and s["type"] == "aws:rds/cluster:Cluster"
    ]
    aurora = [e for e in added if e["id"].startswith("aurora:")]
    assert len(aurora) == len(secondaries) > 0
    assert all(e["verdict"] == "inside" for e in added)
    # The stack as it is (secondary eu-west-3 removed): none of those edges or stores remain.
    assert touching(eu_report, "eu-west-3") == []
    assert not [s for s in eu_report["stores"] if s["region"] == "eu-west-3"]
    assert len(wider["edges"]) - len(eu_report["edges"]) == len(added)
    assert "eu-west-3" in wider["regions"]
    assert "eu-west-3" not in eu_report["regions"]


@pytest.mark.parametrize("name", STACKS)
def test_the_stacks_as_they_are_pass(
    name: str, eu_report: dict[str, Any], us_report: dict[str, Any]
) -> None:
    report = _pick(name, eu_report, us_report)
    assert report["summary"]["verdict"] == "pass"
    assert report["summary"]["violations"] == 0
    assert report["summary"]["stores"] == len(report["stores"]) > 0
    assert report["summary"]["edges"] == len(report["edges"]) > 0
    categories = {e["category"] for e in report["edges"]}
    assert categories >= {"replication", "network", "data-flow", "log-shipping"}
