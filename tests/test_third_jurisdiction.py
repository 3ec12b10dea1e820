"""A third part of the world is one table row and one stack file.

A copy of the project gets a synthetic jurisdiction ``ca`` (ca-central-1, ca-west-1): one row
in the copied pack's table and one stack file, nothing else. In that copy the stack list
knows it, the offline preview (program under mocks, then the copied pack as its own process,
as ``pulumi preview --policy-pack`` runs it) passes with no violation, and the hub's consumer,
configured with the table's rows, stores an event of the new stack in real PostgreSQL, in a
fresh central database and in one migrated from the first schema.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from app.lambdas.central_consumer import consume_batch
from app.lambdas.central_store import CentralStore, schema_sql
from app.lambdas.sqs_batch import SqsRecord
from devservices import PostgresServer
from tests.app.lambdas.harness import valid_event

ROOT = Path(__file__).resolve().parent.parent
V1_SCHEMA = ROOT / "tests" / "app" / "lambdas" / "central_schema_v1.sql"
REGIONS = ("ca-central-1", "ca-west-1")
#: The only code change: this row, in the table's literal.
ROW = """    JurisdictionRow(
        name="ca",
        title="Canada",
        regions=frozenset({"ca-central-1", "ca-west-1"}),
    ),
"""
TABLE_OPENING = "TABLE: tuple[JurisdictionRow, ...] = (\n"

pytestmark = pytest.mark.services


def _ignore(_: str, names: list[str]) -> set[str]:
    return {n for n in names if n in {"__pycache__", "venv", ".mypy_cache"}}


def stack_file(project: Path) -> dict[str, Any]:
    """The new stack file: the us one's shape with Canada's values."""
    document: dict[str, Any] = yaml.safe_load((project / "Pulumi.us.yaml").read_text())
    config = document["config"]
    config["gdpr-platform:jurisdiction"] = "ca"
    config["gdpr-platform:regions"] = {"primary": REGIONS[0], "secondaries": [REGIONS[1]]}
    config["gdpr-platform:network"]["vpcCidrs"] = {
        REGIONS[0]: "10.30.0.0/16",
        REGIONS[1]: "10.31.0.0/16",
    }
    config["gdpr-platform:shards"]["idBlock"] = {"start": 2_000_000, "end": 3_000_000}
    config["gdpr-platform:edge"]["aliases"] = ["api.ca.example.com"]
    config["gdpr-platform:app"]["jwtIssuer"] = "https://auth.ca.example.com/"
    config["gdpr-platform:app"]["jwtJwksUrl"] = "https://auth.ca.example.com/.well-known/jwks.json"
    deployer = config["gdpr-platform:deployer"]
    deployer["connectionArn"] = deployer["connectionArn"].replace(":us-east-1:", f":{REGIONS[0]}:")
    return document


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with ``ca`` added: the row and the stack file, nothing else."""
    copy = tmp_path_factory.mktemp("third") / "project"
    copy.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.eu.yaml", "Pulumi.us.yaml"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("components", "app", "policies", "tools"):
        shutil.copytree(ROOT / name, copy / name, ignore=_ignore)
    (copy / "build").mkdir()
    (copy / "build" / "lambda-layer").symlink_to(ROOT / "build" / "lambda-layer")

    table = copy / "policies" / "gdpr_pack" / "jurisdictions.py"
    text = table.read_text()
    assert text.count(TABLE_OPENING) == 1
    table.write_text(text.replace(TABLE_OPENING, TABLE_OPENING + ROW))
    (copy / "Pulumi.ca.yaml").write_text(yaml.safe_dump(stack_file(copy), sort_keys=False))
    return copy


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=project, capture_output=True, text=True, timeout=600
    )


def test_the_stack_list_reads_the_new_row_and_stack_file(project: Path) -> None:
    listed = run(project, "-m", "tools.stacks", "--github-matrix")
    assert listed.returncode == 0, listed.stderr
    assert {"stack": "ca", "region": REGIONS[0]} in json.loads(listed.stdout)["include"]


