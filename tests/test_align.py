"""Target alignment (zipcore.align): ZIP-FIT's score exactly, against a slow oracle written from
its definition and against the zip-fit package itself; the dictionary score; select_aligned."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import zipcore
from zipcore import _core
from zipcore.align import (CONTRAST_DRAWS, DIVERSE_FACTOR, align_scores, background_candidates,
                           background_sets, contrast_sets, length_matched_sets, own_sets,
                           select_aligned)
from zipcore.pool import Pool


def oracle(sources: list[bytes], targets: list[bytes], level: int) -> np.ndarray:
    """ZIP-FIT's score as its paper and package define it: the mean (np.mean) over targets of
    1 - NCD(x, t), every size len(gzip.compress(..., level)), the pair as x + t."""
    def size(data: bytes) -> int:
        return len(gzip.compress(data, level))

    target_sizes = [size(t) for t in targets]
    scores = []
    for x in sources:
        cx = size(x)
        scores.append(np.mean([1 - (size(x + t) - min(cx, ct)) / max(cx, ct)
                               for t, ct in zip(targets, target_sizes)]))
    return np.array(scores)


def _texts(records: list[dict[str, Any]]) -> list[bytes]:
    return [repr(record).encode("utf-8") for record in records]


@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_zipfit_scores_are_the_oracles_exactly(real_pool, level):
    sources = _texts(real_pool("pool", 0, 40))
    targets = _texts(real_pool("gsm8k", 0, 9))
    assert np.array_equal(align_scores(sources, targets, level=level, threads=2),
                          oracle(sources, targets, level))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=6),
       st.lists(st.binary(max_size=300), min_size=1, max_size=11), st.sampled_from([0, 9]))
def test_zipfit_on_any_bytes_and_empty_samples(sources, targets, level):
    expected = oracle(sources, targets, level)
    for threads in (1, 3):
        assert np.array_equal(align_scores(sources, targets, level=level, threads=threads),
                              expected)


@pytest.mark.parametrize("size", [1, 7, 8, 9, 127, 128, 129, 300, 1000])
def test_the_mean_is_numpys_for_every_target_count(size):
    targets = [bytes([65 + i % 26]) * (1 + i % 40) for i in range(size)]
    sources = [b"ABCDEFGHIJ" * 3, b"zzz"]
    assert np.array_equal(align_scores(sources, targets), oracle(sources, targets, 9))


def test_gzip_sizes_past_pythons_first_output_block(real_pool):
    """At level 0 stored blocks follow the output buffer; CPython grows it from 32 KiB."""
    big = json.dumps(real_pool("pool")).encode()
    assert len(big) > 300_000
    for level in (0, 1, 9):
        assert _core.gzip_size(big[:70_000], big[70_000:], level) == len(gzip.compress(big, level))


ZIPFIT_RUN = """
import json, sys
from zip_fit.zipfit import ZIPFIT
sources, targets, level = json.load(sys.stdin)
fit = ZIPFIT("s.jsonl", "t.jsonl", k=len(sources), compress_level=level)
ranked = fit.rank_sequences_by_alignment(sources, targets)
print(json.dumps([[text, float(score)] for text, score in ranked]))
"""


@pytest.mark.parametrize("level", [0, pytest.param(9, marks=pytest.mark.slow)])
def test_zipfit_scores_are_the_packages(real_pool, level):
    """The package itself, in a process of its own (it forks a multiprocessing pool). Its mean
    comes from results gathered out of order (imap_unordered), so it may differ in the last bit."""
    pytest.importorskip("zip_fit", reason="zip-fit is a test dependency ([test] extra)")
    sources = [r["conversations"][0]["value"] for r in real_pool("pool", 0, 60)]
    targets = [r["conversations"][0]["value"] for r in real_pool("gsm8k", 0, 12)]
    run = subprocess.run([sys.executable, "-c", ZIPFIT_RUN], input=json.dumps(
        [sources, targets, level]), capture_output=True, text=True, check=True)
    ranked = json.loads(run.stdout.strip().splitlines()[-1])
    theirs = dict(map(tuple, ranked))  # text -> score (the sources are distinct texts)
    assert len(theirs) == len(sources)
    ours = align_scores(sources, targets, level=level)
    assert np.allclose(ours, [theirs[text] for text in sources], rtol=0, atol=1e-12)


def test_the_dictionary_score(real_pool):
    targets = _texts(real_pool("gsm8k", 0, 50))
    sources = targets[:10] + _texts(real_pool("hh", 0, 10)) + [b""]
    scores = align_scores(sources, targets, method="dict")
    assert scores.dtype == np.float64 and len(scores) == 21
    assert (scores[:10] > 0.8).all()  # in the targets: explained almost whole
    assert scores[:10].min() > scores[10:20].max()  # math problems over dialogues
    assert np.isfinite(scores).all() and scores[20] <= 0.0  # nothing to explain
    assert np.array_equal(align_scores(sources, targets, method="dict", threads=1),
                          align_scores(sources, targets, method="dict", threads=3))
    assert not np.array_equal(scores, align_scores(sources, targets, method="dict", level=19))


def _dialogue(record: dict[str, Any]) -> str:
    return "\n".join(turn["value"] for turn in record["conversations"])


@pytest.mark.parametrize("method, contrast", [("zipfit", False), ("dict", False), ("dict", True),
                                             ("zipfit", True)])
def test_select_aligned_finds_the_target_source(real_pool, method, contrast):
    """The example pool mixes GSM8K (1,200) and hh-rlhf dialogues (300); the target is 40
    other hh-rlhf dialogues, none of them in the pool."""
    records = real_pool("pool")
    pool = [_dialogue(r) for r in records]
    wanted = np.array([r["source"].startswith("hh_rlhf") for r in records])
    target = [text for text in map(_dialogue, real_pool("hh", 0, 120)[::2]) if text not in pool]
    target = target[:40]
    assert len(target) == 40 and wanted.sum() == 300
    chosen = select_aligned(pool, target, 100, method=method, contrast=contrast, threads=2)
    assert chosen.dtype == np.int64 and len(set(chosen.tolist())) == 100
    precision = wanted[chosen].mean()
    assert precision >= 0.9, precision
    scores = align_scores(pool, target, method=method, contrast=contrast)
    assert np.array_equal(chosen, np.argsort(-scores, kind="stable")[:100])  # best first


def _dictionary_sizes(samples: list[bytes], targets: list[bytes]) -> tuple[np.ndarray, ...]:
    """The engine's (C(x), C(x | targets)) of each sample, zstd level 3."""
    pool, reference = Pool.from_samples(samples), Pool.from_samples(targets)
    return _core.dictionary_sizes(pool.data, pool.offsets, reference.data, reference.offsets,
                                  3, 1)


