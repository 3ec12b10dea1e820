"""The offline driver: config handling like the engine's, the protocol, the process."""

from __future__ import annotations

import json
import pathlib

import pytest

from policies.gdpr_pack.pack import BY_NAME, PACK_NAME
from tests.policies.records import PACK_DIR, compliant_stack
from tools.policy_client import (
    PolicyConfigError,
    PolicyPackError,
    PolicyPackProcess,
    analyze,
    load_policy_config,
    main,
    reconcile_policy_config,
)


def write(tmp_path: pathlib.Path, content: object) -> pathlib.Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(content) if not isinstance(content, str) else content)
    return path


def test_config_file_forms(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path,
        {
            "all": "advisory",
            "a": "disabled",
            "b": {"enforcementLevel": "mandatory", "x": 1},
            "c": {"y": [1]},
            "d": {},
        },
    )
    assert load_policy_config(path) == {
        "all": {"enforcementLevel": "advisory", "properties": {}},
        "a": {"enforcementLevel": "disabled", "properties": {}},
        "b": {"enforcementLevel": "mandatory", "properties": {"x": 1}},
        "c": {"properties": {"y": [1]}},
    }
    assert load_policy_config(write(tmp_path, "  \n")) == {}
    assert load_policy_config(None) == {}


@pytest.mark.parametrize("bad", [{"a": "sometimes"}, {"a": {"enforcementLevel": 3}}, {"a": 3}])
def test_bad_config_file(tmp_path: pathlib.Path, bad: object) -> None:
    with pytest.raises(PolicyConfigError):
        load_policy_config(write(tmp_path, bad))


def test_pack_info(pack: PolicyPackProcess) -> None:
    assert pack.info is not None
    assert pack.info.name == PACK_NAME
    assert pack.info.supportsConfig
    assert sorted(p.name for p in pack.info.policies) == sorted(BY_NAME)
    for policy in pack.info.policies:
        rule = BY_NAME[policy.name]
        assert policy.description == rule.description
        assert policy.url == rule.url
        assert policy.severity != 0
        assert policy.framework.name == "GDPR"
        assert policy.framework.reference.startswith("Art. ")


def test_reconcile_fills_schema_defaults_and_levels(pack: PolicyPackProcess) -> None:
    assert pack.info is not None
    config = reconcile_policy_config(pack.info, {})
    retention = config["aws-cloudwatch-loggroup-configure-retention"]
    assert retention == {
        "enforcementLevel": "advisory",
        "properties": {"minRetentionDays": 30, "maxRetentionDays": 731},
    }
    assert config["aws-resource-require-region-in-jurisdiction"]["enforcementLevel"] == "mandatory"


def test_reconcile_all_then_per_policy(pack: PolicyPackProcess) -> None:
    assert pack.info is not None
    config = reconcile_policy_config(
        pack.info,
        {
            "all": {"enforcementLevel": "advisory", "properties": {}},
            "aws-sqs-queue-require-cmk": {"enforcementLevel": "mandatory", "properties": {}},
            "no-such-policy": {"enforcementLevel": "disabled", "properties": {}},
        },
    )
    levels = {name: entry["enforcementLevel"] for name, entry in config.items()}
    assert levels.pop("aws-sqs-queue-require-cmk") == "mandatory"
    assert set(levels.values()) == {"advisory"}
    assert "no-such-policy" not in config


@pytest.mark.parametrize(
    ("properties", "fragment"),
    [
        ({"jurisdiction": "mars"}, "must be one of the following"),
        ({"adequacy": "yes"}, "Expected: boolean"),
    ],
)
def test_reconcile_validates_against_the_schema(
    pack: PolicyPackProcess, properties: dict[str, object], fragment: str
) -> None:
    assert pack.info is not None
    given = {"aws-resource-require-region-in-jurisdiction": {"properties": properties}}
    with pytest.raises(PolicyConfigError, match=fragment):
        reconcile_policy_config(pack.info, given)


def test_analyze_one_shot_returns_dicts_deduplicated() -> None:
    stack = compliant_stack("eu").set("audit-dlq", "region", "us-east-1")
    records = [*stack.records, stack.get("audit-dlq")]  # the same resource twice
    found = analyze(
        records,
        project="gdpr-platform",
        stack="eu",
        pack_dir=PACK_DIR,
        policy_config=PACK_DIR / "config" / "pack.json",
    )
    assert found == [
        {
            "policy": "aws-resource-require-region-in-jurisdiction",
            "urn": stack.urn_of("audit-dlq"),
            "message": found[0]["message"],
            "level": "mandatory",
        }
    ]


def test_a_pack_that_does_not_start_is_reported(tmp_path: pathlib.Path) -> None:
    (tmp_path / "__main__.py").write_text("raise SystemExit('broken pack')\n")
    with (
        pytest.raises(PolicyPackError, match="did not print its port"),
        PolicyPackProcess(tmp_path, project="p", stack="eu"),
    ):
        pass


def test_command_line(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"resources": compliant_stack("eu").records}))
    assert main([str(records), "--stack", "eu"]) == 0
    assert capsys.readouterr().out.strip() == "0 violation(s), 0 mandatory"
    moved = compliant_stack("eu").set("audit-dlq", "region", "us-east-1")
    records.write_text(json.dumps(moved.records))
    assert main([str(records), "--stack", "eu"]) == 1
    out = capsys.readouterr().out
    assert "[mandatory] aws-resource-require-region-in-jurisdiction: " in out
    assert out.strip().endswith("1 violation(s), 1 mandatory")
