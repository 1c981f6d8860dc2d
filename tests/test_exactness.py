"""zipcore's selections and ratios equal the pure-Python oracle (tests/oracle.py) exactly."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracle
import zipcore

STAT_KEYS = ("round", "candidates", "shortlisted", "picked", "selected", "pool_restored")


def check_against_oracle(samples: list[Any], budget: int, k1: int, k2: int, k3: int,
                         *, expect_restore: bool | None = None) -> list[int]:
    """Asserts select == oracle (indices and round shapes); returns the oracle's indices."""
    expected, expected_rounds = oracle.zip_select(samples, budget, k1, k2, k3)
    if expect_restore is not None:
        # The case must really exercise (or really avoid) the restore rule.
        assert any(r["pool_restored"] for r in expected_rounds) == expect_restore

    result = zipcore.select_with_stats(samples, budget, k1=k1, k2=k2, k3=k3)
    assert result.indices.dtype == np.int64
    assert result.indices.tolist() == expected
    assert [{k: r[k] for k in STAT_KEYS} for r in result.rounds] == expected_rounds
    assert zipcore.select(samples, budget, k1=k1, k2=k2, k3=k3).tolist() == expected
    return expected


# (pool, start, stop, budget, k1, k2, k3, restores)
CASES = [
    pytest.param("pool", 0, 120, 40, 60, 20, 10, False, id="pool-basic"),
    # Large selections: stage-2 ratios crowd together, so float32 rounding creates ties.
    pytest.param("pool", 1000, 1400, 100, 200, 50, 25, False, id="pool-400",
                 marks=pytest.mark.slow),
    pytest.param("gsm8k", 800, 1100, 120, 250, 40, 30, False, id="gsm8k-300",
                 marks=pytest.mark.slow),
    pytest.param("pool", 300, 450, 61, 100, 20, 12, False, id="pool-150-budget-not-multiple"),
    pytest.param("pool", 120, 220, 37, 50, 20, 8, False, id="pool-budget-not-multiple"),
    pytest.param("gsm8k", 0, 80, 25, 40, 10, 1, True, id="gsm8k-k3-1-restore"),
    pytest.param("pool", 600, 700, 9, 50, 10, 1, False, id="pool-k3-1"),
    pytest.param("hh", 100, 200, 27, 9, 9, 9, False, id="hh-k1-eq-k2-eq-k3"),
    pytest.param("gsm8k", 400, 530, 30, 7, 7, 7, False, id="gsm8k-k-equal-not-multiple"),
    pytest.param("hh", 0, 60, 50, 40, 20, 5, True, id="hh-restore"),
    pytest.param("hh", 700, 790, 45, 30, 30, 1, True, id="hh-restore-many-times"),
    pytest.param("gsm8k", 300, 370, 33, 70, 35, 6, True, id="gsm8k-restore-after-one-round"),
    pytest.param("hh", 200, 240, 40, 20, 10, 4, True, id="hh-budget-eq-n"),
    pytest.param("pool", 900, 945, 45, 45, 45, 45, False, id="pool-one-round-budget-eq-n"),
    pytest.param("gsm8k", 1000, 1050, 50, 10000, 200, 100, False, id="gsm8k-default-ks-clamped"),
    pytest.param("hh", 799, 800, 1, 10000, 200, 100, False, id="hh-single-sample"),
]


@pytest.mark.parametrize("name, start, stop, budget, k1, k2, k3, restores", CASES)
def test_select_equals_oracle_on_real_pools(real_pool, name, start, stop, budget, k1, k2, k3,
                                            restores):
    samples = real_pool(name, start, stop)
    indices = check_against_oracle(samples, budget, k1, k2, k3, expect_restore=restores)
    assert len(indices) == budget and len(set(indices)) == budget


def test_select_equals_oracle_on_mixed_pool_slices(real_pool):
    samples = real_pool("pool", 1400, 1430) + real_pool("gsm8k", 10, 30) + real_pool("hh", 40, 70)
    check_against_oracle(samples, 35, 40, 15, 6)


# --- ties -------------------------------------------------------------------------------------

def global_scores(samples: list[Any]) -> list[float]:
    return [oracle.score([oracle.sample_bytes(s)]) for s in samples]


def test_duplicated_records_tie_break_stably(real_pool):
    records = real_pool("gsm8k", 1100, 1130)
    # Every record twice (adjacent), a block of extra copies, then later duplicates of early ones.
    samples = [r for r in records for _ in range(2)] + records[5:20] + records[:10]
    g = global_scores(samples)
    assert len(set(g)) < len(samples)  # exact ties in the global scores
    check_against_oracle(samples, 30, 40, 12, 5)
    check_against_oracle(samples, 70, 25, 25, 25, expect_restore=False)
    check_against_oracle(samples, 70, 30, 20, 10, expect_restore=True)


