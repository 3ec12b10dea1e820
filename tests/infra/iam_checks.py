"""Least-privilege checks on IAM policy documents, shared by the compute-tier tests."""

from __future__ import annotations

from typing import Any

#: Calls AWS offers no resource-level permission for; "*" is the narrowest resource.
READ_ONLY_PREFIXES = ("Describe", "List", "Get")
NO_RESOURCE_LEVEL = frozenset({"cloudwatch:PutMetricData"})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def least_privilege_problems(doc: dict[str, Any], regions: set[str]) -> list[str]:
    """Everything wrong with ``doc``; empty when every statement is scoped."""
    problems: list[str] = []
    for statement in as_list(doc["Statement"]):
        sid = statement.get("Sid", "?")
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        if statement["Effect"] != "Allow":
            continue
        for action in actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"{sid}: wildcard action {action}")
        if "*" in resources:
            broad = [
                a
                for a in actions
                if a not in NO_RESOURCE_LEVEL
                and not a.split(":", 1)[1].startswith(READ_ONLY_PREFIXES)
            ]
            if broad:
                problems.append(f"{sid}: '*' resource for {broad}")
        requested = (
            statement.get("Condition", {}).get("StringEquals", {}).get("aws:RequestedRegion")
        )
        if requested is None:
            problems.append(f"{sid}: no aws:RequestedRegion condition")
        elif not set(as_list(requested)) <= regions:
            problems.append(f"{sid}: regions {requested} outside {sorted(regions)}")
    return problems
