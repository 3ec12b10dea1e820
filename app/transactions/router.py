"""``/v1/users/{user_id}/transactions``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from app.dependencies import GuardedUser
from app.errors import ERROR_RESPONSES, ErrorBody
from app.transactions import service
from app.transactions.schemas import TransactionCreate, TransactionOut, TransactionPage

router = APIRouter(
    prefix="/v1/users/{user_id}/transactions", tags=["transactions"], responses=ERROR_RESPONSES
)


@router.post(
    "",
    status_code=201,
    response_model=TransactionOut,
    responses={
        200: {"model": TransactionOut, "description": "a retry: the transaction made before"},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody},
    },
    summary="Record a transaction; its audit PDF and central event follow via the outbox",
)
async def create_transaction(
    body: TransactionCreate,
    user: GuardedUser,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            pattern=r"^[A-Za-z0-9_.:-]{1,100}$",
            description="a retry with the same key returns the first result (200), once",
        ),
    ] = None,
) -> dict[str, Any]:
    row, created = await service.create(user.db, user.shard, user.user_id, body, idempotency_key)
    if not created:
        response.status_code = 200
    return row


@router.get("", response_model=TransactionPage, responses={404: {"model": ErrorBody}})
async def list_transactions(
    user: GuardedUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    return await service.list_page(user.db, user.shard, user.user_id, limit, cursor)
