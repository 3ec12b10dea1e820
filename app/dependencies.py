"""FastAPI dependencies as ``Annotated`` aliases.

Order is the point: ``GuardedUser`` verifies the token and runs the residency guard, and
only then does a handler take a connection, through the ``db`` session it returns (a
session opens none by itself). No dependency here touches a database.

Kept deliberately flat, one dependency per route besides the bearer scheme: each FastAPI
dependency costs tens of microseconds per request, and the benchmark's full path pays
them on every call (see bench/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.tokens import KeySourceUnavailable, Principal, TokenError
from app.context import AppContext
from app.db.router import ShardSession
from app.errors import ApiError
from app.shardmap import Shard

_bearer = HTTPBearer(auto_error=False, description="JWT from the identity provider")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def context_of(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


# ``async def`` throughout: FastAPI runs a plain ``def`` dependency in its thread pool.
async def get_context(request: Request) -> AppContext:
    return context_of(request)


Context = Annotated[AppContext, Depends(get_context)]


async def _authenticate(
    ctx: AppContext, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None:
        raise ApiError(401, "missing_token", "send 'Authorization: Bearer <token>'")
    try:
        return await ctx.verifier.verify(credentials.credentials)
    except TokenError as exc:
        raise ApiError(401, "invalid_token", exc.message) from None
    except KeySourceUnavailable:
        raise ApiError(503, "auth_unavailable", "token keys cannot be fetched; retry") from None


@dataclass(frozen=True, slots=True)
class ShardUser:
    """A user ID the guard has let through, the shard that holds it, and the request's
    database session (which has not taken a connection yet)."""

    user_id: int
    shard: Shard
    principal: Principal
    db: ShardSession
    jurisdiction: str


async def guarded_user(
    request: Request,
    credentials: Bearer,
    user_id: Annotated[int, Path(ge=0, le=2**63 - 1, description="the user's ID")],
) -> ShardUser:
    ctx = context_of(request)
    principal = await _authenticate(ctx, credentials)
    shard = ctx.guard.check_user(principal, user_id)
    return ShardUser(user_id, shard, principal, ctx.router.session(), ctx.shard_map.jurisdiction)


GuardedUser = Annotated[ShardUser, Depends(guarded_user)]


@dataclass(frozen=True, slots=True)
class OperatorCall:
    principal: Principal
    ctx: AppContext
    db: ShardSession


async def operator(request: Request, credentials: Bearer) -> OperatorCall:
    ctx = context_of(request)
    principal = await _authenticate(ctx, credentials)
    ctx.guard.require_operator(principal)
    return OperatorCall(principal, ctx, ctx.router.session())


Operator = Annotated[OperatorCall, Depends(operator)]
