"""Tags: the required keys on every taggable resource, allowed values, and the stack's
jurisdiction on the ``jurisdiction`` tag (checked against the config / stack name, never the
other way round).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from .context import ResourceView, jurisdiction_for
from .rule import JURISDICTION_CONFIG, Rule
from .taggable import is_taggable
from .values import known

GROUP = "tags"
REQUIRED_TAGS = ["owner", "cost-center", "environment", "jurisdiction", "data-classification"]
ALLOWED_VALUES = {
    "data-classification": ["personal", "pseudonymized", "aggregate", "internal", "public"],
    "environment": ["production", "staging", "development"],
}
URL = "https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/tagging-best-practices.html"


def _tags(res: ResourceView) -> dict[str, Any]:
    tags = known(res.tags(), "tags")
    return dict(tags) if isinstance(tags, Mapping) else {}


def check_required(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    tags = _tags(res)
    missing = [k for k in config["requiredTags"] if tags.get(k) in (None, "")]
    if not missing:
        return []
    return [f"{res.type} {res.name!r} is missing tag(s): {', '.join(missing)}"]


REQUIRED = Rule(
    name="aws-resource-require-tags",
    description="Every taggable resource carries the required tags.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="apply the tags in the stack transform (or provider default_tags), not by hand",
    url=URL,
    applies=is_taggable,
    resource_check=check_required,
    config={
        "requiredTags": {"type": "array", "items": {"type": "string"}, "default": REQUIRED_TAGS}
    },
)


def check_values(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    tags = _tags(res)
    problems = []
    for key, allowed in sorted(config["allowedValues"].items()):
        value = tags.get(key)
        if value is not None and value not in allowed:
            problems.append(
                f"{res.type} {res.name!r} tag {key}={value!r} is not one of {', '.join(allowed)}"
            )
    return problems


VALUES = Rule(
    name="aws-resource-require-allowed-tag-values",
    description="Tags with a closed vocabulary (data-classification, environment) use it.",
    group=GROUP,
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="use one of the allowed values (policies/config/pack.json lists them)",
    url=URL,
    applies=is_taggable,
    resource_check=check_values,
    config={
        "allowedValues": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": ALLOWED_VALUES,
        }
    },
)


def check_jurisdiction_tag(res: ResourceView, config: Mapping[str, Any]) -> list[str]:
    value = _tags(res).get("jurisdiction")
    if value is None:
        return []  # missing: the required-tags rule says so
    j = jurisdiction_for(config, res.urn)
    if value == j.name:
        return []
    return [f"{res.type} {res.name!r} has tag jurisdiction={value!r} in a {j.name!r} stack"]


JURISDICTION_TAG = Rule(
    name="aws-resource-require-jurisdiction-tag-match",
    description="The jurisdiction tag names the stack's jurisdiction.",
    group=GROUP,
    severity=Severity.HIGH,
    enforcement_level=EnforcementLevel.MANDATORY,
    fix="set the jurisdiction tag from the stack's jurisdiction (the stack transform does)",
    url=URL,
    applies=is_taggable,
    resource_check=check_jurisdiction_tag,
    config=JURISDICTION_CONFIG,
)

RULES: list[Rule] = [REQUIRED, VALUES, JURISDICTION_TAG]
