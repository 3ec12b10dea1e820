"""The shard router: range boundaries, reader/writer choice, read-your-writes."""

from __future__ import annotations

import os

import psycopg
import pytest

from app.db.router import DbRole
from app.shardmap import Shard
from tests.app.api_support import Api

pytestmark = pytest.mark.services


def _seed(dsn: str, user_id: int) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO users (id, email, full_name, pseudonym_key) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (user_id, f"edge{user_id}@example.org", f"Edge {user_id}", os.urandom(32)),
        )


def _delta(api: Api, before: dict[tuple[int, DbRole], int]) -> dict[tuple[int, DbRole], int]:
    after = api.ctx.router.checkouts()
    return {key: after[key] - before[key] for key in after if after[key] != before[key]}


@pytest.mark.parametrize("jurisdiction", ["eu", "us"])
@pytest.mark.parametrize("edge", ["start", "end-1"])
def test_each_range_edge_is_served_by_its_own_shard(
    eu: Api, us: Api, jurisdiction: str, edge: str
) -> None:
    api = {"eu": eu, "us": us}[jurisdiction]
    for shard in api.local.shard_map.shards:
        user_id = shard.start if edge == "start" else shard.end - 1
        _seed(api.local.dsns[shard.index], user_id)
        before = api.ctx.router.checkouts()
        response = api.client.get(f"/v1/users/{user_id}", headers=api.operator())
        assert response.status_code == 200, response.text
        assert response.json()["id"] == user_id
        assert _delta(api, before) == {(shard.index, DbRole.READER): 1}


@pytest.mark.parametrize("jurisdiction", ["eu", "us"])
def test_range_end_belongs_to_the_next_shard(eu: Api, us: Api, jurisdiction: str) -> None:
    api = {"eu": eu, "us": us}[jurisdiction]
    first, second = api.local.shard_map.shards[:2]
    _seed(api.local.dsns[second.index], first.end)
    before = api.ctx.router.checkouts()
    response = api.client.get(f"/v1/users/{first.end}", headers=api.operator())
    assert response.status_code == 200
    assert _delta(api, before) == {(second.index, DbRole.READER): 1}


@pytest.mark.parametrize("jurisdiction", ["eu", "us"])
def test_end_of_last_shard_is_not_found_without_a_query(
    eu: Api, us: Api, jurisdiction: str
) -> None:
    api = {"eu": eu, "us": us}[jurisdiction]
    last: Shard = api.local.shard_map.shards[-1]
    before = api.ctx.router.checkouts()
    response = api.client.get(f"/v1/users/{last.end}", headers=api.operator())
    assert (response.status_code, response.json()["error"]["code"]) == (404, "user_not_found")
    assert _delta(api, before) == {}


def test_block_end_is_another_jurisdiction(eu: Api) -> None:
    response = eu.client.get(f"/v1/users/{eu.local.shard_map.block.end}", headers=eu.operator())
    assert response.json()["error"]["code"] == "user_outside_jurisdiction"


def test_writes_use_the_writer_and_reads_the_reader(eu: Api) -> None:
    user = eu.create_user()
    shard = eu.local.shard_map.lookup(user["id"]).index
    before = eu.ctx.router.checkouts()
    eu.add_transaction(user["id"])
    assert _delta(eu, before) == {(shard, DbRole.WRITER): 1}
    before = eu.ctx.router.checkouts()
    eu.client.get(f"/v1/users/{user['id']}/transactions", headers=eu.as_user(user["id"]))
    assert _delta(eu, before) == {(shard, DbRole.READER): 1}


def test_reader_connections_are_read_only(eu: Api) -> None:
    shard = eu.local.shard_map.shards[0]

    async def try_write() -> str:
        async with eu.ctx.router.pool(shard, DbRole.READER).connection() as conn:
            try:
                await conn.execute("UPDATE users SET updated_at = now() WHERE false")
            except psycopg.errors.ReadOnlySqlTransaction:
                return "refused"
            return "written"

    assert eu.client.portal is not None  # the session client runs the app's event loop
    assert eu.client.portal.call(try_write) == "refused"


def test_read_after_write_in_one_request_goes_to_the_writer(eu: Api) -> None:
    shard = eu.local.shard_map.shards[1]

    async def roles() -> list[str]:
        session = eu.ctx.router.session()
        seen = []
        async with session.read(shard) as conn:
            seen.append(await _role(conn))
        async with session.write(shard) as conn:
            seen.append(await _role(conn))
        async with session.read(shard) as conn:
            seen.append(await _role(conn))
        async with session.read(eu.local.shard_map.shards[0]) as conn:
            seen.append(await _role(conn))  # another shard, not written: reader again
        return seen

    async def _role(conn: psycopg.AsyncConnection[dict[str, object]]) -> str:
        cur = await conn.execute("SHOW default_transaction_read_only")
        row = await cur.fetchone()
        assert row is not None
        return "reader" if row["default_transaction_read_only"] == "on" else "writer"

    assert eu.client.portal is not None
    assert eu.client.portal.call(roles) == ["reader", "writer", "writer", "reader"]
