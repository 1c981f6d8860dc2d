"""Times the reference's strategy: recompress the whole group for every candidate.

This is the public ZIP script's way of working (written here from ../shared/SPEC.md, not copied):
every score is ``len(b) / len(zlib.compress(b, 9))`` of the full group, spread over a process
pool. It shows what zipcore replaces: per-round time grows with the selection, since stage 2
recompresses the whole selection for every candidate.

    python bench/reference_style.py ../shared/data/pool_real_5k.json --budget 500 \
        --k1 2000 --k2 200 --k3 100 --processes 2 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts  # noqa: E402
from selection_args import add_selection_args  # noqa: E402

from zipcore.io.jsonstream import load_records  # noqa: E402

_SAMPLES: list[bytes] = []


def _init(samples: list[bytes]) -> None:
    global _SAMPLES
    _SAMPLES = samples


def _ratio(group: list[int]) -> float:
    b = b"[" + b", ".join(_SAMPLES[i] for i in group) + b"]"
    return len(b) / len(zlib.compress(b, 9))


def run(samples: list[bytes], budget: int, k1: int, k2: int, k3: int, processes: int, rounds: int):
    with Pool(processes, initializer=_init, initargs=(samples,)) as pool:
        t = time.perf_counter()
        g = np.array(pool.map(_ratio, [[i] for i in range(len(samples))], chunksize=64),
                     dtype=np.float32)
        alone = g.copy()
        yield {"round": 0, "seconds": time.perf_counter() - t}
        selected: list[int] = []
        for r in range(1, rounds + 1):
            t = time.perf_counter()
            order = np.argsort(g, kind="stable")
            cands = [int(i) for i in order[:k1]]
            new = np.array(pool.map(_ratio, [selected + [c] for c in cands], chunksize=8),
                           dtype=np.float32) if selected else alone[cands]
            g[cands] = new
            shortlist = [cands[p] for p in np.argsort(new, kind="stable")[:k2]]
            g[shortlist] = 1e6
            t2 = time.perf_counter()
            picks: list[int] = []
            rest = list(shortlist)
            for _ in range(min(k3, budget - len(selected))):
                h = pool.map(_ratio, [picks + [x] for x in rest], chunksize=4)
                best = int(np.argmin(np.array(h, dtype=np.float32)))
                picks.append(rest.pop(best))
            selected += picks
            yield {"round": r, "stage2": t2 - t, "stage3": time.perf_counter() - t2,
                   "seconds": time.perf_counter() - t, "selected": len(selected)}
            if len(selected) >= budget:
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_selection_args(parser)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="stop after this many rounds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    samples = [repr(r).encode("utf-8") for r in load_records(args.pool)]
    rows = []
    for row in run(samples, args.budget, args.k1, args.k2, args.k3, args.processes, args.rounds):
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine_facts(),
                                         "command": " ".join(["python"] + sys.argv),
                                         "rounds": rows}, indent=1))


if __name__ == "__main__":
    main()
