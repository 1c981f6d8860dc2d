"""zipcore.ratio: exact R against Python's zlib, the parallel path's bound, zstd, R per source."""

from __future__ import annotations

import json
import math
import sys
import zlib

import pytest

import zipcore
from zipcore import cli, ratio


def _group(samples) -> bytes:
    """The framing written out from the spec, independently of zipcore."""
    parts = [repr(s).encode() if isinstance(s, dict) else s.encode() if isinstance(s, str)
             else bytes(s) for s in samples]
    return b"[" + b", ".join(parts) + b"]"


def _exact(samples) -> float:
    group = _group(samples)
    return len(group) / len(zlib.compress(group, 9))


@pytest.mark.parametrize("case", ["records", "str", "bytes", "one", "non_ascii"])
def test_exact_ratio_equals_python_zlib(real_pool, case):
    records = real_pool("pool", 0, 300)
    samples = {
        "records": records,
        "str": [r["conversations"][0]["value"] for r in records],
        "bytes": [repr(r).encode("utf-8") + b"\xff" for r in records[:50]],  # not UTF-8
        "one": records[:1],
        "non_ascii": [r for r in real_pool("hh", 0, 400) if not repr(r).isascii()][:40],
    }[case]
    result = ratio.dataset_ratio(samples)
    assert result.method == "exact" and result.codec == "zlib-9"
    assert result.samples == len(samples)
    assert result.bytes == len(_group(samples))
    assert result.compressed == len(zlib.compress(_group(samples), 9))
    assert result.ratio == _exact(samples)
    if samples:
        assert result.ratio == zipcore.compression_ratio(samples)


def test_exact_is_the_default_up_to_the_limit_and_forced_above(real_pool):
    records = real_pool("pool", 0, 400)
    size = len(_group(records))
    assert ratio.dataset_ratio(records, exact_limit=size).method == "exact"
    assert ratio.dataset_ratio(records, exact_limit=size - 1).method == "parallel"
    forced = ratio.dataset_ratio(records, exact_limit=0, exact=True)
    assert forced.method == "exact" and forced.ratio == _exact(records)


def test_parallel_path_is_a_real_zlib_stream_of_the_group(real_pool):
    records = real_pool("gsm8k", 0, 2500)  # ~1.5 MB: 6 chunks of 256 KiB
    group = _group(records)
    stream = ratio.parallel_zlib_stream(group, chunk_size=ratio.MIN_CHUNK_SIZE, threads=2)
    assert zlib.decompress(stream) == group
    result = ratio.dataset_ratio(records, exact=False, chunk_size=ratio.MIN_CHUNK_SIZE)
    assert result.method == "parallel"
    assert result.compressed == len(stream)


@pytest.mark.parametrize("name, chunk_size", [("pool", ratio.CHUNK_SIZE),
                                              ("hh", ratio.MIN_CHUNK_SIZE)])
def test_parallel_path_stays_within_its_stated_bound_on_real_pools(real_pool, name, chunk_size):
    # pool_real_5k (6.4 MB) at the default chunks; hh-rlhf (4.1 MB) at the smallest allowed
    # chunk size, the worst case measured.
    records = real_pool(name)
    exact = ratio.dataset_ratio(records, exact=True)
    parallel = ratio.dataset_ratio(records, exact=False, chunk_size=chunk_size, threads=2)
    assert parallel.bytes == exact.bytes
    assert parallel.compressed != exact.compressed  # the paths do differ ...
    assert abs(parallel.compressed / exact.compressed - 1) <= ratio.PARALLEL_BOUND  # ... a little
    assert abs(parallel.ratio / exact.ratio - 1) <= ratio.PARALLEL_BOUND * 1.01


def test_parallel_result_does_not_depend_on_threads(real_pool):
    records = real_pool("code", 0, 2000)
    sizes = {ratio.dataset_ratio(records, exact=False, chunk_size=ratio.MIN_CHUNK_SIZE,
                                 threads=t).compressed for t in (1, 2, 3)}
    assert len(sizes) == 1


def test_zstd_is_one_frame_with_a_window_over_the_whole_group(real_pool):
    zstandard = pytest.importorskip("zstandard")
    records = real_pool("pool", 0, 500)
    group = _group(records)
    params = zstandard.ZstdCompressionParameters.from_level(
        3, source_size=len(group), window_log=math.ceil(math.log2(len(group))), enable_ldm=True)
    frame = zstandard.ZstdCompressor(compression_params=params).compress(group)
    result = ratio.dataset_ratio(records, codec="zstd", threads=2)
    assert (result.codec, result.method, result.compressed) == ("zstd-3", "exact", len(frame))
    assert ratio.dataset_ratio(records, codec="zstd", level=9).codec == "zstd-9"


def test_zstd_sees_repeats_beyond_zlibs_window(real_pool):
    pytest.importorskip("zstandard")
    block = real_pool("pool", 0, 150)  # ~190 KB, far past zlib's 32 KB window
    filler = real_pool("pool", 1000, 1150)
    once, twice = block + filler, block + filler + block
    zlib_gain = ratio.dataset_ratio(twice).ratio / ratio.dataset_ratio(once).ratio
    zstd_gain = (ratio.dataset_ratio(twice, codec="zstd").ratio
                 / ratio.dataset_ratio(once, codec="zstd").ratio)
    assert zlib_gain < 1.05  # the repeat is invisible to zlib ...
    assert zstd_gain > 1.4  # ... and nearly free for zstd


