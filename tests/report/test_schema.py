"""report.json follows tools/residency_report/schema.json; the declared file is checked too."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tools.residency_report.report import DECLARED_PATH, ReportError, load_declared, validate


@pytest.mark.parametrize("name", ["eu", "us"])
def test_reports_validate(name: str, eu_report: dict[str, Any], us_report: dict[str, Any]) -> None:
    validate(eu_report if name == "eu" else us_report)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("edges", 0, "verdict"), "probably fine"),
        (("stores", 0, "urn"), "shard-00"),
        (("summary", "stores"), -1),
        (("edges", 0, "carriers"), []),
    ],
)
def test_schema_refuses_a_broken_report(
    path: tuple[Any, ...], value: Any, eu_report: dict[str, Any]
) -> None:
    broken = copy.deepcopy(eu_report)
    node = broken
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_a_transfer_without_safeguard_is_refused(us_report: dict[str, Any]) -> None:
    broken = copy.deepcopy(us_report)
    edge = next(e for e in broken["edges"] if e["verdict"] == "transfer")
    edge["safeguard"] = None
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_declared_file_errors_name_the_key(tmp_path: Path) -> None:
    document = yaml.safe_load(DECLARED_PATH.read_text())
    del document["jurisdictions"]["us"]["transfers"][0]["safeguard"]
    bad = tmp_path / "processing.yaml"
    bad.write_text(yaml.safe_dump(document))
    with pytest.raises(ReportError, match=r"jurisdictions\.us\.transfers\.0: 'safeguard'"):
        load_declared(bad)
    bad.write_text("controller: [")
    with pytest.raises(ReportError, match="not valid YAML"):
        load_declared(bad)
