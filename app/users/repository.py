"""SQL for the users table. Column names come from fixed tuples, never from input."""

from __future__ import annotations

import os
from typing import Any

from psycopg import sql

from app.db.router import Conn
from app.users.schemas import UserCreate

#: Every column of ``users`` that holds personal data: erasure nulls exactly these, and
#: the schema's CHECK constraint refuses an erased row that still has one.
PERSONAL_COLUMNS: tuple[str, ...] = (
    "email",
    "full_name",
    "phone",
    "date_of_birth",
    "address",
    "pseudonym_key",
)
PUBLIC_COLUMNS = (
    "id, email, full_name, phone, date_of_birth, address, created_at, updated_at, erased_at"
)
_GET = f"SELECT {PUBLIC_COLUMNS} FROM users WHERE id = %s"  # noqa: S608  # constant columns
_UPDATABLE = frozenset({"email", "full_name", "phone", "date_of_birth", "address"})


async def insert(conn: Conn, data: UserCreate) -> dict[str, Any]:
    cur = await conn.execute(
        "INSERT INTO users "  # noqa: S608  # constant columns; values are bound
        "(email, full_name, phone, date_of_birth, address, pseudonym_key) "
        f"VALUES (%s, %s, %s, %s, %s, %s) RETURNING {PUBLIC_COLUMNS}",
        (
            data.email,
            data.full_name,
            data.phone,
            data.date_of_birth,
            data.address,
            os.urandom(32),  # per-user pseudonym key; erasure drops it
        ),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def get(conn: Conn, user_id: int) -> dict[str, Any] | None:
    cur = await conn.execute(_GET, (user_id,))
    return await cur.fetchone()


async def lock_state(conn: Conn, user_id: int) -> dict[str, Any] | None:
    """The user's erasure state, locked against a concurrent erasure until commit."""
    cur = await conn.execute("SELECT erased_at FROM users WHERE id = %s FOR SHARE", (user_id,))
    return await cur.fetchone()


async def update(conn: Conn, user_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    unknown = set(changes) - _UPDATABLE
    if unknown or not changes:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(col), sql.Placeholder(col)) for col in changes
    )
    query = sql.SQL(
        "UPDATE users SET {}, updated_at = now() "  # noqa: S608  # constant columns
        "WHERE id = %(user_id)s AND erased_at IS NULL "
        "RETURNING " + PUBLIC_COLUMNS
    ).format(assignments)
    cur = await conn.execute(query, {**changes, "user_id": user_id})
    return await cur.fetchone()
