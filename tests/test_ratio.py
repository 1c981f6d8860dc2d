"""zipcore.measure and zipcore.entropy.ratio: exact R against Python's zlib, the parallel path's
bound, zstd from the engine's libzstd, R per source, the engine's R after each round."""

from __future__ import annotations

import json
import math
import sys
import zlib

import pytest

import zipcore
from zipcore import cli
from zipcore import measure
from zipcore.entropy import ratio


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
    result = measure.dataset_ratio(samples)
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
    assert measure.dataset_ratio(records, exact_limit=size).method == "exact"
    assert measure.dataset_ratio(records, exact_limit=size - 1).method == "parallel"
    forced = measure.dataset_ratio(records, exact_limit=0, exact=True)
    assert forced.method == "exact" and forced.ratio == _exact(records)


def _parallel_stream(group: bytes, chunk: int) -> bytes:
    """The parallel method written out from its description: raw deflate of each chunk primed
    with the 32 KB before it, sync-flushed but the last, inside a zlib header and trailer."""
    parts = []
    for start in range(0, len(group), chunk):
        end = min(start + chunk, len(group))
        prefix = group[max(0, start - (32 << 10)):start]
        compressor = (zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, prefix)
                      if prefix else zlib.compressobj(9, zlib.DEFLATED, -15, 8))
        parts.append(compressor.compress(group[start:end])
                     + compressor.flush(zlib.Z_FINISH if end == len(group) else zlib.Z_SYNC_FLUSH))
    return b"\x78\xda" + b"".join(parts) + zlib.adler32(group).to_bytes(4, "big")


def test_parallel_path_is_a_real_zlib_stream_of_the_group(real_pool):
    records = real_pool("all")  # ~2.4 MB: 10 chunks of 256 KiB
    group = _group(records)
    stream = _parallel_stream(group, measure.MIN_CHUNK_SIZE)
    assert zlib.decompress(stream) == group
    result = measure.dataset_ratio(records, exact=False, chunk_size=measure.MIN_CHUNK_SIZE)
    assert result.method == "parallel"
    assert result.compressed == len(stream)


@pytest.mark.parametrize("name, chunk_size", [("all", measure.CHUNK_SIZE),
                                              ("hh", measure.MIN_CHUNK_SIZE)])
def test_parallel_path_stays_within_its_stated_bound_on_real_pools(real_pool, name, chunk_size):
    # The three test pools (2.4 MB) at the default chunks; hh-rlhf (0.7 MB) at the smallest
    # allowed chunk size, the worst case measured.
    records = real_pool(name)
    exact = measure.dataset_ratio(records, exact=True)
    parallel = measure.dataset_ratio(records, exact=False, chunk_size=chunk_size, threads=2)
    assert parallel.bytes == exact.bytes
    assert parallel.compressed != exact.compressed  # the paths do differ ...
    assert abs(parallel.compressed / exact.compressed - 1) <= measure.PARALLEL_BOUND  # ... a little
    assert abs(parallel.ratio / exact.ratio - 1) <= measure.PARALLEL_BOUND * 1.01


def test_parallel_result_does_not_depend_on_threads(real_pool):
    records = real_pool("gsm8k")  # ~0.7 MB: 3 chunks
    sizes = {measure.dataset_ratio(records, exact=False, chunk_size=measure.MIN_CHUNK_SIZE,
                                 threads=t).compressed for t in (1, 2, 3)}
    assert len(sizes) == 1


def test_zstd_is_one_frame_with_a_window_over_the_whole_group(real_pool):
    # The engine's libzstd, not python-zstandard's bundled one: the sizes agree closely, not to
    # the byte, when the two libraries' versions differ.
    import zstandard  # a test extra: the reference for zstd sizes
    records = real_pool("pool", 0, 500)
    group = _group(records)
    params = zstandard.ZstdCompressionParameters.from_level(
        3, source_size=len(group), window_log=math.ceil(math.log2(len(group))), enable_ldm=True)
    frame = zstandard.ZstdCompressor(compression_params=params).compress(group)
    result = measure.dataset_ratio(records, codec="zstd", threads=2)
    assert (result.codec, result.method, result.bytes) == ("zstd-3", "exact", len(group))
    assert abs(result.compressed / len(frame) - 1) < 0.01
    assert measure.dataset_ratio(records, codec="zstd", level=9).codec == "zstd-9"


