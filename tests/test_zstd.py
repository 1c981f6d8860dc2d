"""The zstd engine: sees redundancy far beyond zlib's 32 KB, stays honest about R, and keeps
the loop's guarantees (exact budget, no duplicates, thread-count independence)."""

from __future__ import annotations

import numpy as np
import pytest
import zstandard  # a test extra: the oracle for zstd sizes

import zipcore

SMALL = dict(k1=300, k2=60, k3=30)


def framed(samples: list[bytes]) -> bytes:
    return b"[" + b", ".join(samples) + b"]"


def one_shot_ratio(data: bytes, level: int) -> float:
    """What a user gets from zstd on the whole group: parameters tuned to its size by the library."""
    return len(data) / len(zstandard.ZstdCompressor(level=level).compress(data))


@pytest.fixture(scope="module")
def gsm8k(real_pool) -> list[bytes]:
    return [repr(r).encode("utf-8") for r in real_pool("gsm8k")]


def planted_pool(base: list[bytes], early: list[int]) -> tuple[list[bytes], dict[int, int]]:
    """`base` plus two near duplicates of each early pick (the pick with trailing spaces, which
    moves its stage-1 score so that it competes in a later round, far behind the original)."""
    pool = list(base)
    copy_of = {}
    for i in early:
        for tail in (b" " * 120, b" " * 240):
            pool.append(base[i] + tail)
            copy_of[len(pool) - 1] = i
    return pool, copy_of


def selected_pairs(selection: np.ndarray, copy_of: dict[int, int], pool: list[bytes]):
    """(bytes between the two, original, copy) for every planted pair both of whose members
    were selected."""
    position = {int(x): k for k, x in enumerate(selection)}
    offsets = np.concatenate([[0], np.cumsum([len(pool[x]) + 2 for x in selection])])
    pairs = []
    for copy, original in copy_of.items():
        if copy in position and original in position:
            first, last = sorted((position[copy], position[original]))
            pairs.append((int(offsets[last] - offsets[first + 1]), original, copy))
    return pairs


@pytest.mark.slow
@pytest.mark.parametrize("codec", ["zlib", "zstd"])
def test_planted_duplicates_of_early_picks(gsm8k, codec):
    early = [int(i) for i in zipcore.select(gsm8k, 400, codec=codec, **SMALL)[:10]]
    pool, copy_of = planted_pool(gsm8k, early)
    selection = zipcore.select(pool, 400, codec=codec, **SMALL)
    pairs = selected_pairs(selection, copy_of, pool)
    if codec == "zlib":
        # zlib sees 32 KB back: a copy of a pick made long ago looks like fresh data.
        assert any(gap > 64 * 1024 for gap, _, _ in pairs), pairs
    else:
        assert pairs == []


def test_zstd_scores_a_far_duplicate_as_redundant_and_zlib_does_not(gsm8k):
    # A selection of > 64 KB whose first member is later offered again, among unrelated samples.
    selection = gsm8k[:200]
    assert len(framed(selection)) > 64 * 1024
    candidates = [gsm8k[0]] + gsm8k[600:700]
    zstd = zipcore.candidate_ratios(selection, candidates, codec="zstd")
    zlib = zipcore.candidate_ratios(selection, candidates, codec="zlib")
    assert zstd[0] > zstd[1:].max()  # the duplicate is the most redundant candidate by far
    assert zlib[1:].min() < zlib[0] < zlib[1:].max()  # zlib: indistinguishable from the rest


@pytest.mark.parametrize("level", [pytest.param(1, marks=pytest.mark.slow), 3,
                                   pytest.param(9, marks=pytest.mark.slow)])
def test_reported_ratio_stays_within_one_percent_of_one_shot(gsm8k, level):
    result = zipcore.select_with_stats(gsm8k, 300, codec="zstd", level=level, **SMALL)
    group = framed([gsm8k[i] for i in result.indices])
    truth = one_shot_ratio(group, level)
    reported = result.rounds[-1]["ratio"]
    assert abs(reported - truth) / truth < 0.01, (reported, truth)


def test_candidate_ratio_of_empty_selection_is_the_one_shot_ratio(gsm8k):
    ratios = zipcore.candidate_ratios([], gsm8k[:20], codec="zstd", level=3)
    expected = [len(framed([s])) / len(zstandard.ZstdCompressor(level=3).compress(framed([s])))
                for s in gsm8k[:20]]
    np.testing.assert_allclose(ratios, expected, rtol=0.02)


@pytest.mark.slow  # the fast tier has tests/test_determinism.py's zstd sweep
@pytest.mark.parametrize("level", [1, 3])
def test_zstd_output_is_identical_for_1_2_4_threads(gsm8k, level):
    results = [zipcore.select(gsm8k[:600], 150, codec="zstd", level=level, threads=t, **SMALL)
               for t in (1, 2, 4)]
    for other in results[1:]:
        np.testing.assert_array_equal(results[0], other)
    assert len(set(results[0].tolist())) == 150


def test_zstd_keeps_the_budget_and_restores_the_pool_when_it_runs_dry(gsm8k):
    pool = gsm8k[:90]
    result = zipcore.select_with_stats(pool, 80, codec="zstd", k1=40, k2=20, k3=5)
    assert len(result.indices) == 80 and len(set(result.indices.tolist())) == 80
    assert any(r["pool_restored"] for r in result.rounds)


@pytest.mark.parametrize("level", [0, 23, -1])
def test_bad_zstd_level_is_a_value_error(gsm8k, level):
    with pytest.raises(ValueError, match="zstd level"):
        zipcore.select(gsm8k[:20], 5, codec="zstd", level=level, k1=10, k2=5, k3=5)


def test_zlib_rejects_other_levels_and_unknown_codecs(gsm8k):
    with pytest.raises(ValueError, match="level 9 only"):
        zipcore.select(gsm8k[:20], 5, codec="zlib", level=6, k1=10, k2=5, k3=5)
    with pytest.raises(ValueError, match="codec must be"):
        zipcore.select(gsm8k[:20], 5, codec="lz4", k1=10, k2=5, k3=5)


@pytest.mark.slow
def test_reported_ratio_of_a_selection_past_one_mebibyte_stays_within_one_percent(real_pool):
    # Past 1 MiB the selection's size comes from the streaming compressor, flushed every round.
    # 1,750 samples of two consecutive records each (as a preference pair is one sample): ~1.4 KB.
    records = [repr(r).encode("utf-8") for r in real_pool("all")]
    pool = [a + b", " + b for a, b in zip(records[::2], records[1::2])]
    result = zipcore.select_with_stats(pool, 1000, codec="zstd", level=3, k1=1100, k2=110, k3=100)
    group = framed([pool[i] for i in result.indices])
    assert len(group) > 1 << 20
    truth = one_shot_ratio(group, 3)
    reported = result.rounds[-1]["ratio"]
    assert abs(reported - truth) / truth < 0.01, (reported, truth)
