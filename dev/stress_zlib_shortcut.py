#!/usr/bin/env python3
"""Stress test for the exact zlib shortcut: random large groups, verification on.

Builds random selections (up to ~1 MB: many 32 KB windows and closed 16K-token blocks) from real
samples, random bytes, long repeats and mixtures, and scores random candidates with
zipcore.candidate_ratios while every shortcut evaluation is recomputed the plain way
(_core._set_shortcut_verification). Spot-checks ratios against Python's zlib too. Fails on the
first difference.

    .venv/bin/python dev/stress_zlib_shortcut.py --seconds 300 [--data ../shared/data/pool_real_5k.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zlib
from pathlib import Path

import zipcore
from zipcore import _core


def piece_maker(texts: list[bytes], rng: random.Random):
    def text() -> bytes:
        return rng.choice(texts)

    def noise() -> bytes:
        return rng.randbytes(rng.choice([1, 50, 700, 5000, 40_000]))

    def repeat() -> bytes:
        return rng.randbytes(rng.randint(1, 9)) * rng.randint(1, 20_000)

    def mixed() -> bytes:
        a = text()
        cut = rng.randint(0, len(a))
        return a[:cut] + rng.randbytes(rng.randint(0, 300)) + a[cut:]

    def empty() -> bytes:
        return b""

    kinds = [text] * 12 + [noise, repeat, mixed, mixed, empty]
    return lambda: rng.choice(kinds)()


def python_ratio(group: list[bytes]) -> float:
    raw = b"[" + b", ".join(group) + b"]"
    return len(raw) / len(zlib.compress(raw, 9))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--data", type=Path, default=Path(zipcore.EXAMPLE_POOL))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    texts = [repr(r).encode("utf-8") for r in json.loads(args.data.read_text(encoding="utf-8"))]
    rng = random.Random(args.seed)
    make = piece_maker(texts, rng)
    _core._set_shortcut_verification(True)
    before = _core._shortcut_counts()
    deadline = time.monotonic() + args.seconds
    groups = checked = 0
    while time.monotonic() < deadline:
        target = rng.choice([100, 5_000, 40_000, 120_000, 400_000, 1_000_000])
        selected: list[bytes] = []
        while sum(map(len, selected)) < target:
            selected.append(make())
        candidates = [make() for _ in range(rng.randint(1, 12))]
        got = zipcore.candidate_ratios(selected, candidates, threads=2)  # raises on a difference
        if groups % 5 == 0:  # the oracle is slow on large groups: spot-check
            expected = [python_ratio(selected + [c]) for c in candidates]
            if got.tolist() != expected:
                print(f"MISMATCH against zlib.compress in group {groups}", file=sys.stderr)
                return 1
            checked += len(candidates)
        groups += 1
    after = _core._shortcut_counts()
    print(f"{groups} groups, shortcut evaluations {after[0] - before[0]:,} (each verified), "
          f"plain {after[1] - before[1]:,}, {checked:,} also checked against zlib.compress: "
          f"no difference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
