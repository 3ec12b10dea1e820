"""What every request handler shares, built once per process by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.tokens import TokenVerifier
from app.db.router import ShardRouter
from app.residency.guard import ResidencyGuard
from app.settings import Settings
from app.shardmap import ShardMap


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    shard_map: ShardMap
    router: ShardRouter
    guard: ResidencyGuard
    verifier: TokenVerifier
