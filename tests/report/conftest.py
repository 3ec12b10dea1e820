"""Previews with the pack's verdicts, and report documents built from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.infra.conftest import StackConfigMap, stack_file
from tools.preview import PreviewResult, check_policies, collect
from tools.residency_report.report import build_report


def checked(stack: str, config: StackConfigMap) -> PreviewResult:
    """The preview of ``config`` with the real pack's violations filled in."""
    result = collect(stack, config)
    check_policies(result, config)
    return result


@pytest.fixture(scope="session")
def eu_checked() -> PreviewResult:
    return checked("eu", stack_file("eu"))


@pytest.fixture(scope="session")
def us_checked() -> PreviewResult:
    return checked("us", stack_file("us"))


@pytest.fixture(scope="session")
def eu_report(eu_checked: PreviewResult) -> dict[str, Any]:
    return build_report(eu_checked)


@pytest.fixture(scope="session")
def us_report(us_checked: PreviewResult) -> dict[str, Any]:
    return build_report(us_checked)


@pytest.fixture
def recheck() -> Callable[[PreviewResult, StackConfigMap], PreviewResult]:
    """Run the pack again on (mutated) records, as the engine would see them."""

    def run(result: PreviewResult, config: StackConfigMap) -> PreviewResult:
        check_policies(result, config)
        return result

    return run
