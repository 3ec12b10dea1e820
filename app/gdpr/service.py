"""Erasure and export: the rules live here, not in the routes.

Erasure (Art. 17) nulls every personal column of the user and the free-text reference
of each of their transactions, and drops the per-user pseudonym key. The row, its ID and
the financial history (amounts, currencies, directions, dates) stay: the institution must
keep those. Running it again changes nothing and says so.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from app.db.router import ShardSession
from app.errors import ApiError
from app.shardmap import Shard
from app.transactions import repository as transactions
from app.users import repository as users

log = logging.getLogger("app.gdpr")

_SCRUB_USER = (
    "UPDATE users SET "  # noqa: S608  # constant columns
    + ", ".join(f"{col} = NULL" for col in users.PERSONAL_COLUMNS)
    + ", erased_at = now(), updated_at = now() WHERE id = %s AND erased_at IS NULL "
    "RETURNING erased_at"
)


async def erase(
    db: ShardSession, shard: Shard, user_id: int, *, role: str, request_id: str | None
) -> dict[str, Any]:
    async with db.write(shard) as conn:
        cur = await conn.execute(_SCRUB_USER, (user_id,))
        scrubbed = await cur.fetchone()
        if scrubbed is None:
            cur = await conn.execute("SELECT erased_at FROM users WHERE id = %s", (user_id,))
            existing = await cur.fetchone()
            if existing is None:
                raise ApiError(404, "user_not_found", "no such user")
            erased_at, already = existing["erased_at"], True
        else:
            erased_at, already = scrubbed["erased_at"], False
            await conn.execute(
                "INSERT INTO erasures (user_id, requested_by_role, request_id, erased_at) "
                "VALUES (%s, %s, %s, %s)",
                (user_id, role, request_id, erased_at),
            )
        # Also on a repeat: cheap, and it catches a reference written by any path that
        # skipped the erased check (transactions.create locks the user row against that).
        cur = await conn.execute(
            "UPDATE transactions SET reference = NULL WHERE user_id = %s AND reference IS NOT NULL",
            (user_id,),
        )
        count = cur.rowcount
    # Shard and counts only: the user ID is kept in the erasures table, not in logs.
    log.info(
        "erasure shard=%s already_erased=%s scrubbed_transactions=%d request_id=%s",
        shard.name,
        already,
        count,
        request_id,
    )
    return {
        "user_id": user_id,
        "erased_at": erased_at,
        "already_erased": already,
        "scrubbed_transactions": count,
    }


async def export(db: ShardSession, shard: Shard, user_id: int, jurisdiction: str) -> dict[str, Any]:
    """Everything the shard holds about the user, in one read transaction."""
    async with db.read(shard) as conn:
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        user = await users.get(conn, user_id)
        if user is None:
            raise ApiError(404, "user_not_found", "no such user")
        cur = await conn.execute(
            f"SELECT {transactions.COLUMNS} FROM transactions "  # noqa: S608
            "WHERE user_id = %s "
            "ORDER BY created_at, id",
            (user_id,),
        )
        rows = await cur.fetchall()
        cur = await conn.execute(
            "SELECT o.transaction_id, o.pdf_key, o.pdf_put_at AS delivered_at FROM outbox o "
            "JOIN transactions t ON t.id = o.transaction_id WHERE t.user_id = %s "
            "ORDER BY o.id",
            (user_id,),
        )
        audit_files = await cur.fetchall()
        cur = await conn.execute(
            "SELECT erased_at, requested_by_role FROM erasures WHERE user_id = %s", (user_id,)
        )
        erasure = await cur.fetchone()
    return {
        "exported_at": datetime.now(UTC),
        "jurisdiction": jurisdiction,
        "user": user,
        "transactions": rows,
        "audit_files": audit_files,
        "erasure": erasure,
    }
