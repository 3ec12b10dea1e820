"""A jurisdiction whose sign-up shard lives on a PostgreSQL server of its own, so that one
shard can be stopped, restarted or frozen while the others keep serving."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import psycopg

from app.db.migrate import migrate_shard
from app.local import LocalJurisdiction
from app.settings import Settings
from app.shardmap import RegionEndpoints
from devservices import PostgresServer


def move_shard(local: LocalJurisdiction, index: int, server: PostgresServer) -> LocalJurisdiction:
    """``local`` with shard ``index`` on ``server`` (created and migrated there)."""
    shard = local.shard_map.shards[index]
    db = f"{local.name}_shard_{index:02d}"
    dsn = server.create_database(db)
    migrate_shard(lambda: psycopg.connect(dsn), shard, local.name)
    endpoints: list[dict[str, RegionEndpoints]] = []
    for s in local.shard_map.shards:
        here = {region: dataclasses.replace(ep) for region, ep in s.regions.items()}
        if s.index == index:
            here = {
                region: RegionEndpoints(server.host, server.host, server.port, db)
                for region in s.regions
            }
        endpoints.append(here)
    shard_map = local.shard_map.with_endpoints(endpoints)
    dsns = tuple(dsn if i == index else d for i, d in enumerate(local.dsns))
    settings = local.settings.model_copy(update={"shard_map": shard_map.to_json()})
    return LocalJurisdiction(local.name, settings, shard_map, dsns)


#: Fault tests scale the production timeouts down, not away.
FAST_FAULTS: dict[str, Any] = {
    "db_pool_timeout_s": 3.0,
    "db_connect_timeout_s": 2,
    "db_statement_timeout_ms": 1000,
    "db_lock_timeout_ms": 300,
    "request_timeout_s": 2.0,
    "db_probe_interval_s": 0.1,
    "db_retry_after_s": 1,
}


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes ``Settings()`` equal ``settings`` in a child process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        env[f"GDPR_API_{name.upper()}"] = text
    return env
