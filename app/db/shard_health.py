"""One shard endpoint's pool with its own health: checked checkouts and a fail-fast breaker.

- Every connection is checked before it is handed out: an idle connection whose socket has
  something to read has been closed by the server (a restart, a failover, a shutdown) and
  is replaced, never handed to a request. The check reads no bytes and costs no round trip.
- Once the endpoint is known down, its requests get a 503 with ``Retry-After`` at once,
  while a background probe reconnects every ``db_probe_interval_s``. The first probe that
  succeeds (and finds the shard the map names) puts it back in service with a fresh pool:
  recovery needs no restart and waits for no pool reconnection backoff.
- Suspicion (a dead connection found, a connection broken in use, a wait for the pool)
  starts a probe; only the probe's failure takes the endpoint out of service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import time
from collections.abc import Callable
from contextvars import ContextVar
from enum import StrEnum
from types import TracebackType
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from app.errors import ApiError
from app.logs import Metric

log = logging.getLogger("app.db.shards")

Conn = AsyncConnection[DictRow]

#: A checkout waits for the pool in slices this long, looking at the breaker in between,
#: so that a request queued before the endpoint was found down is answered at once too.
_WAIT_SLICE_S = 0.05

#: The endpoints whose connections the current request holds: the request deadline takes
#: exactly these out of service when it passes (app.middleware sets it per request).
held_endpoints: ContextVar[list[EndpointHealth] | None] = ContextVar("held_endpoints", default=None)


class State(StrEnum):
    UNKNOWN = "unknown"  # not probed yet; served
    UP = "up"
    DOWN = "down"
    WRONG_SHARD = "wrong_shard"  # reachable, but holds another shard than the map says


class ShardUnavailable(ApiError):
    def __init__(self, endpoint: str, retry_after_s: int, reason: str) -> None:
        super().__init__(
            503,
            "shard_unavailable",
            f"the database of {endpoint} is unavailable ({reason}); retry later",
            headers={"Retry-After": str(retry_after_s)},
        )


def _closed_by_server(conn: Conn) -> bool:
    """True when an idle connection can no longer serve: closed locally, or readable.

    An idle connection has nothing to read unless the server sent its goodbye (FATAL
    ``57P01`` on shutdown) or the socket hit EOF/reset; either way it is dead.
    """
    if conn.closed or conn.broken:
        return True
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


class EndpointHealth:
    """The pool of one (shard, role) endpoint, and whether it can serve."""

    def __init__(
        self,
        name: str,
        make_pool: Callable[[], AsyncConnectionPool[Conn]],
        probe_kwargs: Callable[[], dict[str, Any]],
        expected_identity: dict[str, Any],
        *,
        pool_timeout_s: float,
        probe_interval_s: float,
        retry_after_s: int,
    ) -> None:
        self.name = name
        self._make_pool = make_pool
        self._probe_kwargs = probe_kwargs
        self._expected = expected_identity
        self._pool_timeout_s = pool_timeout_s
        self._probe_interval_s = probe_interval_s
        self._retry_after_s = retry_after_s
        self.pool = make_pool()
        self.state = State.UNKNOWN
        self.since = time.time()
        self.reason: str | None = None
        self.probed_once = asyncio.Event()
        self._probe: asyncio.Task[None] | None = None
        self._last_probe_ok = 0.0
        self._background: set[asyncio.Task[Any]] = set()

    # -- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        # wait=False: an unreachable endpoint must not stop the others from serving.
        await self.pool.open(wait=False)
        self.suspect(force=True)  # learn the state now rather than on the first request

    async def close(self) -> None:
        tasks = [t for t in (self._probe, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.pool.close()

    # -- state -------------------------------------------------------------------------

    @property
    def serving(self) -> bool:
        return self.state in (State.UP, State.UNKNOWN)

    def unavailable(self) -> ShardUnavailable:
        return ShardUnavailable(self.name, self._retry_after_s, self.state.value)

    def _set(self, state: State, reason: str | None) -> None:
        if state is self.state and reason == self.reason:
            return
        previous, self.state, self.reason, self.since = self.state, state, reason, time.time()
        level = logging.INFO if state is State.UP else logging.WARNING
        log.log(
            level,
            "shard endpoint %s %s -> %s%s",
            self.name,
            previous.value,
            state.value,
            f" ({reason})" if reason else "",
            # A metric per endpoint (1 serving, 0 not): alarms and dashboards read it.
            extra={"metric": self.serving_metric()},
        )

    def serving_metric(self) -> Metric:
        return Metric(
            "ShardEndpointServing", 1.0 if self.serving else 0.0, (("Endpoint", self.name),)
        )

    def trip(self, reason: str) -> None:
        """Out of service now; the probe brings it back."""
        if self.state is not State.WRONG_SHARD:
            self._set(State.DOWN, reason)
        self.suspect(force=True)

    def suspect(self, *, force: bool = False) -> None:
        """Probe now unless a probe runs, or (unless ``force``) one just succeeded."""
        if self._probe is not None and not self._probe.done():
            return
        if not force and time.monotonic() - self._last_probe_ok < self._probe_interval_s:
            return
        self._probe = asyncio.get_running_loop().create_task(
            self._probe_until_up(), name=f"probe-{self.name}"
        )

    async def _probe_once(self) -> None:
        async with await AsyncConnection.connect(
            **self._probe_kwargs(), autocommit=True, row_factory=dict_row
        ) as conn:
            cur = await conn.execute("SELECT jurisdiction, id_start, id_end FROM shard_identity")
            row = await cur.fetchone()
        if row != self._expected:
            self._set(State.WRONG_SHARD, "the database holds another shard than the map names")
            raise LookupError("wrong shard")

    async def _probe_until_up(self) -> None:
        while True:
            try:
                await self._probe_once()
            except Exception as exc:
                if self.state is not State.WRONG_SHARD:
                    self._set(State.DOWN, type(exc).__name__)
            else:
                self._last_probe_ok = time.monotonic()
                if self.state is not State.UP:
                    if self.state in (State.DOWN, State.WRONG_SHARD):
                        await self._renew_pool()
                    self._set(State.UP, None)
                self.probed_once.set()
                return
            self.probed_once.set()
            await asyncio.sleep(self._probe_interval_s)

    async def _renew_pool(self) -> None:
        """A fresh pool: the old one may sit in a reconnection backoff of many seconds."""
        fresh = self._make_pool()
        await fresh.open(wait=False)
        old, self.pool = self.pool, fresh
        task = asyncio.get_running_loop().create_task(old.close(timeout=1.0))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- checkout ----------------------------------------------------------------------

    def connection(self) -> Checkout:
        return Checkout(self)


class Checkout:
    """``async with endpoint.connection() as conn``: one transaction on a checked connection,
    committed when the block exits cleanly (psycopg's own connection block semantics)."""

    __slots__ = ("_conn", "_endpoint", "_held", "_pool")

    def __init__(self, endpoint: EndpointHealth) -> None:
        self._endpoint = endpoint
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._conn: Conn | None = None
        self._held: list[EndpointHealth] | None = None

    async def __aenter__(self) -> Conn:
        endpoint = self._endpoint
        deadline = time.monotonic() + endpoint._pool_timeout_s
        while True:
            if not endpoint.serving:
                raise endpoint.unavailable()
            pool = endpoint.pool
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                endpoint.suspect()
                raise ShardUnavailable(endpoint.name, endpoint._retry_after_s, "pool exhausted")
            try:
                conn = await pool.getconn(timeout=min(_WAIT_SLICE_S, remaining))
            except PoolTimeout:
                endpoint.suspect()
                continue
            except PoolClosed:
                continue  # replaced by a fresh pool meanwhile
            if _closed_by_server(conn):
                await conn.close()
                await pool.putconn(conn)  # the pool replaces it
                endpoint.suspect(force=True)
                continue
            self._pool, self._conn = pool, conn
            self._held = held_endpoints.get()
            if self._held is not None:
                self._held.append(endpoint)
            return conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, pool = self._conn, self._pool
        assert conn is not None
        assert pool is not None
        if self._held is not None:
            with contextlib.suppress(ValueError):
                self._held.remove(self._endpoint)
        try:
            await conn.__aexit__(exc_type, exc, tb)  # commit or roll back
        finally:
            if conn.broken or conn.closed:
                self._endpoint.suspect(force=True)
            await pool.putconn(conn)
