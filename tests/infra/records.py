"""Finding records of a preview by type and name (names repeat across types)."""

from __future__ import annotations

from tools.mocks import ResourceRecord
from tools.preview import PreviewResult


def one(result: PreviewResult, type_token: str, name: str) -> ResourceRecord:
    matches = [r for r in result.resources if r["type"] == type_token and r["name"] == name]
    assert len(matches) == 1, f"expected one {type_token} named {name}, found {len(matches)}"
    return matches[0]


def in_region(result: PreviewResult, type_token: str, region: str) -> list[ResourceRecord]:
    return [r for r in result.resources if r["type"] == type_token and r["region"] == region]
