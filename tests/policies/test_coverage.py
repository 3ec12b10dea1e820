"""The generated type table is current, and every type in it is covered or excluded."""

from __future__ import annotations

import importlib.metadata

from policies.gdpr_pack import coverage
from policies.gdpr_pack.coverage_types import COVERAGE_TYPES, PULUMI_AWS_VERSION
from policies.gdpr_pack.pack import RULES
from tests.policies.records import PACK_DIR, ROOT
from tools import gen_coverage_types


def test_the_table_is_generated_from_the_installed_sdk() -> None:
    assert importlib.metadata.version("pulumi-aws") == PULUMI_AWS_VERSION
    committed = (ROOT / "policies" / "gdpr_pack" / "coverage_types.py").read_text()
    assert committed == gen_coverage_types.generated(), "run tools/gen_coverage_types.py"


def test_every_type_is_covered_or_excluded_for_a_reason() -> None:
    neither = [(t, c) for t, c, rules, reason in coverage.table(RULES) if not rules and not reason]
    assert neither == [], "cover these with a rule or exclude them in coverage.py"


def test_no_exclusion_hides_a_covered_type() -> None:
    both = [(t, c, r) for t, c, r, reason in coverage.table(RULES) if r and reason]
    assert both == []


def test_every_exclusion_names_a_type_of_the_table_in_that_category() -> None:
    for reason, by_category in coverage.EXCLUSIONS.items():
        assert reason in coverage.LABELS
        for category, types in by_category.items():
            for t in types:
                assert category in COVERAGE_TYPES.get(t, {}), (reason[:30], category, t)


def test_a_new_type_without_a_rule_would_fail() -> None:
    """The check above is not vacuous: a type the SDK adds tomorrow is neither."""
    extended: dict[str, dict[str, tuple[str, ...]]] = {
        **COVERAGE_TYPES,
        "aws:newstore/table:Table": {"encryption": ("kms_key_id",)},
    }
    rows = [
        (t, c, coverage.covering(RULES, t, c), coverage.exclusion(t, c))
        for t, cats in extended.items()
        for c in cats
    ]
    assert [(t, c) for t, c, r, x in rows if not r and not x] == [
        ("aws:newstore/table:Table", "encryption")
    ]


def test_the_generator_finds_the_data_stores_by_their_inputs() -> None:
    assert COVERAGE_TYPES["aws:dynamodb/table:Table"]["encryption"] == ("server_side_encryption",)
    assert "replicas" in COVERAGE_TYPES["aws:dynamodb/table:Table"]["cross-region"]
    assert COVERAGE_TYPES["aws:efs/replicationConfiguration:ReplicationConfiguration"] == {
        "cross-region": ("destination",)
    }
    assert "publicly_accessible" in COVERAGE_TYPES["aws:redshift/cluster:Cluster"]["public"]


def test_readme_coverage_table_is_current() -> None:
    readme = (PACK_DIR / "README.md").read_text()
    table = "\n".join(coverage.readme_rows(RULES))
    assert f"<!-- coverage:start -->\n{table}\n<!-- coverage:end -->" in readme
