"""What changed between two ``tools.preview --json`` documents of one stack, by URN.

    python -m tools.preview --stack eu --json > before.json   # on the old commit
    python -m tools.preview --stack eu --json > after.json
    python -m tools.preview_diff before.json after.json

Prints one line per added or removed resource, per changed field of a resource (inputs,
options, parent, provider, region, dependencies) and per changed output; exits 1 if anything
differs. A refactoring that should change nothing is checked this way.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

_FIELDS = (
    "type",
    "parent",
    "provider",
    "region",
    "inputs",
    "options",
    "dependencies",
    "propertyDependencies",
)


def _normal(record: Mapping[str, Any]) -> dict[str, Any]:
    """Dependency lists as sets: the SDK resolves them concurrently, in no fixed order."""
    normal = dict(record)
    normal["dependencies"] = sorted(record.get("dependencies") or [])
    normal["propertyDependencies"] = {
        k: sorted(v) for k, v in (record.get("propertyDependencies") or {}).items()
    }
    return normal


def _paths(before: Any, after: Any, path: str) -> Iterator[str]:
    """Dotted paths where ``before`` and ``after`` differ, with both values."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            yield from _paths(before.get(key, _MISSING), after.get(key, _MISSING), f"{path}.{key}")
    elif before != after:
        yield f"{path}: {_show(before)} -> {_show(after)}"


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _show(value: Any) -> str:
    text = repr(value) if value is _MISSING else json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    old = {r["urn"]: _normal(r) for r in before["resources"]}
    new = {r["urn"]: _normal(r) for r in after["resources"]}
    lines = [f"- {urn}" for urn in sorted(set(old) - set(new))]
    lines += [f"+ {urn}" for urn in sorted(set(new) - set(old))]
    for urn in sorted(set(old) & set(new)):
        for name in _FIELDS:
            for change in _paths(old[urn].get(name), new[urn].get(name), name):
                lines.append(f"~ {urn} {change}")
    for change in _paths(before.get("outputs"), after.get("outputs"), "outputs"):
        lines.append(f"~ {change}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preview_diff", description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    lines = diff(json.loads(args.before.read_text()), json.loads(args.after.read_text()))
    print("\n".join(lines) if lines else "no difference")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
