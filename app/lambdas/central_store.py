"""The central database: write pseudonymized events once, with their daily aggregates.

One statement per batch (data-modifying CTEs): insert the events with ``ON CONFLICT
(event_id) DO NOTHING`` and add only the rows that were really new to the aggregates, in
the same transaction, so a redelivered event changes nothing. If the database refuses the
batch because of one row (a constraint the model did not foresee), the batch is retried one
event per savepoint so that only that event fails. A lost connection fails the whole batch:
every event comes back through SQS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from uuid import UUID

import psycopg

from app.lambdas.central_event import CentralEvent
from app.lambdas.structured_log import log

logger = logging.getLogger("central_consumer")

_WRITE_SQL = """
WITH input AS (
    SELECT *
    FROM unnest(
        %(event_id)s::uuid[], %(event_type)s::text[], %(jurisdiction)s::text[],
        %(occurred_at)s::timestamptz[], %(user_pseudonym)s::text[], %(amount_minor)s::bigint[],
        %(currency)s::text[], %(direction)s::text[], %(schema_version)s::integer[]
    ) AS t(event_id, event_type, jurisdiction, occurred_at, user_pseudonym, amount_minor,
           currency, direction, schema_version)
), inserted AS (
    INSERT INTO central_events (event_id, event_type, jurisdiction, occurred_at,
                                user_pseudonym, amount_minor, currency, direction,
                                schema_version)
    SELECT event_id, event_type, jurisdiction, occurred_at,
           user_pseudonym, amount_minor, currency, direction, schema_version
    FROM input
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, event_type, jurisdiction, occurred_at, amount_minor, currency, direction
), counts AS (
    INSERT INTO central_daily_event_counts AS c (day, jurisdiction, event_type, events)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, jurisdiction, event_type, count(*)
    FROM inserted
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3  -- a fixed lock order, so concurrent consumers do not deadlock
    ON CONFLICT (day, jurisdiction, event_type)
        DO UPDATE SET events = c.events + excluded.events
), amounts AS (
    INSERT INTO central_daily_amounts AS a
        (day, jurisdiction, currency, transactions, amount_minor_sum,
         debit_transactions, debit_minor_sum, credit_transactions, credit_minor_sum)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, jurisdiction, currency, count(*),
           sum(amount_minor),
           count(*) FILTER (WHERE direction = 'debit'),
           coalesce(sum(amount_minor) FILTER (WHERE direction = 'debit'), 0),
           count(*) FILTER (WHERE direction = 'credit'),
           coalesce(sum(amount_minor) FILTER (WHERE direction = 'credit'), 0)
    FROM inserted
    WHERE currency IS NOT NULL AND amount_minor IS NOT NULL
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (day, jurisdiction, currency)
        DO UPDATE SET transactions = a.transactions + excluded.transactions,
                      amount_minor_sum = a.amount_minor_sum + excluded.amount_minor_sum,
                      debit_transactions = a.debit_transactions + excluded.debit_transactions,
                      debit_minor_sum = a.debit_minor_sum + excluded.debit_minor_sum,
                      credit_transactions = a.credit_transactions + excluded.credit_transactions,
                      credit_minor_sum = a.credit_minor_sum + excluded.credit_minor_sum
)
SELECT event_id FROM inserted
"""


def schema_sql() -> str:
    """The idempotent schema shipped beside this module (central_schema.sql)."""
    return resources.files("app.lambdas").joinpath("central_schema.sql").read_text("utf-8")


@dataclass(slots=True)
class WriteResult:
    inserted: set[UUID] = field(default_factory=set)
    duplicates: set[UUID] = field(default_factory=set)
    failed: dict[UUID, str] = field(default_factory=dict)


class CentralStore:
    """Owns one connection, reused across warm invocations and reopened when it breaks."""

    def __init__(
        self, connect: Callable[[], psycopg.Connection[tuple[object, ...]]], *, apply_schema: bool
    ) -> None:
        self._connect = connect
        self._apply_schema = apply_schema
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            conn = self._connect()
            conn.autocommit = True  # transactions are explicit: `with conn.transaction()`
            if self._apply_schema:
                with conn.transaction():
                    conn.execute(schema_sql().encode())  # no params: several statements
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def write(self, events: Sequence[CentralEvent]) -> WriteResult:
        """Store each event once. Raises psycopg.OperationalError when the database is gone."""
        first_seen: dict[UUID, CentralEvent] = {}
        for event in events:
            first_seen.setdefault(event.event_id, event)  # same id twice in one batch
        # sorted: concurrent consumers then lock overlapping ids in the same order (no deadlock)
        unique = [first_seen[k] for k in sorted(first_seen)]
        result = WriteResult()
        if not unique:
            return result
        conn = self.connection()
        try:
            with conn.transaction():
                inserted = self._insert(conn, unique)
        except psycopg.OperationalError:
            raise  # connection lost, deadlock, serialization: the whole batch comes back
        except psycopg.DatabaseError as exc:
            log(
                logger,
                logging.WARNING,
                "batch refused, isolating events",
                error=type(exc).__name__,
                events=len(unique),
            )
            return self._write_one_by_one(conn, unique)
        result.inserted = inserted
        result.duplicates = {e.event_id for e in unique} - inserted
        return result

    def _write_one_by_one(
        self, conn: psycopg.Connection[tuple[object, ...]], events: Sequence[CentralEvent]
    ) -> WriteResult:
        result = WriteResult()
        with conn.transaction():
            for event in events:
                try:
                    with conn.transaction():  # a savepoint: one bad row spoils only itself
                        inserted = self._insert(conn, [event])
                except psycopg.OperationalError:
                    raise
                except psycopg.DatabaseError as exc:
                    result.failed[event.event_id] = type(exc).__name__
                    continue
                if inserted:
                    result.inserted |= inserted
                else:
                    result.duplicates.add(event.event_id)
        return result

    @staticmethod
    def _insert(
        conn: psycopg.Connection[tuple[object, ...]], events: Sequence[CentralEvent]
    ) -> set[UUID]:
        params = {
            "event_id": [e.event_id for e in events],
            "event_type": [e.event_type for e in events],
            "jurisdiction": [e.jurisdiction for e in events],
            "occurred_at": [e.occurred_at for e in events],
            "user_pseudonym": [e.user_pseudonym for e in events],
            "amount_minor": [e.amount_minor for e in events],
            "currency": [e.currency for e in events],
            "direction": [e.direction for e in events],
            "schema_version": [e.schema_version for e in events],
        }
        rows = conn.execute(_WRITE_SQL, params).fetchall()
        return {row[0] for row in rows if isinstance(row[0], UUID)}
