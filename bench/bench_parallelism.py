"""Work W, span S and parallelism W/S of a selection, with Brent's projection to many cores.

    python bench/bench_parallelism.py ../shared/data/pool_real_5k.json --budget 500 \
        --k1 2000 --k2 200 --k3 100 --threads 1 2

The engine measures both (``SelectionResult.work_seconds``/``span_seconds``, per stage and per
round too): W is every evaluation's time plus the serial time around the parallel passes, S the
serial time plus each pass's longest evaluation. Brent's bound gives T_p <= W/p + S on p cores,
so W/S is the most cores the run can use. For each thread count run here, the table checks the
model against the clock (projected W/p + S against the measured wall time), then projects the
time and efficiency, W / (p (W/p + S)), at 16, 64 and 128 cores. W and S are measured on one
machine: a core of another speed scales both alike, so W/S and the efficiencies carry over.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts  # noqa: E402
from selection_args import best_per_thread_count, load_pool, thread_sweep_args  # noqa: E402

import zipcore  # noqa: E402

PROJECTED_CORES = (16, 64, 128)


def _stage_totals(result: zipcore.SelectionResult, stage: str) -> tuple[float, float]:
    work = sum(r[stage]["work_seconds"] for r in result.rounds)
    span = sum(r[stage]["span_seconds"] for r in result.rounds)
    return work, span


def measure(pool, args, threads: int) -> dict:
    start = time.perf_counter()
    result = zipcore.select_with_stats(pool, args.budget, k1=args.k1, k2=args.k2, k3=args.k3,
                                       threads=threads, codec=args.codec, level=args.level)
    seconds = time.perf_counter() - start
    stages = {"stage1": (result.stage1["work_seconds"], result.stage1["span_seconds"]),
              "stage2": _stage_totals(result, "stage2"),
              "stage3": _stage_totals(result, "stage3")}
    w, s = result.work_seconds, result.span_seconds
    return {
        "threads": threads,
        "wall_seconds": result.wall_seconds,
        "call_seconds": seconds,
        "work_seconds": w,
        "span_seconds": s,
        "parallelism": result.parallelism,
        "projected_here": result.projected_seconds(threads),
        "stages": {k: {"work_seconds": a, "span_seconds": b} for k, (a, b) in stages.items()},
        "projections": {p: {"seconds": w / p + s, "efficiency": w / (p * (w / p + s))}
                        for p in PROJECTED_CORES},
        "rounds": [{"round": r["round"], "work_seconds": r["work_seconds"],
                    "span_seconds": r["span_seconds"]} for r in result.rounds],
        "indices": result.indices,
    }


def main() -> None:
    args = thread_sweep_args(__doc__.splitlines()[0])
    pool = load_pool(args.pool)
    runs = []
    for best in best_per_thread_count(lambda threads: measure(pool, args, threads), args,
                                      "wall_seconds"):
        threads = best["threads"]
        runs.append(best)
        stages = " ".join(f"{k} W {v['work_seconds']:.2f} S {v['span_seconds']:.3f}"
                          for k, v in best["stages"].items())
        projections = ", ".join(f"{p} cores {v['seconds']:.2f} s ({v['efficiency']:.0%})"
                                for p, v in best["projections"].items())
        print(f"threads={threads}: wall {best['wall_seconds']:.2f} s, W {best['work_seconds']:.2f} s, "
              f"S {best['span_seconds']:.3f} s, W/S {best['parallelism']:.0f}; projected here "
              f"W/p+S = {best['projected_here']:.2f} s ({best['projected_here'] / best['wall_seconds']:.2f}x "
              f"the wall time)\n  {stages}\n  {projections}", file=sys.stderr)
    same = all(np.array_equal(runs[0]["indices"], r["indices"]) for r in runs)
    print(f"same selection for all thread counts: {same}", file=sys.stderr)
    if args.json:
        report = {"machine": machine_facts(), "command": " ".join(["python"] + sys.argv),
                  "pool": str(args.pool), "samples": len(pool),
                  "params": {"budget": args.budget, "k1": args.k1, "k2": args.k2, "k3": args.k3,
                             "codec": args.codec, "level": args.level},
                  "same_selection_for_all_thread_counts": same,
                  "runs": [{k: v for k, v in r.items() if k != "indices"} for r in runs]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
