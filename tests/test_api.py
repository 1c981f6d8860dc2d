"""The public API: what inputs it takes, what it rejects and how, and the shape of its results."""

from __future__ import annotations

import os
import warnings
import zlib
from collections import OrderedDict

import numpy as np

import pytest

import oracle
import zipcore
from zipcore import _info
from zipcore.params import THREADS_PER_CORE

KS = dict(k1=20, k2=8, k3=3)


def check_result(indices: np.ndarray, budget: int, pool_size: int) -> list[int]:
    assert isinstance(indices, np.ndarray)
    assert indices.dtype == np.int64 and indices.ndim == 1
    assert len(indices) == budget
    got = indices.tolist()
    assert len(set(got)) == budget
    assert all(0 <= i < pool_size for i in got)
    return got


# --- input matrix -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def records(real_pool):
    return real_pool("pool", 1300, 1340)


@pytest.fixture(scope="module")
def expected(records):
    return oracle.select(records, 12, 20, 8, 3)


@pytest.mark.parametrize("form", [
    "dicts", "repr-str", "repr-bytes", "repr-bytearray", "repr-memoryview", "tuple", "generator",
    "numpy-object", "mixed",
])
def test_every_input_form_gives_the_same_selection(records, expected, form):
    reprs = [repr(r) for r in records]
    samples = {
        "dicts": lambda: list(records),
        "repr-str": lambda: reprs,
        "repr-bytes": lambda: [s.encode("utf-8") for s in reprs],
        "repr-bytearray": lambda: [bytearray(s.encode("utf-8")) for s in reprs],
        "repr-memoryview": lambda: [memoryview(s.encode("utf-8")) for s in reprs],
        "tuple": lambda: tuple(records),
        "generator": lambda: (r for r in records),
        "numpy-object": lambda: np.array(records, dtype=object),
        "mixed": lambda: [(r, repr(r), repr(r).encode("utf-8"))[i % 3]
                          for i, r in enumerate(records)],
    }[form]()
    assert check_result(zipcore.select(samples, 12, **KS), 12, len(records)) == expected


def test_non_contiguous_memoryview_samples():
    base = b"".join(bytes([65 + i % 26]) * 3 + b"-" for i in range(300))
    views = [memoryview(base)[i::5] for i in range(5)]  # strided views
    assert not views[1].contiguous
    samples = views + [b"tail", b"more text, more text"]
    as_bytes = [v.tobytes() for v in views] + samples[5:]
    got = check_result(zipcore.select(samples, 5, k1=7, k2=4, k3=2), 5, 7)
    assert got == oracle.select(as_bytes, 5, 7, 4, 2)
    assert zipcore.compression_ratio(samples) == oracle.ratio(as_bytes)


def test_numpy_str_and_bytes_arrays():
    words = ["alpha", "beta beta", "gamma gamma gamma", "delta", "epsilon epsilon"]
    expected = oracle.select(words, 3, 5, 3, 2)
    assert zipcore.select(np.array(words), 3, k1=5, k2=3, k3=2).tolist() == expected
    encoded = [w.encode() for w in words]
    assert zipcore.select(np.array(encoded), 3, k1=5, k2=3, k3=2).tolist() == expected


def test_empty_string_samples(real_pool):
    texts = [r["conversations"][0]["value"] for r in real_pool("gsm8k", 0, 20)]
    samples = texts[:5] + ["", ""] + texts[5:] + [b""]
    got = check_result(zipcore.select(samples, 10, k1=15, k2=6, k3=3), 10, len(samples))
    assert got == oracle.select(samples, 10, 15, 6, 3)
    only_empty = ["", "", ""]
    assert zipcore.select(only_empty, 3, k1=3, k2=2, k3=1).tolist() == oracle.select(only_empty, 3, 3, 2, 1)


def test_non_utf8_bytes_are_used_as_they_are():
    samples = [b"\xff\xfe\x00binary", b"\x80\x81\x82" * 40, bytes(range(256)), b"plain text"]
    got = check_result(zipcore.select(samples, 4, k1=4, k2=3, k3=2), 4, 4)
    assert got == oracle.select(samples, 4, 4, 3, 2)
    assert zipcore.compression_ratio(samples) == oracle.ratio(samples)


