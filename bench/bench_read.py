"""Reading speed: ``read_pool`` in MB/s per format and worker count, against a baseline tree.

Each measurement runs in a fresh process (so that no run inherits another's warm memory or page
faults); the baseline and the current tree alternate within each repeat, since this VM's
timings swing 2-3x over minutes. Reported: min and median wall seconds, MB/s of the
decompressed text (of the file for Parquet), and CPU seconds (the process and its reaped
workers) beside wall.

    python bench/make_pool.py --samples 300000 -o bench/out/pool_300k.jsonl
    git worktree add /tmp/zipcore_base 46f841b
    cp .venv/lib/python3.11/site-packages/zipcore/_core*.so /tmp/zipcore_base/python/zipcore/
    python bench/bench_read.py bench/out/pool_300k.jsonl --baseline /tmp/zipcore_base/python

The formats are made once next to the JSONL (``.json``, ``.jsonl.gz``, ``.jsonl.zst``,
``.parquet``, and ``.parquet.d/``: the Parquet file as 16 shards, read as one pool).
``--one`` is the child: it reads one file (or folder) and prints one JSON line.

A baseline tree's workers are fresh interpreters that must import that tree: move the
editable install's ``_editable_skbc_zipcore.pth`` aside for the run (its import hook comes
before ``PYTHONPATH``) and run this script with ``PYTHONPATH`` set to this tree's ``python/``
holding a built ``_core``; ``--baseline-threads 1,2`` then measures the baseline with its
workers too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _use_tree(source: str) -> None:
    """Imports zipcore from ``source`` instead of the editable install (whose import hook
    comes before ``sys.path``)."""
    sys.meta_path[:] = [f for f in sys.meta_path
                        if type(f).__module__ != "_editable_skbc_zipcore"]
    sys.path.insert(0, source)


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the spawned workers)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def one(path: str, threads: int, source: str) -> None:
    if source:
        _use_tree(source)
    import zipcore
    from zipcore.io.readers import read_pool, read_pools

    options = {"threads": threads} if "threads" in read_pool.__code__.co_varnames else {}
    cpu = -_cpu()
    start = time.perf_counter()
    if os.path.isdir(path):  # a folder of shards, read as `zipcore select DIR` reads it
        pool = read_pools(sorted(str(p) for p in Path(path).iterdir()), **options)
    else:
        pool = read_pool(path, **options)
    wall = time.perf_counter() - start
    cpu += _cpu()
    print(json.dumps({"wall": wall, "cpu": cpu, "samples": len(pool), "nbytes": pool.pool.nbytes,
                      "zipcore": zipcore.__file__, "threads": bool(options)}))


def make_inputs(jsonl: Path) -> dict[str, Path]:
    """The benchmark's files, made from the JSONL once."""
    out = {"jsonl": jsonl}
    stem = jsonl.with_suffix("")
    data = None
    targets = {"json": stem.with_suffix(".json"), "jsonl.gz": Path(f"{jsonl}.gz"),
               "jsonl.zst": Path(f"{jsonl}.zst"), "parquet": stem.with_suffix(".parquet"),
               "parquet-folder": Path(f"{stem}.parquet.d")}
    for name, target in targets.items():
        out[name] = target
        if target.exists():
            continue
        data = data if data is not None else jsonl.read_bytes()
        if name == "json":
            lines = [line for line in data.split(b"\n") if line.strip()]
            target.write_bytes(b"[" + b", ".join(lines) + b"]")
        elif name == "jsonl.gz":
            target.write_bytes(gzip.compress(data, 6, mtime=0))
        elif name == "jsonl.zst":
            import zstandard

            target.write_bytes(zstandard.ZstdCompressor(level=3).compress(data))
        elif name == "parquet":
            import pyarrow.json
            import pyarrow.parquet

            pyarrow.parquet.write_table(pyarrow.json.read_json(jsonl), target)
        else:  # the Parquet file as 16 shards of one row group each
            import pyarrow.parquet

            table = pyarrow.parquet.read_table(out["parquet"])
            target.mkdir()
            for i in range(16):
                start, end = i * table.num_rows // 16, (i + 1) * table.num_rows // 16
                pyarrow.parquet.write_table(table.slice(start, end - start),
                                            target / f"part-{i:05d}.parquet")
    return out


def text_size(path: Path, jsonl: Path) -> int:
    if path.is_dir():
        return sum(os.path.getsize(part) for part in path.iterdir())
    return os.path.getsize(jsonl if path.name.startswith(jsonl.name) else path)


def measure(path: Path, threads: int, source: str) -> dict:
    # The workers are fresh interpreters: they find the tree through PYTHONPATH (with the
    # editable install's .pth moved aside, whose import hook would come first).
    env = dict(os.environ, PYTHONPATH=source) if source else None
    result = subprocess.run([sys.executable, __file__, "--one", str(path), "--threads",
                             str(threads), "--source", source],
                            capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("jsonl", nargs="?", default="bench/out/pool_300k.jsonl")
    parser.add_argument("--baseline", default="", help="a tree's python/ folder to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats",
                        default="jsonl,jsonl.gz,jsonl.zst,json,parquet,parquet-folder")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--baseline-threads", default="1", help="worker counts for the baseline")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--source", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, int(args.threads), args.source)
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from machine import machine_facts

    jsonl = Path(args.jsonl)
    files = make_inputs(jsonl)
    print(json.dumps(machine_facts()))
    counts = [int(t) for t in args.threads.split(",")]
    before_counts = [int(t) for t in args.baseline_threads.split(",")]
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.repeat):
        for name in args.formats.split(","):
            # A baseline without worker processes (46f841b) reads serially whatever it is
            # told: give it --baseline-threads 1.
            trees = [(f"before, {t} worker{'s' * (t > 1)}", args.baseline, t)
                     for t in before_counts] if args.baseline else []
            trees += [(f"after, {t} worker{'s' * (t > 1)}", "", t) for t in counts]
            for label, source, threads in trees:
                result = measure(files[name], threads, source)
                runs.setdefault((name, label), []).append(result)
                print(name, label, json.dumps(result), flush=True)  # as it goes, for long runs
    print(f"| format | tree | MB/s (best) | wall s min / median | CPU s median | samples |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, label), results in runs.items():
        good = [r for r in results if "error" in r] or results
        if "error" in good[0]:
            print(f"| {name} | {label} | - | {good[0]['error'][:60]} | | |")
            continue
        walls = sorted(r["wall"] for r in results)
        size = text_size(files[name], jsonl) / 1e6
        print(f"| {name} | {label} | {size / walls[0]:.1f} | {walls[0]:.2f} / "
              f"{statistics.median(walls):.2f} | {statistics.median(r['cpu'] for r in results):.2f}"
              f" | {results[0]['samples']} |")


if __name__ == "__main__":
    main()
