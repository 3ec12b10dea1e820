"""Offline preview: what a stack would create, without AWS credentials or the Pulumi CLI.

Runs the real program (``__main__.py``) under recording mocks, prints the resources by
region and type, the shard layout and the outputs. ``--json`` prints one document.

    python -m tools.preview --stack eu
    python -m tools.preview --stack us --json
    python -m tools.preview --config-file my-change.yaml --stack-name eu --json

The policy pack (``policies/``) then runs as its own process and receives every resource
over the analyzer gRPC protocol, as ``pulumi preview --policy-pack`` does; the exit code is
1 on a mandatory violation, 2 on bad config.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import runpy
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings

from components.config import NAMESPACE, ConfigError, StackConfig, parse_config
from tools.mocks import ResourceRecord, install
from tools.policy_client import PACK_CONFIG, PolicyConfigError, PolicyPackError, analyze
from tools.stacks import stack_names

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "gdpr-platform"
PACK_DIR = PROJECT_DIR / "policies"


class PreviewError(Exception):
    """The preview could not run; ``str()`` is the one-line message for the user."""


@dataclass
class PreviewResult:
    stack: str
    config: StackConfig
    resources: list[ResourceRecord]
    outputs: dict[str, Any]
    violations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": PROJECT,
            "resources": self.resources,
            "outputs": self.outputs,
            "violations": self.violations,
        }


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` map of a stack file, values as the engine passes them (JSON text)."""
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise PreviewError(f"{path}: stack file not found") from None
    except yaml.YAMLError as exc:
        raise PreviewError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise PreviewError(f"{path}: expected a top-level 'config:' map")
    config: dict[str, Any] = document["config"]
    return config


def engine_config(stack_config: Mapping[str, Any]) -> dict[str, str]:
    """Structured values become JSON strings, exactly as ``pulumi.Config`` stores them."""
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in stack_config.items()
    }


def project_config(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in stack_config.items() if k.startswith(prefix)}


def collect(stack: str, stack_config: Mapping[str, Any]) -> PreviewResult:
    """Validate config, run ``__main__.py`` under mocks, return what it registered."""
    config = parse_config(stack, project_config(stack_config))

    # A previous run in this process leaves its root stack and config behind, and code that
    # used asyncio.run() leaves no current loop, which the Pulumi SDK expects to find.
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_settings.ROOT.set(None)
    runtime_config.CONFIG.set({})
    pulumi.runtime.set_all_config(engine_config(stack_config))
    monitor = install(PROJECT, stack, preview=True)
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run_program() -> pulumi.Output[None]:
        runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__")
        root = runtime_settings.get_root_resource()
        outputs: dict[str, Any] = getattr(root, "outputs", {})
        return pulumi.Output.from_input(outputs).apply(resolved.update)

    try:
        run_program()
    except pulumi.RunError as exc:
        raise PreviewError(str(exc)) from None
    return PreviewResult(stack=stack, config=config, resources=monitor.records, outputs=resolved)


def check_policies(
    result: PreviewResult, stack_config: Mapping[str, Any], policy_config: Path | None = None
) -> None:
    """Fill ``result.violations`` from the pack; its one config (``PACK_CONFIG``) unless given."""
    config = policy_config or PACK_DIR / PACK_CONFIG
    try:
        result.violations = analyze(
            result.resources,
            project=PROJECT,
            stack=result.stack,
            pack_dir=PACK_DIR,
            policy_config=config,
            stack_config=engine_config(stack_config),
        )
    except (PolicyConfigError, PolicyPackError) as exc:
        raise PreviewError(f"policy pack: {exc}") from None


def summarize(result: PreviewResult) -> str:
    lines = [f"Stack {result.stack} ({PROJECT}), jurisdiction {result.config.jurisdiction}"]
    by_region: dict[str, Counter[str]] = defaultdict(Counter)
    by_urn = {r["urn"]: r for r in result.resources}
    for record in result.resources:
        where = record["region"] or _cluster_region(record, by_urn)
        by_region[where or "(global / no region)"][record["type"]] += 1
    lines.append(f"  {len(result.resources)} resources to create")
    for region in sorted(by_region):
        counts = by_region[region]
        lines.append(f"  {region}: {sum(counts.values())}")
        lines.extend(f"      {n:4d}  {t}" for t, n in sorted(counts.items()))
    lines.append("  Shard layout (user IDs, [start, end)):")
    shard_map = result.config.shard_map
    for shard in shard_map.shards:
        signup = "  <- sign-ups" if shard.index == shard_map.signup_shard_index else ""
        lines.append(f"      {shard.name}: [{shard.start}, {shard.end}){signup}")
    lines.append("  Outputs:")
    for key, value in sorted(result.outputs.items()):
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        if len(text) > 100:
            text = text[:97] + "..."
        lines.append(f"      {key}: {text}")
    if result.violations:
        lines.append("  Policy violations:")
        lines.extend(
            f"      [{v['level']}] {v['policy']}: {v['urn']}\n          {v['message']}"
            for v in result.violations
        )
    else:
        lines.append("  Policy violations: none")
    mandatory = sum(v["level"] == "mandatory" for v in result.violations)
    lines.append(
        f"  {len(result.resources)} resources, {len(result.violations)} violations "
        f"({mandatory} mandatory)"
    )
    return "\n".join(lines)


def _cluster_region(record: ResourceRecord, by_urn: Mapping[str, ResourceRecord]) -> str | None:
    """Kubernetes objects have no AWS region: show them under their cluster's, found
    through their provider and that provider's parents (the cluster component)."""
    if not record["type"].startswith(("kubernetes:", "pulumi:providers:kubernetes")):
        return None
    node: ResourceRecord | None = by_urn.get((record["provider"] or "").rsplit("::", 1)[0])
    node = node or record
    while node is not None:
        if node["region"]:
            return f"{node['region']} (Kubernetes, on its EKS cluster)"
        node = by_urn.get(node["parent"] or "")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preview", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stack", choices=stack_names(), help="read Pulumi.<stack>.yaml")
    parser.add_argument("--config-file", type=Path, help="read this stack file instead")
    parser.add_argument("--stack-name", help="stack name to use with --config-file")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help=f"--policy-pack-config file (default: policies/{PACK_CONFIG})",
    )
    parser.add_argument("--no-policy", action="store_true", help="skip the policy pack")
    args = parser.parse_args(argv)
    if args.config_file is None and args.stack is None:
        parser.error(f"give --stack {'|'.join(stack_names())} or --config-file PATH")
    path = args.config_file or PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    stack = args.stack_name or args.stack or path.stem.removeprefix("Pulumi.")
    try:
        stack_config = read_stack_file(path)
        result = collect(stack, stack_config)
        if not args.no_policy:
            check_policies(result, stack_config, args.policy_config)
    except (ConfigError, PreviewError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        # A program stopped mid-run leaves the SDK's per-thread event loops unreferenced;
        # collect them now, while their sockets are open, not at interpreter shutdown,
        # where their __del__ prints a traceback after our one line.
        gc.collect()
        return 2
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(summarize(result))
    return 1 if any(v["level"] == "mandatory" for v in result.violations) else 0


if __name__ == "__main__":
    sys.exit(main())
