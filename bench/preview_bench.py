"""Offline preview wall time and resource count for 4, 16 and 64 shards per stack.

    python -m bench.preview_bench                 # both stacks, 3 timed runs each
    python -m bench.preview_bench --stacks eu --shards 64 --runs 5

Each layout is the stack file with ``shards.count`` changed (and ``shards.size`` shrunk when
the jurisdiction's ID block would not hold that many shards of the configured size). Runs
in-process through ``tools.preview.collect``; one untimed warm-up run absorbs imports.
Prints a table: medians of the timed runs, wall clock and this process's CPU time for the
program under mocks, then the policy pack's wall time (its own process, started per run
as the engine does) and the sum. Exits non-zero if a layout has a mandatory violation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from tools.preview import PROJECT_DIR, check_policies, collect, read_stack_file
from tools.stacks import stack_names


def layout(stack: str, shards: int) -> dict[str, Any]:
    config = read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml")
    section = dict(config["gdpr-platform:shards"])
    block = section["idBlock"]["end"] - section["idBlock"]["start"]
    section["count"] = shards
    section["size"] = min(int(section.get("size") or block), block // shards)
    config["gdpr-platform:shards"] = section
    return config


def measure(stack: str, shards: int, runs: int, pack: bool) -> tuple[float, float, float, int]:
    """``(median wall s, median CPU s, median pack wall s, resources)``.

    CPU is this process's only, steadier on a busy machine; the pack runs in its own
    process (started per run, as the engine does), so only its wall time is measured.
    """
    config = layout(stack, shards)
    walls: list[float] = []
    cpus: list[float] = []
    packs: list[float] = []
    count = 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = collect(stack, config)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        count = len(result.resources)
        if pack:
            started = time.perf_counter()
            check_policies(result, config)
            packs.append(time.perf_counter() - started)
            mandatory = [v for v in result.violations if v["level"] == "mandatory"]
            if mandatory:
                raise SystemExit(f"{stack}/{shards} shards: {len(mandatory)} mandatory violations")
    return (
        statistics.median(walls),
        statistics.median(cpus),
        statistics.median(packs or [0.0]),
        count,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.preview_bench")
    parser.add_argument("--stacks", nargs="+", default=list(stack_names()), choices=stack_names())
    parser.add_argument("--shards", nargs="+", type=int, default=[4, 16, 64])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pack", action="store_true", help="skip the policy pack")
    args = parser.parse_args(argv)

    collect(args.stacks[0], layout(args.stacks[0], 1))  # warm-up: imports, SDK caches
    print(
        f"{'stack':<6}{'shards':>7}{'resources':>11}{'wall s':>9}{'cpu s':>8}{'ms/res':>8}"
        f"{'pack s':>9}{'total s':>9}"
    )
    for stack in args.stacks:
        for shards in args.shards:
            wall, cpu, pack, count = measure(stack, shards, args.runs, not args.no_pack)
            per = 1000 * wall / count
            print(
                f"{stack:<6}{shards:>7}{count:>11}{wall:>9.2f}{cpu:>8.2f}{per:>8.1f}"
                f"{pack:>9.2f}{wall + pack:>9.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
