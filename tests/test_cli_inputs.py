"""``zipcore select INPUT...`` and ``zipcore ratio FILE...``: several inputs, folders, globs,
``.gz``/``.zst``, standard input, fsspec URLs, Parquet folders (zipcore.io.inputs)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import zipcore
from zipcore import cli

FLAGS = ["--budget", "8", "--k1", "20", "--k2", "10", "--k3", "4", "-q"]


@pytest.fixture(scope="module")
def records(real_pool) -> list[dict]:
    return real_pool("gsm8k", 0, 240)


def _lines(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")


def _zst(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor(level=3).compress(data)


def _select(inputs: list[str], out: Path, *extra: str) -> tuple[bytes, bytes]:
    """The output and the indices file of a run that must succeed."""
    indices = out.with_name(out.name + ".idx")
    assert cli.main(["select", *inputs, "-o", str(out), "--indices-out", str(indices),
                     *FLAGS, *extra]) == 0
    return out.read_bytes(), indices.read_bytes()


@pytest.fixture
def whole(tmp_path, records) -> tuple[bytes, bytes]:
    """The selection over one file holding every record: what the split forms must give."""
    path = tmp_path / "whole" / "all.jsonl"
    path.parent.mkdir()
    path.write_bytes(_lines(records))
    return _select([str(path)], tmp_path / "whole" / "sel.jsonl")


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zipcore: error: "), err
    return err[0]


def test_two_files_select_as_their_concatenation(tmp_path, records, whole):
    (tmp_path / "a.jsonl").write_bytes(_lines(records[:100]))
    (tmp_path / "b.jsonl").write_bytes(_lines(records[100:]))
    got = _select([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")], tmp_path / "s.jsonl")
    assert got == whole  # same indices (positions in a then b), same output bytes
    # The order given is the order of the records: b then a is another pool.
    other = _select([str(tmp_path / "b.jsonl"), str(tmp_path / "a.jsonl")],
                    tmp_path / "t.jsonl")
    assert other[1] != whole[1]


def test_a_json_list_and_jsonl_mix(tmp_path, records, whole):
    (tmp_path / "a.json").write_text("[" + ", ".join(json.dumps(r) for r in records[:70])
                                     + "]", encoding="utf-8")
    (tmp_path / "b.jsonl").write_bytes(_lines(records[70:]))
    got = _select([str(tmp_path / "a.json"), str(tmp_path / "b.jsonl")], tmp_path / "s.jsonl")
    assert got == whole


def _shards(folder: Path, records: list[dict]) -> None:
    (folder / "sub").mkdir(parents=True)
    (folder / "part-00000.jsonl").write_bytes(_lines(records[:60]))
    (folder / "part-00001.jsonl.gz").write_bytes(gzip.compress(_lines(records[60:150])))
    (folder / "sub" / "part-00002.jsonl.zst").write_bytes(_zst(_lines(records[150:])))
    # Not data: skipped, as pyarrow.dataset skips them.
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / ".part-00000.jsonl.crc").write_bytes(b"\x00crc")
    (folder / "notes.txt").write_text("not a pool")
    (folder / "_tmp").mkdir()
    (folder / "_tmp" / "part-9.jsonl").write_bytes(b"{broken\n")


def test_a_folder_is_read_recursively_in_path_order(tmp_path, records, whole):
    _shards(tmp_path / "pool", records)
    assert _select([str(tmp_path / "pool")], tmp_path / "s.jsonl") == whole


def test_a_glob_is_expanded_by_zipcore_and_sorted(tmp_path, records, whole):
    _shards(tmp_path / "pool", records)
    # A glob skips what a folder skips: _tmp/part-9.jsonl (broken) and _SUCCESS.
    pattern = str(tmp_path / "pool" / "**" / "part-*.jsonl*")
    assert _select([pattern], tmp_path / "s.jsonl") == whole
    # Without ** the glob stays in its folder: the first two shards only.
    (tmp_path / "two.jsonl").write_bytes(_lines(records[:150]))
    assert (_select([str(tmp_path / "pool" / "part-*")], tmp_path / "t.jsonl")
            == _select([str(tmp_path / "two.jsonl")], tmp_path / "u.jsonl"))
    # 'ds/**' matches the folder and every file in it: each file is read once.
    (tmp_path / "clean" / "sub").mkdir(parents=True)
    (tmp_path / "clean" / "part-0.jsonl").write_bytes(_lines(records[:60]))
    (tmp_path / "clean" / "sub" / "part-1.jsonl").write_bytes(_lines(records[60:]))
    assert _select([str(tmp_path / "clean" / "**")], tmp_path / "v.jsonl") == whole


def test_a_file_whose_name_looks_like_a_glob_is_that_file(tmp_path, records, whole):
    literal = tmp_path / "pool[1].jsonl"
    literal.write_bytes(_lines(records))
    assert _select([str(literal)], tmp_path / "s.jsonl") == whole


@pytest.mark.parametrize("make, named", [
    (lambda d: d.mkdir(), "{p}: no data files in this folder"),
    (lambda d: None, "{p}/*.jsonl: no file matches this pattern"),
])
def test_a_folder_or_glob_matching_nothing_is_an_error_naming_it(tmp_path, capsys, make, named):
    empty = tmp_path / "empty"
    make(empty)
    argument = str(empty) if "folder" in named else str(empty / "*.jsonl")
    out = tmp_path / "s.jsonl"
    assert cli.main(["select", argument, "-o", str(out), *FLAGS]) == 2
    assert named.format(p=empty) in _error(capsys)
    assert not out.exists()


def test_a_file_named_twice_is_refused(tmp_path, records, capsys):
    path = tmp_path / "a.jsonl"
    path.write_bytes(_lines(records))
    assert cli.main(["select", str(path), str(tmp_path / "*.jsonl"), "-o",
                     str(tmp_path / "s.json"), *FLAGS]) == 2
    assert "this file is named twice" in _error(capsys)


def test_a_hard_link_is_the_same_file_named_twice(tmp_path, records, capsys):
    path = tmp_path / "a.jsonl"
    path.write_bytes(_lines(records))
    os.link(path, tmp_path / "b.jsonl")
    assert cli.main(["select", str(path), str(tmp_path / "b.jsonl"), "-o",
                     str(tmp_path / "s.json"), *FLAGS]) == 2
    assert f"{tmp_path / 'b.jsonl'}: this file is named twice" in _error(capsys)


def test_a_folder_follows_symlinked_folders_once(tmp_path, records, whole):
    """As a glob of the folder does; a link back up (a loop) is read once, not forever; a link
    to a folder inside the tree leaves that folder where it is in path order."""
    (tmp_path / "ds").mkdir()
    (tmp_path / "ext").mkdir()
    (tmp_path / "ds" / "a.jsonl").write_bytes(_lines(records[:100]))
    (tmp_path / "ext" / "b.jsonl").write_bytes(_lines(records[100:]))
    (tmp_path / "ds" / "more").symlink_to(tmp_path / "ext")
    (tmp_path / "ext" / "up").symlink_to(tmp_path / "ext")  # a loop
    assert _select([str(tmp_path / "ds")], tmp_path / "s.jsonl") == whole
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "m_real").mkdir()
    (tmp_path / "in" / "m_real" / "b.jsonl").write_bytes(_lines(records[100:]))
    (tmp_path / "in" / "n.jsonl").write_bytes(_lines(records[:100]))
    for link in ("a_link", "z_link"):  # before and after the folder it names
        (tmp_path / "in" / link).symlink_to(tmp_path / "in" / "m_real")
    expected = (tmp_path / "in" / "m_real" / "b.jsonl", tmp_path / "in" / "n.jsonl")
    from zipcore.io.inputs import expand

    assert [item.name for item in expand([str(tmp_path / "in")])] == list(map(str, expected))


def test_a_folder_that_cannot_be_listed_is_an_error_naming_it(tmp_path, records, capsys,
                                                              monkeypatch):
    """Permission bits do not stop root, so the listing itself is made to fail."""
    (tmp_path / "ds" / "sub").mkdir(parents=True)
    (tmp_path / "ds" / "a.jsonl").write_bytes(_lines(records[:100]))
    (tmp_path / "ds" / "sub" / "b.jsonl").write_bytes(_lines(records[100:]))
    listing = os.scandir
    locked = str(tmp_path / "ds" / "sub")

    def scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    out = tmp_path / "s.jsonl"
    assert cli.main(["select", str(tmp_path / "ds"), "-o", str(out), *FLAGS]) == 2
    assert _error(capsys) == f"zipcore: error: {locked}: Permission denied"
    assert not out.exists()


def test_a_file_named_twice_names_the_arguments_that_named_it(tmp_path, records, capsys):
    (tmp_path / "d").mkdir()
    part = tmp_path / "d" / "part-0.jsonl"
    part.write_bytes(_lines(records))
    assert cli.main(["select", str(tmp_path / "d"), str(part), "-o", str(tmp_path / "s.jsonl"),
                     *FLAGS]) == 2
    assert (f"{part}: this file is named twice, by the argument {tmp_path / 'd'} and by {part}"
            in _error(capsys))


def _pairs(first: int, ids: list) -> list[dict]:
    return [{"pair_id": i, "label": label, "text": f"answer {n} to question {i}"}
            for n, i in enumerate(ids, start=first) for label in ("chosen", "rejected")]


def test_a_preference_pair_split_across_files_is_refused(tmp_path, capsys):
    pairs = _pairs(0, list(range(20)))
    (tmp_path / "a.jsonl").write_bytes(_lines(pairs[:21]))  # pair 10's first member ends it
    (tmp_path / "b.jsonl").write_bytes(_lines(pairs[21:]))
    out = tmp_path / "s.jsonl"
    assert cli.main(["select", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "-o",
                     str(out), *FLAGS]) == 2
    line = _error(capsys)
    assert (f"{tmp_path / 'a.jsonl'}, {tmp_path / 'b.jsonl'}: the preference pair with pair_id 10 "
            in line)
    assert "a pair must lie within one file" in line and not out.exists()


@pytest.mark.parametrize("a, b, error", [
    # A pair file whose last record has no pair_id (null), the next file no pair_id either.
    (_pairs(0, [5]) + [{"text": "c"}], [{"text": "d"}], "a.jsonl:3:1: record 2 has no"),
    # Not a pair file: a record of the wrong format, then a pair_id that the next file repeats.
    ([{"text": "a"}, {"txt": "b"}, {"text": "c", "pair_id": 9}], [{"text": "d", "pair_id": 9}],
     "a.jsonl:2:1: record 1 has no 'text' field"),
])
def test_other_errors_are_not_taken_for_a_split_pair(tmp_path, capsys, a, b, error):
    (tmp_path / "a.jsonl").write_bytes(_lines(a))
    (tmp_path / "b.jsonl").write_bytes(_lines(b))
    assert cli.main(["select", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "-o",
                     str(tmp_path / "s.jsonl"), *FLAGS]) == 2
    line = _error(capsys)
    assert error in line and "within one file" not in line


@pytest.mark.parametrize("again", [9, "x"])
def test_a_pair_id_in_two_files_is_refused(tmp_path, capsys, again):
    (tmp_path / "a.jsonl").write_bytes(_lines(_pairs(0, list(range(10)) + ["x"])))
    (tmp_path / "b.jsonl").write_bytes(_lines(_pairs(50, [20, 21, again, 22])))
    out = tmp_path / "s.jsonl"
    assert cli.main(["select", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "-o",
                     str(out), *FLAGS]) == 2
    first = 2 * (9 if again == 9 else 10)
    assert (f"{tmp_path / 'b.jsonl'}: record 4 has the pair_id {json.dumps(again)} of record "
            f"{first} of {tmp_path / 'a.jsonl'}" in _error(capsys))
    assert not out.exists()


def test_pairs_in_several_files_select_as_one_file(tmp_path):
    pairs = _pairs(0, list(range(20)))
    (tmp_path / "all.jsonl").write_bytes(_lines(pairs))
    (tmp_path / "a.jsonl").write_bytes(_lines(pairs[:22]))
    (tmp_path / "b.jsonl").write_bytes(_lines(pairs[22:]))
    assert (_select([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")], tmp_path / "s.jsonl")
            == _select([str(tmp_path / "all.jsonl")], tmp_path / "t.jsonl"))


@pytest.mark.parametrize("suffix", [".jsonl.zst", ".jsonl.gz", ".json.zst", ".json.gz"])
def test_compressed_inputs_read_and_reread_like_plain_ones(tmp_path, records, whole, suffix):
    plain = (_lines(records) if suffix.startswith(".jsonl")
             else ("[" + ", ".join(json.dumps(r) for r in records) + "]").encode())
    pack = _zst if suffix.endswith(".zst") else gzip.compress
    path = tmp_path / ("pool" + suffix)
    path.write_bytes(pack(plain))
    # The selection is re-read from the compressed file, forward only, in selection order.
    assert _select([str(path)], tmp_path / "s.jsonl") == whole


def test_a_zst_file_of_several_frames_is_read_whole(tmp_path, records, whole):
    path = tmp_path / "pool.jsonl.zst"
    path.write_bytes(_zst(_lines(records[:77])) + _zst(_lines(records[77:])))
    assert _select([str(path)], tmp_path / "s.jsonl") == whole


def test_a_truncated_zst_file_is_an_error(tmp_path, records, capsys):
    data = _zst(_lines(records))
    path = tmp_path / "pool.jsonl.zst"
    path.write_bytes(data[:len(data) // 2])
    assert cli.main(["select", str(path), "-o", str(tmp_path / "s.jsonl"), *FLAGS]) == 2
    assert f"{path}: not a valid zstd file" in _error(capsys)
    assert not (tmp_path / "s.jsonl").exists()


def test_standard_input_is_read_as_jsonl_and_its_copy_removed(tmp_path, records, whole):
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "s.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "zipcore", "select", "-", "-o", str(out), "--indices-out",
         str(tmp_path / "s.jsonl.idx"), *FLAGS],
        input=_lines(records), capture_output=True, timeout=120,
        env={**os.environ, "TMPDIR": str(temp)})
    assert done.returncode == 0, done.stderr
    assert (out.read_bytes(), (tmp_path / "s.jsonl.idx").read_bytes()) == whole
    assert list(temp.iterdir()) == []  # the spooled copy is gone


def test_a_json_list_on_standard_input_is_written_back_as_a_list(tmp_path, records):
    # It was written as JSONL, while the same list in a file is written as a list.
    (tmp_path / "pool.json").write_text(json.dumps(records), encoding="utf-8")
    from_file = subprocess.run([sys.executable, "-m", "zipcore", "select",
                                str(tmp_path / "pool.json"), "-o", "-", *FLAGS],
                               capture_output=True, timeout=120)
    from_stdin = subprocess.run([sys.executable, "-m", "zipcore", "select", "-", "-o", "-",
                                 *FLAGS], input=json.dumps(records).encode(),
                                capture_output=True, timeout=120)
    assert from_file.returncode == from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout and from_stdin.stdout.startswith(b"[")


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_compressed_standard_input_is_decompressed(tmp_path, records, whole, compression):
    # A pipe has no name to say its compression: gzip -c x.jsonl | zipcore select - was
    # "-:1:2: not valid UTF-8 (byte 0x8b)".
    import gzip

    import zstandard

    out = tmp_path / "s.jsonl"
    data = _lines(records)
    packed = (gzip.compress(data) if compression == "gzip"
              else zstandard.ZstdCompressor().compress(data))
    done = subprocess.run(
        [sys.executable, "-m", "zipcore", "select", "-", "-o", str(out), "--indices-out",
         str(tmp_path / "s.jsonl.idx"), *FLAGS], input=packed, capture_output=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out.read_bytes(), (tmp_path / "s.jsonl.idx").read_bytes()) == whole


def test_a_compression_the_name_does_not_say_is_named(tmp_path, records, capsys):
    # Read as plain text, each was "PATH:1:11: not valid UTF-8 (byte 0x88 ...)".
    import bz2
    import lzma

    data = _lines(records[:20])
    for name, packed, message in [
        ("p.jsonl.bz2", bz2.compress(data), "bzip2 (zipcore reads .gz and .zst: decompress it "
                                            "first)"),
        ("p.jsonl.xz", lzma.compress(data), "xz (zipcore reads .gz and .zst: decompress it "
                                            "first)"),
        ("p.jsonl", gzip.compress(data), "gzip (name it *.gz to read it)"),
        ("p.json", _zst(data), "zstd (name it *.zst to read it)"),
    ]:
        path = tmp_path / name
        path.write_bytes(packed)
        assert cli.main(["select", str(path), "-o", str(tmp_path / "s.jsonl"), *FLAGS]) == 2
        assert _error(capsys) == f"zipcore: error: {path}: compressed with {message}"
    assert not (tmp_path / "s.jsonl").exists()


def test_a_bad_record_on_standard_input_is_named_as_standard_input(tmp_path, records):
    temp = tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "zipcore", "select", "-", "-o", str(tmp_path / "s.jsonl"),
         *FLAGS], input=_lines(records[:5]) + b"{not json\n", capture_output=True,
        timeout=120, env={**os.environ, "TMPDIR": str(temp)})
    assert done.returncode == 2
    assert done.stderr.decode().startswith("zipcore: error: -:6:")
    assert list(temp.iterdir()) == [] and not (tmp_path / "s.jsonl").exists()


def test_a_file_url_is_the_local_file(tmp_path, records, whole):
    (tmp_path / "a.jsonl").write_bytes(_lines(records[:100]))
    (tmp_path / "b.jsonl").write_bytes(_lines(records[100:]))
    got = _select([f"file://{tmp_path}/a.jsonl", f"file://{tmp_path}/b.jsonl"],
                  tmp_path / "s.jsonl")
    assert got == whole


@pytest.fixture
def memory(records):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.pipe("/zipcore-test/part-0.jsonl", _lines(records[:100]))
    fs.pipe("/zipcore-test/part-1.jsonl.zst", _zst(_lines(records[100:])))
    fs.pipe("/zipcore-test/_SUCCESS", b"")
    yield fs
    fs.rm("/zipcore-test", recursive=True)


@pytest.mark.parametrize("url", ["memory://zipcore-test", "memory://zipcore-test/part-*"])
def test_a_memory_url_folder_or_glob(tmp_path, memory, whole, url):
    assert _select([url], tmp_path / "s.jsonl") == whole


def test_a_bad_record_in_a_url_is_named_by_its_url(tmp_path, memory, records, capsys):
    memory.pipe("/zipcore-test/part-2.jsonl", _lines(records[:3]) + b"[1]\n")
    assert cli.main(["select", "memory://zipcore-test", "-o", str(tmp_path / "s.jsonl"),
                     *FLAGS]) == 2
    assert "memory:///zipcore-test/part-2.jsonl:4:1: this line is a JSON array" in _error(capsys)


def test_a_url_without_fsspec_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec fails
    assert cli.main(["select", "s3://bucket/pool.jsonl", "-o", str(tmp_path / "s.jsonl"),
                     *FLAGS]) == 2
    assert ("s3://bucket/pool.jsonl: reading URLs needs fsspec: pip install 'zipcore[remote]'"
            in _error(capsys))


@pytest.fixture
def parquet_pool(tmp_path, records):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"text": [json.dumps(r) for r in records],
                      "id": list(range(len(records)))})
    folder = tmp_path / "dataset"
    (folder / "year=2024").mkdir(parents=True)
    pq.write_table(table.slice(0, 90), folder / "part-00000.parquet")
    pq.write_table(table.slice(90), folder / "year=2024" / "part-00001.parquet")
    (folder / "_common_metadata").write_bytes(b"not parquet")
    whole = tmp_path / "whole.parquet"
    pq.write_table(table, whole)
    return folder, whole, pq


def test_a_parquet_folder_selects_as_one_file(tmp_path, parquet_pool):
    folder, whole, pq = parquet_pool
    one = _select([str(whole), "--column", "text"], tmp_path / "one.parquet")
    many = _select([str(folder), "--column", "text"], tmp_path / "many.parquet")
    assert many[1] == one[1]
    # A glob skips _common_metadata as the folder does.
    assert _select([str(folder / "*"), "--column", "text"], tmp_path / "glob.parquet") == many
    assert (pq.read_table(tmp_path / "many.parquet").to_pylist()
            == pq.read_table(tmp_path / "one.parquet").to_pylist())
    picked = [int(i) for i in one[1].split()]
    assert pq.read_table(tmp_path / "one.parquet").column("id").to_pylist() == picked


def test_json_and_parquet_inputs_together_are_refused(tmp_path, records, parquet_pool,
                                                      capsys):
    folder, _, _ = parquet_pool
    (tmp_path / "a.jsonl").write_bytes(_lines(records))
    out = tmp_path / "s.parquet"
    assert cli.main(["select", str(folder), str(tmp_path / "a.jsonl"), "-o", str(out),
                     "--column", "text", *FLAGS]) == 2
    line = _error(capsys)
    assert "part-00000.parquet is Parquet and " in line and "a.jsonl is JSON" in line
    assert not out.exists()


@pytest.mark.parametrize("other, difference", [
    ({"text": ["y"], "b": [1]}, "only in {0}: 'id'; only in {1}: 'b'"),
    ({"id": [1], "text": ["y"]}, "the same names in another order"),
    ({"text": ["y"], "id": ["1"]}, "column 'id' is int64 in {0}, string in {1}"),
])
def test_parquet_files_with_different_columns_are_refused_in_one_line(
        tmp_path, parquet_pool, capsys, other, difference):
    folder, whole, pq = parquet_pool
    import pyarrow as pa

    odd = tmp_path / "odd.parquet"
    pq.write_table(pa.table(other), odd)
    out = tmp_path / "s.parquet"
    assert cli.main(["select", str(whole), str(odd), "-o", str(out), "--column", "text",
                     *FLAGS]) == 2
    line = _error(capsys)
    assert line.startswith(f"zipcore: error: {whole}, {odd}: Parquet files with different ")
    assert difference.format(whole, odd) in line
    assert not out.exists() and not list(tmp_path.glob(".*s.parquet*"))


def test_ray_refuses_several_inputs_before_any_work(tmp_path, records, capsys):
    (tmp_path / "a.jsonl").write_bytes(_lines(records))
    out = tmp_path / "s.jsonl"
    assert cli.main(["select", str(tmp_path / "a.jsonl"), str(tmp_path / "a.jsonl"), "-o",
                     str(out), "--ray", "local", *FLAGS]) == 2
    assert "--ray reads one INPUT file" in _error(capsys)
    assert not out.exists()


def test_ratio_names_the_files_of_folders_and_globs(tmp_path, records, capsys):
    _shards(tmp_path / "pool", records)
    assert cli.main(["ratio", str(tmp_path / "pool"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["file"] for row in rows] == [
        str(tmp_path / "pool" / "part-00000.jsonl"), str(tmp_path / "pool" / "part-00001.jsonl.gz"),
        str(tmp_path / "pool" / "sub" / "part-00002.jsonl.zst")]
    assert [row["samples"] for row in rows] == [60, 90, 90]
    assert rows[2]["ratio"] == zipcore.compression_ratio(records[150:])


def test_read_pools_is_the_python_form(tmp_path, records):
    from zipcore.io.readers import read_pools

    (tmp_path / "a.jsonl").write_bytes(_lines(records[:100]))
    (tmp_path / "b.jsonl.zst").write_bytes(_zst(_lines(records[100:])))
    source = read_pools([tmp_path / "a.jsonl", tmp_path / "b.jsonl.zst"])
    assert source.pool == zipcore.Pool.from_samples(records)
    assert (source.records, source.kind, len(source.files)) == (240, "jsonl", 2)
    chosen = [239, 0, 100, 99]
    assert b"".join(source.selection_chunks(chosen)) == _lines([records[i] for i in chosen])


class _UnreadableStdin:
    @property
    def buffer(self):
        raise AssertionError("standard input was read before the output was checked")


@pytest.mark.parametrize("output, extra, message", [
    ("s.parquet", [], "s.parquet: a selection of JSONL records cannot be written as Parquet"),
    ("nodir/s.jsonl", [], "nodir/s.jsonl: cannot write output"),
    ("s.jsonl", ["--text-field", "text", "--template", "{text}"],
     "give a text field or a template, not both"),
    ("s.jsonl", ["--format", "sharegpt", "--template", "{text}"],
     "a template chooses the sample bytes itself: leave the format at 'auto'"),
    ("s.jsonl", ["--format", "sharegpt", "--column", "x"],
     "a column chooses the sample bytes itself"),
])
def test_outputs_and_options_are_checked_before_standard_input_is_read(
        tmp_path, monkeypatch, capsys, output, extra, message):
    monkeypatch.setattr(sys, "stdin", _UnreadableStdin())
    assert cli.main(["select", "-", "-o", str(tmp_path / output), *extra, *FLAGS]) == 2
    assert message in _error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_remote_input_is_held_against_the_output_once_copied(tmp_path, memory, capsys):
    out = tmp_path / "s.parquet"
    assert cli.main(["select", "memory://zipcore-test", "-o", str(out), *FLAGS]) == 2
    assert "cannot be written as Parquet" in _error(capsys)
    assert not out.exists()


def _parquet(path: Path, columns: dict, names: list[str] | None = None) -> Path:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    arrays = [pa.array(values) for values in columns.values()]
    pq.write_table(pa.Table.from_arrays(arrays, names=names or list(columns)), path)
    return path


@pytest.mark.parametrize("name, content, message", [
    ("garbage.parquet", b"garbage", "garbage.parquet: not a Parquet file (it does not start "
                                    "with PAR1), nor JSON"),
    ("empty.parquet", b"", "empty.parquet: an empty file named .parquet"),
])
def test_a_parquet_name_without_parquet_inside_is_named(tmp_path, capsys, name, content,
                                                        message):
    """Not "a selection of JSONL records cannot be written as Parquet" about the output."""
    (tmp_path / name).write_bytes(content)
    assert cli.main(["select", str(tmp_path / name), "-o", str(tmp_path / "o.parquet"),
                     *FLAGS]) == 2
    assert message in _error(capsys)


def test_compressed_parquet_and_odd_columns_are_one_line(tmp_path, capsys):
    good = _parquet(tmp_path / "good.parquet", {"text": [f"sample {i}" for i in range(40)]})
    (tmp_path / "good.parquet.gz").write_bytes(gzip.compress(good.read_bytes()))
    _parquet(tmp_path / "twice.parquet", {"a": ["x"] * 40, "b": ["y"] * 40},
             names=["text", "text"])
    for argv, message in [
        (["good.parquet.gz", "--column", "text"], "good.parquet.gz: Parquet compressed as a "
                                                   "whole file"),
        (["good.parquet", "--column", ""], "good.parquet: no column ''; the columns are"),
        (["twice.parquet", "--column", "text"], "twice.parquet: the column 'text' is there 2 "
                                                "times: rename all but one"),
        (["twice.parquet", "--template", "{text}"], "the column 'text' is there 2 times"),
    ]:
        argv[0] = str(tmp_path / argv[0])
        assert cli.main(["select", *argv, "-o", str(tmp_path / "o.parquet"), *FLAGS]) == 2
        assert message in _error(capsys), argv


def test_a_pandas_range_index_keeps_each_rows_label(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": [f"s{i} " + "alpha beta " * (i % 7 + 1) for i in range(60)],
                          "n": range(60)}, index=range(100, 220, 2))
    frame.to_parquet(tmp_path / "frame.parquet")
    out = tmp_path / "sel.parquet"
    _select([str(tmp_path / "frame.parquet")], out, "--column", "text")
    chosen = pd.read_parquet(out)
    assert list(chosen.index) == [100 + 2 * n for n in chosen["n"]]  # the labels of those rows
    assert chosen.equals(frame.loc[chosen.index])


def test_files_with_and_without_a_range_index_still_select_as_one(tmp_path):
    """Only some files had a RangeIndex: their labels are dropped, not the selection refused."""
    pd = pytest.importorskip("pandas")

    def frame(seed: int) -> "pd.DataFrame":
        return pd.DataFrame({"text": [f"s{seed}-{i} " + "alpha beta " * (i % 7 + 1)
                                      for i in range(30)], "n": range(30)})

    labelled = frame(0)
    labelled.index = range(100, 130)
    labelled.to_parquet(tmp_path / "a.parquet")
    frame(1).to_parquet(tmp_path / "b.parquet", index=False)
    out = tmp_path / "sel.parquet"
    _select([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")], out, "--column", "text")
    chosen = pd.read_parquet(out)
    assert list(chosen.columns) == ["text", "n"] and list(chosen.index) == list(range(8))
