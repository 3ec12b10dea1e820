"""The compliant fixture stacks pass the pack: the baseline every mutation test departs from."""

from __future__ import annotations

import pytest

from tests.policies.records import PACK_DIR, compliant_stack
from tools.policy_client import PolicyPackProcess, load_policy_config


@pytest.mark.parametrize("stack", ["eu", "us"])
def test_compliant_stack_has_no_violations(pack: PolicyPackProcess, stack: str) -> None:
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    assert pack.analyze(compliant_stack(stack).records) == []