def test_ratio_by_source(real_pool):
    records = real_pool("pool", 0, 800)
    records[5] = {k: v for k, v in records[5].items() if k != "source"}
    rows = ratio.ratio_by_source(records, threads=2)
    assert sum(r.samples for r in rows) == len(records)
    assert [r.ratio for r in rows] == sorted((r.ratio for r in rows), reverse=True)
    for row in rows:
        members = [r for r in records if r.get("source", ratio.NO_SOURCE) == row.source]
        assert row.samples == len(members) and row.ratio == _exact(members)
    assert ratio.NO_SOURCE in {r.source for r in rows}

    by_prefix = ratio.ratio_by_source(records, prefix=True)
    assert {r.source for r in by_prefix} == {ratio.source_prefix(r.source) for r in rows}
    gsm8k = [r for r in records if r.get("source", "").startswith("gsm8k/")]
    assert next(r for r in by_prefix if r.source == "gsm8k").ratio == _exact(gsm8k)


def test_running_ratios_equal_the_ratio_of_each_prefix(real_pool):
    records = real_pool("pool", 0, 200)
    order = list(range(199, -1, -3))
    ends = [1, 2, 10, 10, 40, len(order)]
    expected = [_exact([records[i] for i in order[:end]]) for end in ends]
    assert ratio.running_ratios(records, order, ends) == expected
    pool = zipcore._pool.encode_pool(records)
    assert ratio.running_ratios(pool, order, ends) == expected


@pytest.mark.parametrize("kwargs, error", [
    ({"codec": "gzip"}, "codec must be 'zlib' or 'zstd', got 'gzip'"),
    ({"threads": 0}, "threads must be positive, got 0"),
    ({"chunk_size": 1000}, "chunk_size must be an integer of at least 262144"),
    ({"codec": "zstd", "level": 0}, "zstd level must be in 1..22, got 0"),
    ({"level": 6}, "the zlib codec is exact at level 9 only"),
])
def test_bad_options_raise_value_error(kwargs, error):
    if kwargs.get("codec") == "zstd":
        pytest.importorskip("zstandard")
    with pytest.raises(ValueError, match=error):
        ratio.dataset_ratio(["a", "b"], **kwargs)


def test_bad_samples_and_prefix_ends():
    with pytest.raises(TypeError, match="not a single str"):
        ratio.dataset_ratio("abc")
    with pytest.raises(ValueError, match="ascending"):
        ratio.running_ratios(["a", "b"], [0, 1], [2, 1])
    with pytest.raises(IndexError, match="index 5 is out of range for 2 samples"):
        ratio.running_ratios(["a", "b"], [0, 5], [2])


# --- zipcore ratio ----------------------------------------------------------------------------

@pytest.fixture
def pool_file(tmp_path, real_pool):
    path = tmp_path / "pool.json"
    path.write_text(json.dumps(real_pool("pool", 0, 600)), encoding="utf-8")
    return path


def test_ratio_command_by_source(pool_file, real_pool, capsys):
    records = real_pool("pool", 0, 600)
    assert cli.main(["ratio", str(pool_file), "--by", "prefix", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["ratio"] == _exact(records) and row["method"] == "exact"
    expected = ratio.ratio_by_source(records, prefix=True)
    assert [(s["source"], s["samples"], s["ratio"]) for s in row["sources"]] == [
        (e.source, e.samples, e.ratio) for e in expected]

    assert cli.main(["ratio", str(pool_file), "--by", "source"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3] == f"{pool_file}: R by source, most redundant first"
    assert lines[4].split() == ["samples", "bytes", "share", "R", "codec", "source"]
    rows = [line.split() for line in lines[5:]]
    assert len(rows) == len({r["source"] for r in records})
    assert sum(int(r[0]) for r in rows) == 600
    assert [float(r[3]) for r in rows] == sorted((float(r[3]) for r in rows), reverse=True)


def test_ratio_command_parallel_and_zstd(pool_file, real_pool, capsys):
    records = real_pool("pool", 0, 600)
    assert cli.main(["ratio", str(pool_file), "--exact-limit", "0.5M", "--threads", "2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[3] == "zlib-9*"  # ~770 KB > 0.5 MiB: parallel
    assert "* parallel zlib-9: 1 MiB chunks" in out
    assert cli.main(["ratio", str(pool_file), "--exact-limit", "1M", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["method"] == "exact"

    pytest.importorskip("zstandard")
    assert cli.main(["ratio", str(pool_file), "--codec", "zstd", "--level", "5",
                     "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["codec"] == "zstd-5"
    assert row["ratio"] == ratio.dataset_ratio(records, codec="zstd", level=5).ratio


def test_ratio_command_without_zstandard_exits_2(pool_file, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "zstandard", None)
    assert cli.main(["ratio", str(pool_file), "--codec", "zstd"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == ("zipcore: error: --codec zstd needs the zstandard package, "
                                    "which is not installed; install it with: pip install "
                                    "zstandard")
    assert captured.out == ""


@pytest.mark.parametrize("argv, message", [
    (["--exact-limit", "lots"], "expected a size such as 32M, got 'lots'"),
    (["--exact-limit=-1K"], "must not be negative"),
    (["--exact-limit", "infG"], "expected a size such as 32M"),
    (["--by", "model"], "invalid choice: 'model'"),
    (["--codec", "lzma"], "invalid choice: 'lzma'"),
    (["--threads", "0"], "--threads"),
    (["--level", "6"], "the zlib codec is exact at level 9 only (the reference's), got 6"),
])
def test_bad_ratio_options_exit_2(pool_file, capsys, argv, message):
    assert cli.main(["ratio", str(pool_file), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zipcore: error: ") and message in err
