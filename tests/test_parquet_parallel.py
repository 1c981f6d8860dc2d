"""Parquet files and row groups read by worker processes give the serial reader's pools,
formats and errors exactly (zipcore.io.parquet.read_parquet_files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zipcore import ZipcoreError
from zipcore.io import parallel, parquet
from zipcore.io.readers import read_pool, read_pools

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def workers_read(monkeypatch) -> list[bool]:
    """Workers from the first byte; for each read the workers started on, whether they did
    it (True) or met an error and left it to the serial reader (False)."""
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    original = parallel.run_in_order
    answers: list[bool] = []

    def spy(*args: Any) -> Any:
        result = original(*args)
        answers.append(result)
        return result

    monkeypatch.setattr(parallel, "run_in_order", spy)
    return answers


def _records(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"id": start + i, "conversations": [{"from": "human", "value": f"q{i} " * (i % 5)},
                                                {"from": "gpt", "value": f"a{i}"}],
             "text": f"sample {start + i}", "note": None if i % 3 else "x"}
            for i in range(count)]


SCHEMA = pa.Table.from_pylist(_records(3)).schema


def _write(path: Path, rows: list[dict[str, Any]], row_group_size: int = 7,
           schema: Any = SCHEMA) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path,
                   row_group_size=row_group_size)
    return path


def _same(a: Any, b: Any) -> None:
    assert a.pool == b.pool and len(a.files) == len(b.files)
    for x, y in zip(a.files, b.files):
        assert (x.format, x.records, x.pool, x.pairs) == (y.format, y.records, y.pool, y.pairs)


@pytest.mark.parametrize("options", [{}, {"template": "{id}: {text}"}, {"column": "text"},
                                     {"format": "record"}])
def test_a_folder_of_shards_reads_as_serially(tmp_path, workers_read, options):
    paths = [_write(tmp_path / f"part-{i}.parquet", _records(30, 30 * i)) for i in range(3)]
    serial = read_pools(paths, threads=1, **options)
    _same(read_pools(paths, threads=2, **options), serial)
    _same(read_pools(paths, threads=3, **options), serial)
    assert workers_read == ([] if "column" in options else [True, True])  # a column: copied
    assert serial.files[0].format == {"template": "template", "column": "text",
                                      "format": "record"}.get(next(iter(options), ""), "sharegpt")


def test_one_file_of_several_row_groups_reads_as_serially(tmp_path, workers_read):
    path = _write(tmp_path / "one.parquet", _records(50))
    assert pq.ParquetFile(path).metadata.num_row_groups == 8
    serial = read_pool(path, threads=1)
    read = read_pool(path, threads=2)
    assert (read.format, read.records, read.pool) == (serial.format, serial.records, serial.pool)
    assert workers_read == [True]


def test_hive_partitions_read_as_serially(tmp_path, workers_read):
    paths = [_write(tmp_path / f"lang={lang}" / "p.parquet", _records(20, 20 * i))
             for i, lang in enumerate(["de", "en"])]
    parts = [parquet.hive_partitions(str(path)) for path in paths]
    serial = read_pools(paths, threads=1, partitions=parts, template="{lang}/{id}")
    _same(read_pools(paths, threads=2, partitions=parts, template="{lang}/{id}"), serial)
    assert serial.pool.sample(0) == b"de/0" and workers_read == [True]


@pytest.mark.parametrize("where", [3, 7, 33])  # row groups of 7 rows
def test_a_row_that_does_not_fit_fails_as_when_read_serially(tmp_path, workers_read, where):
    rows = _records(40)
    rows[where] = dict(rows[where], conversations=None)
    path = _write(tmp_path / "bad.parquet", rows)
    with pytest.raises(ZipcoreError) as serial:
        read_pool(path, threads=1)
    with pytest.raises(ZipcoreError) as workers:
        read_pool(path, threads=2)
    assert str(workers.value) == str(serial.value) and f"row {where} " in str(serial.value)
    assert workers_read == [False]  # the workers met it; the serial reader named it


def test_the_format_is_the_first_files_for_every_file(tmp_path, workers_read):
    first = _write(tmp_path / "a.parquet", _records(20))
    then = _write(tmp_path / "b.parquet", [dict(r, conversations=None) for r in _records(20)])
    alone = read_pool(then, threads=2)
    assert alone.format == "text"  # what it looks like alone
    with pytest.raises(ZipcoreError) as serial:
        read_pools([first, then], threads=1)
    with pytest.raises(ZipcoreError) as workers:
        read_pools([first, then], threads=2)
    assert str(workers.value) == str(serial.value)
    assert "b.parquet: row 0 has 'conversations' as null" in str(serial.value)
    # both files (the workers met b's row 0), then one by one: a, and b in a's format
    assert workers_read == [False, True, False]


def test_pairs_one_row_group_and_small_files_are_read_serially(tmp_path, monkeypatch,
                                                               workers_read):
    pairs = [{"pair_id": i // 2, "label": ["chosen", "rejected"][i % 2], "text": f"t{i}"}
             for i in range(40)]
    path = _write(tmp_path / "pairs.parquet", pairs, schema=None)
    read = read_pool(path, threads=2)
    assert read.pairs and len(read.pool) == 20
    single = _write(tmp_path / "single.parquet", _records(30), row_group_size=100)
    assert read_pool(single, threads=2).records == 30
    assert workers_read == []  # never started
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 1 << 30)
    assert parquet.read_parquet_files([str(path)], "auto", "text", None, None, [{}], 2) is None


def test_an_empty_first_file_is_read_serially(tmp_path, workers_read):
    empty = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(_records(1)).slice(0, 0), empty)
    rest = _write(tmp_path / "b.parquet", _records(20))
    serial = read_pools([empty, rest], threads=1)
    _same(read_pools([empty, rest], threads=2), serial)
    assert workers_read == [True]  # the second file alone: its own format
    assert np.array_equal(np.asarray([f.records for f in serial.files]), [0, 20])


def test_a_text_column_detected_from_the_first_row_is_copied_not_sent(tmp_path, workers_read):
    """Format text found by auto: the serial reader copies the column of every file (faster
    than rows through workers), so the workers are not started."""
    rows = [{"text": f"sample {i} " * (i % 9), "n": i / 7} for i in range(60)]
    schema = pa.Table.from_pylist(rows).schema
    paths = [_write(tmp_path / f"t{i}.parquet", rows, schema=schema) for i in range(3)]
    serial = read_pools(paths, threads=1)
    _same(read_pools(paths, threads=2), serial)
    assert serial.files[0].format == "text" and workers_read == []

