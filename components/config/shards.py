"""``shards``: the jurisdiction's user-ID block and its cut into shards."""

from __future__ import annotations

from pydantic import Field

from app.shardmap import IdBlock, ShardMap, ShardMapError
from components.config.errors import ConfigError
from components.config.fields import Model


class ShardRange(Model):
    start: int = Field(ge=0)
    end: int = Field(ge=1)


class ShardsConfig(Model):
    id_block: ShardRange
    #: Either ``size`` and ``count`` (uniform layout) or explicit ``ranges``.
    size: int | None = Field(default=None, ge=1)
    count: int | None = Field(default=None, ge=1, le=256)
    ranges: tuple[ShardRange, ...] | None = None
    signup_shard: int | None = Field(default=None, ge=0)


def build_shard_map(jurisdiction: str, shards: ShardsConfig) -> ShardMap:
    block = IdBlock(shards.id_block.start, shards.id_block.end)
    uniform = shards.size is not None or shards.count is not None
    if uniform and shards.ranges is not None:
        raise ConfigError("shards.ranges", "set either size+count or ranges, not both")
    try:
        if shards.ranges is not None:
            return ShardMap.build(
                jurisdiction,
                block,
                [(r.start, r.end) for r in shards.ranges],
                signup_shard=shards.signup_shard,
            )
        if shards.size is None or shards.count is None:
            raise ConfigError("shards.size", "set both size and count, or explicit ranges")
        return ShardMap.uniform(
            jurisdiction, block, shards.size, shards.count, signup_shard=shards.signup_shard
        )
    except ShardMapError as exc:
        raise ConfigError(exc.key, exc.message) from None