def test_distinct_texts_with_equal_ratios(real_pool):
    # swapcase() maps letters one to one, so the compressed size usually stays the same:
    # different bytes, identical ratios.
    texts = [r["conversations"][1]["value"] for r in real_pool("gsm8k", 1100, 1140)]
    samples = texts + [t.swapcase() for t in texts] + texts[:10]
    g = global_scores(samples)
    distinct_ties = sum(1 for i in range(len(texts))
                        if g[i] == g[i + len(texts)] and texts[i] != texts[i].swapcase())
    assert distinct_ties >= 10
    check_against_oracle(samples, 40, 50, 20, 7)
    check_against_oracle(samples, 25, 30, 10, 1)


def test_identical_bytes_samples():
    samples = [b"the same sample, again and again"] * 30
    expected = check_against_oracle(samples, 30, 12, 6, 4, expect_restore=True)
    # Hand-derived: every score ties, so each round takes the first candidates in index order.
    assert expected[:4] == [0, 1, 2, 3]
    assert expected[4:8] == [6, 7, 8, 9]


def test_identical_str_samples_among_real_ones(real_pool):
    texts = [r["conversations"][0]["value"] for r in real_pool("gsm8k", 200, 230)]
    samples = []
    for i, text in enumerate(texts):
        samples.append(text)
        if i % 3 == 0:
            samples.extend([text, text])
    check_against_oracle(samples, 20, 30, 10, 3)


# --- str and bytes inputs ----------------------------------------------------------------------

def test_str_samples(real_pool):
    samples = [turn["value"] for r in real_pool("hh", 300, 340) for turn in r["conversations"][:2]]
    check_against_oracle(samples, 30, 40, 15, 7)


def test_non_ascii_str_samples(real_pool):
    samples = [t["value"] for r in real_pool("pool") for t in r["conversations"]
               if not t["value"].isascii()][:60]
    assert len(samples) == 60
    check_against_oracle(samples, 25, 30, 10, 4)


def test_bytes_samples(real_pool):
    samples = [r["conversations"][1]["value"].encode("utf-8") for r in real_pool("gsm8k", 500, 580)]
    check_against_oracle(samples, 26, 30, 12, 5)


def test_mixed_sample_types(real_pool):
    records = real_pool("hh", 200, 260)
    samples: list[Any] = []
    for i, r in enumerate(records):
        if i % 3 == 0:
            samples.append(r)
        elif i % 3 == 1:
            samples.append(r["conversations"][1]["value"])
        else:
            samples.append(bytearray(r["conversations"][0]["value"].encode("utf-8")))
    samples += ["", b""]  # empty samples take part too
    check_against_oracle(samples, 31, 35, 14, 6)


@pytest.mark.slow
def test_select_with_huge_samples(real_pool, big_text):
    # A 70 KB incompressible sample is picked first, so every stage-2 anchor is larger than the
    # 32 KB window; the ~200 KB text crosses many deflate blocks as a candidate and as a member.
    noise = np.random.default_rng(3).bytes(70_000)
    samples = real_pool("pool", 500, 540) + [big_text, noise] + real_pool("hh", 100, 110)
    expected = check_against_oracle(samples, 20, 30, 10, 4)
    assert expected[0] == 41
    check_against_oracle(samples, 52, 52, 52, 26)  # the big text is selected too


def test_records_compress_as_their_repr(real_pool):
    records = real_pool("hh", 10, 50)
    as_bytes = [repr(r).encode("utf-8") for r in records]
    expected = check_against_oracle(records, 15, 20, 8, 3)
    assert zipcore.select(as_bytes, 15, k1=20, k2=8, k3=3).tolist() == expected


# --- ratios -------------------------------------------------------------------------------------

def zlib_ratio(samples: list[Any]) -> float:
    return oracle.ratio([oracle.sample_bytes(s) for s in samples])


@pytest.fixture(scope="module")
def corpus(real_pool, big_text) -> list[Any]:
    """Real samples of every kind a group can hold."""
    records = real_pool("pool", 100, 112) + real_pool("hh", 7, 10)
    non_ascii = [t["value"] for r in real_pool("hh", 0, 300) for t in r["conversations"]
                 if not t["value"].isascii()][:3]
    assert len(non_ascii) == 3
    return (records
            + [r["conversations"][0]["value"] for r in real_pool("gsm8k", 0, 4)]
            + [r["conversations"][1]["value"].encode("utf-8") for r in real_pool("gsm8k", 4, 8)]
            + non_ascii
            + ["", b"", big_text, big_text[50_000:].encode("utf-8")])


