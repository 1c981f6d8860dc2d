"""Dataset R: the exact single-stream zlib-9 value against the parallel chunked path.

    python bench/bench_ratio.py ../shared/data/pool_real.json.gz --threads 1 2

For each file: the exact R and its time, then for each thread count the parallel path's R, its
deviation from the exact value, its time and throughput (MB of framed data per second), and the
speed-up over the exact stream. The zstd one-shot value is timed too, for comparison. Each
time is the best of --repeat clean runs: runs during which other processes used more than 5 %
of a core (from /proc/stat) are retried, up to 4 * --repeat times; a time that never got a clean
run is marked with "~" (on a shared machine, parallel speed-ups are meaningless otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts  # noqa: E402

from zipcore import measure  # noqa: E402
from zipcore.pool import Pool  # noqa: E402
from zipcore.io.jsonstream import load_records  # noqa: E402


def _busy_seconds() -> float:
    """CPU seconds all processes have used (Linux /proc/stat), to see who else ran."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def best_of(repeat: int, run) -> tuple[float, measure.RatioResult, bool]:
    """Best wall time of ``repeat`` clean runs (others used < 5 % of a core meanwhile), trying
    up to 4 * repeat times on a shared machine; the flag says whether any run was clean."""
    best, result, clean_runs, tries = float("inf"), None, 0, 0
    best_any = float("inf")
    while clean_runs < repeat and tries < 4 * repeat:
        tries += 1
        busy, cpu, start = _busy_seconds(), time.process_time(), time.perf_counter()
        result = run()
        wall = time.perf_counter() - start
        others = _busy_seconds() - busy - (time.process_time() - cpu)
        best_any = min(best_any, wall)
        if others < 0.05 * wall:
            clean_runs += 1
            best = min(best, wall)
    return (best, result, True) if clean_runs else (best_any, result, False)


def bench_file(path: str, args: argparse.Namespace) -> dict:
    pool = Pool.from_samples(load_records(path))  # encoded once, outside the timed runs
    exact_s, exact, clean = best_of(args.repeat, lambda: measure.dataset_ratio(
        pool, exact=True, threads=1))
    megabytes = exact.bytes / 1e6
    row = {"file": path, "bytes": exact.bytes, "exact_ratio": exact.ratio,
           "exact_seconds": exact_s, "exact_mb_s": megabytes / exact_s, "exact_clean": clean,
           "parallel": []}
    for threads in args.threads:
        seconds, result, clean = best_of(args.repeat, lambda t=threads: measure.dataset_ratio(
            pool, exact=False, chunk_size=args.chunk_size, threads=t))
        row["parallel"].append({
            "threads": threads, "ratio": result.ratio,
            "deviation_pct": 100 * (result.ratio / exact.ratio - 1), "seconds": seconds,
            "mb_s": megabytes / seconds, "speedup": exact_s / seconds, "clean": clean})
    zstd_s, zstd, clean = best_of(args.repeat, lambda: measure.dataset_ratio(
        pool, codec="zstd", threads=1))
    row["zstd"] = {"ratio": zstd.ratio, "seconds": zstd_s, "mb_s": megabytes / zstd_s,
                   "clean": clean}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-size", type=int, default=measure.CHUNK_SIZE)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    facts = machine_facts()
    print(" | ".join(f"{k}: {v}" for k, v in facts.items()))
    print(f"chunk size {args.chunk_size} bytes, best of {args.repeat}\n")
    print("| file | MB | exact R | exact s | MB/s | threads | parallel R | deviation | s | MB/s "
          "| speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    for path in args.files:
        row = bench_file(path, args)
        rows.append(row)
        mark = "" if row["exact_clean"] else "~"
        for p in row["parallel"]:
            pmark = "" if p["clean"] else "~"
            print(f"| {Path(path).name} | {row['bytes'] / 1e6:.1f} | {row['exact_ratio']:.4f} | "
                  f"{mark}{row['exact_seconds']:.2f} | {row['exact_mb_s']:.1f} | {p['threads']} | "
                  f"{p['ratio']:.4f} | {p['deviation_pct']:+.4f}% | {pmark}{p['seconds']:.2f} | "
                  f"{p['mb_s']:.1f} | {p['speedup']:.2f}x |", flush=True)
        z = row["zstd"]
        zmark = "" if z["clean"] else "~"
        print(f"| {Path(path).name} zstd-3 | | {z['ratio']:.4f} | {zmark}{z['seconds']:.2f} | "
              f"{z['mb_s']:.1f} | 1 | | | | | |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": facts, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
