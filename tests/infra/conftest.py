"""Run the real program under recording mocks; tests assert on what it registered."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tools.mocks import ResourceRecord, _computed_state
from tools.preview import PROJECT_DIR, PreviewResult, collect, read_stack_file

StackConfigMap = dict[str, Any]


def stack_file(stack: str) -> StackConfigMap:
    return read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml")


def set_key(config: StackConfigMap, dotted: str, value: Any) -> StackConfigMap:
    """A copy of ``config`` with ``gdpr-platform:<dotted>`` set (``None`` deletes it)."""
    changed = copy.deepcopy(config)
    top, *path = dotted.split(".")
    key = f"gdpr-platform:{top}"
    if not path:
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
        return changed
    node = changed.setdefault(key, {})
    for part in path[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return changed


@pytest.fixture(scope="session")
def eu() -> PreviewResult:
    return collect("eu", stack_file("eu"))


@pytest.fixture(scope="session")
def us() -> PreviewResult:
    return collect("us", stack_file("us"))


@pytest.fixture(params=["eu", "us"])
def stack(request: pytest.FixtureRequest, eu: PreviewResult, us: PreviewResult) -> PreviewResult:
    return eu if request.param == "eu" else us


@pytest.fixture
def preview_with() -> Callable[..., PreviewResult]:
    """``preview_with("eu", **{"network.natMode": "single"})`` previews a changed stack file."""

    def run(stack: str, **changes: Any) -> PreviewResult:
        config = stack_file(stack)
        for dotted, value in changes.items():
            config = set_key(config, dotted, value)
        return collect(stack, config)

    return run


def of_type(result: PreviewResult, type_token: str) -> list[ResourceRecord]:
    return [r for r in result.resources if r["type"] == type_token]


def by_name(result: PreviewResult, name: str, type_token: str | None = None) -> ResourceRecord:
    matches = [
        r
        for r in result.resources
        if r["name"] == name and (type_token is None or r["type"] == type_token)
    ]
    assert len(matches) == 1, f"expected one resource named {name}, found {len(matches)}"
    return matches[0]


def policy_doc(record: ResourceRecord, key: str = "policy") -> dict[str, Any]:
    text = record["inputs"][key]
    assert isinstance(text, str), f"{record['name']}.{key} is not a known JSON string"
    doc: dict[str, Any] = json.loads(text)
    return doc


def arn_of(record: ResourceRecord) -> str:
    """The ARN the mocks gave ``record`` (records hold inputs, not outputs)."""
    state = _computed_state(record["type"], record["name"], record["region"], record["inputs"])
    arn: str = state["arn"]
    return arn


def by_arn(result: PreviewResult, arn: str, type_token: str) -> ResourceRecord:
    matches = [r for r in of_type(result, type_token) if arn_of(r) == arn]
    assert len(matches) == 1, f"expected one {type_token} with ARN {arn}, found {len(matches)}"
    return matches[0]
