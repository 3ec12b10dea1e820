"""The shard router: one connection pool per shard and role, picked by user ID.

Writes go to the shard's writer in the primary region (from a secondary region that is
the cross-region writer, reached over the jurisdiction's own network link). Reads go to
the local reader, except after a write to the same shard within the same request, when
they go to the writer so the caller reads its own write despite replica lag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from enum import StrEnum
from functools import partial
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from app.db.connect import connection_kwargs
from app.db.shard_health import EndpointHealth
from app.settings import Settings
from app.shardmap import Shard, ShardMap

Conn = AsyncConnection[DictRow]


class DbRole(StrEnum):
    WRITER = "writer"
    READER = "reader"


class ShardRouter:
    def __init__(self, settings: Settings, shard_map: ShardMap) -> None:
        self.shard_map = shard_map
        self._startup_wait_s = settings.db_connect_timeout_s + 1.0
        self._endpoints: dict[tuple[int, DbRole], EndpointHealth] = {}
        for shard in shard_map.shards:
            writer = shard.regions[settings.primary_region]
            reader = shard.regions[settings.region]
            for role, host, ep in (
                (DbRole.WRITER, writer.writer, writer),
                (DbRole.READER, reader.reader, reader),
            ):
                name = f"{shard.name}-{role}"
                kwargs = connection_kwargs(
                    settings,
                    host=host,
                    port=ep.port,
                    dbname=ep.database,
                    read_only=role is DbRole.READER,
                    application_name=f"gdpr-api-{settings.jurisdiction}-{name}",
                )
                self._endpoints[(shard.index, role)] = EndpointHealth(
                    name,
                    partial(_make_pool, settings, kwargs, name),
                    kwargs,
                    {
                        "jurisdiction": shard_map.jurisdiction,
                        "id_start": shard.start,
                        "id_end": shard.end,
                    },
                    pool_timeout_s=settings.db_pool_timeout_s,
                    probe_interval_s=settings.db_probe_interval_s,
                    retry_after_s=settings.db_retry_after_s,
                )

    async def open(self) -> None:
        await asyncio.gather(*(e.open() for e in self._endpoints.values()))
        # Start serving knowing each shard's state, but never wait on a hung one for longer
        # than a connection attempt takes: readiness reports "starting" until then.
        waits = [asyncio.ensure_future(e.probed_once.wait()) for e in self._endpoints.values()]
        _, pending = await asyncio.wait(waits, timeout=self._startup_wait_s)
        for wait in pending:
            wait.cancel()

    async def close(self) -> None:
        await asyncio.gather(*(e.close() for e in self._endpoints.values()))

    def endpoint(self, shard: Shard, role: DbRole) -> EndpointHealth:
        return self._endpoints[(shard.index, role)]

    def endpoints(self) -> dict[tuple[int, DbRole], EndpointHealth]:
        return dict(self._endpoints)

    def pool(self, shard: Shard, role: DbRole) -> AsyncConnectionPool[Conn]:
        return self._endpoints[(shard.index, role)].pool

    def pools(self) -> dict[tuple[int, DbRole], AsyncConnectionPool[Conn]]:
        return {key: e.pool for key, e in self._endpoints.items()}

    def checkouts(self) -> dict[tuple[int, DbRole], int]:
        """Connections handed out so far, per shard and role (psycopg_pool's own count)."""
        return {key: pool.get_stats().get("requests_num", 0) for key, pool in self.pools().items()}

    def session(self) -> ShardSession:
        return ShardSession(self)


def _make_pool(
    settings: Settings, kwargs: Callable[[], dict[str, Any]], name: str
) -> AsyncConnectionPool[Conn]:
    return AsyncConnectionPool(
        kwargs=kwargs,
        connection_class=AsyncConnection[DictRow],
        configure=_configure,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        timeout=settings.db_pool_timeout_s,
        name=name,
        open=False,
    )


async def _configure(conn: Conn) -> None:
    conn.row_factory = dict_row


class ShardSession:
    """Per-request view of the router that remembers which shards this request wrote."""

    __slots__ = ("_router", "_wrote")

    def __init__(self, router: ShardRouter) -> None:
        self._router = router
        self._wrote: set[int] = set()

    # Both return a plain context-manager object rather than a generator-based one: this
    # is on every request's path.

    def write(self, shard: Shard) -> AbstractAsyncContextManager[Conn]:
        """A writer connection in one transaction, committed when the block exits cleanly.

        The shard counts as written from here on, even if the write then fails: reading
        from the writer needlessly is harmless, missing one's own write is not.
        """
        self._wrote.add(shard.index)
        return self._router.endpoint(shard, DbRole.WRITER).connection()

    def read(self, shard: Shard) -> AbstractAsyncContextManager[Conn]:
        role = DbRole.WRITER if shard.index in self._wrote else DbRole.READER
        return self._router.endpoint(shard, role).connection()
