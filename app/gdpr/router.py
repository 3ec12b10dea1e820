"""``/v1/users/{user_id}/export`` and ``/v1/users/{user_id}/erasure``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from app.dependencies import GuardedUser
from app.errors import ERROR_RESPONSES, ErrorBody
from app.gdpr import service
from app.gdpr.schemas import ErasureOut, ExportOut

router = APIRouter(prefix="/v1/users/{user_id}", tags=["gdpr"], responses=ERROR_RESPONSES)


@router.get(
    "/export",
    response_model=ExportOut,
    responses={404: {"model": ErrorBody}},
    summary="All of the user's data as JSON (GDPR Art. 15 and 20)",
)
async def export_user(user: GuardedUser, response: Response) -> dict[str, Any]:
    response.headers["content-disposition"] = (
        f'attachment; filename="user-{user.user_id}-export.json"'
    )
    return await service.export(user.db, user.shard, user.user_id, user.jurisdiction)


@router.post(
    "/erasure",
    response_model=ErasureOut,
    responses={404: {"model": ErrorBody}},
    summary="Erase the user's personal data, keep the record and its financial history "
    "(GDPR Art. 17); idempotent",
)
async def erase_user(user: GuardedUser, request: Request) -> dict[str, Any]:
    return await service.erase(
        user.db,
        user.shard,
        user.user_id,
        role=str(user.principal.role),
        request_id=getattr(request.state, "request_id", None),
    )
