"""Transaction rules: only live users transact; listing is paginated by an opaque cursor."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from uuid import UUID

from app.db.router import ShardSession
from app.errors import ApiError
from app.shardmap import Shard
from app.transactions import repository
from app.transactions.schemas import TransactionCreate
from app.users import repository as users


async def create(
    db: ShardSession,
    shard: Shard,
    user_id: int,
    data: TransactionCreate,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """The transaction, and whether it was created now (False: a retried request)."""
    async with db.write(shard) as conn:
        state = await users.lock_state(conn, user_id)
        if state is None:
            raise ApiError(404, "user_not_found", "no such user")
        if state["erased_at"] is not None:
            raise ApiError(409, "user_erased", "this user's personal data was erased")
        row = await repository.insert_with_outbox(conn, user_id, data, idempotency_key)
        if row is not None:
            return row, True
        assert idempotency_key is not None
        earlier = await repository.by_idempotency_key(conn, user_id, idempotency_key)
    assert earlier is not None  # the conflict that stopped the insert is this row
    if any(earlier[field] != value for field, value in data.model_dump().items()):
        raise ApiError(
            409,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different transaction",
        )
    return earlier, False


def encode_cursor(row: dict[str, Any]) -> str:
    raw = f"{row['created_at'].isoformat()}|{row['id']}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        created_at, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created_at), UUID(row_id)
    except ValueError:
        raise ApiError(422, "invalid_cursor", "cursor is not one this API returned") from None


async def list_page(
    db: ShardSession, shard: Shard, user_id: int, limit: int, cursor: str | None
) -> dict[str, Any]:
    after = decode_cursor(cursor) if cursor else None
    async with db.read(shard) as conn:
        if await users.get(conn, user_id) is None:
            raise ApiError(404, "user_not_found", "no such user")
        rows = await repository.page(conn, user_id, limit + 1, after)
    more = len(rows) > limit
    items = rows[:limit]
    return {"items": items, "next_cursor": encode_cursor(items[-1]) if more else None}
