"""How well the zstd engine's candidate scores agree with one-shot compression of each group.

For random groups G of real samples (sizes 5, 100, 1000) and 200 candidates each, compares
zipcore's score of G + [c] (the group prepared once as a dictionary, the candidate compressed
against it) with the ratio of G + [c] compressed in one shot by the `zstandard` package at the
same level with a window covering the group. Reports Spearman's rank correlation and how many of
the 100 best candidates (ZIP keeps the lowest ratios) the two rankings share.

    python bench/bench_rank_agreement.py ../shared/data/pool_real.json.gz --level 3
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts  # noqa: E402

import zipcore  # noqa: E402
from zipcore.io.jsonstream import load_records  # noqa: E402


def ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    r = np.empty(len(values))
    r[order] = np.arange(len(values))
    return r


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def one_shot_ratios(group: list[bytes], candidates: list[bytes], level: int) -> np.ndarray:
    prefix = b"[" + b", ".join(group)
    window_log = max(20, (len(prefix) + 2 ** 20).bit_length())
    params = zstandard.ZstdCompressionParameters.from_level(level, window_log=window_log)
    compressor = zstandard.ZstdCompressor(compression_params=params)
    out = []
    for c in candidates:
        whole = prefix + (b", " if group else b"") + c + b"]"
        out.append(len(whole) / len(compressor.compress(whole)))
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool", type=Path)
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 100, 1000])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    samples = [repr(r).encode("utf-8") for r in load_records(args.pool)]
    rows = []
    for size in args.sizes:
        rhos, overlaps = [], []
        for trial in range(args.trials):
            rng = random.Random(1000 * size + trial)
            picked = rng.sample(range(len(samples)), size + args.candidates)
            group = [samples[i] for i in picked[:size]]
            cands = [samples[i] for i in picked[size:]]
            ours = zipcore.candidate_ratios(group, cands, codec="zstd", level=args.level)
            truth = one_shot_ratios(group, cands, args.level)
            rhos.append(spearman(ours, truth))
            top = args.candidates // 2
            overlaps.append(len(set(np.argsort(ours, kind="stable")[:top])
                                & set(np.argsort(truth, kind="stable")[:top])) / top)
        row = {"group_size": size, "spearman_mean": round(float(np.mean(rhos)), 3),
               "spearman_min": round(float(np.min(rhos)), 3),
               "top_half_overlap": round(float(np.mean(overlaps)), 3)}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine_facts(), "level": args.level,
                                         "command": " ".join(["python"] + sys.argv),
                                         "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
