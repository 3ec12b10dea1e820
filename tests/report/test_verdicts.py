"""A verdict per edge: a replica or subscription outside the jurisdiction is red and fails
the command; the one declared cross-border flow shows its field allow-list."""

from __future__ import annotations

import copy
import dataclasses
import html
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.lambdas.central_event import ALLOWED_FIELDS
from tests.infra.conftest import StackConfigMap, set_key, stack_file
from tests.report.conftest import checked
from tools.preview import PROJECT_DIR, PreviewResult
from tools.residency_report.cli import exit_code, render_html
from tools.residency_report.diagram import render_svg
from tools.residency_report.report import build_report, load_declared

Recheck = Callable[[PreviewResult, StackConfigMap], PreviewResult]


def _mutable(result: PreviewResult) -> PreviewResult:
    return dataclasses.replace(result, resources=copy.deepcopy(result.resources), violations=[])


def test_secret_replica_outside_the_jurisdiction_is_red(
    eu_checked: PreviewResult, recheck: Recheck
) -> None:
    result = _mutable(eu_checked)
    secret = next(
        r
        for r in result.resources
        if r["type"] == "aws:secretsmanager/secret:Secret" and r["inputs"].get("replicas")
    )
    secret["inputs"]["replicas"][0]["region"] = "us-east-1"
    report = build_report(recheck(result, stack_file("eu")))
    edge = next(e for e in report["edges"] if e["id"] == f"secret-replica:{secret['urn']}:0")
    assert edge["target"]["region"] == "us-east-1"
    assert edge["verdict"] == "violation"
    # The pack's own finding is the reason, not just the report's region check.
    assert any(
        "secretsmanager-secret-require-replicas-in-jurisdiction" in r for r in edge["reasons"]
    )
    assert report["summary"]["violations"] >= 1
    assert exit_code(report) == 1
    svg = render_svg(report)
    text = html.unescape(svg)  # Graphviz writes "-" as "&#45;"
    assert "us-east-1 - OUTSIDE eu" in text
    assert 'class="edge verdict-violation"' in text  # drawn in the violation colour
    assert 'data-verdict="violation"' in render_html(report, svg)


def _subscribe_outside(result: PreviewResult, classification: str) -> dict[str, Any]:
    """Subscribe an SQS queue in eu-west-1 to a us topic carrying ``classification`` data."""
    by_urn = {r["urn"]: r for r in result.resources}
    sub = next(
        r for r in result.resources if r["type"] == "aws:sns/topicSubscription:TopicSubscription"
    )
    topic = by_urn[sub["propertyDependencies"]["topic"][0]]
    topic["inputs"]["tags"]["data-classification"] = classification
    sub["inputs"]["protocol"] = "sqs"
    sub["inputs"]["endpoint"] = "arn:aws:sqs:eu-west-1:123456789012:copies"
    return sub


def test_subscription_outside_the_jurisdiction_is_red(
    us_checked: PreviewResult, recheck: Recheck
) -> None:
    result = _mutable(us_checked)
    sub = _subscribe_outside(result, "personal")
    report = build_report(recheck(result, stack_file("us")))
    edge = next(e for e in report["edges"] if e["id"] == f"subscription:{sub['urn']}")
    assert edge["target"]["region"] == "eu-west-1"
    assert edge["verdict"] == "violation"
    assert any("topicsubscription-require-endpoint-in-jurisdiction" in r for r in edge["reasons"])
    assert exit_code(report) == 1


def test_aggregate_data_may_cross_as_the_pack_allows(
    us_checked: PreviewResult, recheck: Recheck
) -> None:
    result = _mutable(us_checked)
    sub = _subscribe_outside(result, "aggregate")
    report = build_report(recheck(result, stack_file("us")))
    edge = next(e for e in report["edges"] if e["id"] == f"subscription:{sub['urn']}")
    assert report["packViolations"] == []
    assert edge["verdict"] == "transfer"
    assert edge["safeguard"] == "not personal data (classified aggregate)"
    assert exit_code(report) == 0