def test_the_workflows_matrices_carry_the_new_stack_as_a_producer(project: Path) -> None:
    """What the workflows' stacks jobs write to $GITHUB_OUTPUT: the new stack, no edit there."""
    listed = run(project, "-m", "tools.stacks", "--github-outputs")
    assert listed.returncode == 0, listed.stderr
    outputs = {k: json.loads(v) for k, v in (ln.split("=", 1) for ln in listed.stdout.splitlines())}
    entry = {"stack": "ca", "region": REGIONS[0]}
    # Its stack file sets central.host: false, so it deploys after the hub (eu).
    assert entry in outputs["all"]["include"]
    assert entry in outputs["producers"]["include"]
    assert [e["stack"] for e in outputs["hub"]["include"]] == ["eu"]
    only = run(project, "-m", "tools.stacks", "--github-outputs", "--only", "ca")
    assert only.returncode == 0, only.stderr
    assert f'all={{"include":[{json.dumps(entry, separators=(",", ":"))}]}}' in only.stdout


def test_the_offline_preview_of_the_new_stack_passes_the_copied_pack(project: Path) -> None:
    preview = run(project, "-m", "tools.preview", "--stack", "ca", "--json")
    assert preview.returncode == 0, preview.stderr[-2000:]
    document = json.loads(preview.stdout)
    assert document["violations"] == []
    regions = {r["region"] for r in document["resources"] if r["type"].startswith("aws:")}
    assert set(REGIONS) <= regions
    # Outside Canada: global services (no region) and the hub's queue in eu-central-1, the
    # pseudonymized cross-border path the pack admits.
    assert regions - set(REGIONS) <= {None, "eu-central-1"}
    assert document["outputs"]["jurisdiction"] == "ca"


@pytest.fixture(scope="module")
def hub_served(project: Path) -> frozenset[str]:
    """The jurisdictions the hosting stack (eu) configures its consumer with, in the copy."""
    preview = run(project, "-m", "tools.preview", "--stack", "eu", "--json", "--no-policy")
    assert preview.returncode == 0, preview.stderr[-2000:]
    consumers = [
        r
        for r in json.loads(preview.stdout)["resources"]
        if r["type"] == "aws:lambda/function:Function" and "consumer" in r["name"]
    ]
    assert len(consumers) == 1
    served: str = consumers[0]["inputs"]["environment"]["variables"]["CENTRAL_JURISDICTIONS"]
    return frozenset(served.split(","))


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


def _record(body: str) -> SqsRecord:
    return SqsRecord(message_id="m-ca", body=body, receive_count=1)


@pytest.mark.parametrize("first_schema", ["current", "v1"])
def test_the_hub_stores_an_event_of_the_new_stack(
    hub_served: frozenset[str], postgres: PostgresServer, first_schema: str
) -> None:
    served = hub_served
    assert served == {"eu", "us", "ca"}
    dsn = postgres.create_database(f"central_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        if first_schema == "v1":  # a hub running since before the table was data
            with conn.transaction():
                conn.execute(V1_SCHEMA.read_text("utf-8").encode())
        with conn.transaction():
            conn.execute(schema_sql().encode())
    store = CentralStore(lambda: psycopg.connect(dsn), apply_schema=False)
    try:
        event = valid_event(jurisdiction="ca", currency="CAD")
        response = consume_batch([_record(json.dumps(event))], store, served)
        assert response == {"batchItemFailures": []}
        # A name outside the table still goes back to the queue (and on to the DLQ).
        stray = valid_event(jurisdiction="mx")
        refused = consume_batch([_record(json.dumps(stray))], store, served)
        assert refused == {"batchItemFailures": [{"itemIdentifier": "m-ca"}]}
    finally:
        store.close()
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT event_id::text, jurisdiction FROM central_events").fetchall()
    assert rows == [(event["event_id"], "ca")]
