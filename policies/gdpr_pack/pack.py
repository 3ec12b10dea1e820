"""The pack's rule set, in one list; ``policies/__main__.py`` serves it."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from . import (
    api_gateway,
    baseline,
    encryption,
    exposure,
    operations,
    paths,
    residency,
    sdk_speed,
    stores,
    tags,
)
from .rule import Rule

PACK_NAME = "gdpr-platform"
GROUPS: dict[str, list[Rule]] = {
    "residency": residency.RULES + paths.RULES,
    "encryption": encryption.RULES + stores.RULES + paths.ENCRYPTION_RULES,
    "tags": tags.RULES,
    "baseline": baseline.RULES + exposure.RULES + api_gateway.RULES,
    "operations": operations.RULES,
}
RULES: list[Rule] = [rule for rules in GROUPS.values() for rule in rules]
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}
DEFAULT_LEVEL = EnforcementLevel.MANDATORY


def policies() -> list[Policy]:
    """The SDK policies, with the SDK's per-policy decoding memoized (see sdk_speed)."""
    sdk_speed.install()
    return [rule.policy() for rule in RULES]


def readme_rows(group: str) -> list[str]:
    """The README's rule table for ``group`` (a test keeps README.md in step with this)."""
    none = "\u2013"  # an en dash for "no counterpart"
    rows = [
        "| rule | what it checks | default level | severity | Checkov | Security Hub | config |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in GROUPS[group]:
        config = ", ".join(f"`{key}`" for key in rule.config) or none
        rows.append(
            f"| `{rule.name}` | {rule.description} | {rule.enforcement_level.value} "
            f"| {rule.severity.value} | {', '.join(rule.checkov) or none} "
            f"| {', '.join(rule.security_hub) or none} | {config} |"
        )
    return rows
