"""``python -m tools.residency_report``: preview a stack, run the pack, write the report.

Exit codes: 0 when every edge stays inside the jurisdiction or is a declared transfer;
1 when any edge (or store) is a violation; 2 on bad config or a bad declared file.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from components.config import ConfigError
from tools.policy_client import PACK_CONFIG
from tools.preview import (
    PACK_DIR,
    PROJECT_DIR,
    PreviewError,
    check_policies,
    collect,
    read_stack_file,
)
from tools.residency_report.diagram import render_svg
from tools.residency_report.report import (
    DECLARED_PATH,
    VERDICT_TEXT,
    ReportError,
    build_report,
    load_declared,
    pack_adequacy,
    validate,
)
from tools.stacks import stack_names

DEFAULT_OUT = PROJECT_DIR / "build" / "report"
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render_html(document: Mapping[str, Any], svg: str) -> str:
    # The SVG is Graphviz's output of our own labels, inlined so the page stands alone.
    svg_body = svg[svg.find("<svg") :]
    template = _TEMPLATES.get_template("report.html.j2")
    return template.render(doc=document, svg=svg_body, verdict_text=VERDICT_TEXT)


def write_report(document: Mapping[str, Any], out_dir: Path) -> dict[str, Path]:
    """Validate ``document`` against schema.json, then write the three files."""
    validate(document)
    out_dir.mkdir(parents=True, exist_ok=True)
    svg = render_svg(document)
    paths = {
        "json": out_dir / "report.json",
        "svg": out_dir / "diagram.svg",
        "html": out_dir / "report.html",
    }
    paths["json"].write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    paths["svg"].write_text(svg)
    paths["html"].write_text(render_html(document, svg))
    return paths


def exit_code(document: Mapping[str, Any]) -> int:
    return 1 if document["summary"]["verdict"] == "fail" else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.residency_report", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--stack", choices=stack_names(), help="read Pulumi.<stack>.yaml")
    parser.add_argument("--config-file", type=Path, help="read this stack file instead")
    parser.add_argument("--stack-name", help="stack name to use with --config-file")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="--policy-pack-config file (default: policies/config/pack.json)",
    )
    parser.add_argument(
        "--declared", type=Path, default=DECLARED_PATH, help="declared processing facts (YAML)"
    )
    parser.add_argument(
        "--out-dir", type=Path, help="where to write (default: build/report/<stack>)"
    )
    args = parser.parse_args(argv)
    if args.config_file is None and args.stack is None:
        parser.error("give --stack eu|us or --config-file PATH")
    path = args.config_file or PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    stack = args.stack_name or args.stack or path.stem.removeprefix("Pulumi.")
    started = time.perf_counter()
    try:
        declared = load_declared(args.declared)
        stack_config = read_stack_file(path)
        result = collect(stack, stack_config)
        check_policies(result, stack_config, args.policy_config)
        policy_config = args.policy_config or PACK_DIR / PACK_CONFIG
        document = build_report(result, declared=declared, adequacy=pack_adequacy(policy_config))
        paths = write_report(document, args.out_dir or DEFAULT_OUT / stack)
    except (ConfigError, PreviewError, ReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        gc.collect()  # see tools.preview.main: the SDK's loops, before interpreter shutdown
        return 2
    summary = document["summary"]
    print(
        f"Residency report for stack {stack} ({document['jurisdiction']}): "
        f"{summary['stores']} stores, {summary['edges']} edges "
        f"({summary['inside']} inside, {summary['transfers']} declared transfers, "
        f"{summary['violations']} violations); verdict {summary['verdict']} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    for edge in document["edges"]:
        if edge["verdict"] == "violation":
            print(
                f"  violation: {edge['source']['label']} ({edge['source']['region']}) -> "
                f"{edge['target']['label']} ({edge['target']['region']}): "
                + "; ".join(edge["reasons"])
            )
    print(f"  {paths['html']}\n  {paths['json']}\n  {paths['svg']}")
    return exit_code(document)
