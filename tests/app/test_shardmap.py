"""The shard map: lookups agree with a linear scan; every invalid layout is refused."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.shardmap import (
    IdBlock,
    RegionEndpoints,
    ShardMap,
    ShardMapError,
    UserOutsideBlockError,
)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[IdBlock, list[tuple[int, int]]]:
    start = draw(st.integers(min_value=0, max_value=10**9))
    sizes = draw(st.lists(st.integers(min_value=1, max_value=10**4), min_size=1, max_size=64))
    spare = draw(st.integers(min_value=0, max_value=10**6))
    ranges = []
    cursor = start
    for size in sizes:
        ranges.append((cursor, cursor + size))
        cursor += size
    return IdBlock(start, cursor + spare), ranges


def linear_scan(ranges: list[tuple[int, int]], user_id: int) -> int | None:
    for i, (start, end) in enumerate(ranges):
        if start <= user_id < end:
            return i
    return None


@given(layouts(), st.data())
def test_lookup_agrees_with_linear_scan(
    layout: tuple[IdBlock, list[tuple[int, int]]], data: st.DataObject
) -> None:
    block, ranges = layout
    shard_map = ShardMap.build("eu", block, ranges)
    bounds = [b for r in ranges for b in r]
    near_bounds = st.sampled_from(bounds).flatmap(
        lambda b: st.integers(min_value=max(0, b - 2), max_value=b + 2)
    )
    anywhere = st.integers(min_value=0, max_value=block.end + 10)
    for user_id in data.draw(st.lists(st.one_of(near_bounds, anywhere), min_size=1)):
        expected = linear_scan(ranges, user_id)
        if expected is None:
            with pytest.raises(UserOutsideBlockError):
                shard_map.lookup(user_id)
        else:
            assert shard_map.lookup(user_id).index == expected


@given(layouts(), st.data())
def test_gap_or_overlap_is_refused(
    layout: tuple[IdBlock, list[tuple[int, int]]], data: st.DataObject
) -> None:
    block, ranges = layout
    if len(ranges) < 2:
        ranges = [*ranges, (ranges[-1][1], ranges[-1][1] + 1)]
        block = IdBlock(block.start, max(block.end, ranges[-1][1]))
    i = data.draw(st.integers(min_value=1, max_value=len(ranges) - 1))
    prev_start, _ = ranges[i - 1]
    start, end = ranges[i]
    # Any other start strictly inside the neighbours opens a gap or an overlap.
    candidates = [b for b in range(prev_start + 1, end) if b != start]
    assume(candidates)
    new_start = data.draw(st.sampled_from(candidates))
    broken = list(ranges)
    broken[i] = (new_start, end)
    with pytest.raises(ShardMapError) as err:
        ShardMap.build("eu", block, broken)
    assert err.value.key == f"shards.ranges[{i}]"
    assert ("gap" if new_start > start else "overlap") in err.value.message


@given(layouts(), st.integers(min_value=1, max_value=1000))
def test_range_past_the_block_is_refused(
    layout: tuple[IdBlock, list[tuple[int, int]]], excess: int
) -> None:
    block, ranges = layout
    last_start = ranges[-1][0]
    broken = [*ranges[:-1], (last_start, block.end + excess)]
    with pytest.raises(ShardMapError, match="outside the jurisdiction's block"):
        ShardMap.build("eu", block, broken)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=10))
def test_empty_range_is_refused(start: int, width: int) -> None:
    with pytest.raises(ShardMapError, match="empty"):
        ShardMap.build("eu", IdBlock(0, 10**7), [(0, start), (start, start - width)])


def test_seed_layout_boundaries() -> None:
    shard_map = ShardMap.uniform("eu", IdBlock(0, 1_000_000), size=30_000, count=4)
    assert [(s.start, s.end) for s in shard_map.shards] == [
        (0, 30_000),
        (30_000, 60_000),
        (60_000, 90_000),
        (90_000, 120_000),
    ]
    for shard in shard_map.shards:
        assert shard_map.lookup(shard.start) == shard
        assert shard_map.lookup(shard.end - 1) == shard
    assert shard_map.lookup(30_000).index == 1
    with pytest.raises(UserOutsideBlockError):
        shard_map.lookup(120_000)
    assert shard_map.owns(120_000)
    assert not shard_map.owns(1_000_000)
    assert shard_map.signup_shard.index == 3


def test_first_range_must_start_at_block_start() -> None:
    with pytest.raises(ShardMapError, match=r"gap: users \[0, 5\)"):
        ShardMap.build("eu", IdBlock(0, 100), [(5, 10)])


def test_uniform_layout_larger_than_block_is_refused() -> None:
    with pytest.raises(ShardMapError) as err:
        ShardMap.uniform("us", IdBlock(0, 100_000), size=30_000, count=4)
    assert err.value.key == "shards.count"


def test_signup_shard_must_exist() -> None:
    with pytest.raises(ShardMapError) as err:
        ShardMap.build("eu", IdBlock(0, 10), [(0, 5)], signup_shard=1)
    assert err.value.key == "shards.signupShard"


def test_json_round_trip_keeps_endpoints() -> None:
    base = ShardMap.uniform("us", IdBlock(1_000_000, 2_000_000), size=30_000, count=2)
    endpoints = [
        {
            "us-east-1": RegionEndpoints("w0.east", "r0.east", secret_arn="arn:s0"),
            "us-west-2": RegionEndpoints("w0.east", "r0.west"),
        },
        {"us-east-1": RegionEndpoints("w1.east", "r1.east", port=5433, database="shard1")},
    ]
    published = base.with_endpoints(endpoints)
    parsed = ShardMap.from_json(published.to_json())
    assert parsed == published
    assert parsed.shards[0].regions["us-west-2"].reader == "r0.west"
    assert parsed.shards[1].regions["us-east-1"].port == 5433


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"jurisdiction": "eu"}',
        '{"jurisdiction": "eu", "idBlock": {"start": 0, "end": 10},'
        ' "shards": [{"start": "0", "end": 5}]}',
        '{"jurisdiction": "eu", "idBlock": {"start": 0, "end": 10},'
        ' "shards": [{"start": 0, "end": 5}, {"start": 4, "end": 8}]}',
    ],
)
def test_malformed_documents_are_refused(text: str) -> None:
    with pytest.raises(ShardMapError):
        ShardMap.from_json(text)
