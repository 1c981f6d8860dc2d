"""The engine's measure of R (``_core.group_sizes``) against Python's zlib and python-zstandard.

The oracles here are written from the definitions (group_measure.hpp): the exact path is
``zlib.compress(group, 9)``; the chunked path raw-deflates each chunk primed with the 32 KiB
before it, sync-flushes all but the last, and adds the zlib header and trailer.
"""

from __future__ import annotations

import json
import math
import random
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import zipcore
from zipcore import _core

WINDOW = 32 << 10


def pool_of(samples: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    data = np.frombuffer(b"".join(samples), dtype=np.uint8)
    offsets = np.zeros(len(samples) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in samples])
    return data, offsets


def framed(samples: list[bytes], order=None) -> bytes:
    order = range(len(samples)) if order is None else order
    return b"[" + b", ".join(samples[int(i)] for i in order) + b"]"


def chunks(group: bytes, chunk_size: int) -> list[bytes]:
    """Each chunk's raw deflate output, as the parallel path defines it."""
    out = []
    for start in range(0, max(len(group), 1), chunk_size):
        end = min(start + chunk_size, len(group))
        if start == 0:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 8)
        else:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY,
                                          group[max(0, start - WINDOW):start])
        out.append(compressor.compress(group[start:end])
                   + compressor.flush(zlib.Z_FINISH if end == len(group) else zlib.Z_SYNC_FLUSH))
    return out


def chunked_size(group: bytes, chunk_size: int) -> int:
    return sum(len(c) for c in chunks(group, chunk_size)) + 6


def measure(samples, groups=None, codec="zlib", level=9, chunk_sizes=(0,), threads=1, **kw):
    data, offsets = pool_of(samples)
    return _core.group_sizes(data, offsets, groups, codec, level, list(chunk_sizes), threads, **kw)


def text_samples(seed: int, n: int, max_words: int = 120) -> list[bytes]:
    rng = random.Random(seed)
    words = ["alpha", "beta", "Grüße", "数据", "", "x" * 40, "the quick brown fox", "\u00e9t\u00e9"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(0, max_words))).encode()
            for _ in range(n)]


@pytest.fixture(scope="module")
def example_samples() -> list[bytes]:
    with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as handle:
        return [repr(record).encode() for record in json.load(handle)]


def test_framing_constants():
    assert (_core.GROUP_OPEN, _core.GROUP_SEPARATOR, _core.GROUP_CLOSE) == (b"[", b", ", b"]")


@pytest.mark.parametrize("samples", [
    [b"a"], [b""], [b"", b"", b""], [b"x" * 100_000], [bytes(range(256)) * 50, b"", b"\xff\xfe"],
    text_samples(1, 300), text_samples(2, 3000, 20),
], ids=["one", "empty", "empties", "huge", "binary", "text", "many"])
def test_exact_equals_zlib_compress(samples):
    group = framed(samples)
    assert measure(samples) == [(len(group), len(zlib.compress(group, 9)))]


@pytest.mark.parametrize("chunk_size", [1, 7, 1000, 4096, WINDOW - 1, WINDOW, WINDOW + 1, 100_000])
def test_chunked_equals_the_python_definition(chunk_size):
    samples = text_samples(3, 400) + [b"", "ünïcödé".encode()] + text_samples(4, 50)
    if chunk_size < 100:  # a job per few bytes: keep the group small (thousands of jobs still)
        samples = (samples[:18] if chunk_size == 1 else samples[:58]) + samples[400:402]
    group = framed(samples)
    assert measure(samples, chunk_sizes=[chunk_size], threads=2) == [
        (len(group), chunked_size(group, chunk_size))]


def test_chunk_sizes_around_the_group_size():
    samples = text_samples(5, 200)
    group = framed(samples)
    for chunk_size in (len(group) - 2, len(group) - 1, len(group), len(group) + 1, 1 << 40):
        got = measure(samples, chunk_sizes=[chunk_size])
        assert got == [(len(group), chunked_size(group, chunk_size))], chunk_size
    # One chunk covering the group is the exact stream.
    assert measure(samples, chunk_sizes=[len(group)]) == measure(samples)


