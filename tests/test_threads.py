"""Results do not depend on threads; concurrent calls, progress, callback errors and Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import oracle
import zipcore

# (pool, start, stop, budget, k1, k2, k3)
THREAD_CASES = [
    pytest.param("pool", 0, 300, 60, 150, 40, 15, id="pool"),
    pytest.param("hh", 500, 700, 50, 60, 30, 10, id="hh-restore"),
    pytest.param("gsm8k", 0, 250, 33, 100, 25, 1, id="gsm8k-k3-1"),
]


@pytest.mark.parametrize("name, start, stop, budget, k1, k2, k3", THREAD_CASES)
def test_same_result_for_any_thread_count(real_pool, name, start, stop, budget, k1, k2, k3):
    samples = real_pool(name, start, stop)
    results = {}
    for threads in (1, 2, 4):
        result = zipcore.select_with_stats(samples, budget, k1=k1, k2=k2, k3=k3, threads=threads)
        assert result.threads == threads
        results[threads] = result.indices.tolist()
    assert results[1] == results[2] == results[4]
    assert len(results[1]) == budget


def test_threaded_select_equals_oracle(real_pool):
    samples = real_pool("gsm8k", 1100, 1190)
    expected = oracle.select(samples, 40, 45, 20, 7)
    for threads in (1, 3, 4):
        assert zipcore.select(samples, 40, k1=45, k2=20, k3=7, threads=threads).tolist() == expected


def test_candidate_ratios_same_for_any_thread_count(real_pool):
    selected = real_pool("pool", 0, 40)
    candidates = real_pool("pool", 40, 200)
    one = zipcore.candidate_ratios(selected, candidates, threads=1)
    for threads in (2, 4, None):
        assert np.array_equal(zipcore.candidate_ratios(selected, candidates, threads=threads), one)


def test_concurrent_python_threads_match_sequential_calls(real_pool):
    jobs = [
        (real_pool("pool", 400, 600), 40, dict(k1=100, k2=30, k3=10, threads=2)),
        (real_pool("gsm8k", 100, 300), 35, dict(k1=80, k2=20, k3=7, threads=1)),
        (real_pool("hh", 600, 780), 30, dict(k1=60, k2=30, k3=6, threads=2)),
        (real_pool("hh", 100, 200), 45, dict(k1=40, k2=20, k3=5, threads=None)),
    ]
    sequential = [zipcore.select(s, b, **kw).tolist() for s, b, kw in jobs]

    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def work(j: int) -> None:
        samples, budget, kwargs = jobs[j]
        try:
            barrier.wait(timeout=30)
            for _ in range(2):  # twice, so the calls really overlap
                got = zipcore.select(samples, budget, **kwargs).tolist()
                assert results[j] is None or results[j] == got
                results[j] = got
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(j,)) for j in range(len(jobs))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers)
    assert errors == []
    assert results == sequential


def test_concurrent_ratio_calls(real_pool):
    selected = real_pool("hh", 0, 30)
    candidates = real_pool("hh", 30, 120)
    expected = [oracle.ratio([oracle.sample_bytes(s) for s in selected + [c]]) for c in candidates]
    results: list = []
    lock = threading.Lock()

    def work() -> None:
        got = zipcore.candidate_ratios(selected, candidates, threads=2).tolist()
        whole = zipcore.compression_ratio(selected + candidates[:1])
        with lock:
            results.append((got, whole))

    workers = [threading.Thread(target=work) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert results == [(expected, expected[0])] * 4


# --- progress -----------------------------------------------------------------------------------

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
    result, calls, caller = run_with_progress(samples, 200, k1=500, k2=60, k3=30,
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
    outer = real_pool("gsm8k", 300, 1000)
    inner = real_pool("hh", 0, 40)
    inner_expected = oracle.select(inner, 10, 20, 8, 3)
    inner_results = []

    def progress(stage, round_, done, total):
        inner_results.append(zipcore.select(inner, 10, k1=20, k2=8, k3=3).tolist())
        inner_results.append(zipcore.candidate_ratios(inner[:3], inner[3:5]).tolist())

    plain = zipcore.select(outer, 120, k1=300, k2=40, k3=20, threads=2)
    nested = zipcore.select(outer, 120, k1=300, k2=40, k3=20, threads=2, progress=progress)
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


# --- Ctrl-C -------------------------------------------------------------------------------------

@pytest.fixture
def default_sigint_handler():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("threads", [1, 2])
def test_keyboard_interrupt_stops_a_long_run(real_pool, default_sigint_handler, threads):
    samples = real_pool("all", 0, 2000)
    # Uninterrupted, this run takes ~7 s on one thread, ~3.5 s on two (twelve rounds, the selection
    # growing to ~800 KB), so an interrupt that only surfaced when the call returned would miss
    # the 1.5 s bound below.
    fired_at: list[float] = []

    def interrupt() -> None:
        fired_at.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            zipcore.select(samples, 600, k1=1000, k2=100, k3=50, threads=threads)
        raised_at = time.monotonic()
    finally:
        timer.cancel()
        timer.join()
    assert len(fired_at) == 1
    assert raised_at - fired_at[0] < 1.5

    small = real_pool("pool", 0, 60)
    assert zipcore.select(small, 12, k1=30, k2=12, k3=4).tolist() == oracle.select(small, 12, 30, 12, 4)