@pytest.mark.parametrize("sample", [{"id": 0, "text": "x"}, "one", b"one", bytearray(b"one"), ""])
def test_single_sample_budget_one(sample):
    assert check_result(zipcore.select([sample], 1), 1, 1) == [0]
    result = zipcore.select_with_stats([sample], 1)
    assert result.indices.tolist() == [0]
    assert [r["picked"] for r in result.rounds] == [1]


def test_records_use_repr_key_order_and_type():
    # Key order and the mapping's own repr are part of the bytes, as in str(list_of_records).
    a, b = {"x": "1", "y": "2"}, {"y": "2", "x": "1"}
    ordered = OrderedDict(x="1", y="2")
    for sample in (a, b, ordered):
        assert zipcore.compression_ratio([sample]) == oracle.ratio([repr(sample).encode("utf-8")])
    assert zipcore.compression_ratio([a, b]) == len(str([a, b])) / len(zlib.compress(str([a, b]).encode(), 9))


def test_record_with_lone_surrogate_is_escaped_by_repr():
    record = {"id": 1, "text": "broken \ud800 text"}
    assert zipcore.compression_ratio([record]) == oracle.ratio([repr(record).encode("utf-8")])
    assert zipcore.select([record, {"id": 2}], 2, k1=2, k2=2, k3=1).tolist() == \
        oracle.select([record, {"id": 2}], 2, 2, 2, 1)


def test_input_is_not_modified(records):
    before = [dict(r) for r in records]
    zipcore.select(records, 12, **KS)
    assert records == before


# --- rejected inputs ----------------------------------------------------------------------------

@pytest.mark.parametrize("sample", ["ok \ud800 bad", "\udfff", "a\udc80b"])
def test_lone_surrogate_str_raises_zipcore_error(sample):
    samples = ["fine", sample, "also fine"]
    with pytest.raises(zipcore.ZipcoreError, match="sample 1"):
        zipcore.select(samples, 1)
    with pytest.raises(zipcore.ZipcoreError):
        zipcore.compression_ratio(samples)
    with pytest.raises(zipcore.ZipcoreError):
        zipcore.candidate_ratios(["fine"], samples)
    assert issubclass(zipcore.ZipcoreError, ValueError)


@pytest.mark.parametrize("bad", [None, 5, 1.5, ["a", "list"], object()])
def test_unsupported_sample_type_raises_type_error(bad):
    with pytest.raises(TypeError, match="sample 1"):
        zipcore.select(["a", bad, "c"], 1)


@pytest.mark.parametrize("samples", ["a whole string", b"whole bytes", {"id": 0}, 5])
def test_samples_must_be_a_collection(samples):
    with pytest.raises(TypeError):
        zipcore.select(samples, 1)
    with pytest.raises(TypeError):
        zipcore.compression_ratio(samples)


POOL = ["first sample", "second one", "third", "fourth sample text", "fifth"]


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(budget=0), "budget must be positive"),
    (dict(budget=-3), "budget must be positive"),
    (dict(budget=6), "budget 6 is larger than the pool"),
    (dict(budget=2, k1=2, k2=3, k3=1), "k1 >= k2 >= k3"),
    (dict(budget=2, k1=5, k2=2, k3=3), "k1 >= k2 >= k3"),
    (dict(budget=2, k1=0, k2=0, k3=0), "k1 must be positive"),
    (dict(budget=2, k1=5, k2=0, k3=0), "k2 must be positive"),
    (dict(budget=2, k1=5, k2=3, k3=0), "k3 must be positive"),
    (dict(budget=2, k1=5, k2=3, k3=-1), "k3 must be positive"),
    (dict(budget=2, threads=0), "threads must be positive"),
    (dict(budget=2, threads=-2), "threads must be positive"),
])
def test_bad_parameters_raise_value_error(kwargs, pattern):
    budget = kwargs.pop("budget")
    with pytest.raises(ValueError, match=pattern):
        zipcore.select(POOL, budget, **kwargs)
    with pytest.raises(ValueError, match=pattern):
        zipcore.select_with_stats(POOL, budget, **kwargs)


@pytest.mark.parametrize("empty", [[], (), iter([]), np.array([], dtype=object)])
def test_empty_pool_raises_value_error(empty):
    with pytest.raises(ValueError, match="pool is empty"):
        zipcore.select(empty, 1)


@pytest.mark.parametrize("name, value", [
    (name, value) for name in ("budget", "k1", "k2", "k3", "threads")
    for value in (2.0, "2", None, 2.5) if not (name == "threads" and value is None)
])
def test_non_integer_parameters_raise_type_error(name, value):
    kwargs = dict(budget=2, k1=4, k2=3, k3=2)
    kwargs[name] = value
    budget = kwargs.pop("budget")
    with pytest.raises(TypeError, match=name):
        zipcore.select(POOL, budget, **kwargs)


