"""The project's stacks: one ``Pulumi.<name>.yaml`` per row of the jurisdiction table.

Everything that loops over stacks (the preview's and the bench's defaults, the local run,
the CI matrices) asks here, so a new jurisdiction is its table row plus its stack file.

    python -m tools.stacks                   # one stack name a line
    python -m tools.stacks --github-matrix   # {"include": [{"stack", "region"}, ...]}
    python -m tools.stacks --github-outputs  # all=, hub=, producers= for $GITHUB_OUTPUT
    python -m tools.stacks --github-outputs --only NAME  # the same, for one stack

The hub is the stack whose file sets ``central.host: true``; the producers read it through a
StackReference, so the deploy workflow updates the hub first.

Light on purpose (PyYAML and the table only): CI runs it before installing the program.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from policies.gdpr_pack.jurisdictions import JURISDICTIONS

PROJECT_DIR = Path(__file__).resolve().parent.parent
NAMESPACE = "gdpr-platform"

Matrix = dict[str, list[dict[str, str]]]


class StackListError(Exception):
    """A stack file the table does not know; ``str()`` says which and the fix."""


def stack_names(project_dir: Path = PROJECT_DIR) -> tuple[str, ...]:
    """Stacks that have a stack file, in the table's order."""
    files = {p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml")}
    unknown = sorted(files - set(JURISDICTIONS))
    if unknown:
        raise StackListError(
            f"Pulumi.{unknown[0]}.yaml: {unknown[0]!r} is not a row of the jurisdiction table; "
            "add its row to policies/gdpr_pack/jurisdictions.py or rename the stack file"
        )
    return tuple(name for name in JURISDICTIONS if name in files)


def stack_file_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The stack file's ``gdpr-platform:`` keys, namespace dropped, values as written."""
    document = yaml.safe_load((project_dir / f"Pulumi.{stack}.yaml").read_text())
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in document["config"].items() if k.startswith(prefix)}


def primary_region(stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """The stack's ``regions.primary``, as its stack file says."""
    return str(stack_file_config(stack, project_dir)["regions"]["primary"])


def hosts_hub(stack: str, project_dir: Path = PROJECT_DIR) -> bool:
    """The stack file's ``central.host`` (``pulumi config set --path`` may write a string)."""
    central = stack_file_config(stack, project_dir).get("central")
    host = central.get("host") if isinstance(central, dict) else None
    if host in (True, "true"):
        return True
    if host in (False, "false"):
        return False
    raise StackListError(
        f"Pulumi.{stack}.yaml: {NAMESPACE}:central.host is {host!r}; set it to true on the "
        "stack that hosts the hub and to false on every other stack"
    )


def github_matrix(project_dir: Path = PROJECT_DIR) -> Matrix:
    """Every stack at its primary region, in the table's order."""
    return {
        "include": [
            {"stack": name, "region": primary_region(name, project_dir)}
            for name in stack_names(project_dir)
        ]
    }


def github_matrices(project_dir: Path = PROJECT_DIR, only: str | None = None) -> dict[str, Matrix]:
    """``all``, ``hub`` (exactly one stack) and ``producers``; with ``only``, that stack's part."""
    entries = github_matrix(project_dir)["include"]
    hubs = [e for e in entries if hosts_hub(e["stack"], project_dir)]
    if len(hubs) != 1:
        named = ", ".join(e["stack"] for e in hubs) or "none"
        raise StackListError(
            f"central.host: exactly one stack file may set it to true (now: {named}); set it "
            "on the hub's stack file and false on the others"
        )
    if only is not None:
        if only not in {e["stack"] for e in entries}:
            raise StackListError(
                f"{only!r} is not a stack; use one of {', '.join(e['stack'] for e in entries)}"
            )
        entries = [e for e in entries if e["stack"] == only]
        hubs = [e for e in hubs if e["stack"] == only]
    return {
        "all": {"include": entries},
        "hub": {"include": hubs},
        "producers": {"include": [e for e in entries if e not in hubs]},
    }


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.stacks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--github-matrix", action="store_true", help="print the CI matrix")
    output.add_argument(
        "--github-outputs",
        action="store_true",
        help="print all=, hub= and producers= matrices, one a line, for $GITHUB_OUTPUT",
    )
    parser.add_argument("--only", metavar="STACK", help="with --github-outputs: this stack only")
    args = parser.parse_args(argv)
    if args.only is not None and not args.github_outputs:
        parser.error("--only goes with --github-outputs")
    try:
        if args.github_matrix:
            text = _json(github_matrix())
        elif args.github_outputs:
            matrices = github_matrices(only=args.only)
            text = "\n".join(f"{key}={_json(matrix)}" for key, matrix in matrices.items())
        else:
            text = "\n".join(stack_names())
    except StackListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