def test_zstd_sees_repeats_beyond_zlibs_window(real_pool):
    block = real_pool("pool", 0, 150)  # ~190 KB, far past zlib's 32 KB window
    filler = real_pool("pool", 1000, 1150)
    once, twice = block + filler, block + filler + block
    zlib_gain = measure.dataset_ratio(twice).ratio / measure.dataset_ratio(once).ratio
    zstd_gain = (measure.dataset_ratio(twice, codec="zstd").ratio
                 / measure.dataset_ratio(once, codec="zstd").ratio)
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


def test_ratio_by_source_of_a_pool_and_of_a_table():
    texts = [f"sample {i} " * 3 for i in range(40)]
    [only] = ratio.ratio_by_source(zipcore.Pool.from_samples(texts))
    assert (only.source, only.samples, only.ratio) == (ratio.NO_SOURCE, 40, _exact(texts))
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match=r"not a pandas.DataFrame: pass its rows"):
        ratio.ratio_by_source(pd.DataFrame({"text": texts, "source": ["a"] * 40}))


@pytest.mark.parametrize("codec", ["zlib", "zstd"])
def test_the_engines_r_after_each_round_is_the_selections_r(real_pool, codec):
    records = real_pool("pool", 0, 200)
    result = zipcore.select_with_stats(records, 60, k1=200, k2=20, k3=8, codec=codec)
    for row in result.rounds:
        chosen = [records[i] for i in result.indices[:row["selected"]]]
        if codec == "zlib":  # exact: the selection so far, compressed in one zlib-9 stream
            assert row["ratio"] == _exact(chosen)
        else:  # the scorer's running stream, within 1 % of one frame of the selection
            one_frame = measure.dataset_ratio(chosen, codec="zstd").ratio
            assert abs(row["ratio"] / one_frame - 1) < 0.01


@pytest.mark.parametrize("kwargs, error", [
    ({"codec": "gzip"}, "codec must be 'zlib' or 'zstd', got 'gzip'"),
    ({"threads": 0}, "threads must be positive, got 0"),
    ({"chunk_size": 1000}, "chunk_size must be at least 262144, got 1000"),
    ({"codec": "zstd", "level": 0}, "zstd level must be in 1..22, got 0"),
    ({"level": 6}, "the zlib codec is exact at level 9 only"),
])
def test_bad_options_raise_value_error(kwargs, error):
    with pytest.raises(ValueError, match=error):
        measure.dataset_ratio(["a", "b"], **kwargs)


def test_groups_of_pools_count_only_their_samples_bytes():
    # A pool may view a buffer with bytes before its first offset and after its last.
    padded = zipcore.Pool(b"??hello" + b"ab" * 5000, [2, 7])
    results = measure.dataset_ratios([padded, ["x" * 3000], padded])
    assert [r.compressed for r in results] == [len(zlib.compress(_group(s), 9))
                                              for s in ([b"hello"], ["x" * 3000], [b"hello"])]
    with pytest.raises(TypeError, match="indices must be integers"):
        measure.pool_ratios(padded, [[0.7]])


