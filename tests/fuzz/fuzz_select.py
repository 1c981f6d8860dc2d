#!/usr/bin/env python3
"""Fuzzes ``select_with_stats``/``select`` with random small pools and parameters, both codecs.

Pools of 0..10 samples (bytes of 0..64 bytes, empty ones, long repetitive ones, str with and
without lone surrogates, dict records, exact duplicates); budget, k1, k2, k3, threads, codec and
level drawn inside and outside their valid ranges, some not integers at all. A call the API
documents as invalid must raise ValueError or TypeError; a valid one must return ``budget``
distinct in-range int64 indices, equal to tests/oracle.py (written from SPEC.md) for zlib, and the
same for any thread count and on a repeat for zstd. A progress callback that raises must have its
exception propagate; its calls must count up to their total.
"""

from __future__ import annotations

import numpy as np

import _common
import _pools
import oracle
import zipcore


class Stop(Exception):
    """Raised by the progress callback."""


def _progress(calls: list, stop: bool):
    def progress(stage: int, round_: int, done: int, total: int) -> None:
        calls.append((stage, round_, done, total))
        if stop:
            raise Stop()
    return progress


def _check_result(samples, budget, k1, k2, k3, codec, level, threads, result, calls) -> None:
    got = result.indices
    assert isinstance(got, np.ndarray) and got.dtype == np.int64 and got.ndim == 1
    picks = got.tolist()
    assert len(picks) == budget and len(set(picks)) == budget
    assert all(0 <= i < len(samples) for i in picks)
    assert sum(r["picked"] for r in result.rounds) == budget
    assert result.rounds[-1]["selected"] == budget
    dones = [c[2] for c in calls]
    assert dones == sorted(dones) and calls and calls[-1][2] == calls[-1][3]
    if codec == "zlib":
        assert picks == oracle.select(samples, budget, k1, k2, k3), "differs from the oracle"
    else:
        again = zipcore.select(samples, budget, k1=k1, k2=k2, k3=k3, codec=codec, level=level,
                               threads=1 if threads != 1 else 2)
        assert again.tolist() == picks, "zstd result depends on the thread count"


def test_one_input(data: bytes) -> None:
    draw = _pools.Draw(data)
    samples = _pools.pool(draw, 10)
    n = len(samples)
    budget, k1, k2, k3, threads, codec, level = _pools.select_params(draw, n)
    stop = draw.chance(16)

    ints = [_pools.as_int(v) for v in (budget, k1, k2, k3)]
    valid = (n > 0 and all(_pools.valid_sample(s) for s in samples) and None not in ints
             and 1 <= ints[0] <= n and ints[1] >= ints[2] >= ints[3] >= 1
             and _pools.valid_threads(threads) and _pools.valid_codec_level(codec, level))
    calls: list = []
    try:
        result = zipcore.select_with_stats(samples, budget, k1=k1, k2=k2, k3=k3, threads=threads,
                                           codec=codec, level=level,
                                           progress=_progress(calls, stop))
    except (ValueError, TypeError) as exc:
        if valid:
            raise AssertionError(f"a valid call raised {exc!r}") from exc
        _common.OUTCOMES.add("rejected")
        return
    except Stop:
        assert valid and stop, "the callback ran for an invalid call"
        assert calls, "Stop raised without a callback call"
        _common.OUTCOMES.add("stopped")
        return
    assert valid, "an invalid call returned"
    assert not stop, "the callback's exception was lost"
    _check_result(samples, *ints, codec, level, threads, result, calls)
    _common.OUTCOMES.add(f"selected_{codec}")


if __name__ == "__main__":
    _common.run(test_one_input, ["zipcore"])
