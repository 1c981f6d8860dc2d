"""Quality and speed of sharded ZIP on Ray (zipcore.distributed) against single-machine select.

The merge of per-shard selections has no guarantee (ZIP's objective is not known to be
submodular), so this measures the gap on real pools, for several shard counts and seeds:
  - distinct prompts kept (distinct first human turns; AlpacaEval has 805 prompts, each answered
    by up to 40 models, so a selector that sees redundancy keeps many);
  - the subset's ratio under xz (preset 9e) over the concatenated repr of the selected records,
    raw / compressed (lower = less redundant; xz is independent of both engines);
  - wall time: single-machine select on all cores, and the distributed run end to end (Ray Data
    stage-1 map, shard tasks, merge; Ray already started) with its phases.

The pool is split into --parts JSONL files first (a file is read by one task). Local Ray only:
on one machine the shards share its cores, so the times show overhead, not cluster speed-up.

    python bench/bench_distributed.py ../shared/data/alpaca_eval_outputs_40models.json.gz \
        --budget 1000 --codec zstd --shards 1 2 4 8 --seeds 0 1 2 --json bench/out/distributed.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quality import distinct_prompts, xz_ratio  # noqa: E402
from machine import machine_facts  # noqa: E402
from selection_args import add_selection_args  # noqa: E402

import zipcore  # noqa: E402
from zipcore import distributed  # noqa: E402
from zipcore.io.jsonstream import load_records  # noqa: E402


def write_parts(records: list, parts: int, folder: Path) -> list[Path]:
    size = -(-len(records) // parts)
    paths = []
    for p in range(parts):
        path = folder / f"part-{p:03d}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records[p * size:(p + 1) * size]),
                        encoding="utf-8")
        paths.append(path)
    return paths


def row(name: str, records: list, indices, seconds: float, **extra) -> dict:
    out = {"run": name, "seconds": round(seconds, 2),
           "distinct_prompts": distinct_prompts(records, indices),
           "xz_ratio": round(xz_ratio(records, indices), 4), **extra}
    print(json.dumps(out), file=sys.stderr, flush=True)
    return out


def markdown(rows: list[dict]) -> str:
    """One line per run kind: means over seeds, with their range, and the change from the
    single-machine selection."""
    single = next(r for r in rows if r["run"] == "single machine")
    lines = ["| run | per shard | merge pool | distinct prompts | xz ratio | vs single | "
             "seconds |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in dict.fromkeys(r["run"] for r in rows):
        group = [r for r in rows if r["run"] == name]
        prompts = [r["distinct_prompts"] for r in group]
        ratios = [r["xz_ratio"] for r in group]
        mean_ratio = sum(ratios) / len(ratios)
        spread = (f" ({min(prompts)}-{max(prompts)})" if len(group) > 1 else "",
                  f" ({min(ratios):.3f}-{max(ratios):.3f})" if len(group) > 1 else "")
        change = 100 * (mean_ratio / single["xz_ratio"] - 1)
        seconds = sorted(r["seconds"] for r in group)[len(group) // 2]
        lines.append(f"| {name} | {group[0].get('per_shard', '')} | "
                     f"{group[0].get('candidates', '')} | "
                     f"{sum(prompts) / len(prompts):.0f}{spread[0]} | "
                     f"{mean_ratio:.3f}{spread[1]} | {change:+.1f}% | {seconds:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_selection_args(parser, budget=1000)
    parser.add_argument("--codec", default="zstd")
    parser.add_argument("--level", type=int, default=None)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--per-shard", default="default",
                        help="'default' (distributed.default_per_shard), 'budget' (GreeDi's "
                             "own choice), or a multiple of budget/shards such as '4x'")
    parser.add_argument("--parts", type=int, default=8, help="JSONL files the pool is split into")
    parser.add_argument("--cpus", type=int, default=None, help="Ray's num_cpus (all cores)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each configuration this many times; report the fastest")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import ray

    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    ray.data.DataContext.get_current().enable_progress_bars = False
    records = load_records(args.pool)
    kwargs = dict(k1=args.k1, k2=args.k2, k3=args.k3, codec=args.codec, level=args.level)
    rows = []
    rand = [random.Random(s).sample(range(len(records)), args.budget) for s in range(5)]
    rows.append({"run": "random (mean of 5)", "seconds": 0.0,
                 "distinct_prompts": sum(distinct_prompts(records, r) for r in rand) / 5,
                 "xz_ratio": round(sum(xz_ratio(records, r) for r in rand) / 5, 4)})
    pool = zipcore.Pool.from_samples(records)
    seconds = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        single = zipcore.select(pool, args.budget, **kwargs)
        seconds.append(time.perf_counter() - start)
    rows.append(row("single machine", records, single, min(seconds)))
    with tempfile.TemporaryDirectory() as folder:
        paths = write_parts(records, args.parts, Path(folder))
        for shards in args.shards:
            per_shard = None
            if args.per_shard == "budget":
                per_shard = args.budget
            elif args.per_shard != "default":
                per_shard = -(-int(float(args.per_shard.rstrip("x")) * args.budget) // shards)
            for seed in (args.seeds if shards > 1 else args.seeds[:1]):
                runs = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    result = distributed.select_with_stats(paths, args.budget, shards=shards,
                                                           per_shard=per_shard, seed=seed,
                                                           **kwargs)
                    runs.append((time.perf_counter() - start, result))
                seconds, result = min(runs, key=lambda run: run[0])
                name = f"{shards} shard{'s' if shards > 1 else ''}"
                rows.append(row(name, records, result.indices, seconds,
                                shards=shards, seed=seed, per_shard=result.per_shard,
                                candidates=result.candidates,
                                phases={k: round(v, 2) for k, v in result.seconds.items()},
                                shard_seconds=[round(s, 2) for s in result.shard_seconds],
                                equals_single=bool((result.indices == single).all())))
    ray.shutdown()
    print(markdown(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine_facts(), "ray": ray.__version__,
                                         "command": " ".join(["python"] + sys.argv),
                                         "samples": len(records), "budget": args.budget,
                                         "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
