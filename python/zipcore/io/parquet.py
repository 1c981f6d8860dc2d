"""Parquet pools (needs pyarrow): samples from a text column, a template, or rows as records.

Read with ``iter_batches``, so memory holds one batch besides the pool (read by worker
processes, :func:`read_parquet_files`, up to two row groups a worker): a text column (string or
binary, dictionary-encoded too) is appended a batch at a time from Arrow's value buffer (no
per-row Python objects; a binary value's bytes as they are); a template or
rows-as-records make each batch's rows Python dicts, one batch at a time. Errors name the file
and the row (counted from 0, like record indices). A selection is written back with every column,
in selection order, by ``take`` on the batches that hold the selected rows.

Hive partitions (``ds/lang=en/part-0.parquet``), when asked for: each ``key=value`` folder of a
file's name is a string column of that value on every row of the file, after the file's own
columns (:func:`hive_partitions`), as ``pyarrow.dataset.dataset(..., partitioning="hive")``
reads them without type inference. Samples, templates and written selections see them as
columns like any other.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterator, Mapping, Optional, Sequence
from urllib.parse import unquote

import numpy as np

from .._core import ZipcoreError
from ..params import thread_count
from . import parallel
from .encoder import PoolEncoder
from .formats import PairCutAtEnd, RecordError, UnpartneredAtEnd, detect_format
from .templates import template_fields
from .._pool import arrow_buffers, require_pyarrow
from ..pool import Pool

BATCH_ROWS = 8192
"""Rows per batch when rows become Python objects (templates, records)."""
COLUMN_BATCH_ROWS = 65536
"""Rows per batch for a text column, copied a batch at a time."""
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
"""The folder value Hive, Spark and pyarrow write for a null partition value."""
_HIVE_FOLDER = re.compile(r"([^=]+)=(.*)")

Partitions = Mapping[str, Optional[str]]
"""A file's partition columns and their values (None: null), in path order."""
NO_PARTITIONS: Partitions = MappingProxyType({})


def hive_partitions(name: str) -> dict[str, Optional[str]]:
    """The partition values in the folders of a file's name: ``lang=en/year=2024/p.parquet``
    gives ``{"lang": "en", "year": "2024"}``. Give the name below the dataset's folder (the
    CLI gives the part below what its argument named, :attr:`~zipcore.io.inputs.Input.root`):
    every ``key=value`` folder of it counts. Values are URL-decoded, as pyarrow and Spark write
    them (``a%2Fb`` is ``a/b``), and :data:`HIVE_NULL` is None. A key named twice with two
    values is a ValueError naming the file."""
    found: dict[str, Optional[str]] = {}
    for folder in name.replace(os.sep, "/").split("/")[:-1]:
        match = _HIVE_FOLDER.fullmatch(folder)
        if match is None:
            continue
        key, value = unquote(match.group(1)), unquote(match.group(2))
        value_or_null = None if value == HIVE_NULL else value
        if found.get(key, value_or_null) != value_or_null:
            raise ValueError(f"{name}: the partition key {key!r} has two values in this path")
        found[key] = value_or_null
    return found


def _partition_hint(path: str, name: str, partitions: Partitions) -> str:
    """Where ``name`` is a ``name=value`` folder above the file: how to read it as a column."""
    try:
        if name not in hive_partitions(path):
            return ""
    except ValueError:  # a key with two values: no hint
        return ""
    if partitions:  # read, but from a folder below this key's: the key's folder is above it
        return (f" ({name}=... is a folder above the one named: name the dataset's root folder "
                "to read it as a column)")
    return (" (a partition folder of this file: zipcore select, align and ratio read it as a "
            "column with --partitioning hive, given the dataset's root folder)")


def _plus_partition_fields(pa: Any, schema: Any, partitions: Partitions) -> Any:
    """``schema`` (its fields as they are: nullability, metadata) and a string field a key."""
    for key in partitions:
        schema = schema.append(pa.field(key, pa.string()))
    return schema


