"""Load the published shard map (inline JSON, a file, or the SSM parameter) and check it
fits this deployment."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from app.shardmap import ShardMap, ShardMapError


def load_shard_map(settings: Settings) -> ShardMap:
    source = settings.shard_map
    if source.startswith("file:"):
        text = Path(source.removeprefix("file:")).read_text()
    elif source.startswith("ssm:"):
        from app.aws import client

        ssm = client("ssm", settings)
        name = source.removeprefix("ssm:")
        text = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    else:
        text = source
    shard_map = ShardMap.from_json(text)
    check_fits(shard_map, settings)
    return shard_map


def check_fits(shard_map: ShardMap, settings: Settings) -> None:
    """Refuse to start with another jurisdiction's map or a shard this region cannot reach."""
    if shard_map.jurisdiction != settings.jurisdiction:
        raise ShardMapError(
            "shardMap.jurisdiction",
            f"map is for {shard_map.jurisdiction!r} but this API serves "
            f"{settings.jurisdiction!r}; point GDPR_API_SHARD_MAP at the right map",
        )
    for shard in shard_map.shards:
        for region, role in ((settings.primary_region, "writer"), (settings.region, "reader")):
            if region not in shard.regions:
                raise ShardMapError(
                    f"shards[{shard.index}].regions",
                    f"no endpoints for {region} (needed for the {role}); "
                    f"the map lists {sorted(shard.regions) or 'none'}",
                )
