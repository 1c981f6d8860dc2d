"""Each round's wall time as a selection runs, so that a run stopped early (Ctrl-C, `timeout`)
still shows how a round's cost grows with the selection.

    timeout 60 python bench/round_times.py bench/out/pool_1m.jsonl --budget 100000 --codec zstd

A line is printed when a new round's stage 2 is seen, and one for the last round at the end.
The progress callback is rate-limited (about ten calls a second), so a fast round may be seen
together with the next ones: such a line covers several rounds and gives their mean, and the
first line may start after round 1. Ctrl-C stops the run and keeps what was printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from selection_args import add_selection_args, load_pool  # noqa: E402

import zipcore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_selection_args(parser)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--codec", choices=("zlib", "zstd"), default="zlib")
    parser.add_argument("--level", type=int, default=None)
    args = parser.parse_args()
    pool = load_pool(args.pool)
    start = time.perf_counter()
    seen = {"round": 0, "since": start}

    def progress(stage: int, round_: int, done: int, total: int) -> None:
        if stage != 2 or round_ == seen["round"]:
            return
        now = time.perf_counter()
        if seen["round"]:
            rounds = round_ - seen["round"]
            label = f"round {seen['round']}" + (f"-{round_ - 1}" if rounds > 1 else "")
            print(f"{label}: {(now - seen['since']) / rounds:.3f} s a round "
                  f"(at {now - start:.1f} s)", flush=True)
        seen["round"], seen["since"] = round_, now

    try:
        zipcore.select_with_stats(pool, args.budget, k1=args.k1, k2=args.k2, k3=args.k3,
                                  threads=args.threads, codec=args.codec, level=args.level,
                                  progress=progress)
    except KeyboardInterrupt:
        print(f"stopped in round {seen['round']}", flush=True)
        return
    if seen["round"]:
        print(f"round {seen['round']}: {time.perf_counter() - seen['since']:.3f} s (the last)",
              flush=True)


if __name__ == "__main__":
    main()
