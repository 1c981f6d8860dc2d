"""The zlib shortcut (cpp/resumed_parse.hpp) sizes groups exactly as zlib does.

The engine sizes "group + candidate" from a dictionary-primed stream and zlib's block-size
computation instead of re-emitting the group's pending block. These tests run it with
verification on (every shortcut result is also computed the plain way; a difference raises),
compare the ratios with Python's zlib, and check that each fallback case really falls back.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracle
import zipcore
from zipcore import _core


@pytest.fixture(autouse=True)
def verified():
    _core._set_shortcut_verification(True)
    yield
    _core._set_shortcut_verification(False)


def check_ratios(selected: list[bytes], candidates: list[bytes]) -> tuple[int, int]:
    """Asserts engine == Python zlib for every candidate; returns (shortcut, plain) evaluations."""
    before = _core._shortcut_counts()
    got = zipcore.candidate_ratios(selected, candidates, threads=2)
    after = _core._shortcut_counts()
    expected = [oracle.ratio(selected + [c]) for c in candidates]
    assert got.tolist() == expected
    return after[0] - before[0], after[1] - before[1]


def text_samples(real_pool, name: str, start: int, stop: int) -> list[bytes]:
    return [repr(r).encode("utf-8") for r in real_pool(name, start, stop)]


def test_real_groups_use_the_shortcut_and_agree(real_pool):
    samples = text_samples(real_pool, "pool", 0, 420)
    for size in (0, 1, 2, 7, 40, 150, 400):  # up to ~500 KB: many 32 KB windows and closed blocks
        shortcut, plain = check_ratios(samples[:size], samples[400:420])
        assert (shortcut, plain) == (20, 0)


def test_group_with_a_nearly_full_pending_block(big_text):
    # Candidates of many sizes, so that some close the selection's open block and some do not.
    text = big_text.encode("utf-8")
    selected = [text[i:i + 997] for i in range(0, 120_000, 997)]
    candidates = [text[150_000:150_000 + n] for n in (0, 1, 3, 258, 1000, 5000, 20_000, 45_000)]
    shortcut, plain = check_ratios(selected, candidates)
    assert shortcut + plain == len(candidates) and shortcut >= 6


def test_incompressible_input_falls_back():
    rng = random.Random(7)
    noise = [rng.randbytes(3000) for _ in range(30)]
    # A stored block is zlib's choice here, which only the plain evaluation can see.
    shortcut, plain = check_ratios(noise[:20], noise[20:])
    assert plain == 10


def test_incompressible_candidates_after_text_fall_back(real_pool):
    rng = random.Random(8)
    samples = text_samples(real_pool, "gsm8k", 0, 60)
    candidates = [rng.randbytes(n) for n in (10, 500, 40_000, 70_000)] + samples[50:60]
    check_ratios(samples[:50], candidates)


def test_long_repeats_and_long_candidates(real_pool):
    samples = text_samples(real_pool, "hh", 0, 40)
    selected = samples[:20] + [b"ab" * 40_000, b"x" * 70_000] + samples[20:30]
    candidates = [b"x" * 300, b"ab" * 5, samples[0], b"".join(samples[30:40]) * 3, b"", b"y"]
    check_ratios(selected, candidates)


def test_selection_through_the_shortcut_equals_the_plain_engine(real_pool):
    # Verification is on: every shortcut evaluation in this run was also done the plain way.
    samples = real_pool("pool", 900, 1500)
    before = _core._shortcut_counts()
    zipcore.select(samples, 150, k1=400, k2=60, k3=30, threads=2)
    after = _core._shortcut_counts()
    assert after[0] > before[0] and after[1] == before[1]


fragments = st.one_of(
    st.binary(min_size=0, max_size=400),
    st.text(alphabet="ab c\n{}'é", min_size=0, max_size=3000).map(lambda s: s.encode("utf-8")),
    st.tuples(st.binary(min_size=1, max_size=8), st.integers(1, 4000)).map(lambda t: t[0] * t[1]),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(selected=st.lists(fragments, max_size=25), candidates=st.lists(fragments, min_size=1, max_size=6))
def test_shortcut_matches_python_zlib_on_arbitrary_bytes(selected, candidates):
    check_ratios(selected, candidates)
