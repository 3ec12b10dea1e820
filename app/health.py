"""Liveness (the process answers) and readiness (every shard answers, and is the shard
the map says it is)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.db.router import DbRole
from app.dependencies import Context
from app.shardmap import Shard

router = APIRouter(prefix="/v1", tags=["health"])


class Health(BaseModel):
    status: str
    jurisdiction: str


class Readiness(BaseModel):
    status: str
    shards: dict[str, str]


@router.get("/health", response_model=Health)
async def health(ctx: Context) -> dict[str, str]:
    return {"status": "ok", "jurisdiction": ctx.shard_map.jurisdiction}


async def _check(ctx: Context, shard: Shard) -> str:
    try:
        for role in (DbRole.WRITER, DbRole.READER):
            async with ctx.router.pool(shard, role).connection(timeout=2) as conn:
                cur = await conn.execute(
                    "SELECT jurisdiction, id_start, id_end FROM shard_identity"
                )
                row = await cur.fetchone()
            expected = {
                "jurisdiction": ctx.shard_map.jurisdiction,
                "id_start": shard.start,
                "id_end": shard.end,
            }
            if row != expected:
                return f"{role} holds another shard"
    except Exception as exc:  # any failure means "not ready"; the class says enough
        return f"unavailable ({type(exc).__name__})"
    return "ok"


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(ctx: Context) -> Any:
    shards = ctx.shard_map.shards
    results = await asyncio.gather(*(_check(ctx, s) for s in shards))
    status = dict(zip((s.name for s in shards), results, strict=True))
    ok = all(r == "ok" for r in results)
    body = {"status": "ok" if ok else "unavailable", "shards": status}
    return body if ok else JSONResponse(body, status_code=503)
