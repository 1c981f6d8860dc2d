"""The same input gives the same selection for 1 to 4 threads and on every repeat, in every codec,
and with threads the oracle's selection (zlib).

The sweep covers real slices of the three test pools and pools built to have exact ties (equal
ratios in double precision): duplicated records, identical bytes, empty samples. Ties are where
a thread-dependent order would show: zipcore breaks them by list order, never by which thread
finished first.
"""

from __future__ import annotations

import numpy as np
import pytest

import oracle
import zipcore

CODECS = [
    pytest.param("zlib", None, id="zlib"),
    pytest.param("zstd", 1, id="zstd-1"),
    pytest.param("zstd", 3, id="zstd-3", marks=pytest.mark.slow),  # zstd-1 in the fast tier
]
THREADS = [1, 2, 3, 4]
REPEATED = (1, 4)
"""Thread counts run a second time: a repeat must not differ either."""


def real_slice(name, start, stop):
    return lambda real_pool: real_pool(name, start, stop)


def duplicated_records(real_pool):
    """40 records, each twice, interleaved: every score has an exact twin."""
    records = real_pool("gsm8k", 500, 540)
    return [records[i // 2] for i in range(80)]


def identical_bytes(_):
    """Nothing but ties: 30 copies of one text, and 10 of another."""
    return [b"the same sample, again and again"] * 30 + [b"another one"] * 10


def empties_and_repeats(real_pool):
    """Empty samples, repeated short texts and real records mixed."""
    texts = [r["conversations"][0]["value"][:60] for r in real_pool("gsm8k", 100, 130)]
    return [b"", texts[0], b""] + texts + texts[:10] + [b""] * 5 + real_pool("hh", 40, 60)


# (pool builder, budget, k1, k2, k3, built with exact ties)
POOLS = [
    pytest.param(real_slice("pool", 1000, 1150), 50, 100, 30, 10, False, id="pool"),
    pytest.param(real_slice("gsm8k", 600, 720), 40, 80, 25, 8, False, id="gsm8k"),
    pytest.param(real_slice("hh", 400, 520), 45, 90, 20, 7, False, id="hh-pairs"),
    pytest.param(real_slice("hh", 200, 290), 60, 40, 20, 6, False, id="hh-restores"),
    pytest.param(real_slice("gsm8k", 0, 120), 20, 60, 15, 1, False, id="gsm8k-k3-1"),
    pytest.param(duplicated_records, 30, 40, 16, 5, True, id="duplicated-records"),
    pytest.param(identical_bytes, 25, 20, 10, 4, True, id="identical-bytes"),
    pytest.param(empties_and_repeats, 35, 30, 12, 5, True, id="empties-and-repeats"),
]


@pytest.mark.parametrize("codec, level", CODECS)
@pytest.mark.parametrize("build, budget, k1, k2, k3, tied", POOLS)
def test_selection_is_the_same_for_any_threads_and_repeat(real_pool, build, budget, k1, k2, k3,
                                                          tied, codec, level):
    samples = build(real_pool)
    kwargs = dict(k1=k1, k2=k2, k3=k3, codec=codec, level=level)
    reference = zipcore.select(samples, budget, threads=1, **kwargs).tolist()
    assert len(reference) == budget and len(set(reference)) == budget
    for threads in THREADS[1:] + list(REPEATED):
        result = zipcore.select_with_stats(samples, budget, threads=threads, **kwargs)
        assert result.threads == threads  # really run on that many threads
        assert result.indices.tolist() == reference, f"threads={threads} differs"

    if tied:
        # The pool really has exact ties in this codec, so their order was put to the test.
        scores = zipcore.candidate_ratios([], samples, codec=codec, level=level, threads=1)
        assert len(np.unique(scores)) < len(scores)


@pytest.mark.parametrize("codec, level", CODECS)
def test_candidate_ratios_are_the_same_for_any_threads_and_repeat(real_pool, codec, level):
    selected = real_pool("pool", 1300, 1340)
    candidates = real_pool("pool", 1340, 1500) + duplicated_records(real_pool)[:20]
    reference = zipcore.candidate_ratios(selected, candidates, threads=1, codec=codec,
                                         level=level)
    for threads in THREADS[1:] + list(REPEATED) + [None]:
        got = zipcore.candidate_ratios(selected, candidates, threads=threads, codec=codec,
                                       level=level)
        assert np.array_equal(got, reference), f"threads={threads} differs"


def test_threaded_select_equals_oracle(real_pool):
    samples = real_pool("gsm8k", 1100, 1190)
    expected = oracle.select(samples, 40, 45, 20, 7)
    for threads in (1, 3, 4):
        assert zipcore.select(samples, 40, k1=45, k2=20, k3=7, threads=threads).tolist() == expected
