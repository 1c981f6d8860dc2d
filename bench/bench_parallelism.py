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

Also printed: the serial time inside W and S (``serial_seconds``) per stage, the parallelism
the run would have if it were zero, (W - serial) / (S - serial), and how the rounds' cost
drifts over a long run (:func:`flatness`). ``--json`` keeps every round's numbers.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts  # noqa: E402
from selection_args import best_per_thread_count, load_pool, thread_sweep_args  # noqa: E402

import zipcore  # noqa: E402

PROJECTED_CORES = (16, 64, 128)


KEYS = ("work_seconds", "span_seconds", "serial_seconds")


def _stage_totals(result: zipcore.SelectionResult, stage: str) -> dict[str, float]:
    return {key: sum(r[stage][key] for r in result.rounds) for key in KEYS}


def flatness(rounds: list[dict]) -> dict:
    """Whether late rounds cost more than early ones: the mean over the last tenth of the rounds
    against the mean over the first tenth, of (a) a round's work W over the candidate bytes its
    stages 2 and 3 evaluated (the issue's measure: candidates' sizes drift as the pool is used
    up, and an evaluation's cost grows with its candidate's bytes); (b) the same without the
    round's serial seconds, i.e. the evaluations' own cost per byte; (c) the round's serial
    seconds, which depend far less on the candidates: where (a) drifts but (b) does not, a
    nearly fixed cost per round is being divided by a varying number of bytes. Round 1 is left
    out (its stage 2 reuses stage 1's scores), as are rounds that evaluated nothing. `rounds`
    are in the form ``measure`` keeps (and ``--json`` writes), so a saved run can be reread."""
    def evaluated(r: dict) -> int:
        return r["stage2_evaluated_bytes"] + r["stage3_evaluated_bytes"]

    used = [r for r in rounds if r["round"] > 1 and evaluated(r)]
    if len(used) < 2:
        return {}
    tenth = max(1, len(used) // 10)

    def ratio(value: Callable[[dict], float]) -> tuple[float, float, float]:
        first = sum(map(value, used[:tenth])) / tenth
        last = sum(map(value, used[-tenth:])) / tenth
        return first, last, last / first if first > 0 else float("inf")

    per_byte = ratio(lambda r: r["work_seconds"] / evaluated(r))
    evaluations = ratio(lambda r: (r["work_seconds"] - r["serial_seconds"]) / evaluated(r))
    serial = ratio(lambda r: r["serial_seconds"])
    return {"rounds_per_tenth": tenth,
            "first_tenth_ns_per_byte": 1e9 * per_byte[0],
            "last_tenth_ns_per_byte": 1e9 * per_byte[1],
            "last_over_first": per_byte[2],
            "first_tenth_evaluation_ns_per_byte": 1e9 * evaluations[0],
            "last_tenth_evaluation_ns_per_byte": 1e9 * evaluations[1],
            "evaluation_last_over_first": evaluations[2],
            "first_tenth_serial_seconds": serial[0],
            "last_tenth_serial_seconds": serial[1],
            "serial_last_over_first": serial[2]}


def measure(pool, args, threads: int) -> dict:
    start = time.perf_counter()
    result = zipcore.select_with_stats(pool, args.budget, k1=args.k1, k2=args.k2, k3=args.k3,
                                       threads=threads, codec=args.codec, level=args.level)
    seconds = time.perf_counter() - start
    stages = {"stage1": {key: result.stage1[key] for key in KEYS},
              "stage2": _stage_totals(result, "stage2"),
              "stage3": _stage_totals(result, "stage3")}
    w, s = result.work_seconds, result.span_seconds
    rounds = [{"round": r["round"], **{key: r[key] for key in KEYS},
               **{f"{stage}_{key}": r[stage][key] for stage in ("stage2", "stage3")
                  for key in ("seconds", "evaluated_bytes")}}
              for r in result.rounds]
    return {
        "threads": threads,
        "wall_seconds": result.wall_seconds,
        "call_seconds": seconds,
        "work_seconds": w,
        "span_seconds": s,
        "serial_seconds": result.serial_seconds,
        "parallelism": result.parallelism,
        "pass_parallelism": result.pass_parallelism,
        "projected_here": result.projected_seconds(threads),
        "stages": stages,
        "projections": {p: {"seconds": w / p + s, "efficiency": w / (p * (w / p + s))}
                        for p in PROJECTED_CORES},
        "rounds": rounds,
        "flatness": flatness(rounds),
        "indices": result.indices,
    }


def selection_digest(indices: np.ndarray) -> str:
    """SHA-256 of the selected indices (int64, in order): runs kept in separate files, on other
    machines or thread counts, compare by it."""
    return hashlib.sha256(np.asarray(indices, dtype=np.int64).tobytes()).hexdigest()


def main() -> None:
    args = thread_sweep_args(__doc__.splitlines()[0])
    pool = load_pool(args.pool)
    runs = []
    for best in best_per_thread_count(lambda threads: measure(pool, args, threads), args,
                                      "wall_seconds"):
        threads = best["threads"]
        runs.append(best)
        stages = " ".join(f"{k} W {v['work_seconds']:.2f} S {v['span_seconds']:.3f} "
                          f"(serial {v['serial_seconds']:.3f})" for k, v in best["stages"].items())
        projections = ", ".join(f"{p} cores {v['seconds']:.2f} s ({v['efficiency']:.0%})"
                                for p, v in best["projections"].items())
        print(f"threads={threads}: wall {best['wall_seconds']:.2f} s, W {best['work_seconds']:.2f} s, "
              f"S {best['span_seconds']:.3f} s, W/S {best['parallelism']:.0f} "
              f"({best['pass_parallelism']:.0f} with no serial time); projected here "
              f"W/p+S = {best['projected_here']:.2f} s ({best['projected_here'] / best['wall_seconds']:.2f}x "
              f"the wall time)\n  {stages}\n  {projections}", file=sys.stderr)
        flat = best["flatness"]
        if flat:
            print(f"  round work per evaluated byte: first tenth "
                  f"{flat['first_tenth_ns_per_byte']:.1f} ns, last tenth "
                  f"{flat['last_tenth_ns_per_byte']:.1f} ns ({flat['last_over_first']:.2f}x); "
                  f"without serial time {flat['first_tenth_evaluation_ns_per_byte']:.1f} ns, "
                  f"{flat['last_tenth_evaluation_ns_per_byte']:.1f} ns "
                  f"({flat['evaluation_last_over_first']:.2f}x); "
                  f"round serial time {flat['first_tenth_serial_seconds']:.3f} s, "
                  f"{flat['last_tenth_serial_seconds']:.3f} s "
                  f"({flat['serial_last_over_first']:.2f}x)", file=sys.stderr)
    same = all(np.array_equal(runs[0]["indices"], r["indices"]) for r in runs)
    print(f"same selection for all thread counts: {same}", file=sys.stderr)
    if args.json:
        report = {"machine": machine_facts(), "command": " ".join(["python"] + sys.argv),
                  "pool": str(args.pool), "samples": len(pool),
                  "params": {"budget": args.budget, "k1": args.k1, "k2": args.k2, "k3": args.k3,
                             "codec": args.codec, "level": args.level},
                  "same_selection_for_all_thread_counts": same,
                  "runs": [{**{k: v for k, v in r.items() if k != "indices"},
                            "selection_sha256": selection_digest(r["indices"])} for r in runs]}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
