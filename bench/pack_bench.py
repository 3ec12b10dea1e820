"""The policy pack's time on each stack's offline preview, in total and per resource.

    python -m bench.pack_bench                  # eu and us, 5 timed runs each
    python -m bench.pack_bench --stacks eu --runs 10

The program runs once per stack under mocks (``tools.preview.collect``, not timed). Then,
per run, the pack is timed two ways through the analyzer protocol
(``tools.policy_client``): **cold** = start the pack process as the engine does, configure
it with the stack's policy config, ``Analyze`` every resource and ``AnalyzeStack`` once,
stop it; **warm** = the same analysis on an already running, configured process (what the
pack itself costs once Python and the SDK are loaded). Prints medians; exits non-zero on a
mandatory violation. Goal: warm analysis of a ~400-resource stack in at most 1.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from tools.policy_client import PolicyPackProcess, load_policy_config
from tools.preview import PACK_DIR, PROJECT, PROJECT_DIR, collect, engine_config, read_stack_file
from tools.stacks import stack_names

GOAL_S = 1.5


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pack_bench")
    stacks = list(stack_names())
    parser.add_argument("--stacks", nargs="+", default=stacks, choices=stacks)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    print(
        f"{'stack':<6}{'resources':>10}{'rules':>7}{'cold s':>9}{'warm s':>9}"
        f"{'warm ms/res':>13}{'violations':>12}"
    )
    worst = 0.0
    for stack in args.stacks:
        stack_config = read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml")
        result = collect(stack, stack_config)
        records = result.resources
        policy_config = load_policy_config(PACK_DIR / "config" / "pack.json")
        engine = engine_config(stack_config)

        def process(stack: str = stack, engine: dict[str, str] = engine) -> PolicyPackProcess:
            return PolicyPackProcess(PACK_DIR, project=PROJECT, stack=stack, stack_config=engine)

        colds: list[float] = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with process() as pack:
                pack.configure(policy_config)
                pack.analyze(records)
            colds.append(time.perf_counter() - started)

        warms: list[float] = []
        with process() as pack:
            pack.configure(policy_config)
            rules = len(pack.info.policies) if pack.info is not None else 0
            violations = pack.analyze(records)  # untimed warm-up
            for _ in range(args.runs):
                started = time.perf_counter()
                pack.analyze(records)
                warms.append(time.perf_counter() - started)

        mandatory = [v for v in violations if v.level == "mandatory"]
        warm = statistics.median(warms)
        worst = max(worst, warm)
        print(
            f"{stack:<6}{len(records):>10}{rules:>7}{statistics.median(colds):>9.2f}"
            f"{warm:>9.2f}{1000 * warm / len(records):>13.2f}{len(violations):>12}"
        )
        if mandatory:
            raise SystemExit(f"{stack}: {len(mandatory)} mandatory violations")
    print(f"goal: warm <= {GOAL_S} s per stack; worst {worst:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
