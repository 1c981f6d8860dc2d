"""The engine's work/span accounting (``SelectionResult.work_seconds``/``span_seconds``).

Timing tests would be flaky on a shared machine; these check the accounting's identities, which
hold on any machine: S <= W, S <= the wall time, W at least the evaluations' time and at most
threads x the wall time, the serial time inside both, the whole run covering its stages and
rounds, and on one thread W equal to the wall time up to the clock reads around each evaluation.
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
    # Serial time nests as the stretches do: a stage's is inside its time, a round's holds its
    # stages', the run's holds stage 1's and every round's.
    for part in parts:
        assert 0 <= part["serial_seconds"] <= part["seconds"] + EPS
    for r in result.rounds:
        assert r["serial_seconds"] >= (r["stage2"]["serial_seconds"]
                                       + r["stage3"]["serial_seconds"] - EPS)
    assert result.serial_seconds >= (result.stage1["serial_seconds"]
                                     + sum(r["serial_seconds"] for r in result.rounds) - EPS)
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
    serial = result.serial_seconds
    assert result.pass_parallelism == pytest.approx((w - serial) / (s - serial))


def test_on_one_thread_the_work_is_the_wall_time(records):
    result = zipcore.select_with_stats(records[:600], 60, k1=300, k2=60, k3=15, threads=1)
    # Work = evaluations + serial time = the wall time less the runner's own bookkeeping.
    assert 0.9 * result.wall_seconds <= result.work_seconds <= result.wall_seconds + EPS


@pytest.mark.parametrize("codec", ["zlib", "zstd"])
def test_evaluated_bytes_are_the_candidates_bytes(records, codec):
    # k1 = N and k2 = k3 make every candidate set known from the selection: round 2's stage 2
    # scores every sample round 1 did not shortlist, and round 1's shortlist is its picks.
    from zipcore._pool import sample_bytes

    pool = records[:120]
    size = [len(sample_bytes(r, i)) for i, r in enumerate(pool)]
    k = 10
    result = zipcore.select_with_stats(pool, 2 * k, k1=len(pool), k2=k, k3=k, threads=2,
                                       codec=codec)
    picks = [int(i) for i in result.indices]
    assert result.stage1["evaluated_bytes"] == sum(size)
    first, second = result.rounds
    assert first["stage2"]["evaluated_bytes"] == 0  # against an empty selection: stage 1's scores
    # Stage 3 scores what is left of T after each pick but the last (the first pick is free).
    left = [sum(size[i] for i in picks[j:k]) for j in range(1, k)]
    assert first["stage3"]["evaluated_bytes"] == sum(left)
    assert second["stage2"]["evaluated_bytes"] == sum(size) - sum(size[i] for i in picks[:k])
