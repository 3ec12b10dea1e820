"""One PostgreSQL server and one moto server per test session; one database per shard,
two jurisdictions (eu, us) of two shards each, migrated once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth.dev import DevSigner
from app.local import LocalJurisdiction, provision
from app.main import create_app
from devservices import MotoServer, PostgresServer
from tests.app.api_support import Api


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def aws() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="session")
def signer() -> DevSigner:
    return DevSigner.generate()


@pytest.fixture(scope="session")
def platform(
    pg: PostgresServer, aws: MotoServer, signer: DevSigner
) -> dict[str, LocalJurisdiction]:
    return provision(
        pg,
        aws.endpoint,
        signer,
        urls={"eu": "https://api.eu.example", "us": "https://api.us.example"},
    )


def _api(local: LocalJurisdiction, signer: DevSigner) -> Iterator[Api]:
    app = create_app(local.settings, local.shard_map)
    with TestClient(app, base_url=f"https://api.{local.name}.example") as client:
        yield Api(client, signer, local)


@pytest.fixture(scope="session")
def eu(platform: dict[str, LocalJurisdiction], signer: DevSigner) -> Iterator[Api]:
    yield from _api(platform["eu"], signer)


@pytest.fixture(scope="session")
def us(platform: dict[str, LocalJurisdiction], signer: DevSigner) -> Iterator[Api]:
    yield from _api(platform["us"], signer)
