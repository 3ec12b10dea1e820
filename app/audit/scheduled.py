"""The outbox worker in Lambda mode: one bounded drain per scheduled invocation.

EventBridge Scheduler calls :func:`handler` every few minutes in each region. It drains the
due rows of every shard through :class:`app.audit.worker.OutboxWorker`, the same code the
long-running worker uses, so the guarantees are the same: a row is claimed ``FOR UPDATE
SKIP LOCKED`` (overlapping runs never share one), each delivered step is recorded before
the commit, and a run cut short by its timeout leaves its row to the next run, whose
retried steps the event's stable ID deduplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg

from app.audit.worker import OutboxWorker
from app.db.shard_source import load_shard_map
from app.settings import Settings

log = logging.getLogger("app.audit.scheduled")

#: Rows taken from one shard before moving on, so one busy shard cannot starve the others.
BATCH = 25
#: Stop starting batches this close to the function's timeout.
TIME_MARGIN_MS = 15_000


def drain_once(
    worker: OutboxWorker,
    max_rows: int,
    remaining_ms: Callable[[], int] | None = None,
) -> dict[str, int]:
    """Round-robin bounded batches over the shards until none is due, ``max_rows`` are
    handled or time runs short; returns rows handled per shard (-1: unreachable)."""
    handled = {shard.name: 0 for shard in worker.shard_map.shards}
    conns: dict[int, psycopg.Connection[Any]] = {}
    active = list(worker.shard_map.shards)
    try:
        while active and sum(max(n, 0) for n in handled.values()) < max_rows:
            if remaining_ms is not None and remaining_ms() < TIME_MARGIN_MS:
                break
            for shard in list(active):
                budget = min(BATCH, max_rows - sum(max(n, 0) for n in handled.values()))
                if budget <= 0:
                    break
                try:
                    conn = conns.get(shard.index)
                    if conn is None:
                        conn = conns[shard.index] = worker.connect(shard)
                    done = worker.drain(shard, budget, conn)
                except psycopg.OperationalError as exc:
                    # One shard's outage delays its own rows only.
                    log.warning("shard %s unreachable (%s)", shard.name, type(exc).__name__)
                    handled[shard.name] = -1
                    active.remove(shard)
                    continue
                handled[shard.name] += done
                if done < budget:
                    active.remove(shard)
    finally:
        for conn in conns.values():
            conn.close()
    return handled


_worker: OutboxWorker | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduled function's entry point (``app.audit.scheduled.handler``).

    The event carries ``max_rows`` (the schedule's input); the worker (its clients and
    the pseudonym key) is built once per execution environment.
    """
    global _worker
    if _worker is None:
        settings = Settings()  # from the environment
        _worker = OutboxWorker.from_settings(settings, load_shard_map(settings))
    max_rows = int(event.get("max_rows", 500))
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    handled = drain_once(_worker, max_rows, remaining)
    log.info("outbox run: %s", handled)
    return {"handled": handled}
