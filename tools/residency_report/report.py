"""The report document: inventory, a verdict per edge, and the Art. 30 record.

Verdicts combine the pack's answer (mandatory violations on the resources that carry an
edge, from the real pack process) with the jurisdiction table (``allowed_regions``): an edge
is ``inside`` when both ends are in the jurisdiction's regions, ``transfer`` when it leaves
them on a flow the declared file lists with its safeguard, ``violation`` otherwise. Unknown
regions fail closed, as the pack does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from app.lambdas.central_event import ALLOWED_FIELDS
from policies.gdpr_pack.jurisdictions import JURISDICTION_REGIONS, allowed_regions
from tools.preview import PROJECT, PreviewResult
from tools.residency_report.extract import OUTSIDE_AWS, Edge, Inventory, inventory

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "schema.json"
DECLARED_PATH = HERE / "processing.yaml"
DECLARED_SCHEMA_PATH = HERE / "processing.schema.json"
SCHEMA_VERSION = 1

INSIDE, TRANSFER, VIOLATION = "inside", "transfer", "violation"

#: Classifications that are not personal data at all; like the pack's default
#: ``crossBorderClassifications`` (pseudonymized data is personal data, Recital 26, so its
#: transfers must be declared instead).
NOT_PERSONAL = ("aggregate", "public")

#: The wording a DPO reads for each verdict.
VERDICT_TEXT: Mapping[str, str] = {
    INSIDE: "stays inside the jurisdiction",
    TRANSFER: "declared transfer (safeguard on record)",
    VIOLATION: "violation",
}


class ReportError(Exception):
    """The report could not be built; ``str()`` is the one-line message for the user."""


@cache
def _schema(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def load_declared(path: Path = DECLARED_PATH) -> dict[str, Any]:
    """The declared processing facts, checked against their schema (one clear line if not)."""
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: declared processing file not found") from None
    except yaml.YAMLError as exc:
        raise ReportError(f"{path}: not valid YAML: {exc}") from None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(_schema(DECLARED_SCHEMA_PATH)).iter_errors(document)
    )
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ReportError(f"{path}: {where}: {error.message}")
    declared: dict[str, Any] = document
    return declared


def validate(document: Mapping[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when the report does not match schema.json."""
    jsonschema.validate(document, _schema(SCHEMA_PATH), cls=jsonschema.Draft202012Validator)


def pack_adequacy(policy_config: Path | None) -> bool:
    """Whether the pack's config admits adequacy regions (it decides, not the stack file)."""
    if policy_config is None or not policy_config.exists():
        return False
    config = json.loads(policy_config.read_text())
    rule = config.get("aws-resource-require-region-in-jurisdiction") or {}
    return bool(rule.get("adequacy", False))


def pack_reason(policy: str, message: str) -> str:
    """The pack's finding in one line: what is wrong and the fix, without the rule's
    description and link (the engine's message is "description\\nfinding\\nFix: …\\nSee …")."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    kept = [line for line in lines[1:] if not line.startswith("See ")] or lines[:1]
    return f"{' '.join(kept)} [{policy}]"


def jurisdiction_of(region: str) -> str | None:
    return next((j for j in sorted(JURISDICTION_REGIONS) if region in allowed_regions(j)), None)


def _verdict(
    edge: Edge,
    jurisdiction: str,
    allowed: frozenset[str],
    declared: Mapping[str, Any],
    violations: Mapping[str, list[str]],
) -> tuple[str, list[str], str | None]:
    """(verdict, reasons, safeguard) for one edge."""
    reasons = [m for urn in edge.carriers for m in violations.get(urn, [])]
    if reasons:
        return VIOLATION, [f"policy pack: {m}" for m in reasons], None
    local = declared["jurisdictions"].get(jurisdiction, {"transfers": []})
    safeguard: str | None = None
    for end in (edge.source, edge.target):
        if end.region == OUTSIDE_AWS:
            institution = local.get("institution")
            if edge.flow == "institution" and institution:
                there = institution["jurisdiction"]
                if there == jurisdiction:
                    continue
                end_jurisdiction: str | None = there
            else:
                return VIOLATION, [f"{end.label}: where it is cannot be known; fails closed"], None
        elif end.region in allowed:
            continue
        else:
            end_jurisdiction = jurisdiction_of(end.region)
        if edge.classification in NOT_PERSONAL:
            safeguard = f"not personal data (classified {edge.classification})"
            continue
        transfer = next(
            (
                t
                for t in local["transfers"]
                if t["flow"] == edge.flow and t["toJurisdiction"] == end_jurisdiction
            ),
            None,
        )
        if transfer is None:
            return (
                VIOLATION,
                [
                    f"{end.label} is in {end.region}, outside jurisdiction {jurisdiction!r}, "
                    "and no declared transfer covers this flow"
                ],
                None,
            )
        safeguard = transfer["safeguard"]
    if safeguard is not None:
        return TRANSFER, [f"leaves the jurisdiction: {safeguard}"], safeguard
    return INSIDE, [], None


def _hub_recipients(edges: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The central hub, when it is another stack's: a recipient of pseudonymized events."""
    regions = sorted(
        {
            e["target"]["region"]
            for e in edges
            if e["flow"] == "central-events" and e["target"]["id"].startswith("external:")
        }
    )
    return [
        {
            "name": "Central hub (another stack of the platform)",
            "region": region,
            "role": "recipient of pseudonymized events",
            "detail": "its queue and database receive only the central event's allowed fields",
        }
        for region in regions
    ]


