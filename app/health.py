"""Liveness, readiness and the shards' own state, kept apart on purpose.

- ``/v1/health`` (liveness probe): the process answers.
- ``/v1/ready`` (readiness probe and the load balancer's health check): this pod can serve,
  i.e. it has started and probed every shard endpoint once. A shard that is down does not
  make the pod unready: its users get fast 503s, everyone else is served; taking every pod
  out of the load balancer for one shard's outage would fail them all.
- ``/v1/health/shards``: each shard endpoint's state, since when and why; for dashboards
  and people. Transitions are also logged by ``app.db.shards``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.db.router import DbRole
from app.dependencies import Context

router = APIRouter(prefix="/v1", tags=["health"])


class Health(BaseModel):
    status: str
    jurisdiction: str


class Readiness(BaseModel):
    status: str  # "ok" or "starting"
    shards_serving: int
    shards_total: int


class EndpointStatus(BaseModel):
    state: str  # unknown, up, down, wrong_shard
    since: datetime
    reason: str | None


class ShardStatus(BaseModel):
    writer: EndpointStatus
    reader: EndpointStatus


class ShardsHealth(BaseModel):
    status: str  # "ok" when every endpoint is up, else "degraded"
    shards: dict[str, ShardStatus]


@router.get("/health", response_model=Health)
async def health(ctx: Context) -> dict[str, str]:
    return {"status": "ok", "jurisdiction": ctx.shard_map.jurisdiction}


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(ctx: Context) -> Any:
    endpoints = ctx.router.endpoints()
    started = all(e.probed_once.is_set() for e in endpoints.values())
    serving = {
        index for index, _ in endpoints if all(endpoints[(index, role)].serving for role in DbRole)
    }
    body = {
        "status": "ok" if started else "starting",
        "shards_serving": len(serving),
        "shards_total": len(ctx.shard_map.shards),
    }
    return body if started else JSONResponse(body, status_code=503)


@router.get("/health/shards", response_model=ShardsHealth)
async def shards(ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    all_up = True
    for shard in ctx.shard_map.shards:
        roles: dict[str, Any] = {}
        for role in DbRole:
            endpoint = ctx.router.endpoint(shard, role)
            all_up &= endpoint.state.value == "up"
            roles[role.value] = {
                "state": endpoint.state.value,
                "since": datetime.fromtimestamp(endpoint.since, UTC),
                "reason": endpoint.reason,
            }
        out[shard.name] = roles
    return {"status": "ok" if all_up else "degraded", "shards": out}