def test_bad_samples():
    with pytest.raises(TypeError, match="not a single str"):
        measure.dataset_ratio("abc")
    with pytest.raises(zipcore.ZipcoreError, match="R of an empty group is undefined"):
        measure.dataset_ratio([])


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
    assert 0.2 * (1 << 20) < len(_group(records)) < 1 << 20  # ~390 KB
    assert cli.main(["ratio", str(pool_file), "--exact-limit", "0.2M", "--threads", "2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[3] == "zlib-9*"  # > 0.2 MiB: parallel
    assert "* parallel zlib-9: 1 MiB chunks" in out
    assert cli.main(["ratio", str(pool_file), "--exact-limit", "1M", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["method"] == "exact"

    assert cli.main(["ratio", str(pool_file), "--codec", "zstd", "--level", "5",
                     "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["codec"] == "zstd-5"
    assert row["ratio"] == measure.dataset_ratio(records, codec="zstd", level=5).ratio


def test_zstd_needs_no_python_zstandard(pool_file, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # R comes from the engine's libzstd
    assert cli.main(["ratio", str(pool_file), "--codec", "zstd", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["codec"] == "zstd-3" and row["ratio"] > 1


def test_ratio_measures_what_select_compresses(tmp_path, real_pool, capsys):
    """Records with a text field: select compresses the strings, and so does ratio by default
    (--format record measures each record's repr)."""
    records = [{"text": r["conversations"][0]["value"], "url": f"u{i}"}
               for i, r in enumerate(real_pool("gsm8k", 0, 200))]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert cli.main(["select", str(path), "-o", str(tmp_path / "s.jsonl"), "--budget", "20",
                     "-q", "--json"]) == 0
    selected_from = json.loads(capsys.readouterr().out)["ratio"]["pool"]
    assert cli.main(["ratio", str(path), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["ratio"] == selected_from == _exact([r["text"] for r in records])
    assert cli.main(["ratio", str(path), "--json", "--format", "record"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["ratio"] == _exact(records)
    assert cli.main(["ratio", str(path), "--json", "--template", "{url}: {text}"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["ratio"] == _exact([f"{r['url']}: {r['text']}" for r in records])


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


def test_ratio_by_source_measures_a_column_of_each_record():
    records = [{"source": "a", "text": "hello hello"}, {"source": "b", "text": "world"},
               {"source": "a", "text": "again"}]
    rows = {row.source: row for row in ratio.ratio_by_source(records, column="text")}
    assert rows["a"].ratio == zipcore.compression_ratio(["hello hello", "again"])
    assert rows["b"].ratio == zipcore.compression_ratio(["world"])


@pytest.mark.parametrize("call, name", [
    (lambda: measure.dataset_ratio(["a", "b"], thread=2), "dataset_ratio"),
    (lambda: measure.dataset_ratios([["a"]], thread=2), "dataset_ratios"),
    (lambda: ratio.ratio_by_source([{"source": "a"}], thread=2), "ratio_by_source"),
])
def test_a_misspelt_option_names_the_function_called(call, name):
    with pytest.raises(TypeError, match=f"^{name}\\(\\) got an unexpected keyword argument "
                                        "'thread'$"):
        call()


def test_sources_that_are_not_json_values_are_labelled_by_their_type():
    import numpy as np

    rows = ratio.ratio_by_source([{"source": b"web", "t": "a"}, {"source": np.int64(1), "t": "x"},
                                  {"source": 1, "t": "y"}])
    labels = {row.source: row.samples for row in rows}
    assert labels == {"b'web' (Python bytes)": 1, "1 (JSON number)": 2}  # numpy's 1 is 1
    with pytest.raises(TypeError, match="prefix must be True or False, got 'yes'"):
        ratio.ratio_by_source([{"source": "a"}], prefix="yes")


def test_source_keys_of_different_kinds_never_collide():
    import numpy as np

    instant = np.datetime64("2020-01-01", "ns")
    rows = ratio.ratio_by_source([
        {"source": instant, "t": "a"},
        {"source": 1577836800000000000, "t": "b"},  # the same instant as an int
        {"source": {"a": b"x"}, "t": "c"}, {"source": {"a": "b'x'"}, "t": "d"}])
    assert sorted(row.source for row in rows) == sorted([
        f"{instant!r} (Python datetime64)",
        "1577836800000000000 (JSON number)", "{'a': b'x'} (Python dict)",
        """{"a": "b'x'"} (JSON object)"""])


def test_the_table_shows_names_and_sources_a_terminal_cannot(tmp_path, capsys):
    # A lone surrogate in a source, or an undecodable byte in a file name, stopped the table
    # with "'utf-8' codec can't encode character", naming no file.
    import os

    rows = [{"text": "a", "source": "\ud800"}, {"text": "b", "source": "ok"}]
    path = tmp_path / os.fsdecode(b"pool\xff.json")
    path.write_text(json.dumps(rows), encoding="utf-8", errors="surrogatepass")
    assert cli.main(["ratio", str(path), "--by", "source"]) == 0
    out = capsys.readouterr().out
    assert "pool\\udcff.json" in out and '"\\ud800" (JSON string)' in out
    assert cli.main(["ratio", str(path), "--by", "source", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)[0]
    assert sorted(s["source"] for s in shown["sources"]) == ['"\\ud800" (JSON string)', "ok"]


def test_exact_is_refused_with_zstd():
    # The command line refused --exact/--parallel with --codec zstd; the API ignored them.
    for exact in (True, False):
        with pytest.raises(ValueError, match="exact chooses how zlib's R is computed"):
            measure.dataset_ratio(["a", "b"], codec="zstd", exact=exact)
    assert measure.dataset_ratio(["a", "b"], codec="zstd").codec == "zstd-3"


def test_monitor_reads_a_list_under_a_key(tmp_path, capsys):
    # Its error told the user to pass --records-key, which monitor did not have.
    (tmp_path / "v1.json").write_text(json.dumps({"data": [{"text": "a"}, {"text": "b"}]}))
    (tmp_path / "versions.csv").write_text("version,path\nv1,v1.json\n")
    assert cli.main(["monitor", str(tmp_path / "versions.csv")]) == 2
    assert "--records-key data" in capsys.readouterr().err
    assert cli.main(["monitor", str(tmp_path / "versions.csv"), "--records-key", "data",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["versions"][0]["samples"] == 2
