"""One shard's database stops, restarts, freezes or blocks while the API serves (issue 10,
defects 1-4). The shard under test runs on a PostgreSQL server of its own; the other shard
keeps serving from the usual one."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.auth.dev import DevSigner
from app.local import provision
from app.logs import JsonFormatter
from app.main import create_app
from devservices import MotoServer, PostgresServer
from tests.app.api_support import Api
from tests.app.faults_support import FAST_FAULTS, move_shard

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def shard_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
def faulty(shard_server: PostgresServer, aws: MotoServer, signer: DevSigner) -> Iterator[Api]:
    """eu with its sign-up shard on ``shard_server``, fault-test timeouts."""
    with PostgresServer() as others:
        yield from _faulty(others, shard_server, aws, signer)


def _faulty(
    others: PostgresServer, shard_server: PostgresServer, aws: MotoServer, signer: DevSigner
) -> Iterator[Api]:
    local = provision(others, aws.endpoint, signer, jurisdictions=("eu",))["eu"]
    local = move_shard(local, local.shard_map.signup_shard.index, shard_server)
    settings = local.settings.model_copy(update=FAST_FAULTS)
    local = type(local)(local.name, settings, local.shard_map, local.dsns)
    with TestClient(create_app(settings, local.shard_map)) as client:
        yield Api(client, signer, local)


@pytest.fixture
def healthy(faulty: Api, shard_server: PostgresServer) -> Iterator[Api]:
    """Each test starts with the shard up and served, and leaves it so."""
    _wait_served(faulty)
    yield faulty
    shard_server.thaw()
    if not _accepts(shard_server):
        shard_server.resume()
    _wait_served(faulty)


def _accepts(server: PostgresServer) -> bool:
    try:
        psycopg.connect(server.dsn(), connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


def _wait_served(api: Api, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    probe = api.local.shard_map.signup_shard.start
    while time.monotonic() < deadline:
        if api.client.get(f"/v1/users/{probe}", headers=api.operator()).status_code in (200, 404):
            return
        time.sleep(0.05)
    raise AssertionError("the shard was not served again")


def _other_shard_user(api: Api) -> int:
    signup = api.local.shard_map.signup_shard.index
    return next(s for s in api.local.shard_map.shards if s.index != signup).start


def _warm(api: Api, user_id: int) -> None:
    """Put several connections in the pools, as a busy pod has."""
    for _ in range(5):
        got = api.client.get(f"/v1/users/{user_id}", headers=api.as_user(user_id))
        assert got.status_code == 200


# -- 1: dead pooled connections after a restart ---------------------------------------


def test_a_restart_costs_no_request(healthy: Api, shard_server: PostgresServer) -> None:
    user = healthy.create_user()
    _warm(healthy, user["id"])
    shard_server.restart()  # every pooled connection dies, as in a failover
    time.sleep(0.5)
    got = healthy.client.get(f"/v1/users/{user['id']}", headers=healthy.as_user(user["id"]))
    assert got.status_code == 200, got.text
    shard_server.restart()
    time.sleep(0.5)
    tx = healthy.client.post(
        f"/v1/users/{user['id']}/transactions",
        json={"amount_minor": 100, "currency": "EUR", "direction": "debit"},
        headers=healthy.as_user(user["id"]),
    )
    assert tx.status_code == 201, tx.text


# -- 2: one shard down leaves the pod ready ----------------------------------------------


def test_one_shard_down_leaves_the_pod_ready_and_the_others_served(
    healthy: Api, shard_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    user = healthy.create_user()
    caplog.set_level(logging.INFO, logger="app.db.shards")
    shard_server.halt()
    assert (
        healthy.client.get(
            f"/v1/users/{user['id']}", headers=healthy.as_user(user["id"])
        ).status_code
        == 503
    )
    ready = healthy.client.get("/v1/ready")
    assert ready.status_code == 200, ready.text
    other = _other_shard_user(healthy)
    assert healthy.client.get(f"/v1/users/{other}", headers=healthy.operator()).status_code == 404
    shards = healthy.client.get("/v1/health/shards").json()
    down = healthy.local.shard_map.signup_shard.name
    assert shards["status"] == "degraded"
    # the read found the reader endpoint down; the writer is only probed when used
    assert shards["shards"][down]["reader"]["state"] == "down"
    assert {r["state"] for n, s in shards["shards"].items() if n != down for r in s.values()} == {
        "up"
    }
    # The state change is a CloudWatch metric too: an embedded-metric-format log line.
    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if "-> down" in r.msg % r.args
    ]
    [line] = [x for x in lines if x["Endpoint"].startswith(down) and "reader" in x["Endpoint"]]
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "gdpr-platform/api"
    assert directive["Dimensions"] == [["Endpoint"]]
    assert directive["Metrics"] == [{"Name": "ShardEndpointServing", "Unit": "None"}]
    assert line["ShardEndpointServing"] == 0.0


# -- 3: a database that stops answering is bounded ---------------------------------------


def test_a_held_table_lock_ends_in_a_503_at_the_lock_timeout(healthy: Api) -> None:
    user = healthy.create_user()
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(healthy.dsn_for(user["id"])) as conn:
            conn.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(8)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(5)
        started = time.monotonic()
        got = healthy.client.patch(
            f"/v1/users/{user['id']}",
            json={"full_name": "Still Here"},
            headers=healthy.as_user(user["id"]),
        )
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert got.status_code == 503, got.text
    assert got.headers["retry-after"] == "1"
    # lock_timeout is 300 ms here: answered long before the lock went away (8 s)
    assert elapsed < 3, elapsed


def test_a_frozen_server_is_bounded_by_the_request_deadline(
    healthy: Api, shard_server: PostgresServer
) -> None:
    user = healthy.create_user()
    _warm(healthy, user["id"])
    shard_server.freeze()
    thaw = threading.Timer(8, shard_server.thaw)  # so that an unbounded request ends too
    thaw.start()
    try:
        started = time.monotonic()
        first = healthy.client.get(f"/v1/users/{user['id']}", headers=healthy.as_user(user["id"]))
        first_s = time.monotonic() - started
        started = time.monotonic()
        second = healthy.client.get(f"/v1/users/{user['id']}", headers=healthy.as_user(user["id"]))
        second_s = time.monotonic() - started
    finally:
        thaw.cancel()
        shard_server.thaw()
    assert first.status_code == 503, first.text
    assert "retry-after" in first.headers
    assert first_s < 4, first_s  # the request deadline is 2 s; the freeze lasted 8 s
    assert second.status_code == 503, second.text
    assert second_s < 1, second_s  # the shard is known down now: no second wait
    _wait_served(healthy)
    got = healthy.client.get(f"/v1/users/{user['id']}", headers=healthy.as_user(user["id"]))
    assert got.status_code == 200


# -- 4: a shard known down answers at once ----------------------------------------------


def test_a_stopped_shard_answers_503_at_once_with_retry_after_and_recovers(
    healthy: Api, shard_server: PostgresServer
) -> None:
    user = healthy.create_user()
    _warm(healthy, user["id"])
    shard_server.halt()
    url, auth = f"/v1/users/{user['id']}", healthy.as_user(user["id"])
    healthy.client.get(url, headers=auth)  # the first one finds out
    timings = []
    for _ in range(20):
        started = time.monotonic()
        got = healthy.client.get(url, headers=auth)
        timings.append(time.monotonic() - started)
        assert got.status_code == 503, got.text
        assert got.headers["retry-after"] == "1"
        assert got.json()["error"]["code"] == "shard_unavailable"
    # a refused reconnect is known at once: nothing waits for the pool timeout (3 s here)
    assert max(timings) < 0.5, timings
    shard_server.resume()
    restarted = time.monotonic()
    while healthy.client.get(url, headers=auth).status_code != 200:
        assert time.monotonic() - restarted < 5, "no recovery without a restart of the API"
        time.sleep(0.02)
