"""The project's stacks: one ``Pulumi.<name>.yaml`` per row of the jurisdiction table.

Everything that loops over stacks (the preview's and the bench's defaults, the local run,
the CI matrix) asks here, so a new jurisdiction is its table row plus its stack file.

    python -m tools.stacks                  # one stack name a line
    python -m tools.stacks --github-matrix  # {"include": [{"stack", "region"}, ...]}

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


def github_matrix(project_dir: Path = PROJECT_DIR) -> dict[str, list[dict[str, str]]]:
    return {
        "include": [
            {"stack": name, "region": primary_region(name, project_dir)}
            for name in stack_names(project_dir)
        ]
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stacks", description=__doc__)
    parser.add_argument("--github-matrix", action="store_true", help="print the CI matrix")
    args = parser.parse_args(argv)
    try:
        if args.github_matrix:
            print(json.dumps(github_matrix(), separators=(",", ":")))
        else:
            print("\n".join(stack_names()))
    except StackListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