def test_chunked_size_is_a_real_zlib_stream():
    samples = text_samples(6, 600)
    group = framed(samples)
    for chunk_size in (5000, 65536):
        stream = (b"\x78\xda" + b"".join(chunks(group, chunk_size))
                  + zlib.adler32(group).to_bytes(4, "big"))
        assert zlib.decompress(stream) == group
        assert measure(samples, chunk_sizes=[chunk_size]) == [(len(group), len(stream))]


@settings(max_examples=40, deadline=None)
@given(samples=st.lists(st.binary(max_size=300), min_size=1, max_size=30),
       chunk_size=st.integers(min_value=2, max_value=3000),
       order=st.lists(st.integers(min_value=0, max_value=29), max_size=40))
def test_chunked_and_exact_on_any_group(samples, chunk_size, order):
    order = [i % len(samples) for i in order]
    group = framed(samples, order)
    members = np.array(order, dtype=np.int64)
    got = measure(samples, [members, members], chunk_sizes=[0, chunk_size], threads=2)
    assert got == [(len(group), len(zlib.compress(group, 9))),
                   (len(group), chunked_size(group, chunk_size))]


def test_groups_by_indices_reordered_and_repeated():
    samples = text_samples(7, 50)
    orders = [[3, 1, 2], [0, 0, 0], [49], list(range(49, -1, -1)), [5, 9, 5, 9]]
    groups = [np.array(o, dtype=np.int64) for o in orders]
    got = measure(samples, groups, chunk_sizes=[0] * len(groups), threads=2)
    assert got == [(len(framed(samples, o)), len(zlib.compress(framed(samples, o), 9)))
                   for o in orders]
    # Lists of ints and unsigned arrays are index arrays too; an empty group is "[]".
    assert measure(samples, [[3, 1, 2], np.array([3, 1, 2], dtype=np.uint32)],
                   chunk_sizes=[0, 0]) == got[:1] * 2
    assert measure(samples, [[]]) == [(2, len(zlib.compress(b"[]", 9)))]


def test_none_is_the_whole_pool_in_order():
    samples = text_samples(8, 100)
    everyone = np.arange(len(samples), dtype=np.int64)
    assert measure(samples) == measure(samples, [everyone])


def test_results_do_not_depend_on_threads():
    samples = text_samples(9, 500)
    groups = [np.arange(i, 500, 3, dtype=np.int64) for i in range(3)]
    args = dict(chunk_sizes=[0, 4000, 70000])
    one = measure(samples, groups, threads=1, **args)
    for threads in (2, 4, 0):
        assert measure(samples, groups, threads=threads, **args) == one


def _zstd_reference(group: bytes, level: int) -> int:
    import zstandard  # a test extra: the reference for zstd sizes
    window_log = min(max(math.ceil(math.log2(max(len(group), 1))), zstandard.WINDOWLOG_MIN),
                     zstandard.WINDOWLOG_MAX)
    params = zstandard.ZstdCompressionParameters.from_level(
        level, source_size=len(group), window_log=window_log, enable_ldm=True)
    return len(zstandard.ZstdCompressor(compression_params=params).compress(group))


@pytest.mark.parametrize("level", [1, 3, 9, pytest.param(19, marks=pytest.mark.slow)])
def test_zstd_near_python_zstandard_and_thread_independent(example_samples, level):
    group = framed(example_samples)
    sizes = {threads: measure(example_samples, codec="zstd", level=level, threads=threads)
             for threads in (1, 2, 4)}
    assert sizes[1] == sizes[2] == sizes[4]
    raw, compressed = sizes[1][0]
    assert raw == len(group)
    # Another libzstd version than python-zstandard's bundled one: close, not equal.
    assert compressed == pytest.approx(_zstd_reference(group, level), rel=0.01)


