#!/usr/bin/env python3
"""Long differential run: zipcore.select against the spec oracle on random real pools.

Each run mixes 1-3 random slices of the shared real pools (instruction, chat, preference and
multi-model data), sometimes with repeated records, and draws budget, k1 >= k2 >= k3 and the
thread count at random, including k's larger than the pool. The tests check fixed cases of this
kind; this script keeps drawing new ones. Fails on the first difference and saves the pool.

    .venv/bin/python dev/differential_oracle.py --seconds 1200 [--seed 0] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import DATA_DIR  # noqa: E402  (honours ZIPCORE_DATA)
import oracle  # noqa: E402

import zipcore  # noqa: E402
from zipcore.io.jsonstream import load_records  # noqa: E402

POOLS = [
    "code_alpaca.json",
    "gsm8k.json",
    "pref_hh_rlhf_harmless_test.json",
    "self_instruct_t0_train_50k.json.gz",
    "alpaca_eval_outputs_40models.json.gz",
    "pool_real_5k.json",
]


def random_pool(pools: list[list], rng: random.Random) -> list:
    samples: list = []
    for _ in range(rng.randint(1, 3)):
        records = rng.choice(pools)
        start = rng.randrange(len(records))
        samples += records[start:start + rng.randint(1, 120)]
    if rng.random() < 0.3:  # exact repeats: ties broken by pool order
        samples += [rng.choice(samples) for _ in range(rng.randint(1, 20))]
    rng.shuffle(samples)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    args = parser.parse_args()

    pools = [load_records(args.data / name) for name in POOLS]
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds
    runs = 0
    while time.monotonic() < deadline:
        samples = random_pool(pools, rng)
        budget = rng.randint(1, len(samples))
        k1 = rng.randint(1, len(samples) + 5)
        k2 = rng.randint(1, k1)
        k3 = rng.randint(1, k2)
        threads = rng.choice([1, 2, 3])
        expected = oracle.select(samples, budget, k1, k2, k3)
        got = zipcore.select(samples, budget, k1=k1, k2=k2, k3=k3, threads=threads).tolist()
        if got != expected:
            saved = Path(f"differential_failure_{args.seed}_{runs}.json")
            saved.write_text(json.dumps(samples), encoding="utf-8")
            print(f"MISMATCH on run {runs}: {len(samples)} samples, budget {budget}, "
                  f"k {k1}/{k2}/{k3}, {threads} threads; pool saved to {saved}", file=sys.stderr)
            return 1
        runs += 1
    print(f"{runs} random pools and parameter sets: selections equal to the oracle's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
