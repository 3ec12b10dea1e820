"""User rules: sign-up on the open shard, erased users stay read-only."""

from __future__ import annotations

from typing import Any

from psycopg import errors

from app.db.router import ShardSession
from app.errors import ApiError
from app.shardmap import Shard
from app.users import repository
from app.users.schemas import UserCreate, UserUpdate

_ID_RETRIES = 5
_EMAIL_TAKEN = ApiError(409, "email_taken", "a user with this e-mail address already exists")


async def sign_up(db: ShardSession, shard: Shard, data: UserCreate) -> dict[str, Any]:
    # An ID the sequence hands out can already be taken by a row imported with an explicit
    # ID; the next value is then tried, a bounded number of times.
    for _ in range(_ID_RETRIES):
        try:
            async with db.write(shard) as conn:
                return await repository.insert(conn, data)
        except errors.UniqueViolation as exc:
            if exc.diag.constraint_name != "users_pkey":
                raise _EMAIL_TAKEN from None
        except errors.SequenceGeneratorLimitExceeded:
            # The open shard's ID range is used up: ops must open the next shard.
            raise ApiError(
                503, "signup_shard_full", "sign-ups are paused until the next shard opens"
            ) from None
    raise ApiError(503, "signup_id_conflict", "no free user ID found; try again")


async def get(db: ShardSession, shard: Shard, user_id: int) -> dict[str, Any]:
    async with db.read(shard) as conn:
        row = await repository.get(conn, user_id)
    if row is None:
        raise ApiError(404, "user_not_found", "no such user")
    return row


async def update(db: ShardSession, shard: Shard, user_id: int, data: UserUpdate) -> dict[str, Any]:
    changes = data.model_dump(include=data.model_fields_set)
    state: dict[str, Any] | None = None
    try:
        async with db.write(shard) as conn:
            row = await repository.update(conn, user_id, changes)
            if row is None:
                state = await repository.lock_state(conn, user_id)
    except errors.UniqueViolation:
        raise _EMAIL_TAKEN from None
    if row is None:
        if state is None:
            raise ApiError(404, "user_not_found", "no such user")
        raise ApiError(409, "user_erased", "this user's personal data was erased")
    return row