def _with_partitions(pa: Any, batch: Any, partitions: Partitions) -> Any:
    if not partitions:
        return batch
    values = [pa.repeat(pa.scalar(value, pa.string()), batch.num_rows)
              for value in partitions.values()]
    return pa.RecordBatch.from_arrays(batch.columns + values,
                                      schema=_plus_partition_fields(pa, batch.schema, partitions))


def _schema(pa: Any, path: str, parquet: Any, partitions: Partitions) -> Any:
    """The file's columns and then its partition columns; a partition key that is also a
    column is refused (which value would the row have?)."""
    schema = parquet.schema_arrow
    twice = sorted({name for i, name in enumerate(schema.names) if name in schema.names[:i]})
    if twice:  # a row as a dict would keep one of them, a column lookup fails
        raise ZipcoreError(f"{path}: the column {twice[0]!r} is there "
                           f"{schema.names.count(twice[0])} times: rename all but one")
    for key in partitions:
        if key in schema.names:
            raise ZipcoreError(f"{path}: the column {key!r} is also a partition folder "
                               f"({key}=...) of this file: rename one of them")
    return _plus_partition_fields(pa, schema, partitions)


def _open_parquet(pa: Any, path: str) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise ZipcoreError(f"{path}: not a valid Parquet file ({exc})") from None


def _text_column(pa: Any, path: str, schema: Any, name: str) -> None:
    kind = schema.field(name).type
    if pa.types.is_dictionary(kind):  # dictionary-encoded text, decoded batch by batch
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
        raise ZipcoreError(f"{path}: column {name!r} holds {kind}, not text: name a string "
                           "column, or use a template")


@dataclass(frozen=True)
class _Plan:
    """How a file's rows become samples: ``text``, the text column (None: rows as records or
    a template); ``columns``, the file's own columns to read (None: all); ``pairs``."""

    text: Optional[str]
    columns: Optional[list[str]]
    pairs: bool


def _plan(pa: Any, path: str, parquet: Any, format: str, text_field: str,
          template: Optional[str], pairs: Optional[bool], partitions: Partitions) -> _Plan:
    """The reading plan of a file, or the ZipcoreError that its columns deserve."""
    schema = _schema(pa, path, parquet, partitions)
    names = schema.names
    if pairs is None:
        pairs = "pair_id" in names and "label" in names
    text = text_field if format == "text" else None
    wanted = [text] if text is not None else template_fields(template) if template else None
    for name in wanted or ():
        if name not in names:
            raise ZipcoreError(f"{path}: no column {name!r}; the columns are "
                               f"{names}{_partition_hint(path, name, partitions)}")
    if text is not None:
        _text_column(pa, path, schema, text)
    columns = None if wanted is None else wanted + (["pair_id", "label"] if pairs else [])
    if columns is not None:  # the file's own; partition columns are added to each batch
        columns = [name for name in columns if name not in partitions]
    return _Plan(text, columns, pairs)


def _encode(pa: Any, path: str, parquet: Any, plan: _Plan, format: str,
            template: Optional[str], partitions: Partitions,
            row_groups: Optional[list[int]] = None
            ) -> tuple[PoolEncoder, Pool, Optional[np.ndarray]]:
    """The file's rows (those of ``row_groups``, or all) encoded a batch at a time: the
    encoder, and what its ``finish`` gives. A row that does not fit raises its RecordError;
    Arrow failing, a ZipcoreError naming the row after which it failed."""
    encoder = PoolEncoder(format if plan.text is None else "auto", template=template,
                          pairs=plan.pairs)
    fast = plan.text is not None and not plan.pairs
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=COLUMN_BATCH_ROWS if fast else BATCH_ROWS,
                                          columns=plan.columns, row_groups=row_groups):
            batch = _with_partitions(pa, batch, partitions)
            if plan.text is not None:
                _add_text_batch(pa, encoder, batch, plan.text, row, plan.pairs)
            else:
                for record in batch.to_pylist():
                    encoder.add(record)
            row += batch.num_rows
    except pa.ArrowException as exc:
        raise ZipcoreError(f"{path}: cannot read Parquet after row {row} ({exc})") from None
    return (encoder, *encoder.finish())


