"""Offline preview wall time and resource count for 4, 16 and 64 shards per stack.

    python -m bench.preview_bench                 # both stacks, 3 timed runs each
    python -m bench.preview_bench --stacks eu --shards 64 --runs 5

Each layout is the stack file with ``shards.count`` changed (and ``shards.size`` shrunk when
the jurisdiction's ID block would not hold that many shards of the configured size). Runs
in-process through ``tools.preview.collect``; one untimed warm-up run absorbs imports.
Prints a table: medians of the timed runs, wall clock and this process's CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from tools.preview import PROJECT_DIR, collect, read_stack_file


def layout(stack: str, shards: int) -> dict[str, Any]:
    config = read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml")
    section = dict(config["gdpr-platform:shards"])
    block = section["idBlock"]["end"] - section["idBlock"]["start"]
    section["count"] = shards
    section["size"] = min(int(section.get("size") or block), block // shards)
    config["gdpr-platform:shards"] = section
    return config


def measure(stack: str, shards: int, runs: int) -> tuple[float, float, int]:
    """``(median wall s, median CPU s, resources)``; CPU is steadier on a busy machine."""
    config = layout(stack, shards)
    walls: list[float] = []
    cpus: list[float] = []
    count = 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = collect(stack, config)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        count = len(result.resources)
    return statistics.median(walls), statistics.median(cpus), count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.preview_bench")
    parser.add_argument("--stacks", nargs="+", default=["eu", "us"], choices=["eu", "us"])
    parser.add_argument("--shards", nargs="+", type=int, default=[4, 16, 64])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    collect(args.stacks[0], layout(args.stacks[0], 1))  # warm-up: imports, SDK caches
    print(f"{'stack':<6}{'shards':>7}{'resources':>11}{'wall s':>9}{'cpu s':>8}{'ms/res':>8}")
    for stack in args.stacks:
        for shards in args.shards:
            wall, cpu, count = measure(stack, shards, args.runs)
            per = 1000 * wall / count
            print(f"{stack:<6}{shards:>7}{count:>11}{wall:>9.2f}{cpu:>8.2f}{per:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
