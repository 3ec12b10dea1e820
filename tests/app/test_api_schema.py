"""Migrations and settings: the schema enforces the shard's range, settings refuse weak
or inconsistent configuration with a message naming the fix."""

from __future__ import annotations

import os

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.auth.dev import DevSigner
from app.auth.tokens import Role
from app.db.migrate import migrate_shard
from app.local import LocalJurisdiction
from app.main import create_app
from app.settings import Settings
from app.shardmap import IdBlock, RegionEndpoints, ShardMap, ShardMapError
from devservices import PostgresServer
from tests.app.api_support import unique_person

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def tiny(pg: PostgresServer) -> tuple[ShardMap, str]:
    """A one-shard jurisdiction with room for three users."""
    layout = ShardMap.uniform("eu", IdBlock(0, 1_000_000), 3, 1)
    dsn = pg.create_database("tiny_shard")
    migrate_shard(lambda: psycopg.connect(dsn), layout.shards[0], "eu")
    migrate_shard(lambda: psycopg.connect(dsn), layout.shards[0], "eu")  # re-run: no-op
    return layout.with_endpoints(
        [{"eu-central-1": RegionEndpoints(pg.host, pg.host, pg.port, "tiny_shard")}]
    ), dsn


def test_schema_refuses_ids_outside_the_shard(tiny: tuple[ShardMap, str]) -> None:
    _, dsn = tiny
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO users (id, email, full_name, pseudonym_key) VALUES (3, 'a@b.c', 'A', %s)",
            (os.urandom(8),),
        )


def test_erased_row_must_be_scrubbed(tiny: tuple[ShardMap, str]) -> None:
    _, dsn = tiny
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO users (id, email, full_name, pseudonym_key, erased_at) "
            "VALUES (2, 'a@b.c', 'A', %s, now())",
            (os.urandom(8),),
        )


def test_full_signup_shard_pauses_sign_ups(
    tiny: tuple[ShardMap, str], platform: dict[str, LocalJurisdiction], signer: DevSigner
) -> None:
    shard_map, _ = tiny
    settings = platform["eu"].settings.model_copy(update={"shard_map": shard_map.to_json()})
    headers = {"Authorization": f"Bearer {signer.token('op', 'eu', Role.OPERATOR)}"}
    with TestClient(create_app(settings, shard_map)) as client:
        ids = [
            client.post("/v1/users", json=unique_person(), headers=headers).json()["id"]
            for _ in range(3)
        ]
        full = client.post("/v1/users", json=unique_person(), headers=headers)
    assert ids == [0, 1, 2]
    assert (full.status_code, full.json()["error"]["code"]) == (503, "signup_shard_full")


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "jurisdiction": "eu",
        "region": "eu-central-1",
        "primary_region": "eu-central-1",
        "shard_map": "{}",
        "jwt_public_key": "-----BEGIN PUBLIC KEY-----",
        "jwt_issuer": "i",
        "jwt_audience": "a",
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"jwt_algorithms": ("HS256",)}, "asymmetric algorithms only"),
        ({"jwt_algorithms": ("none",)}, "asymmetric algorithms only"),
        ({"jwt_jwks_url": "https://idp/jwks"}, "exactly one of"),
        ({"jwt_public_key": None}, "exactly one of"),
        ({"db_pool_min": 5, "db_pool_max": 2}, "must not exceed"),
        ({"jurisdiction": "EU!"}, "String should match pattern"),
    ],
)
def test_settings_refuse_bad_values(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _settings(**overrides)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GDPR_API_JURISDICTION", "us")
    monkeypatch.setenv("GDPR_API_REGION", "us-west-2")
    monkeypatch.setenv("GDPR_API_PRIMARY_REGION", "us-east-1")
    monkeypatch.setenv("GDPR_API_SHARD_MAP", "file:/etc/shardmap.json")
    monkeypatch.setenv("GDPR_API_JWT_JWKS_URL", "https://idp.example/jwks.json")
    monkeypatch.setenv("GDPR_API_JWT_ISSUER", "https://idp.example")
    monkeypatch.setenv("GDPR_API_JWT_AUDIENCE", "api")
    monkeypatch.setenv("GDPR_API_PEERS__EU__URL", "https://api.eu.example")
    monkeypatch.setenv("GDPR_API_PEERS__EU__ID_BLOCK_START", "0")
    monkeypatch.setenv("GDPR_API_PEERS__EU__ID_BLOCK_END", "1000000")
    settings = Settings()
    assert (settings.jurisdiction, settings.region, settings.db_auth_mode) == (
        "us",
        "us-west-2",
        "iam",
    )
    assert settings.peers["eu"].url == "https://api.eu.example"


def test_another_jurisdictions_map_is_refused(platform: dict[str, LocalJurisdiction]) -> None:
    us_map = platform["us"].shard_map
    with pytest.raises(ShardMapError, match="this API serves 'eu'"):
        create_app(platform["eu"].settings, us_map)


def test_a_map_without_this_regions_endpoints_is_refused(
    platform: dict[str, LocalJurisdiction],
) -> None:
    settings = platform["eu"].settings.model_copy(update={"region": "eu-west-1"})
    with pytest.raises(ShardMapError, match="no endpoints for eu-west-1"):
        create_app(settings, platform["eu"].shard_map)