def test_integer_like_parameters_are_accepted():
    expected = oracle.select(POOL, 3, 4, 3, 2)
    got = zipcore.select(POOL, np.int64(3), k1=np.int32(4), k2=np.uint8(3), k3=2, threads=np.int64(1))
    assert got.tolist() == expected


def test_ks_are_keyword_only():
    with pytest.raises(TypeError):
        zipcore.select(POOL, 2, 4, 3, 2)  # k1.. must be named
    assert zipcore.select(POOL, budget=2, k1=4, k2=3, k3=2).tolist() == oracle.select(POOL, 2, 4, 3, 2)


def test_huge_ks_are_clamped_like_any_other():
    # k's are documented as "clamped to what is left in the pool": any positive integer must do,
    # including ones past int64 (e.g. a caller passing 2**63 or 10**20 to mean "no limit").
    expected = oracle.select(POOL, 3, 5, 5, 5)
    assert zipcore.select(POOL, 3, k1=2**62, k2=2**62, k3=2**62).tolist() == expected
    assert zipcore.select(POOL, 3, k1=10**20, k2=10**20, k3=10**20).tolist() == expected


def test_too_many_threads_are_capped_with_a_warning(monkeypatch):
    # 2**31 once overflowed the engine's C int (pybind11's "incompatible function arguments",
    # with the pool's bytes); 4,096 on 2 cores ran 40x slower. Both are capped now, and said so.
    # The cap counts cores, not OMP_NUM_THREADS (which lowers the default only).
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    cap = THREADS_PER_CORE * _info.available_cores()
    for threads in (2**31, cap + 1):
        with pytest.warns(UserWarning, match=f"threads={threads} is more than .* using {cap}"):
            result = zipcore.select_with_stats(POOL, 2, k1=4, k2=3, k3=2, threads=threads)
        assert result.threads == cap
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert zipcore.select_with_stats(POOL, 2, k1=4, k2=3, k3=2, threads=cap).threads == cap


