"""Selection quality of the zlib and zstd engines against a random subset.

On a naturally redundant pool (AlpacaEval: 805 prompts, each answered by up to 40 models), a
selector that sees redundancy should keep many distinct prompts and yield a subset that an
independent compressor finds dense. For each selector this reports:
  - distinct prompts kept (distinct first human turns);
  - the subset's compression ratio under xz (preset 9e) over the concatenated repr of the
    selected records: raw / compressed, lower = less redundant. xz is independent of both engines.

    python bench/bench_quality.py ../shared/data/alpaca_eval_outputs_40models.json.gz \
        --budget 1000 --levels 1 3 9 19 --json bench/out/quality.json
"""

from __future__ import annotations

import argparse
import json
import lzma
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts  # noqa: E402
from selection_args import add_selection_args  # noqa: E402

import zipcore  # noqa: E402
from zipcore.io.jsonstream import load_records  # noqa: E402


def distinct_prompts(records, indices) -> int:
    return len({records[i]["conversations"][0]["value"] for i in indices})


def xz_ratio(records, indices) -> float:
    raw = "".join(repr(records[i]) for i in indices).encode("utf-8")
    return len(raw) / len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))


def measure(name, records, indices, seconds) -> dict:
    row = {"selector": name, "seconds": round(seconds, 2),
           "distinct_prompts": distinct_prompts(records, indices),
           "xz_ratio": round(xz_ratio(records, indices), 4)}
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_selection_args(parser, budget=1000)
    parser.add_argument("--levels", type=int, nargs="*", default=[1, 3, 9, 19])
    parser.add_argument("--no-zlib", action="store_true", help="skip the (slow) exact zlib run")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=5, help="random subsets averaged")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    records = load_records(args.pool)
    pool = zipcore._pool.encode_pool(records)
    rows = []
    rand = [random.Random(seed).sample(range(len(records)), args.budget) for seed in range(args.seeds)]
    rand_rows = [measure(f"random (seed {s})", records, idx, 0.0) for s, idx in enumerate(rand)]
    rows.append({"selector": f"random (mean of {args.seeds})", "seconds": 0.0,
                 "distinct_prompts": sum(r["distinct_prompts"] for r in rand_rows) / len(rand_rows),
                 "xz_ratio": round(sum(r["xz_ratio"] for r in rand_rows) / len(rand_rows), 4)})
    kwargs = dict(k1=args.k1, k2=args.k2, k3=args.k3, threads=args.threads)
    runs = [] if args.no_zlib else [("zlib (exact)", "zlib", None)]
    runs += [(f"zstd level {lvl}", "zstd", lvl) for lvl in args.levels]
    for name, codec, level in runs:
        t = time.perf_counter()
        indices = zipcore.select(pool, args.budget, codec=codec, level=level, **kwargs)
        rows.append(measure(name, records, indices, time.perf_counter() - t))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine_facts(),
                                         "command": " ".join(["python"] + sys.argv),
                                         "samples": len(records), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
