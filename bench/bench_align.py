"""Target alignment (issue 17): speed against the zip-fit package, dictionary throughput, and
how well each method recovers a held-out source.

    python bench/bench_align.py speed [--sources 20000 --targets 100 --levels 9,0]
    python bench/bench_align.py throughput bench/out/pool_300k.jsonl
    python bench/bench_align.py quality [--per-source 2000 --held-out 100 --k 500]

Data: ``../shared/data/pool_real.json.gz`` (52,625 ShareGPT samples from five sources), each
sample's text its turns joined by newlines, as ZIP-FIT compares texts; targets for ``speed``:
the last samples of ``gsm8k.json``. ``speed`` runs the package
(``pip install zip-fit==1.0.9 lz4 brotli``) in a process of its own, timed around
``rank_sequences_by_alignment`` (its multiprocessing pool on every core), and zipcore on every
core, on the same texts and level; CPU seconds include the package's workers. ``quality``: a pool of ``--per-source`` samples of each
source, and for each source ``--held-out`` other samples of it as the target, scored by
``zipfit`` and ``dict``, each plain and with ``contrast=True`` (also with the background sets
drawn from ``--other-seeds`` for ``dict``, ``--zipfit-seeds`` for ``zipfit``; ``--only`` some
sources; ``--methods dict`` skips zipfit's slow columns; ``--pool-seed`` draws another pool and
other targets); precision@k is the share of the top k that come from the target's source
(random: that source's share of the pool)."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine_facts  # noqa: E402

import zipcore  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

PACKAGE_RUN = """
import json, resource, sys, time
from zip_fit.zipfit import ZIPFIT
sources, targets, level = json.load(open(sys.argv[1]))
fit = ZIPFIT("s.jsonl", "t.jsonl", k=len(sources), compress_level=level)
start = time.perf_counter()
ranked = fit.rank_sequences_by_alignment(sources, targets)
wall = time.perf_counter() - start
usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(json.dumps({"wall": wall, "cpu": sum(u.ru_utime + u.ru_stime for u in usage),
                  "scores": {text: float(score) for text, score in ranked}}))
