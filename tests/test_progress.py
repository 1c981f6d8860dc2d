"""The progress callback: how often and from which thread it is called, what it reports, errors
raised from it, and a callback that calls zipcore itself.

(Results for any thread count: tests/test_determinism.py; concurrent calls and Ctrl-C:
tests/test_concurrency.py.)"""

from __future__ import annotations

import functools
import threading
import time

import numpy as np
import pytest

import oracle
import zipcore


def run_with_progress(samples, budget, **kwargs):
    calls = []
    caller = threading.get_ident()

    def progress(stage, round_, done, total):
        calls.append((stage, round_, done, total, threading.get_ident()))

    result = zipcore.select_with_stats(samples, budget, progress=progress, **kwargs)
    return result, calls, caller


@pytest.mark.parametrize("threads", [1, 2])
def test_progress_reports_monotone_done_and_final_total(real_pool, threads):
    samples = real_pool("pool", 0, 1200)
    # Budget 400: on a quiet 2-core machine 200 took 0.27 s on 2 threads, too short to count on.
    result, calls, caller = run_with_progress(samples, 400, k1=500, k2=60, k3=30,
                                              threads=threads)
    assert result.wall_seconds > 0.3  # long enough for several ~0.1 s polls
    # About ten calls a second: neither silent nor one call per evaluation.
    assert result.wall_seconds * 3 <= len(calls) <= result.wall_seconds * 25 + 5
    assert {c[4] for c in calls} == {caller}  # always from the calling thread
    stages = [c[0] for c in calls]
    rounds = [c[1] for c in calls]
    dones = [c[2] for c in calls]
    totals = {c[3] for c in calls}
    assert set(stages) <= {1, 2, 3}
    assert all(r == 0 for s, r in zip(stages, rounds) if s == 1)
    assert all(1 <= r <= len(result.rounds) for s, r in zip(stages, rounds) if s != 1)
    assert rounds == sorted(rounds)
    assert dones == sorted(dones)
    assert len(totals) == 1
    total = totals.pop()
    assert dones[-1] == total
    assert all(0 <= d <= total for d in dones)
    # The announced total is the number of evaluations the run really made.
    made = result.stage1["evaluations"] + sum(
        r["stage2"]["evaluations"] + r["stage3"]["evaluations"] for r in result.rounds)
    assert total == made


def test_progress_total_with_restores(real_pool):
    samples = real_pool("hh", 0, 120)
    result, calls, _ = run_with_progress(samples, 100, k1=60, k2=30, k3=10, threads=2)
    assert any(r["pool_restored"] for r in result.rounds)
    made = result.stage1["evaluations"] + sum(
        r["stage2"]["evaluations"] + r["stage3"]["evaluations"] for r in result.rounds)
    assert calls[-1][2] == calls[-1][3] == made
    assert [c[2] for c in calls] == sorted(c[2] for c in calls)


def test_progress_called_once_at_end_of_short_run(real_pool):
    samples = real_pool("gsm8k", 0, 10)
    result, calls, _ = run_with_progress(samples, 3, k1=5, k2=3, k3=2)
    assert len(calls) >= 1
    stage, _, done, total, _ = calls[-1]
    assert done == total > 0 and stage in {1, 2, 3}
    assert result.indices.tolist() == oracle.select(samples, 3, 5, 3, 2)


def test_progress_callback_may_call_zipcore(real_pool):
    # A callback that runs its own selection (on the same thread, between evaluations of the
    # outer run) must not disturb either result.
    outer = real_pool("gsm8k", 0, 1100)  # long enough for several polls on a quiet machine
    inner = real_pool("gsm8k", 1150, 1190)
    inner_expected = oracle.select(inner, 10, 20, 8, 3)
    inner_results = []

    def progress(stage, round_, done, total):
        inner_results.append(zipcore.select(inner, 10, k1=20, k2=8, k3=3).tolist())
        inner_results.append(zipcore.candidate_ratios(inner[:3], inner[3:5]).tolist())

    plain = zipcore.select(outer, 500, k1=800, k2=40, k3=20, threads=2)
    nested = zipcore.select(outer, 500, k1=800, k2=40, k3=20, threads=2, progress=progress)
    assert len(inner_results) >= 4  # the callback ran during the run, not only at its end
    assert np.array_equal(nested, plain)
    ratios = [oracle.ratio([oracle.sample_bytes(s) for s in inner[:3] + [c]]) for c in inner[3:5]]
    assert inner_results == [inner_expected, ratios] * (len(inner_results) // 2)


class CallbackError(Exception):
    pass


@pytest.mark.parametrize("threads", [1, 2])
def test_exception_in_progress_propagates(real_pool, threads):
    samples = real_pool("pool", 0, 800)
    calls = []

    def progress(stage, round_, done, total):
        calls.append(done)
        if len(calls) == 2:
            raise CallbackError("stop here")

    start = time.monotonic()
    with pytest.raises(CallbackError, match="stop here"):
        zipcore.select(samples, 150, k1=400, k2=60, k3=30, threads=threads, progress=progress)
    assert len(calls) == 2  # the run stopped at the raise
    assert time.monotonic() - start < 5
    # The engine is usable afterwards.
    small = real_pool("pool", 0, 50)
    assert zipcore.select(small, 10, k1=20, k2=10, k3=5).tolist() == oracle.select(small, 10, 20, 10, 5)


def test_exception_in_final_progress_call_propagates(real_pool):
    samples = real_pool("gsm8k", 0, 30)

    def progress(stage, round_, done, total):
        if done == total:
            raise CallbackError("at the end")

    with pytest.raises(CallbackError, match="at the end"):
        zipcore.select(samples, 10, k1=20, k2=10, k3=5, progress=progress)


class _FullStream:
    """A standard error on a full disk: every write fails."""

    def write(self, text):
        raise OSError(28, "No space left on device")

    def flush(self):
        raise OSError(28, "No space left on device")

    def isatty(self):
        return False


@pytest.mark.parametrize("run", ["select", "align"])
def test_a_bar_that_cannot_be_shown_does_not_stop_the_run(real_pool, monkeypatch, run):
    # progress=True on a standard error that cannot be written: the bar's first write raised
    # OSError out of the engine's callback, ending a run that had nothing to do with it.
    samples = real_pool("pool", 0, 300)
    call = (functools.partial(zipcore.select, samples, 20, k1=60, k2=20, k3=10)
            if run == "select" else functools.partial(zipcore.align_scores, samples[20:],
                                                      samples[:20]))
    expected = call()
    monkeypatch.setattr("sys.stderr", _FullStream())
    assert np.array_equal(call(progress=True), expected)
