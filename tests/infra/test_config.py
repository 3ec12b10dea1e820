"""Bad stack config stops the program with one line that names the key and the fix."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.config import ConfigError, parse_config
from tests.infra.conftest import StackConfigMap, set_key, stack_file
from tools.preview import PROJECT_DIR, collect, project_config


def parse(config: StackConfigMap, stack: str = "eu") -> None:
    parse_config(stack, project_config(config))


BAD_CASES: list[tuple[str, str, Any, str, str]] = [
    # (stack, dotted key, value, key named in the message, words in the message)
    (
        "eu",
        "regions.secondaries",
        ["eu-west-2"],
        "regions.secondaries[0]",
        "outside jurisdiction 'eu'",
    ),
    (
        "eu",
        "regions.secondaries",
        ["eu-central-2"],
        "regions.secondaries[0]",
        "outside jurisdiction 'eu'",
    ),
    ("eu", "regions.primary", "eu-isoe-west-1", "regions.primary", "outside jurisdiction 'eu'"),
    (
        "eu",
        "regions.secondaries",
        ["us-east-1"],
        "regions.secondaries[0]",
        "outside jurisdiction 'eu'",
    ),
    (
        "us",
        "regions.secondaries",
        ["eu-west-1"],
        "regions.secondaries[0]",
        "outside jurisdiction 'us'",
    ),
    ("eu", "regions.secondaries", ["eu-centrl-1"], "regions.secondaries[0]", "not an AWS region"),
    (
        "eu",
        "regions.secondaries",
        ["eu-central-1"],
        "regions.secondaries[0]",
        "repeats the primary",
    ),
    ("eu", "regions.secondaries", [], "regions.secondaries", "at least 1"),
    (
        "eu",
        "network.vpcCidrs.eu-west-1",
        "10.10.128.0/17",
        "network.vpcCidrs.eu-west-1",
        "overlaps",
    ),
    (
        "eu",
        "network.vpcCidrs.eu-west-1",
        "10.11.0.0/33",
        "network.vpcCidrs.eu-west-1",
        "not a valid CIDR",
    ),
    (
        "eu",
        "network.vpcCidrs.eu-west-1",
        "10.11.0.1/16",
        "network.vpcCidrs.eu-west-1",
        "not a valid CIDR",
    ),
    (
        "eu",
        "network.vpcCidrs.eu-west-1",
        "8.8.0.0/16",
        "network.vpcCidrs.eu-west-1",
        "not a private",
    ),
    (
        "eu",
        "network.vpcCidrs.eu-west-1",
        "10.11.0.0/24",
        "network.vpcCidrs.eu-west-1",
        "/16 and /20",
    ),
    (
        "eu",
        "network.vpcCidrs.eu-west-1",
        None,
        "network.vpcCidrs.eu-west-1",
        "one VPC CIDR for every region",
    ),
    ("eu", "network.natMode", "two", "network.natMode", "per-az"),
    ("eu", "network.azCount", 7, "network.azCount", "less than or equal to 4"),
    ("eu", "shards.size", None, "shards.size", "set both size and count"),
    ("eu", "shards.count", 40, "shards.count", "enlarge the block"),
    ("eu", "shards.idBlock.start", -5, "shards.idBlock.start", "greater than or equal to 0"),
    ("eu", "jurisdiction", "uk", "jurisdiction", "not a known jurisdiction"),
    ("eu", "environment", "prod", "environment", "production, staging, development"),
    ("eu", "environment", None, "environment", "required key is missing"),
    ("eu", "database", None, "database", "required key is missing"),
    ("eu", "database.engineVersion", None, "database.engineVersion", "required key is missing"),
    (
        "eu",
        "database.backupRetentionDays",
        3,
        "database.backupRetentionDays",
        "greater than or equal to 7",
    ),
    ("eu", "tags.owner", "TODO", "tags.owner", "placeholder"),
    ("eu", "tags.cost-center", None, "tags.cost-center", "required key is missing"),
    ("eu", "tags", None, "tags", "required key is missing"),
    ("eu", "tags.data-classification", "secret", "tags.data-classification", "personal"),
    ("eu", "eks.desiredSize", 9, "eks.desiredSize", "minSize <= desiredSize <= maxSize"),
    ("eu", "eks.publicAccessCidrs", ["0.0.0.0/0"], "eks.publicAccessCidrs[0]", "internet"),
    ("eu", "databse", {"engineVersion": "16.6"}, "databse", "unknown key"),
    ("eu", "network.natmode", "single", "network.natmode", "unknown key"),
]


def _ranges(*pairs: tuple[int, int]) -> list[dict[str, int]]:
    return [{"start": a, "end": b} for a, b in pairs]


SHARD_CASES: list[tuple[list[dict[str, int]], str, str]] = [
    (_ranges((0, 30_000), (30_001, 60_000)), "shards.ranges[1]", "gap"),
    (_ranges((0, 30_000), (29_000, 60_000)), "shards.ranges[1]", "overlap"),
    (_ranges((10, 30_000)), "shards.ranges[0]", "gap"),
    (
        _ranges((0, 30_000), (30_000, 2_000_000)),
        "shards.ranges[1]",
        "outside the jurisdiction's block",
    ),
    (_ranges((0, 30_000), (30_000, 30_000)), "shards.ranges[1]", "empty"),
]


@pytest.mark.parametrize(("stack", "key", "value", "named", "words"), BAD_CASES)
def test_bad_value_is_refused_with_the_key_and_the_fix(
    stack: str, key: str, value: Any, named: str, words: str
) -> None:
    config = set_key(stack_file(stack), key, value)
    with pytest.raises(ConfigError) as err:
        parse(config, stack)
    assert err.value.key == f"gdpr-platform:{named}"
    assert words in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("ranges", "named", "words"), SHARD_CASES)
def test_bad_shard_ranges_are_refused(ranges: list[dict[str, int]], named: str, words: str) -> None:
    config = set_key(stack_file("eu"), "shards.size", None)
    config = set_key(config, "shards.count", None)
    config = set_key(config, "shards.ranges", ranges)
    with pytest.raises(ConfigError) as err:
        parse(config)
    assert err.value.key == f"gdpr-platform:{named}"
    assert words in err.value.message


def test_explicit_ranges_are_accepted_and_published() -> None:
    config = set_key(stack_file("eu"), "shards.size", None)
    config = set_key(config, "shards.count", None)
    config = set_key(config, "shards.ranges", _ranges((0, 10_000), (10_000, 50_000)))
    result = collect("eu", config)
    published = json.loads(result.outputs["shardMap"])
    assert [(s["start"], s["end"]) for s in published["shards"]] == [(0, 10_000), (10_000, 50_000)]
    assert [(s.start, s.end) for s in result.config.shard_map.shards] == [
        (0, 10_000),
        (10_000, 50_000),
    ]


def test_ranges_and_uniform_layout_together_are_refused() -> None:
    config = set_key(stack_file("eu"), "shards.ranges", _ranges((0, 30_000)))
    with pytest.raises(ConfigError, match="either size\\+count or ranges"):
        parse(config)


def test_adequacy_mode_admits_london_for_the_eu() -> None:
    config = set_key(stack_file("eu"), "regions.secondaries", ["eu-west-2"])
    config = set_key(config, "regions.allowAdequacy", True)
    config = set_key(
        config, "network.vpcCidrs", {"eu-central-1": "10.10.0.0/16", "eu-west-2": "10.11.0.0/16"}
    )
    parse(config)


def test_structured_values_may_arrive_as_json_text() -> None:
    config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_file("us").items()}
    parse(config, "us")


def test_program_raises_run_error_so_pulumi_prints_only_the_message() -> None:
    """What `pulumi up` runs: __main__.py turns ConfigError into RunError (no traceback)."""
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings as runtime_settings

    from tools.mocks import install
    from tools.preview import engine_config

    config = set_key(stack_file("eu"), "regions.secondaries", ["eu-west-2"])
    runtime_settings.ROOT.set(None)
    runtime_config.CONFIG.set({})
    pulumi.runtime.set_all_config(engine_config(config))
    monitor = install("gdpr-platform", "eu")
    with pytest.raises(pulumi.RunError) as err:
        runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__")
    assert str(err.value).startswith("gdpr-platform:regions.secondaries[0]: 'eu-west-2' is outside")
    assert monitor.records == []


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("regions.secondaries", ["eu-west-2"], "gdpr-platform:regions.secondaries[0]"),
        ("network.vpcCidrs.eu-west-1", "10.10.0.0/16", "gdpr-platform:network.vpcCidrs.eu-west-1"),
        # Valid config, but eu-central-1 has three AZs: refused while the network is built.
        ("network.azCount", 4, "gdpr-platform:network.azCount"),
    ],
)
def test_cli_exits_non_zero_with_one_line_and_no_traceback(
    tmp_stack_file: Callable[[StackConfigMap], Path], key: str, value: Any, named: str
) -> None:
    path = tmp_stack_file(set_key(stack_file("eu"), key, value))
    proc = subprocess.run(
        [sys.executable, "-m", "tools.preview", "--config-file", str(path), "--stack-name", "eu"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {named}: ")
    assert "Traceback" not in proc.stderr