def _node(node: Any) -> dict[str, Any]:
    return {"id": node.id, "label": node.label, "region": node.region, "kind": node.kind}


def _record(
    result: PreviewResult,
    inv: Inventory,
    declared: Mapping[str, Any],
    edges: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Art. 30(1)(a)-(g), from the stack config, the inventory and the declared file."""
    cfg = result.config
    retention = sorted({f"{s['kind']}: {s['retention']}" for s in map(asdict, inv.stores)})
    transfers = [
        {
            "flow": e["flow"],
            "from": e["source"]["region"],
            "to": e["target"]["region"],
            "data": e["classification"],
            "fields": e["fields"],
            "safeguard": e["safeguard"],
        }
        for e in edges
        if e["verdict"] == TRANSFER
    ]
    unique_transfers = list({json.dumps(t, sort_keys=True): t for t in transfers}.values())
    encrypted = sum(1 for s in inv.stores if s.kms_key)
    measures = [
        f"{encrypted} of {len(inv.stores)} stores encrypted at rest with customer-managed KMS "
        "keys of their own region (key rotation on)",
        "TLS in transit; databases reachable only from the private network, IAM database "
        "authentication",
        f"network links only between the jurisdiction's regions ({cfg.network.connectivity})",
        "deletion protection and final snapshots on databases"
        if cfg.protection.deletion_protection
        else "deletion protection off (not production)",
        "every residency path checked by the policy pack before deployment",
        "GDPR erasure scrubs personal fields and the pseudonym key; export on request",
    ]
    return {
        "controller": declared["controller"],
        "purposes": declared["purposes"],
        "legalBasis": declared["legalBasis"],
        "dataSubjects": declared["dataSubjects"],
        "dataCategories": declared["dataCategories"],
        "recipients": declared["recipients"],
        "transfers": unique_transfers,
        "retention": retention,
        "securityMeasures": measures,
        "regions": list(cfg.regions.all),
        "environment": cfg.environment,
    }


def build_report(
    result: PreviewResult,
    *,
    declared: Mapping[str, Any] | None = None,
    adequacy: bool = False,
    pack_ran: bool = True,
) -> dict[str, Any]:
    """The report document (schema.json) for one previewed stack."""
    declared = declared if declared is not None else load_declared()
    jurisdiction = result.config.jurisdiction
    allowed = allowed_regions(jurisdiction, adequacy=adequacy)
    fields = sorted(ALLOWED_FIELDS)
    inv = inventory(result.resources, result.outputs, fields)
    violations: dict[str, list[str]] = {}
    for v in result.violations:
        if v["level"] == "mandatory":
            violations.setdefault(v["urn"], []).append(pack_reason(v["policy"], v["message"]))

    edges: list[dict[str, Any]] = []
    for edge in inv.edges:
        verdict, reasons, safeguard = _verdict(edge, jurisdiction, allowed, declared, violations)
        edges.append(
            {
                "id": edge.id,
                "category": edge.category,
                "description": edge.description,
                "source": _node(edge.source),
                "target": _node(edge.target),
                "carriers": edge.carriers,
                "classification": edge.classification,
                "flow": edge.flow,
                "fields": edge.fields,
                "verdict": verdict,
                "reasons": reasons,
                "safeguard": safeguard,
            }
        )
    stores = []
    for store in inv.stores:
        data = asdict(store)
        problems = list(violations.get(store.urn, []))
        if store.region not in allowed:
            problems.insert(0, f"stored in {store.region}, outside jurisdiction {jurisdiction!r}")
        if store.kms_key_region and store.kms_key_region != store.region:
            problems.append(f"its key is in {store.kms_key_region}, not in {store.region}")
        stores.append({**data, "problems": problems, "ok": not problems})
    regions_seen = sorted(
        {r for e in edges for r in (e["source"]["region"], e["target"]["region"])}
        | {s["region"] or "?" for s in stores}
        | set(result.config.regions.all)
    )
    counts = {
        "stores": len(stores),
        "edges": len(edges),
        "inside": sum(e["verdict"] == INSIDE for e in edges),
        "transfers": sum(e["verdict"] == TRANSFER for e in edges),
        "violations": sum(e["verdict"] == VIOLATION for e in edges),
        "storesWithProblems": sum(not s["ok"] for s in stores),
        "packViolations": len(result.violations),
        "packMandatory": sum(v["level"] == "mandatory" for v in result.violations),
    }
    failed = counts["violations"] > 0 or counts["storesWithProblems"] > 0
    document: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "project": PROJECT,
        "stack": result.stack,
        "jurisdiction": jurisdiction,
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "allowedRegions": sorted(allowed),
        "regions": regions_seen,
        "packRan": pack_ran,
        "summary": {**counts, "verdict": "fail" if failed else "pass"},
        "stores": stores,
        "edges": edges,
        "processors": [asdict(p) for p in inv.processors] + _hub_recipients(edges),
        "record": _record(result, inv, declared, edges),
        "packViolations": [dict(v) for v in result.violations],
        "centralEventFields": fields,
    }
    return document
