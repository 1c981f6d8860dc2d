#!/usr/bin/env python3
"""Fuzzes resuming from a checkpoint file: any bytes where a checkpoint should be.

The input is the checkpoint file's content (the corpus starts from real checkpoints of the run
below, taken after round 1 and at the end). ``select(..., checkpoint=path)`` must then either
raise ``ZipcoreError`` whose message starts with the path (a damaged, foreign or inconsistent
checkpoint), or return a valid selection: ``budget`` distinct in-range indices, and exactly the
uninterrupted run's when the file is one of the real checkpoints. No other exception type, no
crash, no hang, and no temporary file left beside the checkpoint.

Make the seed corpus again (after a change of the checkpoint format) with
``python tests/fuzz/fuzz_checkpoint.py --make-seeds tests/fuzz/corpus/fuzz_checkpoint``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

import _common
import zipcore
from zipcore import checkpoint

PARAMS = dict(budget=12, k1=30, k2=12, k3=4, threads=1)
with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as _handle:
    POOL = zipcore.Pool.from_samples(json.load(_handle)[:40])
EXPECTED = zipcore.select(POOL, **PARAMS)

_DIR = Path(os.environ.get("ZIPCORE_FUZZ_TMP") or tempfile.gettempdir()) / f"ck-{os.getpid()}"
_DIR.mkdir(parents=True, exist_ok=True)
PATH = _DIR / "run.npz"


def make_seeds(folder: Path) -> None:
    """Writes the checkpoint after each round of the run as a seed input."""
    folder.mkdir(parents=True, exist_ok=True)
    original = checkpoint.save

    def keep(path, identity, state):
        original(path, identity, state)
        (folder / f"round-{state.rounds}.npz").write_bytes(PATH.read_bytes())

    checkpoint.save = keep
    try:
        PATH.unlink(missing_ok=True)
        zipcore.select(POOL, **PARAMS, checkpoint=PATH)
    finally:
        checkpoint.save = original
        PATH.unlink(missing_ok=True)


def test_one_input(data: bytes) -> None:
    PATH.write_bytes(data)
    try:
        got = zipcore.select(POOL, **PARAMS, checkpoint=PATH)
    except zipcore.ZipcoreError as exc:
        assert str(exc).startswith(f"{PATH}: "), exc
        _common.OUTCOMES.add("rejected")
        return
    finally:
        leftovers = [p.name for p in _DIR.iterdir() if p.name != PATH.name]
        assert not leftovers, leftovers
    picks = got.tolist()
    assert len(picks) == PARAMS["budget"] and len(set(picks)) == len(picks)
    assert all(0 <= i < len(POOL) for i in picks)
    if _is_real_checkpoint(data):
        assert np.array_equal(got, EXPECTED), "a real checkpoint resumed to another selection"
    _common.OUTCOMES.add("resumed")


_SEEDS = Path(__file__).resolve().parent / "corpus" / "fuzz_checkpoint"
_REAL = {p.read_bytes() for p in _SEEDS.glob("round-*.npz")} if _SEEDS.is_dir() else set()


def _is_real_checkpoint(data: bytes) -> bool:
    return data in _REAL


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make-seeds"]:
        make_seeds(Path(sys.argv[2]))
    else:
        _common.run(test_one_input, ["zipcore"])
