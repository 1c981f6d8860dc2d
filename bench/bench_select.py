"""Times zipcore.select on a real pool, per stage and per round, for several thread counts.

    python bench/bench_select.py ../shared/data/pool_real_5k.json --budget 500 \
        --k1 2000 --k2 200 --k3 100 --threads 1 2

Checks that every thread count returns the same selection, and reports the share of thread time
spent outside compressor evaluations (scheduling, sorting, waiting at joins).
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


def run_once(records, args, threads: int) -> dict:
    counts_before = zipcore._core._shortcut_counts()
    start = time.perf_counter()
    result = zipcore.select_with_stats(records, args.budget, k1=args.k1, k2=args.k2, k3=args.k3,
                                       threads=threads, codec=args.codec, level=args.level)
    seconds = time.perf_counter() - start
    counts_after = zipcore._core._shortcut_counts()
    evaluations = result.stage1["evaluations"] + sum(
        r["stage2"]["evaluations"] + r["stage3"]["evaluations"] for r in result.rounds)
    return {
        "threads": threads,
        "seconds": seconds,
        "engine_seconds": result.wall_seconds,
        "evaluations": evaluations,
        "us_per_evaluation_per_thread": result.eval_seconds / evaluations * 1e6,
        "outside_evaluations": result.overhead_fraction,
        "stage1_seconds": result.stage1["seconds"],
        # zlib only: candidate evaluations by the exact shortcut and by a plain state copy.
        "zlib_shortcut_evaluations": counts_after[0] - counts_before[0],
        "zlib_plain_evaluations": counts_after[1] - counts_before[1],
        "rounds": [
            {"round": r["round"], "stage2": r["stage2"]["seconds"], "stage3": r["stage3"]["seconds"]}
            for r in result.rounds
        ],
        "indices": result.indices,
    }


def main() -> None:
    args = thread_sweep_args(__doc__.splitlines()[0])
    records = load_pool(args.pool)
    runs = []
    for best in best_per_thread_count(lambda threads: run_once(records, args, threads), args,
                                      "seconds"):
        threads = best["threads"]
        runs.append(best)
        print(f"threads={threads}: {best['seconds']:.2f} s, "
              f"{best['us_per_evaluation_per_thread']:.0f} us/evaluation, "
              f"outside evaluations {best['outside_evaluations']:.1%}"
              + (f", zlib shortcut {best['zlib_shortcut_evaluations']:,} / plain "
                 f"{best['zlib_plain_evaluations']:,}" if args.codec == "zlib" else ""),
              file=sys.stderr)
    same = all(np.array_equal(runs[0]["indices"], r["indices"]) for r in runs)
    base = runs[0]["seconds"]
    report = {
        "machine": machine_facts(),
        "command": " ".join(["python"] + sys.argv),
        "pool": str(args.pool), "samples": len(records),
        "params": {"budget": args.budget, "k1": args.k1, "k2": args.k2, "k3": args.k3,
                   "codec": args.codec, "level": args.level},
        "same_selection_for_all_thread_counts": same,
        "runs": [{k: v for k, v in r.items() if k != "indices"} | {"speedup": base / r["seconds"]}
                 for r in runs],
    }
    for r in report["runs"]:
        rounds = r["rounds"]
        print(f"threads={r['threads']} speedup {r['speedup']:.2f}x; per-round seconds "
              f"(stage2+stage3): " + " ".join(f"{x['stage2'] + x['stage3']:.2f}" for x in rounds[:12])
              + (" ..." if len(rounds) > 12 else ""), file=sys.stderr)
    print(f"same selection for all thread counts: {same}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
