"""``/v1/users``: sign-up (operators), read and update (the user or an operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.dependencies import GuardedUser, Operator
from app.errors import ERROR_RESPONSES, ErrorBody
from app.users import service
from app.users.schemas import UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/v1/users", tags=["users"], responses=ERROR_RESPONSES)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}


@router.post(
    "",
    status_code=201,
    response_model=UserOut,
    responses={409: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    summary="Sign up a user on the shard open for sign-ups",
)
async def create_user(body: UserCreate, call: Operator) -> dict[str, Any]:
    return await service.sign_up(call.db, call.ctx.shard_map.signup_shard, body)


@router.get("/{user_id}", response_model=UserOut, responses=_NOT_FOUND)
async def read_user(user: GuardedUser) -> dict[str, Any]:
    return await service.get(user.db, user.shard, user.user_id)


@router.patch(
    "/{user_id}", response_model=UserOut, responses={**_NOT_FOUND, 409: {"model": ErrorBody}}
)
async def update_user(body: UserUpdate, user: GuardedUser) -> dict[str, Any]:
    return await service.update(user.db, user.shard, user.user_id, body)
