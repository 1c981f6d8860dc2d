"""Hive-partitioned Parquet datasets: ``zipcore select --partitioning hive`` reads each
``key=value`` folder as a string column (zipcore.io.parquet.hive_partitions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zipcore import cli
from zipcore.io.parquet import hive_partitions

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

FLAGS = ["--budget", "8", "--k1", "20", "--k2", "10", "--k3", "4", "-q"]
# Folders in path order: de%2Fat < en < fr; the null year is Hive's marker.
PARTS = [("de%2Fat", "__HIVE_DEFAULT_PARTITION__"), ("en", "2023"), ("fr", "2024")]


@pytest.mark.parametrize("name, expected", [
    ("ds/lang=en/year=2024/part-0.parquet", {"lang": "en", "year": "2024"}),
    ("memory://bucket/ds/lang=a%2Fb/p.parquet", {"lang": "a/b"}),
    ("ds/year=__HIVE_DEFAULT_PARTITION__/p.parquet", {"year": None}),
    ("ds/empty=/p.parquet", {"empty": ""}),
    ("ds/plain/x=1.parquet", {}),  # the file's own name is not a folder
    ("ds/a=1/b/a=1/p.parquet", {"a": "1"}),  # named twice, one value
])
def test_partition_values_come_from_the_folders(name, expected):
    assert hive_partitions(name) == expected


def test_a_key_with_two_values_is_refused():
    with pytest.raises(ValueError, match="ds/a=1/a=2/p.parquet: the partition key 'a' has two"):
        hive_partitions("ds/a=1/a=2/p.parquet")


@pytest.fixture
def dataset(tmp_path, real_pool) -> tuple[Path, list[dict]]:
    """Three part files under lang=/year= folders, and the rows as one file with the
    partition columns would hold them, in path order."""
    records = real_pool("gsm8k", 0, 150)
    folder, rows = tmp_path / "ds", []
    for i, (lang, year) in enumerate(PARTS):
        part = [{"text": json.dumps(r), "n": 50 * i + j}
                for j, r in enumerate(records[50 * i:50 * (i + 1)])]
        where = folder / f"lang={lang}" / f"year={year}"
        where.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(part), where / "part-0.parquet")
        rows += [{**row, "lang": lang.replace("%2F", "/"),
                  "year": None if year.startswith("__") else year} for row in part]
    return folder, rows


def _select(inputs: list[str], out: Path, *extra: str) -> tuple[list[dict], bytes]:
    indices = out.with_name(out.name + ".idx")
    assert cli.main(["select", *inputs, "-o", str(out), "--indices-out", str(indices),
                     *FLAGS, *extra]) == 0
    return pq.read_table(out).to_pylist(), indices.read_bytes()


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zipcore: error: "), err
    return err[0]


@pytest.mark.parametrize("sample", [["--format", "record"], ["--template", "{lang}: {text}"],
                                    ["--column", "text"]])
def test_a_partitioned_folder_selects_as_one_file_with_its_partition_columns(
        tmp_path, dataset, sample):
    folder, rows = dataset
    schema = pa.schema([("text", pa.string()), ("n", pa.int64()), ("lang", pa.string()),
                        ("year", pa.string())])
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), whole)
    one = _select([str(whole), *sample], tmp_path / "one.parquet")
    many = _select([str(folder), "--partitioning", "hive", *sample], tmp_path / "many.parquet")
    assert many == one
    picked = [int(i) for i in one[1].split()]
    assert many[0] == [rows[i] for i in picked]  # every column, partition values included
    assert pq.read_schema(tmp_path / "many.parquet").names == ["text", "n", "lang", "year"]


def test_partitions_are_the_folders_below_what_the_argument_names(tmp_path, capsys):
    # Folders above the dataset are not partitions (as pyarrow.dataset given the folder); a
    # file named on its own has none; a not-null column stays not null.
    where = tmp_path / "y=1" / "ds" / "lang=en"
    where.mkdir(parents=True)
    schema = pa.schema([pa.field("text", pa.string(), nullable=False)])
    pq.write_table(pa.table({"text": ["a b", "c d", "e f"]}, schema=schema), where / "p.parquet")
    for argument, columns in ((tmp_path / "y=1" / "ds", ["text", "lang"]),
                              (where / "p.parquet", ["text"])):
        out = tmp_path / "s.parquet"
        assert cli.main(["select", str(argument), "-o", str(out), "--partitioning", "hive",
                         "--budget", "2", "-q"]) == 0
        assert pq.read_schema(out).names == columns
        assert not pq.read_schema(out).field("text").nullable


def test_a_partition_key_can_be_the_text_column(tmp_path, dataset):
    folder, rows = dataset
    written, indices = _select([str(folder), "--partitioning", "hive", "--column", "lang"],
                               tmp_path / "s.parquet")  # samples: "de/at", "en" or "fr"
    assert written == [rows[int(i)] for i in indices.split()]


def test_a_template_of_a_partition_key_needs_partitioning(tmp_path, dataset, capsys):
    folder, _ = dataset
    out = tmp_path / "s.parquet"
    assert cli.main(["select", str(folder), "-o", str(out), "--template", "{lang}: {text}",
                     *FLAGS]) == 2
    line = _error(capsys)
    assert "no column 'lang'" in line and "--partitioning hive" in line
    assert not out.exists()


def test_a_null_partition_value_is_a_null_column(tmp_path, dataset, capsys):
    folder, _ = dataset
    assert cli.main(["select", str(folder), "-o", str(tmp_path / "s.parquet"),
                     "--partitioning", "hive", "--template", "{year}: {text}", *FLAGS]) == 2
    assert "year=__HIVE_DEFAULT_PARTITION__/part-0.parquet: row 0 has 'year' null" in _error(capsys)


def test_a_partition_key_that_is_also_a_column_is_refused(tmp_path, capsys):
    where = tmp_path / "ds" / "n=1"
    where.mkdir(parents=True)
    pq.write_table(pa.table({"text": ["a", "b"], "n": [1, 2]}), where / "p.parquet")
    assert cli.main(["select", str(tmp_path / "ds"), "-o", str(tmp_path / "s.parquet"),
                     "--partitioning", "hive", "--column", "text", "--budget", "1"]) == 2
    assert "n=1/p.parquet: the column 'n' is also a partition folder" in _error(capsys)


def test_files_with_different_partition_keys_are_refused(tmp_path, capsys):
    for folder in ("lang=en", "other"):
        (tmp_path / "ds" / folder).mkdir(parents=True)
        pq.write_table(pa.table({"text": ["a", "b"]}), tmp_path / "ds" / folder / "p.parquet")
    assert cli.main(["select", str(tmp_path / "ds"), "-o", str(tmp_path / "s.parquet"),
                     "--partitioning", "hive", "--column", "text", "--budget", "1"]) == 2
    assert "Parquet files with different columns (only in " in _error(capsys)


def test_json_files_in_partition_folders_are_refused(tmp_path, capsys):
    where = tmp_path / "ds" / "lang=en"
    where.mkdir(parents=True)
    (where / "p.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n')
    out = tmp_path / "s.jsonl"
    assert cli.main(["select", str(tmp_path / "ds"), "-o", str(out), "--partitioning", "hive",
                     "--budget", "1"]) == 2
    assert "p.jsonl: partition columns are read for Parquet files only" in _error(capsys)
    assert not out.exists()


def test_a_url_gives_its_partition_values(tmp_path, dataset):
    fsspec = pytest.importorskip("fsspec")
    folder, rows = dataset
    fs = fsspec.filesystem("memory")
    for path in sorted(folder.rglob("*.parquet")):
        fs.pipe("/zipcore-parts/" + path.relative_to(folder).as_posix(), path.read_bytes())
    try:
        local = _select([str(folder), "--partitioning", "hive"], tmp_path / "local.parquet")
        remote = _select(["memory://zipcore-parts", "--partitioning", "hive"],
                         tmp_path / "remote.parquet")
    finally:
        fs.rm("/zipcore-parts", recursive=True)
    assert remote == local  # the copies have no folders: the values come from the URLs


def test_ray_refuses_partitioning(tmp_path, dataset, capsys):
    folder, _ = dataset
    part = next(folder.rglob("*.parquet"))
    assert cli.main(["select", str(part), "-o", str(tmp_path / "s.parquet"), "--ray",
                     "--partitioning", "hive", *FLAGS]) == 2
    assert "--partitioning hive is not available with --ray" in capsys.readouterr().err


def test_a_partition_key_read_from_below_its_folder_says_to_name_the_root(tmp_path, dataset,
                                                                          capsys):
    """With --partitioning hive given, the key's folder is above what was named: the hint is
    the dataset's root, not the flag again; ratio, which has no partitions, says who reads it."""
    folder, _ = dataset
    below = next(path for path in folder.iterdir() if path.name.startswith("lang="))
    out = tmp_path / "s.parquet"
    assert cli.main(["select", str(below), "-o", str(out), "--partitioning", "hive",
                     "--template", "{lang}: {text}", *FLAGS]) == 2
    line = _error(capsys)
    assert "lang=... is a folder above the one named: name the dataset's root folder" in line
    assert cli.main(["ratio", str(folder), "--template", "{lang}: {text}"]) == 2
    assert ("zipcore select, align and ratio read it as a column with --partitioning hive"
            in _error(capsys))


