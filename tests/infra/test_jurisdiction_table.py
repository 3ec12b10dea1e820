"""One table of jurisdictions, many readers: each reads the table, none keeps its own list."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app.lambdas.central_event import JURISDICTION_PATTERN
from components.config import parse_config
from policies.gdpr_pack.jurisdictions import JURISDICTIONS, KNOWN_REGIONS, TABLE
from policies.gdpr_pack.rule import JURISDICTION_CONFIG
from tests.infra.conftest import stack_file
from tools.preview import PROJECT_DIR, PreviewResult, project_config
from tools.stacks import StackListError, github_matrix, stack_names


def test_rows_are_real_disjoint_regions_with_names_the_event_contract_takes() -> None:
    assert len(JURISDICTIONS) == len(TABLE)
    seen: set[str] = set()
    for row in TABLE:
        assert re.match(JURISDICTION_PATTERN, row.name), row.name
        assert row.regions, row.name
        assert row.regions | row.adequacy_regions <= KNOWN_REGIONS, row.name
        assert not row.regions & row.adequacy_regions, row.name
        assert not row.regions & seen, f"{row.name} shares a region with another row"
        seen |= row.regions


def test_the_rule_config_enum_is_the_table() -> None:
    assert JURISDICTION_CONFIG["jurisdiction"]["enum"] == list(JURISDICTIONS)


def test_every_stack_file_is_a_row_and_names_its_own_jurisdiction() -> None:
    files = {p.name.split(".")[1] for p in PROJECT_DIR.glob("Pulumi.*.yaml")}
    assert set(stack_names()) == files
    for name in stack_names():
        assert parse_config(name, project_config(stack_file(name))).jurisdiction == name


def test_the_ci_matrix_is_every_stack_at_its_primary_region() -> None:
    matrix = github_matrix()["include"]
    assert [m["stack"] for m in matrix] == list(stack_names())
    for entry in matrix:
        config = parse_config(entry["stack"], project_config(stack_file(entry["stack"])))
        assert entry["region"] == config.regions.primary


def test_a_stack_file_without_a_row_is_refused_with_the_fix(tmp_path: Path) -> None:
    shutil.copy2(PROJECT_DIR / "Pulumi.us.yaml", tmp_path / "Pulumi.us.yaml")
    (tmp_path / "Pulumi.mx.yaml").write_text("config: {}\n")
    with pytest.raises(StackListError, match=r"Pulumi\.mx\.yaml: 'mx' is not a row"):
        stack_names(tmp_path)


def test_the_makefile_loops_over_the_stack_files() -> None:
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert "STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))" in makefile
    assert not re.search(r"--stack (eu|us)\b", makefile)


def test_the_hub_serves_every_row(eu: PreviewResult) -> None:
    consumers = [
        r
        for r in eu.resources
        if r["type"] == "aws:lambda/function:Function" and "consumer" in r["name"]
    ]
    assert len(consumers) == 1
    variables = consumers[0]["inputs"]["environment"]["variables"]
    assert variables["CENTRAL_JURISDICTIONS"].split(",") == list(JURISDICTIONS)
