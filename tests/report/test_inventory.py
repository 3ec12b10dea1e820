"""The report shows what the preview shows: every store, every replica, every link."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import set_key, stack_file
from tests.report.conftest import checked
from tools.preview import PreviewResult
from tools.residency_report.extract import PERSONAL_CLASSES, STORE_KINDS
from tools.residency_report.report import build_report

STACKS = ["eu", "us"]


def _pick(name: str, eu: Any, us: Any) -> Any:
    return eu if name == "eu" else us


def _tagged_stores(result: PreviewResult) -> dict[str, str | None]:
    return {
        r["urn"]: r["region"]
        for r in result.resources
        if r["type"] in STORE_KINDS
        and (r["inputs"].get("tags") or {}).get("data-classification") in PERSONAL_CLASSES
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
    assert {s["urn"]: s["region"] for s in report["stores"]} == _tagged_stores(result)
    by_urn = {r["urn"]: r for r in result.resources}
    for store in report["stores"]:
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


def test_removing_a_secondary_region_removes_its_edges(eu_report: dict[str, Any]) -> None:
    config = set_key(stack_file("eu"), "regions.secondaries", ["eu-west-1", "eu-west-3"])
    config = set_key(config, "network.vpcCidrs.eu-west-3", "10.12.0.0/16")
    wider = build_report(checked("eu", config))

    def touching(report: dict[str, Any], region: str) -> list[dict[str, Any]]:
        return [
            e for e in report["edges"] if region in (e["source"]["region"], e["target"]["region"])
        ]

    added = touching(wider, "eu-west-3")
    assert {e["category"] for e in added} >= {"replication", "network", "data-flow"}
    shards = sum(
        1
        for s in wider["stores"]
        if s["name"].endswith("-eu-west-3") and s["type"] == "aws:rds/cluster:Cluster"
    )
    assert shards == 4
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