def test_ratio_reads_partition_folders_as_columns(tmp_path, capsys):
    # ratio had no --partitioning: --by source put every record of a source=... folder under
    # "(no source)", and a template could not name the partition.
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    for source in ("gsm8k", "hh"):
        (tmp_path / "ds" / f"source={source}").mkdir(parents=True)
        pq.write_table(pa.table({"text": [f"{source} sample {i} " * (i % 4 + 1)
                                          for i in range(30)]}),
                       tmp_path / "ds" / f"source={source}" / "part-0.parquet")
    assert cli.main(["ratio", str(tmp_path / "ds"), "--by", "source", "--partitioning", "hive",
                     "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [[s["source"] for s in row["sources"]] for row in rows] == [["gsm8k"], ["hh"]]
    assert cli.main(["ratio", str(tmp_path / "ds"), "--template", "{source}: {text}",
                     "--partitioning", "hive", "--json"]) == 0
    with_source = json.loads(capsys.readouterr().out)
    assert all(a["bytes"] > b["bytes"] for a, b in zip(with_source, rows))


def test_ratio_refuses_partitions_of_a_json_file_before_measuring(tmp_path, capsys, monkeypatch):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from zipcore.entropy import ratio

    (tmp_path / "mix" / "k=1").mkdir(parents=True)
    (tmp_path / "mix" / "k=2").mkdir()
    pq.write_table(pa.table({"text": ["a b c", "d e f"]}), tmp_path / "mix" / "k=1" / "a.parquet")
    (tmp_path / "mix" / "k=2" / "b.jsonl").write_text('{"text": "g h"}\n', encoding="utf-8")
    measured = []
    file_ratios = ratio.file_ratios
    monkeypatch.setattr(ratio, "file_ratios", lambda *a, **k: measured.append(a) or
                        file_ratios(*a, **k))
    assert cli.main(["ratio", str(tmp_path / "mix"), "--partitioning", "hive"]) == 2
    assert "b.jsonl: partition columns are read for Parquet files only" in _error(capsys)
    assert measured == []  # refused before the first file was measured


@pytest.mark.parametrize("partitions", [None, ["lang"], "lang=en", {"lang": 1}, {1: "en"}])
def test_read_pool_partitions_must_map_names_to_strings(tmp_path, partitions):
    # were an AttributeError ('list' object has no attribute 'values'), pyarrow's "expected
    # bytes, int found", "'NoneType' object is not iterable" or a row that cannot be read
    from zipcore import read_pool

    pq.write_table(pa.table({"text": ["a b", "c d"]}), tmp_path / "p.parquet")
    with pytest.raises(TypeError, match="partitions must map column names"):
        read_pool(tmp_path / "p.parquet", column="text", partitions=partitions)
    assert len(read_pool(tmp_path / "p.parquet", column="text", partitions={"lang": None})) == 2
