"""The API's database role, made on every shard by the master user (real PostgreSQL, moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg
import pytest

from app.shardmap import IdBlock, RegionEndpoints, ShardMap
from devservices.moto_server import MotoServer
from devservices.postgres import PostgresServer
from tools.db_roles import main

REGION = "eu-central-1"


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute("CREATE ROLE rds_iam")  # Aurora's built-in role, absent here
            conn.execute("CREATE ROLE master LOGIN SUPERUSER")
        yield server


@pytest.fixture(scope="module")
def aws() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def _shard_map(pg: PostgresServer, aws: MotoServer, names: list[str]) -> ShardMap:
    secrets = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=aws.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    layout = ShardMap.uniform("eu", IdBlock(0, 1000), 500, len(names))
    endpoints = []
    for name in names:
        pg.create_database(name)
        arn = secrets.create_secret(
            Name=f"{name}-master",
            SecretString=json.dumps({"username": "master", "password": "unused-by-trust-auth"}),
        )["ARN"]
        endpoints.append({REGION: RegionEndpoints(pg.host, pg.host, pg.port, name, secret_arn=arn)})
    return layout.with_endpoints(endpoints)


def _run(pg: PostgresServer, aws: MotoServer, shard_map: ShardMap, tmp_path: Path) -> int:
    path = tmp_path / "shard-map.json"
    path.write_text(shard_map.to_json())
    return main(
        [
            "--shard-map",
            str(path),
            "--region",
            REGION,
            "--sslmode",
            "disable",
            "--endpoint-url",
            aws.endpoint,
        ]
    )


def test_every_shard_gets_an_iam_login_that_can_migrate(
    pg: PostgresServer,
    aws: MotoServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    shard_map = _shard_map(pg, aws, ["roles_a", "roles_b"])
    assert _run(pg, aws, shard_map, tmp_path) == 0
    assert _run(pg, aws, shard_map, tmp_path) == 0  # idempotent
    assert capsys.readouterr().out.count("role 'app' ready") == 4
    with psycopg.connect(pg.dsn()) as conn:
        member = conn.execute(
            "SELECT pg_has_role('app', 'rds_iam', 'MEMBER'), rolcanlogin, rolsuper"
            " FROM pg_roles WHERE rolname = 'app'"
        ).fetchone()
    assert member == (True, True, False)
    for database in ("roles_a", "roles_b"):
        # What the first migration does as the app role: create its tables in public.
        with psycopg.connect(f"postgresql://app@{pg.host}:{pg.port}/{database}") as conn:
            conn.execute("CREATE TABLE probe (id int)")
            owner = conn.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'probe'"
            ).fetchone()
        assert owner == ("app",)


def test_a_shard_without_a_writer_secret_stops_with_the_region_to_use(
    pg: PostgresServer, aws: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    shard_map = _shard_map(pg, aws, ["roles_c"])
    path = tmp_path / "shard-map.json"
    path.write_text(shard_map.to_json())
    with pytest.raises(SystemExit, match="no writer secret in eu-west-1; pass the primary"):
        main(["--shard-map", str(path), "--region", "eu-west-1", "--endpoint-url", aws.endpoint])
