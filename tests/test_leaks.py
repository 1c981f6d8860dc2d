"""Many calls, ok and failing, do not grow the process's memory.

RSS (resident pages from /proc/self/statm) is read after a warm-up, which lets the allocator,
OpenMP's thread pool and each thread's codec state reach their steady size, and again after
10,000 selections plus 2,500 calls that raise. A leak of 500 bytes a call would go over the
bound; dev/lsan_check.py (LeakSanitizer, in dev/sanitize.sh) finds smaller ones.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import numpy as np
import pytest

import zipcore

pytestmark = [
    pytest.mark.slow,  # thousands of calls each
    pytest.mark.skipif(not Path("/proc/self/statm").exists(),
                       reason="RSS is read from Linux's /proc/self/statm"),
    pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                       reason="ASan's quarantine keeps freed memory resident; under "
                              "dev/sanitize.sh, dev/lsan_check.py checks for leaks instead"),
]

CALLS = 10_000
RATIO_CALLS = 4_000
WARMUP = 400
RSS_BOUND = 5 << 20
"""Bytes RSS may grow over the measured calls. Measured (docs/reliability.md): 4-68 KB for the
selections, 0-8 KB for the ratio calls; once, when a worker thread first got work after the
warm-up, 660 KB, flat from there over 120,000 calls."""

K = dict(k1=6, k2=4, k3=2)


class CallbackError(Exception):
    pass


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def raise_in_callback(*_: int) -> None:
    raise CallbackError("stop")


@pytest.fixture(scope="module")
def tiny_pool(real_pool) -> list[str]:
    """20 short real texts: the first 80 characters of GSM8K questions."""
    return [r["conversations"][0]["value"][:80] for r in real_pool("gsm8k", 0, 20)]


def failing_call(i: int, pool: list[str], threads: int) -> None:
    """One call that raises, a different way each time."""
    kind = i % 5
    if kind == 0:  # rejected by the wrapper
        with pytest.raises(ValueError, match="k1 >= k2 >= k3"):
            zipcore.select(pool, 3, k1=2, k2=4, k3=1)
    elif kind == 1:  # rejected inside the engine, after the pool is bound
        with pytest.raises(ValueError, match="zstd level"):
            zipcore.select(pool, 3, codec="zstd", level=99, threads=threads, **K)
    elif kind == 2:  # the progress callback raises (at the run's final report)
        with pytest.raises(CallbackError):
            zipcore.select(pool, 3, progress=raise_in_callback, threads=threads, **K)
    elif kind == 3:  # a sample the API rejects
        with pytest.raises(zipcore.ZipcoreError):
            zipcore.select(pool[:5] + ["\ud800"], 3, **K)
    else:
        with pytest.raises(ValueError, match="larger than the pool"):
            zipcore.select(pool, 21, threads=threads, **K)


def threads_for(i: int) -> int:
    """Mostly 1: on a loaded 2-core machine an OpenMP team's spinning workers make a tiny
    multi-threaded call some 20 times slower, and this is a test of memory, not of speed."""
    return (1, 1, 1, 2, 1, 1, 1, 3)[i % 8]


def run_calls(count: int, pool: list[str], expected: dict[str, list[int]]) -> None:
    for i in range(count):
        codec = ("zlib", "zstd")[i % 2]
        threads = threads_for(i // 2)
        got = zipcore.select(pool, 3, codec=codec, threads=threads, **K)
        assert got.tolist() == expected[codec]
        if i % 4 == 0:
            failing_call(i // 4, pool, threads)


def test_repeated_select_calls_do_not_grow_rss(tiny_pool):
    expected = {codec: zipcore.select(tiny_pool, 3, codec=codec, threads=1, **K).tolist()
                for codec in ("zlib", "zstd")}
    run_calls(WARMUP, tiny_pool, expected)
    gc.collect()
    before = rss_bytes()
    run_calls(CALLS, tiny_pool, expected)
    gc.collect()
    growth = rss_bytes() - before
    print(f"RSS growth over {CALLS} selections and {CALLS // 4} failing calls: "
          f"{growth / 1024:.0f} KB")
    assert growth < RSS_BOUND, f"RSS grew by {growth / 2**20:.1f} MB"


def test_repeated_ratio_calls_do_not_grow_rss(tiny_pool):
    selected, candidates = tiny_pool[:8], tiny_pool[8:]
    expected = {codec: zipcore.candidate_ratios(selected, candidates, codec=codec, threads=1)
                for codec in ("zlib", "zstd")}
    whole = zipcore.compression_ratio(tiny_pool)

    def calls(count: int) -> None:
        for i in range(count):
            codec = ("zlib", "zstd")[i % 2]
            got = zipcore.candidate_ratios(selected, candidates, codec=codec,
                                           threads=threads_for(i // 2))
            assert np.array_equal(got, expected[codec])
            assert zipcore.compression_ratio(tiny_pool) == whole

    calls(WARMUP)
    gc.collect()
    before = rss_bytes()
    calls(RATIO_CALLS)
    gc.collect()
    growth = rss_bytes() - before
    print(f"RSS growth over {RATIO_CALLS} candidate_ratios + compression_ratio pairs: "
          f"{growth / 1024:.0f} KB")
    assert growth < RSS_BOUND, f"RSS grew by {growth / 2**20:.1f} MB"
