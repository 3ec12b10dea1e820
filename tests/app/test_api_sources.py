"""Production code paths that the local run does not take: IAM auth tokens, the shard map
from SSM, keys from a JWKS URL, and the migrate-every-shard command."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import RSAAlgorithm

from app.auth import tokens
from app.auth.dev import DevSigner
from app.auth.tokens import KeySourceUnavailable, TokenError, TokenVerifier
from app.db.connect import connection_kwargs
from app.db.migrate import migrate_all
from app.db.shard_source import load_shard_map
from app.local import ExternalPostgres, LocalJurisdiction, provision
from app.settings import DbAuthMode
from app.shardmap import RegionEndpoints, ShardMap
from devservices import MotoServer, PostgresServer
from devservices.postgres import free_port

pytestmark = pytest.mark.services


def test_iam_mode_signs_a_fresh_token_per_connection(
    platform: dict[str, LocalJurisdiction],
) -> None:
    settings = platform["eu"].settings.model_copy(
        update={"db_auth_mode": DbAuthMode.IAM, "db_sslmode": "verify-full"}
    )
    make = connection_kwargs(
        settings,
        host="shard-00.cluster-x.eu-central-1.rds.amazonaws.com",
        port=5432,
        dbname="app",
        read_only=True,
        application_name="t",
    )
    first = make()
    query = parse_qs(urlsplit("https://" + first["password"]).query)
    assert first["password"].startswith("shard-00.cluster-x.eu-central-1.rds.amazonaws.com:5432/")
    assert query["Action"] == ["connect"]
    assert query["DBUser"] == [settings.db_user]
    assert "X-Amz-Signature" in query
    assert first["sslmode"] == "verify-full"
    assert "default_transaction_read_only=on" in first["options"]


def test_shard_map_from_ssm(platform: dict[str, LocalJurisdiction], aws: MotoServer) -> None:
    eu = platform["eu"]
    ssm = boto3.client("ssm", region_name=eu.settings.region, endpoint_url=aws.endpoint)
    ssm.put_parameter(Name="/gdpr/eu/shard-map", Value=eu.shard_map.to_json(), Type="String")
    settings = eu.settings.model_copy(update={"shard_map": "ssm:/gdpr/eu/shard-map"})
    assert load_shard_map(settings) == eu.shard_map


def test_shard_map_from_a_file(platform: dict[str, LocalJurisdiction], tmp_path: Any) -> None:
    eu = platform["eu"]
    path = tmp_path / "map.json"
    path.write_text(eu.shard_map.to_json())
    settings = eu.settings.model_copy(update={"shard_map": f"file:{path}"})
    assert load_shard_map(settings) == eu.shard_map


@pytest.fixture
def jwks_keys() -> list[dict[str, Any]]:
    """The keys the loopback identity provider publishes; tests may withdraw them."""
    return []


@pytest.fixture
def jwks(signer: DevSigner, jwks_keys: list[dict[str, Any]]) -> Iterator[str]:
    """The identity provider's JWKS document on a loopback port."""
    public = load_pem_public_key(signer.public_pem.encode())
    assert isinstance(public, RSAPublicKey)
    key = RSAAlgorithm.to_jwk(public, as_dict=True)
    jwks_keys.append({**key, "kid": "k1", "use": "sig", "alg": "RS256"})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"keys": jwks_keys}).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def test_keys_from_a_jwks_url(
    signer: DevSigner, jwks: str, jwks_keys: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "JWKS_TTL_S", 0.2)
    verifier = TokenVerifier(
        issuer=signer.issuer,
        audience=signer.audience,
        algorithms=("RS256",),
        jwks_url=jwks,
    )
    now = time.time()
    claims = {
        "sub": "7",
        "jurisdiction": "eu",
        "role": "user",
        "iss": signer.issuer,
        "aud": signer.audience,
        "iat": int(now),
        "exp": int(now) + 60,
    }
    good = jwt.encode(claims, signer.private_pem, algorithm="RS256", headers={"kid": "k1"})
    unknown = jwt.encode(claims, signer.private_pem, algorithm="RS256", headers={"kid": "k2"})
    no_kid = jwt.encode(claims, signer.private_pem, algorithm="RS256")
    assert asyncio.run(verifier.verify(good)).user_id == 7
    with pytest.raises(TokenError, match="unknown key"):
        asyncio.run(verifier.verify(unknown))
    with pytest.raises(TokenError, match="key id"):
        asyncio.run(verifier.verify(no_kid))

    # The provider withdraws the key: once the key cache expires, the same kid is refused
    # (a token not seen before, since a verified one is trusted until it expires).
    jwks_keys.clear()
    time.sleep(0.3)
    fresh = jwt.encode(
        {**claims, "sub": "8"}, signer.private_pem, algorithm="RS256", headers={"kid": "k1"}
    )
    with pytest.raises(TokenError, match="unknown key"):
        asyncio.run(verifier.verify(fresh))


def test_unreachable_jwks_is_not_the_callers_fault(signer: DevSigner) -> None:
    verifier = TokenVerifier(
        issuer=signer.issuer,
        audience=signer.audience,
        algorithms=("RS256",),
        jwks_url=f"http://127.0.0.1:{free_port()}/jwks.json",  # nothing listens there
    )
    token = jwt.encode({"sub": "1"}, signer.private_pem, algorithm="RS256", headers={"kid": "k"})
    with pytest.raises(KeySourceUnavailable):
        asyncio.run(verifier.verify(token))


def test_migrate_all_upgrades_every_shard(
    pg: PostgresServer, platform: dict[str, LocalJurisdiction]
) -> None:
    eu = platform["eu"]
    names = ["mig_shard_00", "mig_shard_01"]
    for name in names:
        pg.create_database(name)
    shard_map = ShardMap.uniform("eu", eu.shard_map.block, 30_000, 2).with_endpoints(
        [{eu.settings.region: RegionEndpoints(pg.host, pg.host, pg.port, n)} for n in names]
    )
    settings = eu.settings.model_copy(update={"shard_map": shard_map.to_json()})
    migrate_all(settings, shard_map)
    migrate_all(settings, shard_map)  # a second run is a no-op
    for shard, name in zip(shard_map.shards, names, strict=True):
        with psycopg.connect(pg.dsn(name)) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0003",)]
            assert conn.execute("SELECT id_start, id_end FROM shard_identity").fetchone() == (
                shard.start,
                shard.end,
            )


def test_provision_reuses_a_running_server_and_endpoint(
    pg: PostgresServer,
    aws: MotoServer,
    signer: DevSigner,
    platform: dict[str, LocalJurisdiction],
) -> None:
    # What `python -m app.local --database-url ... --aws-endpoint ...` does on a second run:
    # the shard databases, bucket and secret exist already and are reused.
    again = provision(ExternalPostgres(pg.dsn()), aws.endpoint, signer)
    for name, first in platform.items():
        assert again[name].shard_map == first.shard_map
        assert (
            again[name].settings.pseudonym_key_secret_id == first.settings.pseudonym_key_secret_id
        )
        with psycopg.connect(again[name].dsns[0]) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
