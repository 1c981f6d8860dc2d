"""Checkpoint and resume: a run killed with SIGKILL and resumed returns the uninterrupted selection."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import zipcore
from zipcore import checkpoint as checkpoint_module

PARAMS = dict(budget=450, k1=2000, k2=60, k3=15)
# The run must outlast the kill window below (a few seconds here): the example pool three times.
COPIES = 3


@pytest.fixture(scope="module")
def records():
    with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as handle:
        return json.load(handle) * COPIES


@pytest.fixture(scope="module")
def uninterrupted(records):
    return zipcore.select(records, **PARAMS, threads=2)


CHILD = textwrap.dedent("""
    import json, sys, zipcore
    records = json.load(open(zipcore.EXAMPLE_POOL, encoding="utf-8")) * {copies}
    zipcore.select(records, {budget}, k1={k1}, k2={k2}, k3={k3}, threads=2, checkpoint=sys.argv[1])
""")


def _rounds_in(path) -> int:
    with np.load(path) as saved:
        return int(saved["rounds"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path, records, uninterrupted, seed):
    path = tmp_path / "run.npz"
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(**PARAMS, copies=COPIES), str(path)])
    try:
        deadline = time.monotonic() + 60
        while not path.exists():  # wait for the first round's checkpoint
            assert child.poll() is None, "the child finished before writing a checkpoint"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(random.Random(seed).uniform(0.0, 0.6))  # somewhere in a later round
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    rounds_done = _rounds_in(path)
    assert 1 <= rounds_done < PARAMS["budget"] // PARAMS["k3"], "the kill must land mid-run"

    resumed = zipcore.select_with_stats(records, **PARAMS, threads=1, checkpoint=path)
    np.testing.assert_array_equal(resumed.indices, uninterrupted)
    assert resumed.rounds[0]["round"] == rounds_done + 1


@pytest.mark.slow
def test_checkpoint_records_every_round_and_a_finished_run_resumes_to_itself(tmp_path, records,
                                                                             uninterrupted):
    path = tmp_path / "run.npz"
    seen = []
    original = checkpoint_module.save

    def spy(p, identity, state):
        seen.append(state.rounds)
        original(p, identity, state)

    checkpoint_module.save = spy
    try:
        first = zipcore.select(records, **PARAMS, checkpoint=path)
    finally:
        checkpoint_module.save = original
    assert seen == list(range(1, PARAMS["budget"] // PARAMS["k3"] + 1))
    again = zipcore.select_with_stats(records, **PARAMS, checkpoint=path)
    np.testing.assert_array_equal(first, uninterrupted)
    np.testing.assert_array_equal(again.indices, uninterrupted)
    assert again.rounds == []  # nothing left to do


@pytest.mark.parametrize("change", [
    dict(k3=6), dict(k2=20), dict(budget=36), dict(codec="zstd"), "pool",
])
def test_checkpoint_from_another_run_is_a_clear_error(tmp_path, records, change):
    path = tmp_path / "run.npz"
    small = dict(budget=24, k1=100, k2=24, k3=12)
    zipcore.select(records[:300], **small, checkpoint=path)
    pool = records[:300]
    params = dict(small)
    if change == "pool":
        pool = records[1:301]
    else:
        params.update(change)
    with pytest.raises(zipcore.ZipcoreError, match="checkpoint belongs to another run") as caught:
        zipcore.select(pool, **params, checkpoint=path)
    if change == "pool":  # the pool alone is named, not k's that differ only by clamping
        assert "; " not in str(caught.value) and "pool is" in str(caught.value)


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, records):
    path = tmp_path / "run.npz"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(zipcore.ZipcoreError, match="run.npz: not a zipcore checkpoint"):
        zipcore.select(records[:50], 5, k1=20, k2=10, k3=5, checkpoint=path)


def test_another_programs_npz_is_not_a_checkpoint_and_is_left_alone(tmp_path, records):
    # Was "checkpoint belongs to another run: version is '(missing)' ...; format is ...".
    path = tmp_path / "weights.npz"
    np.savez(path, weights=np.arange(4))
    before = path.read_bytes()
    with pytest.raises(zipcore.ZipcoreError) as caught:
        zipcore.select(records[:50], 5, k1=20, k2=10, k3=5, checkpoint=path)
    assert str(caught.value) == (f"{path}: not a zipcore checkpoint (an .npz file without "
                                 "zipcore's fields): delete it or pass another checkpoint path")
    assert path.read_bytes() == before


def test_tampered_state_is_rejected_by_the_loader_and_the_engine(tmp_path, records):
    path = tmp_path / "run.npz"
    small = dict(budget=24, k1=100, k2=24, k3=12)
    zipcore.select(records[:300], **small, checkpoint=path)
    with np.load(path) as saved:
        arrays = {k: saved[k] for k in saved.files}
    arrays["eligible"][arrays["order"][0]] = 1  # a selected sample made eligible again
    arrays["available"] = np.array(int(arrays["eligible"].sum()))
    np.savez(path, **arrays)
    with pytest.raises(zipcore.ZipcoreError, match="run.npz: damaged checkpoint .*still eligible"):
        zipcore.select(records[:300], **small, checkpoint=path)
    # The engine's own guard, for a caller that hands it a state directly.
    pool = zipcore.Pool.from_samples(records[:300])
    state = zipcore._core.ResumeState(arrays["order"], arrays["global"], arrays["alone"],
                                      arrays["eligible"], int(arrays["available"]),
                                      int(arrays["rounds"]))
    with pytest.raises(ValueError, match="does not belong to this pool"):
        zipcore._core.select(pool.data, pool.offsets, 24, 100, 24, 12, 1, "zlib", 9, None,
                             state, None)


def test_resume_state_is_a_typed_read_only_copy(records):
    order = np.array([2, 0], dtype=np.int64)
    scores = np.linspace(1.0, 2.0, 5, dtype=np.float32)
    eligible = np.array([0, 1, 0, 1, 1], dtype=np.uint8)
    state = zipcore._core.ResumeState(order, scores, scores * 2, eligible, 3, 1)
    order[0] = 4  # the state holds a copy
    np.testing.assert_array_equal(state.order, [2, 0])
    np.testing.assert_array_equal(state.global_, scores)
    np.testing.assert_array_equal(state.alone, scores * 2)
    assert (state.order.dtype, state.global_.dtype, state.alone.dtype, state.eligible.dtype) == (
        np.int64, np.float32, np.float32, np.uint8)
    assert (state.available, state.rounds) == (3, 1)
    with pytest.raises(ValueError, match="read-only"):
        state.eligible[0] = 1
    with pytest.raises(ValueError, match="'order' must be a 1-D array"):
        zipcore._core.ResumeState(order.reshape(2, 1), scores, scores, eligible, 3, 1)
    pool = zipcore.Pool.from_samples(records[:50])
    with pytest.raises(TypeError):  # the old dict is no state
        zipcore._core.select(pool.data, pool.offsets, 5, 20, 10, 5, 1, "zlib", 9, None,
                             {"order": order}, None)


def test_on_round_states_resume_to_the_uninterrupted_selection(records):
    pool = zipcore.Pool.from_samples(records[:400])
    args = (pool.data, pool.offsets, 40, 200, 30, 10, 2, "zlib", 9, None)
    states = []
    full = zipcore._core.select(*args, None, states.append)
    assert [s.rounds for s in states] == [1, 2, 3, 4]
    assert [len(s.order) for s in states] == [10, 20, 30, 40]
    np.testing.assert_array_equal(states[-1].order, full["indices"])
    resumed = zipcore._core.select(*args, states[1], None)
    np.testing.assert_array_equal(resumed["indices"], full["indices"])
    assert [r["round"] for r in resumed["rounds"]] == [3, 4]


@pytest.mark.parametrize("change, message", [
    ({"codec": "zstd"}, "codec is 'zlib' in the checkpoint, 'zstd' now"),
    ({"budget": 30}, "budget is '20' in the checkpoint, '30' now"),
])
def test_what_no_pool_could_make_right_is_refused_before_the_samples_are_read(
        records, tmp_path, change, message):
    pool = records[:300]
    path = tmp_path / "run.npz"
    zipcore.select(pool, 20, k1=100, k2=40, k3=10, threads=1, checkpoint=path)
    read = []

    def samples():
        read.append(True)
        yield from pool

    options = {"budget": 20, "k1": 100, "k2": 40, "k3": 10, **change}
    with pytest.raises(zipcore.ZipcoreError, match=message):
        zipcore.select(samples(), threads=1, checkpoint=path, **options)
    assert read == []  # the generator was never started
    (tmp_path / "junk.npz").write_text("{}")
    with pytest.raises(zipcore.ZipcoreError, match="junk.npz: not a zipcore checkpoint"):
        zipcore.select(samples(), 20, checkpoint=tmp_path / "junk.npz")
    assert read == []


def test_a_file_url_checkpoint_is_its_path(records, tmp_path):
    pool = records[:300]
    url = f"file://{tmp_path / 'run.npz'}"
    first = zipcore.select_with_stats(pool, 20, k1=100, k2=40, k3=10, threads=1, checkpoint=url)
    again = zipcore.select_with_stats(pool, 20, k1=100, k2=40, k3=10, threads=1, checkpoint=url)
    assert (tmp_path / "run.npz").exists() and len(first.rounds) > 0
    assert again.rounds == [] and list(again.indices) == list(first.indices)  # resumed
