"""The engine's work/span accounting (``SelectionResult.work_seconds``/``span_seconds``).

Timing tests would be flaky on a shared machine; these check the accounting's identities, which
hold on any machine: S <= W, S <= the wall time, W at least the evaluations' time and at most
threads x the wall time, the whole run covering its stages and rounds, and on one thread W equal
to the wall time up to the clock reads around each evaluation.
"""

from __future__ import annotations

import json

import pytest

import zipcore

EPS = 1e-3  # seconds: clock granularity and the reads themselves


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.parametrize("codec", ["zlib", "zstd"])
@pytest.mark.parametrize("threads", [1, 2])
def test_work_and_span_add_up(records, codec, threads):
    result = zipcore.select_with_stats(records[:600], 60, k1=300, k2=60, k3=15, threads=threads,
                                       codec=codec)
    w, s, wall = result.work_seconds, result.span_seconds, result.wall_seconds
    assert 0 < s <= w + EPS
    assert s <= wall + EPS
    assert result.eval_seconds - EPS <= w <= threads * wall + EPS
    parts = [result.stage1] + [st for r in result.rounds for st in (r["stage2"], r["stage3"])]
    for part in parts:
        assert 0 <= part["span_seconds"] <= part["work_seconds"] + EPS
        assert part["span_seconds"] <= part["seconds"] + EPS
    for r in result.rounds:  # a round is its two stages and the serial steps around them
        assert r["work_seconds"] >= r["stage2"]["work_seconds"] + r["stage3"]["work_seconds"] - EPS
        assert r["span_seconds"] >= r["stage2"]["span_seconds"] + r["stage3"]["span_seconds"] - EPS
    rounds_w = sum(r["work_seconds"] for r in result.rounds)
    rounds_s = sum(r["span_seconds"] for r in result.rounds)
    assert w >= result.stage1["work_seconds"] + rounds_w - EPS
    assert s >= result.stage1["span_seconds"] + rounds_s - EPS
    assert result.parallelism == pytest.approx(w / s)
    assert result.projected_seconds(4) == pytest.approx(w / 4 + s)


def test_on_one_thread_the_work_is_the_wall_time(records):
    result = zipcore.select_with_stats(records[:600], 60, k1=300, k2=60, k3=15, threads=1)
    # Work = evaluations + serial time = the wall time less the runner's own bookkeeping.
    assert 0.9 * result.wall_seconds <= result.work_seconds <= result.wall_seconds + EPS
