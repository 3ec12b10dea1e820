"""Fixtures shared by the infra and policy tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def tmp_stack_file(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    def write(config: dict[str, Any]) -> Path:
        path = tmp_path / "Pulumi.test.yaml"
        path.write_text(yaml.safe_dump({"config": config}))
        return path

    return write