def test_zstd_groups_and_chunk_sizes_ignored(example_samples):
    groups = [np.arange(0, 200, dtype=np.int64), np.arange(199, -1, -1, dtype=np.int64)]
    got = measure(example_samples, groups, codec="zstd", level=3, chunk_sizes=[0, 1000])
    assert got == measure(example_samples, groups, codec="zstd", level=3, chunk_sizes=[0, 0])
    assert [raw for raw, _ in got] == [len(framed(example_samples, g)) for g in groups]
    assert measure([b"a"], codec="zstd", level=3)[0][0] == 3


def test_progress_counts_group_bytes():
    samples = text_samples(10, 300)
    group = framed(samples)
    seen = []
    measure(samples, chunk_sizes=[2000], threads=2,
            progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (len(group), len(group))
    assert all(total == len(group) and 0 <= done <= total for done, total in seen)


@pytest.fixture(scope="module")
def long_pool() -> tuple[np.ndarray, np.ndarray]:
    """28 MB of text: long enough to be stopped midway (made once, it takes a second)."""
    return pool_of(text_samples(11, 40_000))


@pytest.mark.parametrize("threads", [1, 2, 4])
@pytest.mark.parametrize("codec, chunk_size", [("zlib", 0), ("zlib", 50_000), ("zstd", 0)])
def test_an_exception_in_progress_stops_the_measure_midway(long_pool, codec, chunk_size, threads):
    # One exact stream or zstd frame (a single long job) or many chunks: either way the hooks
    # are polled while the work goes on, not only at the end, also while the long job runs on
    # another thread than the caller's.
    seen = []

    def stop(done, total):
        seen.append((done, total))
        raise RuntimeError("stop here")

    data, offsets = long_pool
    # zstd at level 3 takes this pool in about the poll interval (0.1 s) on a quiet machine, so
    # the test could see only the end; level 19 takes seconds, and the first poll stops it.
    with pytest.raises(RuntimeError, match="stop here"):
        _core.group_sizes(data, offsets, None, codec, 9 if codec == "zlib" else 19,
                          [chunk_size], threads, stop)
    assert len(seen) == 1 and seen[0][0] < seen[0][1]


@pytest.mark.parametrize("groups, codec, level, chunk_sizes, threads, message", [
    ([[0, 5]], "zlib", 9, [0], 1, "index 5 is outside the pool of 3"),
    ([[-1]], "zlib", 9, [0], 1, "index -1 is outside the pool of 3"),
    ([np.array([2**63 + 1], dtype=np.uint64)], "zlib", 9, [0], 1, "outside the pool"),
    ([[[0, 1]]], "zlib", 9, [0], 1, "groups\\[0\\] must be a 1-D integer array"),
    ([[0.5]], "zlib", 9, [0], 1, "groups\\[0\\] must be a 1-D integer array"),
    (None, "zlib", 9, [-1], 1, "chunk_sizes\\[0\\] must be 0"),
    (None, "zlib", 9, [0, 0], 1, "one chunk size per group: 1 group"),
    ([[0], [1]], "zlib", 9, [0], 1, "one chunk size per group: 2 group"),
    (None, "lz4", 9, [0], 1, "codec must be 'zlib' or 'zstd'"),
    (None, "zlib", 6, [0], 1, "exact at level 9 only"),
    (None, "zstd", 0, [0], 1, "zstd level must be 1.."),
    (None, "zstd", 99, [0], 1, "zstd level must be 1.."),
    (None, "zlib", 9, [0], -1, "threads must be positive"),
])
def test_bad_arguments_raise(groups, codec, level, chunk_sizes, threads, message):
    data, offsets = pool_of([b"a", b"b", b"c"])
    with pytest.raises(ValueError, match=message):
        _core.group_sizes(data, offsets, groups, codec, level, chunk_sizes, threads)