RATIO_SETTINGS = settings(max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])


@RATIO_SETTINGS
@given(data=st.data())
def test_compression_ratio_equals_zlib(corpus, data):
    picks = data.draw(st.lists(st.integers(0, len(corpus) - 1), min_size=1, max_size=7),
                      label="group")
    group = [corpus[i] for i in picks]
    assert zipcore.compression_ratio(group) == zlib_ratio(group)


@pytest.mark.slow
@RATIO_SETTINGS
@given(data=st.data())
def test_candidate_ratios_equal_zlib(corpus, data):
    index = st.integers(0, len(corpus) - 1)
    selected = [corpus[i] for i in data.draw(st.lists(index, max_size=6), label="selected")]
    candidates = [corpus[i] for i in data.draw(st.lists(index, min_size=1, max_size=5),
                                               label="candidates")]
    threads = data.draw(st.sampled_from([1, 2, None]), label="threads")
    got = zipcore.candidate_ratios(selected, candidates, threads=threads)
    assert got.dtype == np.float64 and got.shape == (len(candidates),)
    assert got.tolist() == [zlib_ratio(selected + [c]) for c in candidates]


@pytest.mark.slow
@RATIO_SETTINGS
@given(data=st.data())
def test_ratios_of_contiguous_pool_slices(real_pool, data):
    records = real_pool("pool", 0, 400)
    start = data.draw(st.integers(0, len(records) - 1), label="start")
    stop = data.draw(st.integers(start + 1, min(len(records), start + 120)), label="stop")
    group = records[start:stop]
    assert zipcore.compression_ratio(group) == zlib_ratio(group)
    got = zipcore.candidate_ratios(group[:-1], group[-1:] + records[:2])
    assert got.tolist() == [zlib_ratio(group), zlib_ratio(group[:-1] + records[:1]),
                            zlib_ratio(group[:-1] + records[1:2])]


def test_ratio_special_groups(big_text):
    big = big_text.encode("utf-8")
    assert len(big) > 200_000
    with pytest.raises(zipcore.ZipcoreError, match="no samples"):  # "[]" is no dataset's R
        zipcore.compression_ratio([])
    assert zipcore.compression_ratio([""]) == zlib_ratio([""])
    assert zipcore.compression_ratio(["", "", b""]) == zlib_ratio(["", "", ""])
    assert zipcore.compression_ratio([big_text]) == zlib_ratio([big])
    assert zipcore.compression_ratio([big, big]) == zlib_ratio([big, big])
    assert zipcore.compression_ratio(["é", big_text, "x"]) == zlib_ratio(["é", big, "x"])
    # The anchor crosses the window and many blocks; so does a candidate.
    candidates = ["", "x", big_text, big[:40_000], "ünïcödé ✓"]
    for selected in ([], [""], [big], [big, "tail"], ["head", big[100:]]):
        got = zipcore.candidate_ratios(selected, candidates)
        assert got.tolist() == [zlib_ratio(list(selected) + [c]) for c in candidates]
    assert zipcore.candidate_ratios([big], []).tolist() == []


def test_stage2_scores_are_rounded_to_float32(real_pool):
    # A 50 KB incompressible sample s0 is picked first; then two texts compete in stage 2 by
    # ratio([s0, c]). Find two whose ratios differ in double precision but are equal in float32:
    # the float32 tie goes to the one ranked first in C, although its double ratio is larger.
    s0 = np.random.default_rng(7).bytes(50_000)
    texts = [t["value"] for r in real_pool("pool") for t in r["conversations"]]
    doubles = zipcore.candidate_ratios([s0], texts)
    alone = [oracle.score([t.encode("utf-8")]) for t in texts]
    by_score: dict[float, list[int]] = {}
    for i, d in enumerate(doubles):
        by_score.setdefault(float(np.float32(d)), []).append(i)
    pair = next(((a, b) for members in by_score.values() for a in members for b in members
                 if doubles[a] > doubles[b] and alone[a] <= alone[b]), None)
    assert pair is not None, "premise: no float32 tie between distinct double ratios"
    a, b = pair
    samples = [s0, texts[a], texts[b]]
    assert oracle.score([s0]) < min(alone[a], alone[b])  # s0 is round 1's pick
    expected = oracle.select(samples, 2, 3, 1, 1)
    assert expected == [0, 1]  # a double-precision ranking would give [0, 2]
    assert zipcore.select(samples, 2, k1=3, k2=1, k3=1).tolist() == expected
