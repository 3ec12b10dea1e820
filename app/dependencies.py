"""FastAPI dependencies as ``Annotated`` aliases.

Order matters and is the point: ``CurrentPrincipal`` verifies the token, ``GuardedUser``
runs the residency guard, and only then may a handler ask ``Db`` for a connection.
None of these takes a connection itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.tokens import Principal, TokenError
from app.context import AppContext
from app.db.router import ShardSession
from app.errors import ApiError
from app.shardmap import Shard

_bearer = HTTPBearer(auto_error=False, description="JWT from the identity provider")


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Context = Annotated[AppContext, Depends(get_context)]


async def current_principal(
    ctx: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise ApiError(401, "missing_token", "send 'Authorization: Bearer <token>'")
    try:
        return await ctx.verifier.verify(credentials.credentials)
    except TokenError as exc:
        raise ApiError(401, "invalid_token", exc.message) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True, slots=True)
class ShardUser:
    """A user ID the guard has let through, with the shard that holds it."""

    user_id: int
    shard: Shard
    principal: Principal


async def guarded_user(
    ctx: Context,
    principal: CurrentPrincipal,
    user_id: Annotated[int, Path(ge=0, le=2**63 - 1, description="the user's ID")],
) -> ShardUser:
    shard = ctx.guard.check_user(principal, user_id)
    return ShardUser(user_id=user_id, shard=shard, principal=principal)


GuardedUser = Annotated[ShardUser, Depends(guarded_user)]


async def operator(ctx: Context, principal: CurrentPrincipal) -> Principal:
    ctx.guard.require_operator(principal)
    return principal


Operator = Annotated[Principal, Depends(operator)]


def shard_session(ctx: Context) -> ShardSession:
    """A router view for this request; taking it opens no connection."""
    return ctx.router.session()


Db = Annotated[ShardSession, Depends(shard_session)]
