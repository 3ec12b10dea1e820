"""The HTML report drawn by a real headless Chromium (Debian's ``chromium``): the page and
its diagram are painted, and the DPO's key elements are in the DOM."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tools.residency_report.cli import write_report
from tools.residency_report.diagram import VERDICT_COLOURS

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1400, 2200
FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    f"--window-size={WIDTH},{HEIGHT}",
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian package 'chromium')")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class Elements(HTMLParser):
    """Tags, ids and classes of the rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.classes: Counter[str] = Counter()
        self.tags: Counter[str] = Counter()
        self.stack: list[str] = []
        self.rows_in: Counter[str] = Counter()
        self.svg_inside_diagram = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags[tag] += 1
        for name in (found.get("class") or "").split():
            self.classes[name] += 1
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "tr" and self.stack:
            self.rows_in[self.stack[-1]] += 1
        if tag == "svg" and "diagram" in self.stack:
            self.svg_inside_diagram = True
        if found.get("id") in ("stores", "edges", "processors", "diagram"):
            self.stack.append(str(found["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("table", "div") and self.stack:
            self.stack.pop()


def _near(pixel: tuple[int, int, int], colour: str, tolerance: int = 40) -> bool:
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(abs(a - b) for a, b in zip(pixel, rgb, strict=True)) <= tolerance


@pytest.mark.parametrize("name", ["eu", "us"])
def test_report_is_drawn_in_headless_chromium(
    name: str, tmp_path: Path, eu_report: dict[str, Any], us_report: dict[str, Any]
) -> None:
    report = eu_report if name == "eu" else us_report
    paths = write_report(report, tmp_path / "report")
    url = paths["html"].resolve().as_uri()

    shot = tmp_path / "page.png"
    _chromium(tmp_path, f"--screenshot={shot}", url)
    image = Image.open(shot).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    colours = [
        (n, (rgb[0], rgb[1], rgb[2]))
        for n, rgb in image.getcolors(WIDTH * HEIGHT) or []
        if isinstance(rgb, tuple)
    ]

    def count(colour: str, tolerance: int = 40) -> int:
        return sum(n for n, rgb in colours if _near(rgb, colour, tolerance))

    painted = WIDTH * HEIGHT - count("#ffffff", 0)
    assert painted / (WIDTH * HEIGHT) > 0.05, "the page is (nearly) blank"
    # The summary box (green: pass), the region boxes (light blue) and the verdict
    # colours of the edges are painted, so the inline SVG diagram was drawn.
    assert count("#e8f5e9", 6) > 20_000
    assert count("#e3f2fd", 6) > 50_000
    assert count(VERDICT_COLOURS["inside"]) > 500
    assert (count(VERDICT_COLOURS["transfer"]) > 300) == (report["summary"]["transfers"] > 0)

    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    elements = Elements()
    elements.feed(dom)
    assert {"summary", "diagram", "stores", "edges", "transfers", "record"} <= elements.ids
    assert elements.svg_inside_diagram
    # One drawn box per region, one row per store and per edge (plus the header rows).
    assert elements.classes["cluster"] == len(report["regions"])
    assert elements.rows_in["stores"] == len(report["stores"]) + 1
    assert elements.rows_in["edges"] == len(report["edges"]) + 1
    assert elements.classes["edge"] > 0
    assert f"<b>{report['summary']['stores']}</b>places data is stored" in dom
    assert f"<b>{report['summary']['transfers']}</b>declared transfers" in dom


def test_chromium_is_debians(tmp_path: Path) -> None:
    # The browser under test is the distribution's, not a downloaded build.
    assert shutil.which("chromium") == CHROMIUM
    assert "Chromium" in _chromium(tmp_path, "--version").stdout
