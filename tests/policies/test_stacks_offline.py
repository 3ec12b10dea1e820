"""Both stacks' offline preview through the pack (runs once tools/preview.py exists)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.policies.records import PACK_DIR, ROOT
from tools.policy_client import PolicyPackProcess, load_policy_config

preview = pytest.importorskip("tools.preview", reason="the offline preview is not on this branch")


def records(stack: str) -> list[dict[str, Any]]:
    result = preview.collect(stack, preview.read_stack_file(ROOT / f"Pulumi.{stack}.yaml"))
    return list(result.resources)


@pytest.mark.parametrize("stack", ["eu", "us"])
def test_stack_passes_the_pack(pack: PolicyPackProcess, stack: str) -> None:
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    found = pack.analyze(records(stack))
    assert [v for v in found if v.level == "mandatory"] == []


def test_a_provider_moved_out_of_the_jurisdiction_is_named(pack: PolicyPackProcess) -> None:
    moved = copy.deepcopy(records("eu"))
    provider = next(r for r in moved if r["type"] == "pulumi:providers:aws")
    provider["inputs"]["region"] = "us-east-1"
    prefix = provider["urn"] + "::"
    users = [r["urn"] for r in moved if (r.get("provider") or "").startswith(prefix)]
    pack.configure(load_policy_config(PACK_DIR / "config" / "pack.json"))
    flagged = {
        v.urn
        for v in pack.analyze(moved)
        if v.policy == "aws-resource-require-region-in-jurisdiction" and v.level == "mandatory"
    }
    regional = {u for u in users if not any(g in u for g in ("aws:iam/", "aws:cloudfront/"))}
    assert regional
    assert flagged == regional
