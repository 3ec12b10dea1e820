"""SQL for transactions and the outbox row that each new transaction carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from app.db.router import Conn
from app.transactions.schemas import TransactionCreate

COLUMNS = "id, user_id, amount_minor, currency, direction, reference, created_at"


async def insert_with_outbox(
    conn: Conn, user_id: int, data: TransactionCreate, idempotency_key: str | None
) -> dict[str, Any] | None:
    """Insert the transaction and its outbox row in the caller's transaction: both or none.

    None when ``idempotency_key`` was used before for this user (nothing is inserted).
    """
    cur = await conn.execute(
        "INSERT INTO transactions "  # noqa: S608  # constant columns; values are bound
        "(user_id, amount_minor, currency, direction, reference, idempotency_key) "
        "VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
        f"RETURNING {COLUMNS}",
        (
            user_id,
            data.amount_minor,
            data.currency,
            data.direction,
            data.reference,
            idempotency_key,
        ),
    )
    row = await cur.fetchone()
    if row is not None:
        await conn.execute("INSERT INTO outbox (transaction_id) VALUES (%s)", (row["id"],))
    return row


async def by_idempotency_key(conn: Conn, user_id: int, key: str) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"SELECT {COLUMNS} FROM transactions "  # noqa: S608  # constant columns
        "WHERE user_id = %s AND idempotency_key = %s",
        (user_id, key),
    )
    return await cur.fetchone()


async def page(
    conn: Conn, user_id: int, limit: int, after: tuple[datetime, UUID] | None
) -> list[dict[str, Any]]:
    """Newest first, keyset-paginated on (created_at, id) so deep pages stay cheap."""
    if after is None:
        cur = await conn.execute(
            f"SELECT {COLUMNS} FROM transactions WHERE user_id = %s "  # noqa: S608  # constant columns
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            (user_id, limit),
        )
    else:
        cur = await conn.execute(
            f"SELECT {COLUMNS} FROM transactions WHERE user_id = %s "  # noqa: S608  # constant columns
            "AND (created_at, id) < (%s, %s) ORDER BY created_at DESC, id DESC LIMIT %s",
            (user_id, after[0], after[1], limit),
        )
    return await cur.fetchall()