def read_parquet(path: str, format: str, text_field: str, template: Optional[str],
                 pairs: Optional[bool], partitions: Partitions) -> parallel.EncodedRecords:
    """A Parquet file's rows as a pool, serially; errors name the file and the row."""
    pa = require_pyarrow()
    parquet = _open_parquet(pa, path)
    plan = _plan(pa, path, parquet, format, text_field, template, pairs, partitions)
    try:
        encoder, pool, groups = _encode(pa, path, parquet, plan, format, template, partitions)
    except RecordError as exc:
        kind = PairCutAtEnd if isinstance(exc, UnpartneredAtEnd) else ZipcoreError
        raise kind(f"{path}: row {exc.index} {exc.problem}") from None
    return parallel.EncodedRecords(pool, groups, None, encoder.records,
                                   "text" if plan.text else encoder.format, encoder.pair_codes)


def read_parquet_files(paths: Sequence[str], format: str, text_field: str,
                       template: Optional[str], pairs: Optional[bool],
                       partitions: Sequence[Partitions], threads: Optional[int]
                       ) -> Optional[list[parallel.EncodedRecords]]:
    """Parquet files read at once by worker processes, a row group a task (the machinery
    of :func:`zipcore.io.parallel.run_in_order`): what :func:`read_parquet` gives for each,
    every file in the format the first file's first row gives (as ``read_pools`` reads them).
    Rows become Python objects and their ``repr`` or template, which holds the GIL: hence
    processes.

    None where the files are to be read serially instead: fewer than 2 threads, under
    ``PARALLEL_BYTES`` in all, one row group in all (a row group is read whole, so it is the
    smallest task), a text column (given, or format ``text`` detected from the first row),
    preference pairs, an empty first file, or an error anywhere (the serial reader then
    raises the first one, with its message)."""
    workers = thread_count(threads)
    if workers < 2 or sum(os.path.getsize(path) for path in paths) < parallel.PARALLEL_BYTES:
        return None
    pa = require_pyarrow()
    plans: list[_Plan] = []
    counts: list[int] = []
    first_format: Optional[str] = None
    try:
        for index, path in enumerate(paths):  # one file open at a time (a folder of thousands)
            with _open_parquet(pa, path) as file:
                plans.append(_plan(pa, path, file, format, text_field, template, pairs,
                                   partitions[index]))
                counts.append(file.metadata.num_row_groups)
                if index == 0:
                    first_format = _first_format(pa, file, plans[0], partitions[0], format,
                                                 template)
    except (ZipcoreError, pa.ArrowException, OSError):
        return None
    # A text column is a buffer copy a batch, workers would only add work: given (plans[0].text)
    # or detected from the first row (the serial reader then reads the other files by column).
    if (first_format in (None, "text") or plans[0].text is not None
            or any(plan.pairs for plan in plans)):
        return None
    format = first_format
    groups = [(index, group) for index, count in enumerate(counts) for group in range(count)]
    if len(groups) < 2:
        return None
    tasks = ((index, (encode_row_group, paths[index], group, plans[index], format, template,
                      dict(partitions[index])), False) for index, group in groups)
    done = parallel.or_serially(lambda: parallel.pools_in_order(len(paths), tasks, workers),
                                paths[0])
    name = "template" if template is not None else format
    return None if done is None else [parallel.EncodedRecords(pool, None, None, len(pool), name)
                                      for pool in done[0]]


def _first_format(pa: Any, parquet: Any, plan: _Plan, partitions: Partitions, format: str,
                  template: Optional[str]) -> Optional[str]:
    """The format the serial reader uses for every file: ``format``, or where it is
    ``auto``, the one the first row gives (None: the first file has no rows)."""
    if format != "auto" or template is not None or plan.text is not None:
        return format
    for batch in parquet.iter_batches(batch_size=1, columns=plan.columns):
        if batch.num_rows:
            return detect_format(_with_partitions(pa, batch, partitions).to_pylist()[0])
    return None