def test_dicts_background_sets_are_runs_of_one_random_order(real_pool):
    pool = _texts(real_pool("pool", 0, 300))
    target_bytes = sum(map(len, _texts(real_pool("hh", 0, 12))))
    sizes = np.array([len(s) for s in pool])
    sets = background_sets(sizes, target_bytes)
    order = np.random.default_rng(0).permutation(len(pool))  # BACKGROUND_SEED's order
    start = 0
    for chosen in sets:  # consecutive runs of it, each the shortest that holds the target's bytes
        run = order[start:start + len(chosen)]
        assert np.array_equal(np.sort(run), chosen)
        assert sizes[run].sum() >= target_bytes > sizes[run[:-1]].sum()
        start += len(chosen)


def _nearest_free_oracle(sizes: np.ndarray, target_sizes: np.ndarray) -> list[np.ndarray]:
    """length_matched_sets written out slowly: every free sample looked at for every target."""
    random = np.random.default_rng(0)  # BACKGROUND_SEED
    shuffled = random.permutation(len(sizes))
    by_length = shuffled[np.argsort(sizes[shuffled], kind="stable")].tolist()
    free = list(range(len(by_length)))  # positions in by_length
    sets = []
    for _ in range(CONTRAST_DRAWS):
        chosen = []
        for size in target_sizes[random.permutation(len(target_sizes))].tolist():
            def distance(position: int) -> tuple[int, int, int]:
                length = int(sizes[by_length[position]])
                if length >= size:  # above: the first of its length
                    return (length - size, 1, position)
                return (size - length, 0, -position)  # below, preferred on a tie: the last
            best = min(free, key=distance)
            free.remove(best)
            chosen.append(by_length[best])
        sets.append(np.sort(np.array(chosen, dtype=np.int64)))
    return sets


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=3, max_size=60), st.data())
def test_length_matched_sets_take_the_nearest_free_length(sizes, data):
    sizes = np.array(sizes)
    targets = np.array(data.draw(st.lists(st.integers(0, 40), min_size=1,
                                          max_size=len(sizes) // CONTRAST_DRAWS)))
    sets = length_matched_sets(sizes, targets)
    for got, expected in zip(sets, _nearest_free_oracle(sizes, targets)):
        assert np.array_equal(got, expected)


def test_zipfits_contrast_needs_a_pool_of_three_distinct_samples_a_target():
    with pytest.raises(ValueError, match="at least 3 distinct samples, other than the targets, "
                                         "for each target .* this one has 5 such samples for 2 "
                                         "targets"):
        align_scores([b"p", b"q", b"r", b"s", b"v", b"t", b"p"], [b"t", b"u"], contrast=True)


@pytest.mark.parametrize("method", ["dict", "zipfit"])
def test_contrast_is_the_target_score_less_the_pools(real_pool, method):
    pool = _texts(real_pool("pool", 0, 300))
    target = _texts(real_pool("hh", 0, 12))
    sizes = np.array([len(s) for s in pool])
    target_sizes = np.array([len(t) for t in target])
    if method == "dict":  # as many bytes as the targets
        sets = background_sets(sizes, int(target_sizes.sum()))
    else:  # a sample of about each target's length
        sets = length_matched_sets(sizes, target_sizes)
        assert all(len(chosen) == len(target) for chosen in sets)
    assert len(sets) == CONTRAST_DRAWS
    members = np.concatenate(sets)
    assert len(set(members.tolist())) == len(members)  # disjoint

    def closeness(reference: list[bytes]) -> np.ndarray:
        """zipfit: its score; dict: minus the pool's code lengths under the reference."""
        if method == "zipfit":
            return align_scores(pool, reference, method=method)
        return -_dictionary_sizes(pool, reference)[1].astype(np.float64)

    backgrounds = np.stack([closeness([pool[i] for i in chosen]) for chosen in sets])
    counted = np.ones_like(backgrounds, dtype=bool)
    for k, chosen in enumerate(sets):
        counted[k, chosen] = False  # a sample is not scored against a set that holds it
    expected = closeness(target) - (backgrounds * counted).sum(axis=0) / counted.sum(axis=0)
    for threads in (1, 3):
        scores = align_scores(pool, target, method=method, contrast=True, threads=threads)
        assert np.array_equal(scores, expected)
    if method == "zipfit":  # a difference of mean similarities
        assert ((-1 <= expected) & (expected <= 1)).all()
    else:  # bytes saved, at most about x's own compressed size either way
        assert (np.abs(expected) <= _dictionary_sizes(pool, target)[0]).all()
    # a copy of a target sample stays near the top; the background does not explain it away
    with_copy = align_scores(pool + [target[0]], target, method=method, contrast=True)
    assert with_copy[-1] > np.quantile(with_copy[:-1], 0.99)


@pytest.mark.parametrize("method", ["dict", "zipfit"])
@pytest.mark.parametrize("copies", [2, 3])
def test_an_exact_copy_in_a_background_set_does_not_count_against_a_sample(real_pool, method,
                                                                           copies):
    """Every sample two or three times: a text lies in one set at most (zipfit's length
    matching would put one copy in each), and that set is left out for all of its copies."""
    texts = _texts(real_pool("pool", 0, 150))
    pool = texts * copies
    target = _texts(real_pool("hh", 0, 6))
    samples, targets = Pool.from_samples(pool), Pool.from_samples(target)
    candidates = background_candidates(samples, targets)
    assert np.array_equal(candidates, np.arange(len(texts)))  # the first of each text
    sets = contrast_sets(method, samples, targets)
    own = own_sets(samples, sets)
    for k, chosen in enumerate(sets):  # the set's samples and their copies, nothing else
        copy_of = np.concatenate([chosen + c * len(texts) for c in range(copies)])
        assert np.array_equal(np.flatnonzero(own[k]), np.sort(copy_of))
    assert (own.sum(axis=0) <= 1).all()  # every sample keeps two sets of three
    scores = align_scores(pool, target, method=method, contrast=True)
    members = np.concatenate(sets)
    for c in range(1, copies):  # each copy is scored as the sample is, not pushed down by it
        assert np.array_equal(scores[members + c * len(texts)], scores[members])
    assert scores[members].mean() > np.quantile(scores, 0.25)


def test_a_target_copied_into_the_pool_is_no_background(real_pool):
    texts = _texts(real_pool("pool", 0, 300))
    target = _texts(real_pool("hh", 0, 10))
    pool = texts + target  # the targets again, at the end
    samples = Pool.from_samples(pool)
    candidates = background_candidates(samples, Pool.from_samples(target))
    assert np.array_equal(candidates, np.arange(len(texts)))
    scores = align_scores(pool, target, contrast=True)  # zipfit: their lengths would match first
    assert scores[len(texts):].min() > np.quantile(scores[:len(texts)], 0.95)


@pytest.mark.parametrize("sizes, target, message", [
    ([9, 10], 10, "dict's contrast needs a pool whose distinct samples, other than the targets, "
                  "split into 3 random sets of at least 10 bytes each (the target set's size); "
                  "this one has 2 such samples, 19 bytes"),
    ([1000], 10, "this one has 1 such samples, 1,000 bytes"),  # one sample cannot be 3 sets
    ([6] * 5, 10, "this one has 5 such samples, 30 bytes"),  # 3 times the bytes: sets go over
    ([1, 1], 0, "at least 1 byte each (the target set's size); this one has 2 such samples"),
])
def test_contrast_needs_a_pool_that_splits_into_background_sets(sizes, target, message):
    pool = [bytes([65 + i]) * size for i, size in enumerate(sizes)]  # distinct
    with pytest.raises(ValueError, match=re.escape(message)):
        align_scores(pool, [b"t" * target], method="dict", contrast=True)


@pytest.mark.parametrize("method", ["dict", "zipfit"])
def test_contrast_on_small_and_empty_inputs(method):
    scores = align_scores([b"a" * 10, b"b" * 10, b"c" * 10], [b"t" * 10], method=method,
                          contrast=True)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    empty_targets = align_scores([b"a" * 10, b"b" * 10, b"c" * 10], [b""], method=method,
                                 contrast=True)  # each set holds one sample
    assert empty_targets.shape == (3,) and np.isfinite(empty_targets).all()
    assert align_scores([], [b"t"], method=method, contrast=True).shape == (0,)
    with pytest.raises(ValueError, match=f"level for {method} must be"):
        align_scores([], [b"t"], method=method, contrast=True, level=23)  # checked all the same
    # copies of the target all over the pool: explained by T, not by the background
    repeated = b"the same sentence, over and over in the pool " * 3
    others = [f"sample {i}: {'unrelated words ' * (i % 5 + 1)}".encode() for i in range(30)]
    pool = others + [repeated] * 10
    scores = align_scores(pool, [repeated], method=method, contrast=True)
    assert scores[30:].min() > scores[:30].max()
    with pytest.raises(ValueError, match="such samples"):  # nothing but the target: no background
        align_scores([repeated] * 10, [repeated], method=method, contrast=True)


def test_ties_keep_index_order():
    sources = [b"same", b"other text entirely", b"same", b"same"]
    chosen = select_aligned(sources, [b"same"], 3)
    assert chosen.tolist() == [0, 2, 3]


def test_diverse_runs_zip_over_the_best(real_pool):
    pool = real_pool("gsm8k", 0, 200)
    pool = pool + pool[:100]  # near-duplicates: the same records again
    target = real_pool("gsm8k", 200, 230)
    plain = select_aligned(pool, target, 20)
    diverse = select_aligned(pool, target, 20, diverse=True)
    scores = align_scores(pool, target)
    shortlist = set(np.argsort(-scores, kind="stable")[:DIVERSE_FACTOR * 20].tolist())
    assert set(diverse.tolist()) <= shortlist and len(set(diverse.tolist())) == 20
    texts = [repr(r) for r in pool]
    assert len({texts[i] for i in diverse}) == 20  # no record twice
    # ZIP's aim: a lower ratio (less redundant) than the plain top 20
    assert zipcore.compression_ratio([pool[i] for i in diverse]) < \
        zipcore.compression_ratio([pool[i] for i in plain])


def test_the_dictionary_score_is_zero_where_the_targets_do_not_help():
    """Targets of bytes 128-255 share nothing with lowercase letters: whatever their size and
    level, the score is about 0 (both sizes use the dictionary's own zstd parameters)."""
    rng = np.random.default_rng(1)
    sources = [bytes(rng.integers(97, 123, n, dtype=np.uint8)) for n in (50, 2000, 100000)]
    targets = [bytes(rng.integers(128, 256, 1000, dtype=np.uint8)) for _ in range(100)]
    for level in (1, 3, 5, 19):
        assert np.abs(align_scores(sources, targets, method="dict", level=level)).max() < 0.01


def test_the_dictionary_level_follows_the_target_sets_size():
    from zipcore.align import DICT_LARGE_BYTES, method_level

    assert method_level("dict", None, DICT_LARGE_BYTES) == 3
    assert method_level("dict", None, DICT_LARGE_BYTES + 1) == 5  # zstd 1-4 read 16 MiB of it
    assert method_level("dict", 3, DICT_LARGE_BYTES + 1) == 3
    assert method_level("zipfit", None, DICT_LARGE_BYTES + 1) == 9


def test_a_target_set_over_16_mib_is_read_whole():
    """zstd's levels 1-4 read the last 16 MiB of a dictionary: past that, the default level is
    5, and a sample copied from the target set's start is explained as well as one from its end."""
    rng = np.random.default_rng(0)  # random letters: a target shares nothing with another
    targets = rng.integers(97, 123, (35000, 500), dtype=np.uint8)
    pool = zipcore.Pool.from_buffers(targets.reshape(-1), np.arange(0, 500 * 35001, 500))
    assert targets.nbytes > 16 << 20
    ends = zipcore.Pool.from_buffers(np.concatenate([targets[:20], targets[-20:]]).reshape(-1),
                                     np.arange(0, 500 * 41, 500))
    scores = align_scores(ends, pool, method="dict")
    assert np.median(scores[:20]) > 0.8 and np.median(scores[20:]) > 0.8


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="method must be one of zipfit, dict"):
        align_scores([b"a"], [b"b"], method="gzip")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target set is empty"):
        align_scores([b"a"], [])
    with pytest.raises(ValueError, match="level for zipfit must be 0..9"):
        align_scores([b"a"], [b"b"], level=10)
    with pytest.raises(ValueError, match="level for dict must be 1..22"):
        align_scores([b"a"], [b"b"], method="dict", level=0)
    with pytest.raises(TypeError, match="contrast must be True or False, got 1"):
        align_scores([b"a"], [b"b"], method="dict", contrast=1)  # type: ignore[arg-type]
    pool = [b"a", b"c", b"d", b"e"]
    assert align_scores(pool, [b"b"], method="dict", contrast=np.True_).shape == (4,)
    assert align_scores(pool, [b"b"], contrast=True).shape == (4,)  # zipfit's too
    with pytest.raises(TypeError, match="diverse must be True or False, got 'no'"):
        select_aligned([b"a", b"b"], [b"b"], 1, diverse="no")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"budget 3 is larger than the pool \(2 samples\)"):
        select_aligned([b"a", b"b"], [b"b"], 3)


def test_progress_is_reported(real_pool):
    seen: list[tuple[int, int]] = []
    align_scores(_texts(real_pool("pool", 0, 30)), [b"x" * 50] * 4, threads=2,
                 progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] <= seen[-1][1] == 30 + 4 + 30
    pool = _texts(real_pool("pool", 0, 30))
    for method in ("dict", "zipfit"):  # each engine call a share of the whole, in its own steps
        seen.clear()
        align_scores(pool, [b"x" * 50] * 4, method=method, contrast=True,
                     progress=lambda done, total: seen.append((done, total)))
        total = (1 + CONTRAST_DRAWS) * 30
        assert seen[-1] == (total, total) and {t for _, t in seen} == {total}
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
