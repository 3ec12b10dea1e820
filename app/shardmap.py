"""The shard map: which user-ID range lives on which Aurora global database.

Single source of truth for the Pulumi program (validation, publishing) and the API
(routing). Ranges are half-open ``[start, end)``, contiguous, and inside the
jurisdiction's user-ID block, so a user's jurisdiction and shard follow from the ID alone.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class ShardMapError(ValueError):
    """A shard layout that must not be used. ``key`` names the offending entry."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class UserOutsideBlockError(LookupError):
    """The user ID belongs to no shard of this jurisdiction."""

    def __init__(self, user_id: int, block: IdBlock) -> None:
        super().__init__(f"user id {user_id} is outside this jurisdiction's block {block}")
        self.user_id = user_id


@dataclass(frozen=True, slots=True)
class IdBlock:
    """The jurisdiction's user-ID block ``[start, end)``."""

    start: int
    end: int

    def __contains__(self, user_id: object) -> bool:
        return isinstance(user_id, int) and self.start <= user_id < self.end

    def __str__(self) -> str:
        return f"[{self.start}, {self.end})"


@dataclass(frozen=True, slots=True)
class RegionEndpoints:
    """How the API reaches one shard in one region (filled in by the data tier)."""

    writer: str
    reader: str
    port: int = 5432
    database: str = "app"
    secret_arn: str | None = None


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    start: int
    end: int
    regions: Mapping[str, RegionEndpoints] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"shard-{self.index:02d}"

    @property
    def size(self) -> int:
        return self.end - self.start

    def __contains__(self, user_id: object) -> bool:
        return isinstance(user_id, int) and self.start <= user_id < self.end