@pytest.mark.parametrize("progress", [5, "yes"])
def test_progress_must_be_callable_and_is_checked_before_any_work(progress, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(zipcore.selection, "as_pool", no_work)
    with pytest.raises(TypeError, match="progress must be True, False, None or a callable, got"):
        zipcore.select(POOL, 2, k1=4, k2=3, k3=2, progress=progress)
    monkeypatch.setattr(zipcore.align, "as_pool", no_work)
    with pytest.raises(TypeError, match="progress must be True, False, None or a callable"):
        zipcore.align_scores(POOL, ["t"], progress=progress)
    with pytest.raises(TypeError, match="progress must be True, False, None or a callable"):
        zipcore.select_aligned(POOL, ["t"], 2, progress=progress)


def test_a_numpy_bool_is_a_progress_flag(capsys):
    # np.True_ was refused with "got bool"; every other flag takes numpy's bools
    zipcore.select(POOL, 2, k1=4, k2=3, k3=2, progress=np.True_)
    assert "stage" in capsys.readouterr().err  # the bar, as for True
    zipcore.select(POOL, 2, k1=4, k2=3, k3=2, progress=np.False_)
    assert capsys.readouterr().err == ""
    assert zipcore.align_scores(POOL, ["t"], progress=np.False_).shape == (len(POOL),)


def test_a_set_of_samples_is_refused_for_its_order():
    for call in (zipcore.compression_ratio, zipcore.Pool.from_samples,
                 lambda s: zipcore.select(s, 1)):
        with pytest.raises(TypeError, match="samples must be in an order, not a set"):
            call({"ab", "cd"})
    with pytest.raises(TypeError, match="not a frozenset"):
        zipcore.select(frozenset(["a", "b"]), 1, column="t")


def test_candidate_ratios_of_a_window_of_a_larger_buffer():
    """A pool may view the start of a buffer (offsets ending before it does): the candidates
    are scored against its samples, not against the bytes after them."""
    texts = [f"question {i}: what is {i} plus {i}?".encode() for i in range(10)]
    offsets = np.cumsum([0] + [len(t) for t in texts])
    window = zipcore.Pool.from_buffers(b"".join(texts), offsets[:4])
    candidates = [b"completely different text " * 20, texts[5]]
    expected = [len(b) / len(zlib.compress(b, 9)) for b in
                (b"[" + b", ".join(texts[:3] + [c]) + b"]" for c in candidates)]
    assert np.array_equal(zipcore.candidate_ratios(window, candidates), expected)
    tail = zipcore.Pool.from_buffers(b"".join(texts), offsets[4:])  # a window not at 0 either
    assert np.array_equal(zipcore.candidate_ratios(texts[:3], tail),
                          zipcore.candidate_ratios(texts[:3], texts[4:]))


def test_odd_buffers_and_paths_are_clear_errors_or_work(tmp_path):
    with pytest.raises(TypeError, match="contiguous bytes-like object, got memoryview"):
        zipcore.Pool.from_buffers(memoryview(b"abcdef")[::2], [0, 1, 3])
    with pytest.raises(TypeError, match="Pool.concat takes pools, got list"):
        zipcore.Pool.concat([["a", "b"]])  # type: ignore[list-item]
    checkpoint = os.fsencode(str(tmp_path / "run.npz"))  # bytes paths, as read_pool takes
    assert np.array_equal(zipcore.select(POOL, 2, k1=4, k2=3, k3=2, checkpoint=checkpoint),
                          zipcore.select(POOL, 2, k1=4, k2=3, k3=2))
    assert os.path.exists(checkpoint)


def test_candidate_ratios_input_errors():
    # "sample 0 is a NoneType" did not say which of the two arguments held it
    with pytest.raises(TypeError, match="^candidates: sample 0 is a NoneType"):
        zipcore.candidate_ratios(["a"], [None])
    with pytest.raises(TypeError, match="^selected: samples must be a sequence"):
        zipcore.candidate_ratios("abc", ["a"])
    with pytest.raises(zipcore.ZipcoreError, match="^selected: sample 1 is not valid Unicode"):
        zipcore.candidate_ratios(["a", "\ud800"], ["b"])
    with pytest.raises(ValueError, match="threads"):
        zipcore.candidate_ratios(["a"], ["b"], threads=0)
    # Scoring is one call, with nothing to resume or report: such options are refused, not ignored.
    with pytest.raises(TypeError, match="checkpoint"):
        zipcore.candidate_ratios(["a"], ["b"], checkpoint="run.npz")
    with pytest.raises(TypeError, match="report"):
        zipcore.candidate_ratios(["a"], ["b"], report="r.png")


# --- results ------------------------------------------------------------------------------------

@pytest.mark.parametrize("budget, k1, k2, k3", [
    (1, 1, 1, 1), (7, 10, 4, 2), (13, 13, 13, 13), (25, 6, 5, 4), (40, 40, 9, 2), (40, 10000, 200, 100),
])
def test_result_shape(records, budget, k1, k2, k3):
    result = zipcore.select_with_stats(records, budget, k1=k1, k2=k2, k3=k3, threads=2)
    got = check_result(result.indices, budget, len(records))
    assert np.array_equal(zipcore.select(records, budget, k1=k1, k2=k2, k3=k3), result.indices)
    assert result.threads == 2
    assert result.wall_seconds >= 0 and result.eval_seconds >= 0
    assert result.stage1["evaluations"] == len(records)
    picked = 0
    for number, r in enumerate(result.rounds, start=1):
        assert set(r) >= {"round", "candidates", "shortlisted", "picked", "selected",
                          "pool_restored", "stage2", "stage3"}
        assert r["round"] == number
        assert 1 <= r["picked"] <= r["shortlisted"] <= r["candidates"] <= k1
        assert r["shortlisted"] <= k2 and r["picked"] <= k3
        picked += r["picked"]
        assert r["selected"] == picked
        assert isinstance(r["pool_restored"], bool)
        assert set(r["stage2"]) == set(r["stage3"]) == {"seconds", "evaluations", "evaluated_bytes",
                                                        "work_seconds", "span_seconds",
                                                        "serial_seconds"}
    assert picked == budget
    assert got == oracle.select(records, budget, k1, k2, k3)


@pytest.fixture
def no_cgroup(tmp_path, monkeypatch):
    """No CPU quota to read, no OMP_NUM_THREADS: the default is the affinity alone, wherever
    the tests run."""
    monkeypatch.setattr(_info, "CGROUP", tmp_path)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_default_threads_is_every_allowed_core(records, no_cgroup):
    result = zipcore.select_with_stats(records, 5, **KS)
    assert result.threads == zipcore.build_info()["default_threads"] == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("files, quota", [
    ({"cpu.max": "150000 100000\n"}, 1.5),  # cgroup v2
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0.5),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu.max": "150000\n"}, None),
    ({}, None),
])
def test_a_cgroup_cpu_quota_is_read(tmp_path, files, quota):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    assert _info.cgroup_cpu_quota(tmp_path) == quota