def test_command_exits_1_and_writes_a_red_report(
    tmp_path: Path, tmp_stack_file: Callable[[dict[str, Any]], Path]
) -> None:
    # London is valid program config in adequacy mode; the eu pack config does not admit it.
    config = set_key(stack_file("eu"), "regions.allowAdequacy", True)
    config = set_key(config, "regions.secondaries", ["eu-west-2"])
    config = set_key(
        config, "network.vpcCidrs", {"eu-central-1": "10.10.0.0/16", "eu-west-2": "10.11.0.0/16"}
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.residency_report",
            "--config-file",
            str(tmp_stack_file(config)),
            "--stack-name",
            "eu",
            "--out-dir",
            str(out),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads((out / "report.json").read_text())
    red = [e for e in report["edges"] if e["verdict"] == "violation"]
    replicas = [e for e in red if e["category"] == "replication"]
    assert replicas
    assert all(e["target"]["region"] == "eu-west-2" for e in replicas)
    assert {e["category"] for e in red} >= {"replication", "network"}
    assert "violation: " in proc.stdout
    assert "Residency is broken" in (out / "report.html").read_text()
    assert "eu-west-2 - OUTSIDE eu" in html.unescape((out / "diagram.svg").read_text())


def test_bad_stack_config_exits_2_with_one_line(
    tmp_path: Path, tmp_stack_file: Callable[[dict[str, Any]], Path]
) -> None:
    config = set_key(stack_file("eu"), "regions.secondaries", ["us-west-2"])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.residency_report",
            "--config-file",
            str(tmp_stack_file(config)),
            "--stack-name",
            "eu",
            "--out-dir",
            str(tmp_path),
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "regions.secondaries[0]" in proc.stderr
    assert not (tmp_path / "report.json").exists()


def test_the_cross_border_flow_shows_its_field_allow_list(us_report: dict[str, Any]) -> None:
    central = [e for e in us_report["edges"] if e["flow"] == "central-events"]
    assert central
    for edge in central:
        assert edge["target"]["region"] == "eu-central-1"
        assert edge["verdict"] == "transfer"
        assert edge["fields"] == sorted(ALLOWED_FIELDS)
        assert edge["classification"] == "pseudonymized"
        assert edge["safeguard"]
    assert us_report["summary"]["transfers"] == len(central)
    hub = [p for p in us_report["processors"] if p["region"] == "eu-central-1"]
    assert [p["role"] for p in hub] == ["recipient of pseudonymized events"]
    transfers = us_report["record"]["transfers"]
    assert {t["from"] for t in transfers} == {e["source"]["region"] for e in central}
    assert all(t["fields"] == sorted(ALLOWED_FIELDS) and t["safeguard"] for t in transfers)
    page = render_html(us_report, render_svg(us_report))
    section = page[page.index('id="transfers"') : page.index('id="central-fields"')]
    assert all(f"<code>{field}</code>" in section for field in ALLOWED_FIELDS)


def test_eu_central_flow_stays_inside_and_shows_the_same_fields(eu_report: dict[str, Any]) -> None:
    central = [e for e in eu_report["edges"] if e["flow"] == "central-events" and e["fields"]]
    assert central
    assert all(e["verdict"] == "inside" for e in central)
    assert all(e["fields"] == sorted(ALLOWED_FIELDS) for e in central)
    assert eu_report["summary"]["transfers"] == 0
    assert eu_report["record"]["transfers"] == []


def test_an_undeclared_transfer_is_a_violation(us_checked: PreviewResult) -> None:
    declared = load_declared()
    declared["jurisdictions"]["us"]["transfers"] = []
    report = build_report(us_checked, declared=declared)
    central = [e for e in report["edges"] if e["flow"] == "central-events"]
    assert central
    assert all(e["verdict"] == "violation" for e in central)
    assert all("no declared transfer" in e["reasons"][0] for e in central)
    assert exit_code(report) == 1


@pytest.mark.parametrize("where", ["us", "eu"])
def test_institution_outside_the_jurisdiction_needs_a_declared_transfer(
    where: str, eu_checked: PreviewResult
) -> None:
    declared = load_declared()
    declared["jurisdictions"]["eu"]["institution"]["jurisdiction"] = where
    report = build_report(eu_checked, declared=declared)
    verdicts = {e["verdict"] for e in report["edges"] if e["flow"] == "institution"}
    assert verdicts == ({"inside"} if where == "eu" else {"violation"})


def test_kms_replica_key_outside_the_jurisdiction_is_red(
    eu_checked: PreviewResult, recheck: Recheck
) -> None:
    result = _mutable(eu_checked)
    key = next(r for r in result.resources if r["type"] == "aws:kms/key:Key")
    replica = copy.deepcopy(key)
    replica.update(
        type="aws:kms/replicaKey:ReplicaKey",
        name="database-key-copy",
        urn=key["urn"].replace("aws:kms/key:Key::", "aws:kms/replicaKey:ReplicaKey::") + "-copy",
        region="us-west-2",
        inputs={
            **{k: v for k, v in key["inputs"].items() if k in ("description", "policy", "tags")},
            "primaryKeyArn": "arn:aws:kms:eu-central-1:123456789012:key/mrk-0000",
            "region": "us-west-2",
        },
        propertyDependencies={"primaryKeyArn": [key["urn"]]},
        dependencies=[key["urn"]],
    )
    result.resources.append(replica)
    report = build_report(recheck(result, stack_file("eu")))
    edge = next(e for e in report["edges"] if e["id"] == f"kms-replica:{replica['urn']}")
    assert (edge["source"]["region"], edge["target"]["region"]) == ("eu-central-1", "us-west-2")
    assert edge["verdict"] == "violation"
    assert any("[aws-" in reason for reason in edge["reasons"])  # the pack's finding
    assert exit_code(report) == 1


def test_transit_gateway_links_are_edges_inside() -> None:
    config = set_key(stack_file("us"), "network.connectivity", "transit-gateway")
    report = build_report(checked("us", config))
    links = [e for e in report["edges"] if e["category"] == "network"]
    assert links
    assert all("Transit Gateway" in e["description"] for e in links)
    assert {(e["source"]["region"], e["target"]["region"]) for e in links} == {
        ("us-east-1", "us-west-2")
    }
    assert all(e["verdict"] == "inside" for e in links)