def encode_row_group(path: str, group: int, plan: _Plan, format: str,
                     template: Optional[str], partitions: dict[str, Optional[str]]
                     ) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """A worker's task: the samples of one row group (data, offsets from 0) read by the
    first file's plan and format, or None where the serial reader must decide (any error)."""
    pa = require_pyarrow()
    try:
        _, pool, _ = _encode(pa, path, _open_parquet(pa, path), plan, format, template,
                             partitions, [group])
    except (ZipcoreError, pa.ArrowException, OSError):
        return None
    return pool.data, pool.offsets


def _add_text_batch(pa: Any, encoder: PoolEncoder, batch: Any, name: str, row: int,
                    pairs: bool) -> None:
    values = batch.column(name)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if values.null_count:
        first = int(np.argmax(values.is_null().to_numpy(zero_copy_only=False)))
        raise RecordError(row + first, f"has {name!r} null")
    if not pairs:  # the batch's value buffer, appended at once
        data, offsets = arrow_buffers(pa, values, row)
        encoder.add_samples(data, offsets)
        return
    keys, labels = batch.column("pair_id").to_pylist(), batch.column("label").to_pylist()
    for value, key, label in zip(values.to_pylist(), keys, labels):
        encoder.add_sample(value.encode("utf-8") if isinstance(value, str) else value, key,
                           label)


def iter_parquet_rows(path: str, columns: Optional[list[str]] = None,
                      partitions: Partitions = NO_PARTITIONS) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet file as dicts (partition columns last), a batch at a time;
    ``columns``: only those of them the file has (rows of no column are empty dicts)."""
    pa = require_pyarrow()
    parquet = _open_parquet(pa, path)
    _schema(pa, path, parquet, partitions)
    extra = {key: value for key, value in partitions.items()
             if columns is None or key in columns}
    if columns is not None:
        columns = [name for name in columns if name in parquet.schema_arrow.names]
        if not columns:
            return (dict(extra) for _ in range(parquet.metadata.num_rows))
    return ({**row, **extra}
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns)
            for row in batch.to_pylist())


def parquet_bytes(table: Any) -> memoryview:
    """A table as a Parquet file's bytes."""
    pa = require_pyarrow()
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return memoryview(sink.getvalue())


def parquet_take(path: str, rows: np.ndarray, partitions: Partitions) -> Any:
    """The rows at ``rows`` of the file (in that order, every column, partition columns
    last) as a pyarrow Table."""
    pa = require_pyarrow()
    parquet = _open_parquet(pa, path)
    schema = _schema(pa, path, parquet, partitions)
    order = np.argsort(rows, kind="stable")
    wanted = rows[order]
    pieces, first = [], 0
    for batch in parquet.iter_batches(batch_size=COLUMN_BATCH_ROWS):
        lo, hi = np.searchsorted(wanted, [first, first + batch.num_rows])
        if hi > lo:
            pieces.append(_with_partitions(pa, batch.take(pa.array(wanted[lo:hi] - first)),
                                           partitions))
        first += batch.num_rows
        if hi == len(wanted):
            break
    table = pa.Table.from_batches(pieces, schema=schema)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return _range_index_as_column(pa, table.take(pa.array(back)), rows,
                                  parquet.metadata.num_rows)


