"""Regenerate policies/gdpr_pack/taggable_types.py from the installed pulumi-aws SDK.

The policy pack runs in its own virtualenv without pulumi-aws, so the set of AWS resource
types that take a ``tags`` input is generated once per pulumi-aws upgrade and committed:

    .venv/bin/python tools/gen_taggable_types.py

A type is taggable when its constructor accepts ``tags`` as a map of strings (the
autoscaling group's list-shaped ``tags`` is a different thing and is left out).
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import re

import pulumi_aws

_INIT = re.compile(r"def _internal_init\((?P<params>.*?)\):", re.S)
_TOKEN = re.compile(r"super\(\w+, __self__\).__init__\(\s*'(?P<token>aws:[^']+)'")
_TAGS_PARAM = re.compile(r"^\s*tags: pulumi\.Input\[Optional\[Mapping\[str,", re.M)

OUT = pathlib.Path(__file__).resolve().parents[1] / "policies" / "gdpr_pack" / "taggable_types.py"


def taggable_types(sdk_root: pathlib.Path) -> list[str]:
    found: set[str] = set()
    for path in sdk_root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for init in _INIT.finditer(text):
            rest = text[init.end() :]
            token = _TOKEN.search(rest)
            if token and _TAGS_PARAM.search(init.group("params")):
                found.add(token.group("token"))
    return sorted(found)


def main() -> None:
    version = importlib.metadata.version("pulumi-aws")
    types = taggable_types(pathlib.Path(pulumi_aws.__file__).parent)
    lines = [
        f'"""AWS resource types that take a ``tags`` map (generated from pulumi-aws {version}).',
        "",
        "Do not edit: run ``tools/gen_taggable_types.py`` after upgrading pulumi-aws.",
        '"""',
        "",
        f'PULUMI_AWS_VERSION = "{version}"',
        "",
        "TAGGABLE_TYPES: frozenset[str] = frozenset(",
        "    {",
        *[f'        "{t}",' for t in types],
        "    }",
        ")",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(types)} taggable types -> {OUT}")


if __name__ == "__main__":
    main()
