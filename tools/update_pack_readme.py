"""Rewrite policies/README.md's generated parts: the rule tables and the coverage table.

    .venv/bin/python -m tools.update_pack_readme

Tests (tests/policies/test_pack_files.py, test_coverage.py) fail until the README matches.
"""

from __future__ import annotations

import pathlib
import re

from policies.gdpr_pack import coverage
from policies.gdpr_pack.pack import GROUPS, RULES, readme_rows

README = pathlib.Path(__file__).resolve().parents[1] / "policies" / "README.md"
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"


def updated(text: str) -> str:
    for group, rules in GROUPS.items():
        section = f"### {group} ({len(rules)})\n\n" + "\n".join(readme_rows(group)) + "\n"
        found = re.search(rf"### {group} \(\d+\)\n\n(\|.*\n)+", text)
        if found is None:
            raise SystemExit(f"{README}: no '### {group} (n)' table")
        text = text[: found.start()] + section + text[found.end() :]
    block = "\n".join(coverage.readme_rows(RULES))
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}\n{END}{tail}"


def main() -> None:
    README.write_text(updated(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {README}")


if __name__ == "__main__":
    main()