@dataclass(frozen=True, slots=True)
class ShardMap:
    """A validated layout. Build with :meth:`build` or :meth:`from_dict`, never directly."""

    jurisdiction: str
    block: IdBlock
    shards: tuple[Shard, ...]
    signup_shard_index: int
    _starts: tuple[int, ...] = field(repr=False, compare=False)

    @classmethod
    def build(
        cls,
        jurisdiction: str,
        block: IdBlock,
        ranges: Sequence[tuple[int, int]],
        *,
        signup_shard: int | None = None,
        regions: Sequence[Mapping[str, RegionEndpoints]] | None = None,
        key: str = "shards",
    ) -> ShardMap:
        """Validate ``ranges`` and return the map; raise :class:`ShardMapError` otherwise.

        Rules: at least one range; each ``start < end``; the first starts at the block's
        start; each next one starts where the previous ended (no gap, no overlap); the
        last ends inside the block. Capacity after the last shard is allowed: it is
        where the next shard goes.
        """
        if not jurisdiction:
            raise ShardMapError("jurisdiction", "must not be empty")
        if block.start < 0 or block.end <= block.start:
            raise ShardMapError(
                f"{key}.idBlock", f"{block} is empty or negative; use 0 <= start < end"
            )
        if not ranges:
            raise ShardMapError(f"{key}.ranges", "at least one shard range is required")
        if regions is not None and len(regions) != len(ranges):
            raise ShardMapError(
                f"{key}.regions", f"{len(regions)} endpoint sets for {len(ranges)} shards"
            )
        shards: list[Shard] = []
        expected_start = block.start
        for i, (start, end) in enumerate(ranges):
            where = f"{key}.ranges[{i}]"
            if start >= end:
                raise ShardMapError(where, f"[{start}, {end}) is empty; start must be < end")
            if start < block.start or end > block.end:
                raise ShardMapError(
                    where, f"[{start}, {end}) is outside the jurisdiction's block {block}"
                )
            if start > expected_start:
                raise ShardMapError(
                    where,
                    f"gap: users [{expected_start}, {start}) belong to no shard; "
                    f"start this range at {expected_start}",
                )
            if start < expected_start:
                raise ShardMapError(
                    where,
                    f"overlap: [{start}, {expected_start}) is already in the previous "
                    f"range; start this range at {expected_start}",
                )
            shards.append(
                Shard(index=i, start=start, end=end, regions=dict(regions[i]) if regions else {})
            )
            expected_start = end
        signup = len(shards) - 1 if signup_shard is None else signup_shard
        if not 0 <= signup < len(shards):
            raise ShardMapError(
                f"{key}.signupShard", f"{signup} is not a shard index (0..{len(shards) - 1})"
            )
        return cls(
            jurisdiction=jurisdiction,
            block=block,
            shards=tuple(shards),
            signup_shard_index=signup,
            _starts=tuple(s.start for s in shards),
        )

    @classmethod
    def uniform(
        cls,
        jurisdiction: str,
        block: IdBlock,
        size: int,
        count: int,
        *,
        signup_shard: int | None = None,
        key: str = "shards",
    ) -> ShardMap:
        """``count`` shards of ``size`` users each, from the block's start."""
        if size <= 0:
            raise ShardMapError(f"{key}.size", f"{size} must be a positive number of users")
        if count <= 0:
            raise ShardMapError(f"{key}.count", f"{count} must be at least 1")
        if count * size > block.end - block.start:
            raise ShardMapError(
                f"{key}.count",
                f"{count} shards of {size} users need {count * size} IDs but the block "
                f"{block} has {block.end - block.start}; enlarge the block or use fewer shards",
            )
        ranges = [(block.start + i * size, block.start + (i + 1) * size) for i in range(count)]
        return cls.build(jurisdiction, block, ranges, signup_shard=signup_shard, key=key)

    @property
    def covered(self) -> IdBlock:
        """The IDs that have a shard today: ``[first.start, last.end)``."""
        return IdBlock(self.shards[0].start, self.shards[-1].end)

    @property
    def signup_shard(self) -> Shard:
        return self.shards[self.signup_shard_index]

    def owns(self, user_id: int) -> bool:
        """True when ``user_id`` belongs to this jurisdiction's block."""
        return user_id in self.block

    def lookup(self, user_id: int) -> Shard:
        """The shard holding ``user_id``, in O(log n).

        Raises :class:`UserOutsideBlockError` when no shard holds it (another
        jurisdiction's ID, or block capacity not yet given to a shard).
        """
        i = bisect.bisect_right(self._starts, user_id) - 1
        if i >= 0:
            shard = self.shards[i]
            if user_id < shard.end:
                return shard
        raise UserOutsideBlockError(user_id, self.block)

    def with_endpoints(self, regions: Sequence[Mapping[str, RegionEndpoints]]) -> ShardMap:
        """The same layout with per-region endpoints attached to each shard."""
        return ShardMap.build(
            self.jurisdiction,
            self.block,
            [(s.start, s.end) for s in self.shards],
            signup_shard=self.signup_shard_index,
            regions=regions,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "idBlock": {"start": self.block.start, "end": self.block.end},
            "signupShard": self.signup_shard_index,
            "shards": [
                {
                    "index": s.index,
                    "name": s.name,
                    "start": s.start,
                    "end": s.end,
                    "regions": {
                        region: {
                            "writer": ep.writer,
                            "reader": ep.reader,
                            "port": ep.port,
                            "database": ep.database,
                            "secretArn": ep.secret_arn,
                        }
                        for region, ep in sorted(s.regions.items())
                    },
                }
                for s in self.shards
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ShardMap:
        """Parse a published shard map; raises :class:`ShardMapError` on any defect."""
        try:
            block = IdBlock(int(doc["idBlock"]["start"]), int(doc["idBlock"]["end"]))
            shard_docs: Iterable[Mapping[str, Any]] = doc["shards"]
            ranges: list[tuple[int, int]] = []
            regions: list[dict[str, RegionEndpoints]] = []
            for s in shard_docs:
                ranges.append((_strict_int(s["start"]), _strict_int(s["end"])))
                regions.append(
                    {
                        region: RegionEndpoints(
                            writer=str(ep["writer"]),
                            reader=str(ep["reader"]),
                            port=int(ep.get("port", 5432)),
                            database=str(ep.get("database", "app")),
                            secret_arn=ep.get("secretArn"),
                        )
                        for region, ep in dict(s.get("regions") or {}).items()
                    }
                )
            signup = doc.get("signupShard")
            return cls.build(
                str(doc["jurisdiction"]),
                block,
                ranges,
                signup_shard=None if signup is None else int(signup),
                regions=regions,
            )
        except ShardMapError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ShardMapError("shardMap", f"malformed document: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> ShardMap:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ShardMapError("shardMap", f"not JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise ShardMapError("shardMap", "must be a JSON object")
        return cls.from_dict(doc)


def _strict_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShardMapError("shardMap", f"range bound {value!r} is not an integer")
    return value
