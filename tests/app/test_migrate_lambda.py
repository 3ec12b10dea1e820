"""Lambda mode's migration function against real PostgreSQL: it brings a fresh shard to the
head revision, a second run changes nothing, and a failure raises (the invocation fails)."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from app.db import migrate_lambda
from app.local import LocalJurisdiction
from app.settings import Settings
from app.shardmap import IdBlock, RegionEndpoints, ShardMap
from devservices import PostgresServer

pytestmark = pytest.mark.services


def _export(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            text = value if isinstance(value, str) else json.dumps(value)
            monkeypatch.setenv(f"GDPR_API_{name.upper()}", text)


def _one_shard(pg: PostgresServer, local: LocalJurisdiction, database: str) -> ShardMap:
    layout = ShardMap.uniform(local.name, IdBlock(0, 1_000_000), 1000, 1)
    region = local.settings.primary_region
    return layout.with_endpoints([{region: RegionEndpoints(pg.host, pg.host, pg.port, database)}])


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def test_handler_migrates_a_fresh_shard_once(
    pg: PostgresServer,
    platform: dict[str, LocalJurisdiction],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = platform["eu"]
    database = f"fresh_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(database)
    shard_map = _one_shard(pg, local, database)
    _export(local.settings.model_copy(update={"shard_map": shard_map.to_json()}), monkeypatch)
    assert "users" not in _tables(dsn)

    first = migrate_lambda.handler({"release": "r1"}, None)

    head = migrate_lambda.head_revision()
    assert first == {
        "jurisdiction": "eu",
        "release": "r1",
        "revision": head,
        "shards": [shard_map.shards[0].name],
    }
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
    schema = _tables(dsn)
    assert {"users", "outbox"} <= schema

    assert migrate_lambda.handler({"release": "r1"}, None)["revision"] == head
    assert _tables(dsn) == schema
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]


def test_handler_raises_when_a_shard_cannot_be_migrated(
    pg: PostgresServer,
    platform: dict[str, LocalJurisdiction],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    local = platform["eu"]
    shard_map = _one_shard(pg, local, f"missing_{uuid.uuid4().hex[:8]}")
    _export(local.settings.model_copy(update={"shard_map": shard_map.to_json()}), monkeypatch)
    # Raising is what makes Lambda report a function error, and so the deploy fail.
    with pytest.raises(OperationalError, match="does not exist"):
        migrate_lambda.handler({"release": "r2"}, None)
    assert "migration of release r2 failed" in caplog.text