"""


def text(record: dict) -> str:
    return "\n".join(turn["value"] for turn in record["conversations"])


def shared(name: str) -> list[dict]:
    path = SHARED / name
    with (gzip.open(path, "rt") if name.endswith(".gz") else open(path)) as f:
        return json.load(f)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def speed(args: argparse.Namespace) -> None:
    sources = [text(r) for r in shared("pool_real.json.gz")[:args.sources]]
    targets = [text(r) for r in shared("gsm8k.json")[-args.targets:]]
    for level in (int(v) for v in args.levels.split(",")):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump([sources, targets, level], f)
        try:
            run = subprocess.run([sys.executable, "-c", PACKAGE_RUN, f.name], check=True,
                                 capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        package = json.loads(run.stdout.strip().splitlines()[-1])
        used = -cpu()
        start = time.perf_counter()
        ours = zipcore.align_scores(sources, targets, level=level)
        wall = time.perf_counter() - start
        used += cpu()
        theirs = np.array([package["scores"][s] for s in sources])
        print(json.dumps({
            "level": level, "sources": len(sources), "targets": len(targets),
            "package": {"wall": round(package["wall"], 2), "cpu": round(package["cpu"], 2)},
            "zipcore": {"wall": round(wall, 2), "cpu": round(used, 2)},
            "speed-up wall": round(package["wall"] / wall, 1),
            "speed-up cpu": round(package["cpu"] / used, 1),
            "max |difference|": float(np.max(np.abs(ours - theirs))),
            "equal bit for bit": int(np.sum(ours == theirs))}), flush=True)


def throughput(args: argparse.Namespace) -> None:
    pool = zipcore.read_pool(args.pool).pool
    targets = [text(r) for r in shared("gsm8k.json")[-100:]]
    for method in ("dict",):
        used = -cpu()
        start = time.perf_counter()
        zipcore.align_scores(pool, targets, method=method)
        wall = time.perf_counter() - start
        used += cpu()
        print(json.dumps({"method": method, "samples": len(pool), "wall": round(wall, 2),
                          "cpu": round(used, 2),
                          "samples per minute": round(len(pool) / wall * 60)}), flush=True)


def quality(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.pool_seed)
    by_source: dict[str, list[str]] = {}
    for record in shared("pool_real.json.gz"):
        by_source.setdefault(record["source"].split("/")[0], []).append(text(record))
    pool: list[str] = []
    labels: list[str] = []
    held: dict[str, list[str]] = {}
    for name, texts in sorted(by_source.items()):
        order = rng.permutation(len(texts))
        take = min(args.per_source, len(texts) - args.held_out)
        pool += [texts[i] for i in order[:take]]
        labels += [name] * take
        held[name] = [texts[i] for i in order[take:take + args.held_out]]
    label = np.array(labels)
    print(json.dumps({"pool": len(pool), "per source": {n: int((label == n).sum())
                                                       for n in held}}), flush=True)
    for name, target in held.items():
        if args.only and name not in args.only:
            continue
        row = {"target": name, "random": round(float(np.mean(label == name)), 3)}
        scores = {}
        for method, contrast in (("zipfit", False), ("dict", False), ("dict", True),
                                 ("zipfit", True)):
            if method not in args.methods:
                continue
            column = method + (", contrast" if contrast else "")
            start = time.perf_counter()
            scores[column] = zipcore.align_scores(pool, target, method=method, contrast=contrast)
            row[column] = precision(scores[column], label, name, args.k)
            row[f"{column} s"] = round(time.perf_counter() - start, 1)
        row["contrast, other seeds"] = [precision(contrast_with_seed(pool, target, seed), label,
                                                  name, args.k) for seed in args.other_seeds]
        row["zipfit contrast, other seeds"] = [
            precision(contrast_with_seed(pool, target, seed, "zipfit"), label, name, args.k)
            for seed in args.zipfit_seeds]
        diverse = zipcore.select_aligned(pool, target, args.k, method="dict", diverse=True)
        row["dict, diverse"] = round(float(np.mean(label[diverse] == name)), 3)
        if len(args.methods) == 2:
            row["spearman zipfit~dict"] = round(spearman(scores["zipfit"], scores["dict"]), 3)
        print(json.dumps(row), flush=True)


def precision(scores: np.ndarray, label: np.ndarray, name: str, k: int) -> float:
    """The share of the k best-scored samples that come from source ``name``."""
    top = np.argsort(-scores, kind="stable")[:k]
    return round(float(np.mean(label[top] == name)), 3)


def contrast_with_seed(pool: list[str], target: list[str], seed: int,
                       method: str = "dict") -> np.ndarray:
    """``contrast=True`` with background sets drawn from another seed than the library's: how
    much the precision depends on the draw."""
    saved = zipcore.align.BACKGROUND_SEED
    zipcore.align.BACKGROUND_SEED = seed
    try:
        return zipcore.align_scores(pool, target, method=method,  # type: ignore[arg-type]
                                    contrast=True)
    finally:
        zipcore.align.BACKGROUND_SEED = saved


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ranks = [np.argsort(np.argsort(v, kind="stable"), kind="stable") for v in (a, b)]
    return float(np.corrcoef(ranks[0], ranks[1])[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("speed")
    one.add_argument("--sources", type=int, default=20000)
    one.add_argument("--targets", type=int, default=100)
    one.add_argument("--levels", default="9,0")
    one.set_defaults(run=speed)
    one = commands.add_parser("throughput")
    one.add_argument("pool", nargs="?", default="bench/out/pool_300k.jsonl")
    one.set_defaults(run=throughput)
    one = commands.add_parser("quality")
    one.add_argument("--per-source", type=int, default=2000)
    one.add_argument("--held-out", type=int, default=100)
    one.add_argument("--k", type=int, default=500)
    one.add_argument("--other-seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5],
                     help="background seeds to rerun dict's contrast=True with")
    one.add_argument("--zipfit-seeds", type=int, nargs="*", default=[],
                     help="background seeds to rerun zipfit's contrast=True with (slow)")
    one.add_argument("--only", nargs="*", default=[],
                     help="target sources to run (default: all five)")
    one.add_argument("--methods", nargs="+", choices=("zipfit", "dict"),
                     default=["zipfit", "dict"], help="which methods' columns to run")
    one.add_argument("--pool-seed", type=int, default=0,
                     help="seed of the draw of the pool and the held-out targets")
    one.set_defaults(run=quality)
    args = parser.parse_args()
    print(json.dumps(machine_facts()), flush=True)
    args.run(args)


if __name__ == "__main__":
    main()