@pytest.mark.parametrize("value, expected", [("1", 1), ("1,1", 1), (" 1 ", 1), ("64", None),
                                             ("0", None), ("two", None), ("", None),
                                             ("²", None)])
def test_omp_num_threads_lowers_the_default_threads(records, no_cgroup, monkeypatch, value,
                                                    expected):
    # How a job bounds an OpenMP program; it never raises the default, nor the cap.
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert zipcore.select_with_stats(records, 5, **KS).threads == (expected or cores)
    assert zipcore.build_info()["default_threads"] == (expected or cores)
    assert zipcore.select_with_stats(records, 5, threads=2, **KS).threads == 2


def test_a_container_cpu_quota_bounds_the_default_threads(records, tmp_path, monkeypatch):
    # docker --cpus=1 on a larger host: threads past the quota would only be throttled
    monkeypatch.setattr(_info, "CGROUP", tmp_path)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    assert zipcore.select_with_stats(records, 5, **KS).threads == 1
    assert zipcore.build_info()["default_threads"] == 1
    (tmp_path / "cpu.max").write_text("40000 100000\n")  # 0.4 CPUs: still one thread
    assert zipcore.build_info()["default_threads"] == 1
    (tmp_path / "cpu.max").write_text("6400000 100000\n")  # 64 CPUs: the affinity bounds it
    assert zipcore.build_info()["default_threads"] == len(os.sched_getaffinity(0))


def test_repeated_calls_are_identical(records):
    first = zipcore.select(records, 20, k1=30, k2=10, k3=4)
    for _ in range(3):
        assert np.array_equal(zipcore.select(records, 20, k1=30, k2=10, k3=4), first)


def test_returned_arrays_are_fresh(records):
    first = zipcore.select(records, 5, **KS)
    first[:] = -1
    assert zipcore.select(records, 5, **KS).min() >= 0


def test_compression_ratio_types():
    value = zipcore.compression_ratio(["abc", b"abc"])
    assert type(value) is float
    ratios = zipcore.candidate_ratios([], ["x", "yy"])
    assert isinstance(ratios, np.ndarray) and ratios.dtype == np.float64 and ratios.shape == (2,)


# --- build info ---------------------------------------------------------------------------------

def test_build_info(no_cgroup):
    info = zipcore.build_info()
    assert {"zlib_linked", "zlib_python", "zlib_exact", "openmp", "default_threads"} <= set(info)
    assert info["zlib_python"] == zlib.ZLIB_RUNTIME_VERSION
    assert info["zlib_linked"] == zlib.ZLIB_RUNTIME_VERSION
    assert info["zlib_exact"] is True
    assert isinstance(info["openmp"], bool)
    assert info["default_threads"] == len(os.sched_getaffinity(0)) >= 1
    assert info["version"] == zipcore.__version__


def test_build_info_matches_this_machine():
    # On the development machine both sides run the system zlib 1.2.13.
    if zlib.ZLIB_RUNTIME_VERSION != "1.2.13":
        pytest.skip(f"not the reference machine (Python's zlib is {zlib.ZLIB_RUNTIME_VERSION})")
    info = zipcore.build_info()
    assert info["zlib_linked"] == info["zlib_python"] == "1.2.13"
    assert info["zlib_compiled"] == "1.2.13"


def test_build_info_is_a_fresh_dict():
    info = zipcore.build_info()
    info["zlib_exact"] = False
    assert zipcore.build_info()["zlib_exact"] is True


def test_import_is_light_and_submodules_are_attributes():
    import subprocess
    import sys

    code = ("import sys, zipcore; print(sorted(m for m in sys.modules if m.startswith('zipcore')),"
            " 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['zipcore', 'zipcore._core', 'zipcore._info'] False"
    for name in ("io", "entropy", "pool", "checkpoint", "params", "selection"):
        assert getattr(zipcore, name).__name__ == f"zipcore.{name}"
    for name in zipcore.__all__:  # every public name loads
        assert getattr(zipcore, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        zipcore.nosuch  # noqa: B018
