"""The pack's rule set, in one list; ``policies/__main__.py`` serves it."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from . import baseline, encryption, residency, tags
from .rule import Rule

PACK_NAME = "gdpr-platform"
GROUPS: dict[str, list[Rule]] = {
    "residency": residency.RULES,
    "encryption": encryption.RULES,
    "tags": tags.RULES,
    "baseline": baseline.RULES,
}
RULES: list[Rule] = [rule for rules in GROUPS.values() for rule in rules]
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}
DEFAULT_LEVEL = EnforcementLevel.MANDATORY


def policies() -> list[Policy]:
    return [rule.policy() for rule in RULES]
