#!/usr/bin/env python3
"""Fuzzes ``candidate_ratios`` and ``compression_ratio`` with random small groups, both codecs.

The pool (see _pools.py) is split into a selection and candidates, either may be empty. Invalid
calls (lone surrogates in a str, bad threads, codec or level) must raise ValueError or TypeError.
Valid ones return one float64 per candidate: for zlib exactly ``len(b) / len(zlib.compress(b, 9))``
of ``b = [selected..., c]`` (tests/oracle.py), for zstd a positive finite ratio that does not depend
on the thread count; ``compression_ratio`` of the whole pool equals the zlib oracle.
"""

from __future__ import annotations

import math

import numpy as np

import _common
import _pools
import oracle
import zipcore


def test_one_input(data: bytes) -> None:
    draw = _pools.Draw(data)
    samples = _pools.pool(draw, 8)
    split = draw.int(0, len(samples))
    selected, candidates = samples[:split], samples[split:]
    valid_shape = not draw.chance(4)  # mostly calls that reach the engine
    threads = _pools.threads(draw, valid=valid_shape)
    codec, level = _pools.codec_and_level(draw, valid=valid_shape)
    samples_ok = all(_pools.valid_sample(s) for s in samples)
    valid = (samples_ok and _pools.valid_threads(threads)
             and _pools.valid_codec_level(codec, level))

    try:
        got = zipcore.candidate_ratios(selected, candidates, threads=threads, codec=codec,
                                       level=level)
    except (ValueError, TypeError) as exc:
        if valid:
            raise AssertionError(f"a valid call raised {exc!r}") from exc
        _common.OUTCOMES.add("rejected")
    else:
        assert valid, "an invalid call returned"
        assert isinstance(got, np.ndarray) and got.dtype == np.float64
        assert got.shape == (len(candidates),)
        if codec == "zlib":
            members = [oracle.sample_bytes(s) for s in selected]
            expected = [oracle.ratio(members + [oracle.sample_bytes(c)]) for c in candidates]
            assert got.tolist() == expected, "differs from zlib"
        else:
            assert all(math.isfinite(r) and r > 0 for r in got.tolist())
            again = zipcore.candidate_ratios(selected, candidates, codec=codec, level=level,
                                             threads=1 if threads != 1 else 2)
            assert np.array_equal(again, got), "zstd ratios depend on the thread count"
        _common.OUTCOMES.add(f"scored_{codec}")

    try:
        whole = zipcore.compression_ratio(samples)
    except ValueError:
        assert not (samples_ok and samples), "compression_ratio refused valid samples"
    else:
        assert samples_ok, "compression_ratio accepted a str with a lone surrogate"
        assert samples, "compression_ratio gave a ratio for no samples"
        assert whole == oracle.ratio([oracle.sample_bytes(s) for s in samples])


if __name__ == "__main__":
    _common.run(test_one_input, ["zipcore"])
