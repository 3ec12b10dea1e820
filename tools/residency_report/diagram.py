"""The residency diagram: one box per region, what rests there inside it, edges coloured by
verdict. Rendered with Graphviz (Debian's ``graphviz`` package, driven through the pinned
``graphviz`` Python package): clusters are exactly "regions as boxes", and ``dot`` lays out
a few dozen nodes readably without hand-placed coordinates.

Individual resources are grouped per region and kind ("Database (5)") so both stacks stay
readable at a glance; the report's tables list every resource and edge one by one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import graphviz  # type: ignore[import-untyped]

from tools.residency_report.extract import OUTSIDE_AWS

VERDICT_COLOURS: Mapping[str, str] = {
    "inside": "#2e7d32",
    "transfer": "#e65100",
    "violation": "#c62828",
}
VERDICT_RANK = {"inside": 0, "transfer": 1, "violation": 2}
#: Plain words for the edge categories, on the drawing.
CATEGORY_WORDS: Mapping[str, str] = {
    "replication": "copy",
    "network": "network link",
    "data-flow": "data flow",
    "log-shipping": "logs",
    "notification": "notification",
}
CATEGORY_STYLE: Mapping[str, str] = {
    "replication": "bold",
    "network": "dashed",
    "data-flow": "solid",
    "log-shipping": "dotted",
    "notification": "solid",
}


def short_kind(kind: str) -> str:
    """ "Database (Aurora PostgreSQL cluster)" → "Database"."""
    return kind.split(" (", 1)[0]


def _group_id(region: str, kind: str) -> str:
    return f"{region}|{short_kind(kind)}"


def _cluster_name(region: str) -> str:
    return "cluster_" + "".join(c if c.isalnum() else "_" for c in region)


def build_graph(document: Mapping[str, Any]) -> graphviz.Digraph:
    jurisdiction = document["jurisdiction"]
    allowed = set(document["allowedRegions"])
    graph = graphviz.Digraph(
        name=f"residency-{document['stack']}",
        graph_attr={
            "rankdir": "LR",
            "fontname": "DejaVu Sans",
            "fontsize": "16",
            "labelloc": "t",
            "label": f"Where personal data of stack {document['stack']!r} "
            f"(jurisdiction {jurisdiction}) rests and travels",
            "nodesep": "0.35",
            "ranksep": "1.1",
            "bgcolor": "white",
            "compound": "true",
        },
        node_attr={
            "fontname": "DejaVu Sans",
            "fontsize": "12",
            "shape": "box",
            "style": "rounded,filled",
        },
        edge_attr={"fontname": "DejaVu Sans", "fontsize": "12"},
    )

    members: dict[str, Counter[str]] = defaultdict(Counter)
    bad_groups: set[str] = set()
    for store in document["stores"]:
        region = store["region"] or "?"
        gid = _group_id(region, store["kind"])
        members[region][gid] += 1
        if not store["ok"]:
            bad_groups.add(gid)
    red_regions = {s["region"] for s in document["stores"] if not s["ok"]}
    for edge in document["edges"]:
        for end in (edge["source"], edge["target"]):
            gid = _group_id(end["region"], end["kind"])
            members[end["region"]].setdefault(gid, 0)
            if edge["verdict"] == "violation":
                red_regions.add(end["region"])

    for region in sorted(members, key=lambda r: (r == OUTSIDE_AWS, r not in allowed, r)):
        inside = region in allowed
        if region == OUTSIDE_AWS:
            title, colour, fill = "Outside AWS (recipients)", "#616161", "#fafafa"
        elif inside:
            title, colour, fill = f"{region} - in {jurisdiction}", "#1565c0", "#e3f2fd"
        elif region in red_regions:
            title, colour, fill = f"{region} - OUTSIDE {jurisdiction}", "#c62828", "#ffebee"
        else:  # reached only by declared transfers
            title, colour, fill = f"{region} - OUTSIDE {jurisdiction}", "#e65100", "#fff3e0"
        with graph.subgraph(name=_cluster_name(region)) as box:
            box.attr(
                label=title,
                style="rounded,filled",
                color=colour,
                fillcolor=fill,
                penwidth="2",
                fontsize="14",
                id=f"region-{region}",
            )
            for gid, count in sorted(members[region].items()):
                kind = gid.split("|", 1)[1]
                label = f"{kind} ({count})" if count > 1 else kind
                is_store = count > 0
                box.node(
                    gid,
                    label=label,
                    fillcolor="#ffcdd2"
                    if gid in bad_groups
                    else ("white" if is_store else "#eeeeee"),
                    color="#c62828" if gid in bad_groups else "#424242",
                    id=f"node-{gid}",
                )

    grouped: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for edge in document["edges"]:
        src = _group_id(edge["source"]["region"], edge["source"]["kind"])
        dst = _group_id(edge["target"]["region"], edge["target"]["kind"])
        grouped[(src, dst, edge["category"])].append(edge)
    for (src, dst, category), edges in sorted(grouped.items()):
        verdict = max((e["verdict"] for e in edges), key=VERDICT_RANK.__getitem__)
        words = CATEGORY_WORDS.get(category, category)
        label = words if len(edges) == 1 else f"{words} ({len(edges)})"
        if any(e["fields"] for e in edges):
            label += "\n(pseudonymized fields only)"
        graph.edge(
            src,
            dst,
            label=label,
            color=VERDICT_COLOURS[verdict],
            fontcolor=VERDICT_COLOURS[verdict],
            style=CATEGORY_STYLE.get(category, "solid"),
            penwidth="3" if verdict != "inside" else "1.6",
            id=f"edge-{verdict}-{src}-{dst}-{category}",
            **{"class": f"verdict-{verdict}"},
        )
    _legend(graph)
    return graph


def _legend(graph: graphviz.Digraph) -> None:
    rows = "".join(
        f'<TR><TD><FONT COLOR="{colour}">━━━</FONT></TD><TD ALIGN="LEFT">{text}</TD></TR>'
        for colour, text in (
            (VERDICT_COLOURS["inside"], "stays inside the jurisdiction"),
            (VERDICT_COLOURS["transfer"], "declared transfer (safeguard on record)"),
            (VERDICT_COLOURS["violation"], "violation"),
        )
    )
    styles = "".join(
        f'<TR><TD>{style}</TD><TD ALIGN="LEFT">{CATEGORY_WORDS[category]}</TD></TR>'
        for category, style in CATEGORY_STYLE.items()
    )
    graph.node(
        "legend",
        label=f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2"><TR><TD COLSPAN="2"><B>Legend</B>'
        f"</TD></TR>{rows}{styles}</TABLE>>",
        shape="box",
        style="rounded",
        color="#9e9e9e",
        id="legend",
    )


def render_svg(document: Mapping[str, Any]) -> str:
    """The diagram as SVG text (runs Graphviz's ``dot``)."""
    svg: bytes = build_graph(document).pipe(format="svg")
    return svg.decode("utf-8")
