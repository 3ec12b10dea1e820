"""One outputs module: every exported output is described there, and README shows that table."""

from __future__ import annotations

from components.outputs import OUTPUTS, markdown_table
from tools.preview import PROJECT_DIR, PreviewResult

BEGIN, END = "<!-- outputs:begin -->\n", "\n<!-- outputs:end -->"


def test_readme_shows_the_generated_table() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert readme.count(BEGIN) == 1
    shown = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert shown == markdown_table()


def test_every_output_is_described_once_and_exported(stack: PreviewResult) -> None:
    names = [o.name for o in OUTPUTS]
    assert len(names) == len(set(names))
    assert all(o.description.strip() for o in OUTPUTS)
    hub_only = {"centralDatabaseEndpoint"}
    expected = set(names) if stack.config.central.host else set(names) - hub_only
    mode = stack.config.compute.mode.value
    expected -= {o.name for o in OUTPUTS if o.compute_mode not in (None, mode)}
    assert set(stack.outputs) == expected