def _range_index_as_column(pa: Any, table: Any, rows: np.ndarray, file_rows: int) -> Any:
    """``table`` (the file's ``rows``, in that order) with a pandas RangeIndex made a column.
    pandas stores a RangeIndex in the schema's metadata only (start, stop, step), which no
    longer holds for selected rows (read back, the labels would be 0..k-1 or the first rows'):
    each row keeps its label in a column, as pandas writes any other index. A range that does
    not fit the file (``to_parquet(partition_cols=...)`` writes the whole frame's), pandas reads
    as positions: so are the labels then."""
    metadata = table.schema.metadata or {}
    try:
        description = json.loads(metadata[b"pandas"])
        indexes, columns = description["index_columns"], description["columns"]
    except (KeyError, TypeError, ValueError):  # none, or not pandas' format: nothing to keep
        return table
    for level, index in enumerate(indexes):
        if not (isinstance(index, dict) and index.get("kind") == "range"):
            continue
        try:
            labels = range(index["start"], index["stop"], index["step"])
        except (KeyError, TypeError, ValueError):
            continue
        field = f"__index_level_{level}__"
        while field in table.column_names:
            field = f"_{field}"
        values = ([labels[i] for i in rows.tolist()] if len(labels) == file_rows
                  else rows.tolist())
        table = table.append_column(field, pa.array(values, pa.int64()))
        indexes[level] = field
        columns.append({"name": index.get("name"), "field_name": field, "pandas_type": "int64",
                        "numpy_type": "int64", "metadata": None})
    return table.replace_schema_metadata(
        {**metadata, b"pandas": json.dumps(description).encode()})


def concat_selected(pa: Any, tables: list[Any]) -> Any:
    """The selected rows of several files as one table. Where only some files had a pandas
    RangeIndex (made a column by :func:`parquet_take`), the tables would not concatenate: the
    labels are dropped (pandas numbers the rows) rather than the selection refused."""
    names = [set(table.column_names) for table in tables]
    uneven = set.union(*names) - set.intersection(*names)
    if uneven and all(name.lstrip("_").startswith("index_level_") for name in uneven):
        tables = [_without_index_columns(table, uneven) for table in tables]
    return pa.concat_tables(tables)


def _without_index_columns(table: Any, fields: set[str]) -> Any:
    dropped = [name for name in table.column_names if name in fields]
    if not dropped:
        return table
    metadata = dict(table.schema.metadata)
    description = json.loads(metadata[b"pandas"])
    description["index_columns"] = [index for index in description["index_columns"]
                                    if index not in dropped]
    description["columns"] = [column for column in description["columns"]
                              if column.get("field_name") not in dropped]
    metadata[b"pandas"] = json.dumps(description).encode()
    return table.drop_columns(dropped).replace_schema_metadata(metadata)


def check_same_columns(paths: list[str], partitions: list[Partitions]) -> None:
    """Refuses Parquet files whose columns differ (names, order, types; partition columns
    included), with one line naming the first file and one that differs from it, before any
    is read: their selected rows could not be written as one file. Not unified (null-filled)
    instead: a selection's rows stay exactly as they were, every column kept."""
    pa = require_pyarrow()
    first = _schema(pa, paths[0], _open_parquet(pa, paths[0]), partitions[0])
    for path, more in zip(paths[1:], partitions[1:]):
        schema = _schema(pa, path, _open_parquet(pa, path), more)
        if not schema.equals(first, check_metadata=False):
            raise ZipcoreError(f"{paths[0]}, {path}: Parquet files with different columns "
                               f"({_difference(first, schema, paths[0], path)}) cannot be one "
                               "pool: give files of one schema")


def _difference(a: Any, b: Any, name_a: str, name_b: str) -> str:
    only_a = [n for n in a.names if n not in b.names]
    only_b = [n for n in b.names if n not in a.names]
    if only_a or only_b:
        return "; ".join(f"only in {name}: {', '.join(map(repr, only))}"
                         for name, only in ((name_a, only_a), (name_b, only_b)) if only)
    if a.names != b.names:
        return f"the same names in another order: {a.names} and {b.names}"
    for field, other in zip(a, b):
        if not field.equals(other):
            return (f"column {field.name!r} is {_field(field)} in {name_a}, {_field(other)} "
                    f"in {name_b}")
    # One line, never the two schemas' many.
    return "the same columns, but a nested field or its metadata differs"


def _field(field: Any) -> str:
    return f"{field.type}{'' if field.nullable else ' not null'}"
