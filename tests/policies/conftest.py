"""One policy-pack process per test session, started and spoken to as the engine does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.policies.records import PACK_DIR
from tools.policy_client import PolicyPackProcess


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    # The stack name only reaches the pack's environment; rules read the stack from URNs,
    # so one process serves eu and us records alike.
    with PolicyPackProcess(PACK_DIR, project="gdpr-platform", stack="eu") as process:
        yield process
