"""Streaming readers: JSON list, JSONL and Parquet files read record by record into a Pool.

Memory stays bounded by the pool itself: each record is parsed, turned into its sample bytes
(see :mod:`zipcore.io.formats`), appended to the pool's growing buffer and dropped. What is kept
per record is its byte span in the (decompressed) file, 16 bytes, so that a selection is written
by re-reading just the selected records' exact source text: in the input's format, each record
byte for byte, all fields kept, in selection order, streamed into an atomic output.

- JSON list and JSONL (``.gz`` and ``.zst`` too): :mod:`zipcore.io.jsonstream`, never a
  whole-file ``json.load``.
- Parquet (needs pyarrow): :mod:`zipcore.io.parquet`, found by its magic bytes.
- Several files (:class:`PoolFiles`): one pool over their records concatenated in the order
  given, each file read as above; a selection is written with the format rule of
  :mod:`zipcore.io.outputs`.

What a JSON file holds is told by its content, the name helping in one case only:

- first non-blank character ``[``: a JSON list of records;
- ``{`` with ``records_key`` given: ONE top-level object, whose list under that key holds the
  records (``{"data": [...], ...}``), read as a stream like a list: the other members are
  parsed and dropped (lists one element at a time); the key must appear once. A selection is
  written as a JSON list of the selected records, as for list input, each byte for byte;
- ``{`` without ``records_key``: JSONL, one object a line, unless the file is one object that
  wraps the records, which is refused with an error naming its list fields (so that ``--budget
  1`` never "selects" the whole wrapper): an object that goes on past its first line (never
  JSONL), or a file of exactly one line not named ``.jsonl``/``.jsonl.gz`` (a ``.json`` file
  holding one object is a wrapper far more often than a one-record dataset; name such a file
  ``.jsonl``). Two or more objects, one a line, are JSONL whatever the name.

Malformed input raises ``ZipcoreError`` naming the file and ``line:column`` (JSON, JSONL) or the
row (Parquet, counted from 0 like record indices).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from collections import deque
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from . import PathLike, atomic
from .._core import ZipcoreError
from .._pool import checked_indices, require_pyarrow
from .encoder import first_repeat
from .formats import PairCutAtEnd, json_text, resolve_format
from .compressed import compressed_chunks, compression_of, open_decompressed, skip
from .jsonfile import locate
from .jsonl import iter_jsonl
from .jsonlist import iter_json_list
from .jsonstream import iter_records, sniff
from .parquet import NO_PARTITIONS, Partitions
from .parallel import EncodedRecords, encode_records, read_jsonl_files
from .outputs import OutputFormat, check_output, json_chunks, output_format
from ..pool import Pool
from ..params import flag


__all__ = ["PoolFile", "PoolFiles", "iter_json_list", "iter_jsonl", "iter_records", "locate",
           "read_pool", "sniff"]


class _Selectable:
    """What one file (:class:`PoolFile`) and several (:class:`PoolFiles`) share: a pool whose
    sample ``i`` is record ``i``, or with preference pairs the records ``groups[i]:groups[i+1]``,
    and a selection of it written back."""

    pool: Pool
    groups: Optional[np.ndarray]
    if TYPE_CHECKING:  # a field of PoolFile, a property of PoolFiles

        @property
        def kind(self) -> str: ...

    def __len__(self) -> int:
        return len(self.pool)

    @property
    def pairs(self) -> bool:
        return self.groups is not None

    def record_indices(self, samples: Iterable[Any]) -> np.ndarray:
        """The record indices (int64) of ``samples`` (in the files' concatenation, for several
        files), in order, pair members together."""
        chosen = checked_indices(samples, len(self))
        if self.groups is None:
            return chosen
        starts = self.groups[chosen]
        counts = self.groups[chosen + 1] - starts
        before = np.cumsum(counts) - counts
        return np.repeat(starts - before, counts) + np.arange(int(counts.sum()), dtype=np.int64)

    def selection_chunks(self, samples: Iterable[Any], *, kind: Optional[str] = None,
                         compression: Optional[str] = None
                         ) -> Iterable[Union[bytes, memoryview]]:
        """The contents of the file that :meth:`write_selection` writes, chunk by chunk: the
        selected records in format ``kind`` (default: the (first) file's), compressed as asked
        (checked by :func:`zipcore.io.outputs.output_format`)."""
        out = OutputFormat(kind or self.kind, compression)
        check_output("the output", out, self.kind)
        return self._chunks(self.record_indices(samples), out)

    def _chunks(self, rows: np.ndarray, out: OutputFormat) -> Iterable[Union[bytes, memoryview]]:
        raise NotImplementedError

    def _inputs(self) -> dict[str, Optional[PathLike]]:
        raise NotImplementedError

    def write_selection(self, path: PathLike, samples: Iterable[Any],
                        format: Optional[str] = None) -> None:
        """Writes the selected records in selection order, each exactly as in the input
        (Parquet: every column), in ``format`` or the one ``path``'s name says (see
        :mod:`zipcore.io.outputs`), ``.gz``/``.zst`` compressed by name; written by zipcore's
        output policy (atomic; never over an input file itself). The format is checked and
        the output planned before any record is read."""
        out = atomic.plan({"output": path}, self._inputs())["output"]
        made = output_format(path, format, self.kind)
        atomic.write_file(out, self.selection_chunks(samples, kind=made.kind,
                                                     compression=made.compression))


@dataclass
class PoolFile(_Selectable):
    """A file read into a Pool, and what is needed to write a selection of it back.

    Sample ``i`` is record ``i`` of the file, or with preference pairs the records
    ``groups[i]:groups[i+1]``. ``spans[r]`` is record ``r``'s byte span in the decompressed
    JSON/JSONL text (None for Parquet).
    """

    path: str
    kind: str  # "json", "jsonl" or "parquet"
    format: str
    pool: Pool
    records: int
    spans: Optional[np.ndarray]
    groups: Optional[np.ndarray]
    compression: Optional[str]  # "gzip", "zstd" or None, by the name
    stamp: tuple[int, int]  # (size, mtime_ns) when read: a changed input is not re-read
    records_key: Optional[str] = None  # the top-level key whose list holds the records
    pair_codes: Optional[np.ndarray] = None  # with pairs: each sample's pair id code
    partitions: Partitions = field(default_factory=lambda: NO_PARTITIONS)  # Parquet: hive

    def _chunks(self, rows: np.ndarray, out: OutputFormat) -> Iterable[Union[bytes, memoryview]]:
        self._check_unchanged()
        if self.kind == "parquet":
            from .parquet import parquet_bytes, parquet_take

            return [parquet_bytes(parquet_take(self.path, rows, self.partitions))]
        return compressed_chunks(json_chunks(self.raw_records(rows), out.kind), out.compression)

    def iter_records(self, columns: Optional[list[str]] = None) -> Iterator[Mapping[str, Any]]:
        """The file's records again, in file order, as parsed dicts (streamed).

        ``columns``: Parquet reads only these columns (those the file has); JSON records are
        parsed whole."""
        self._check_unchanged()
        if self.kind == "parquet":
            from .parquet import iter_parquet_rows

            return iter_parquet_rows(self.path, columns, self.partitions)
        return (record for record, _, _ in iter_records(self.path, self.kind, self.records_key))

    def _inputs(self) -> dict[str, Optional[PathLike]]:
        return {"file": self.path}

    def _check_unchanged(self) -> None:
        if _stamp(self.path) != self.stamp:
            raise ZipcoreError(f"{self.path} changed after it was read; run again")

    def raw_records(self, rows: np.ndarray) -> Iterator[bytes]:
        """The source text of records ``rows`` (JSON and JSONL), in that order."""
        assert self.spans is not None, "JSON and JSONL files keep their records' spans"
        spans = self.spans[rows]
        if self.compression is None:  # random access: each record read when it is written
            with open(self.path, "rb") as handle:
                for row, (start, end) in zip(rows.tolist(), spans.tolist()):
                    handle.seek(start)
                    yield self._checked(handle.read(end - start), row)
            return
        # gzip and zstd read forward only: fetch in file order, hand out in selection order (a
        # row asked for twice is read once).
        fetched: dict[int, bytes] = {}
        with open_decompressed(self.path) as handle:
            at = 0
            for j in np.argsort(spans[:, 0], kind="stable").tolist():
                start, end = spans[j].tolist()
                if start in fetched:
                    continue
                skip(handle, start - at)
                fetched[start] = self._checked(handle.read(end - start), int(rows[j]))
                at = end
        for start in spans[:, 0].tolist():
            yield fetched[start]

    def _checked(self, raw: bytes, row: int) -> bytes:
        if not (raw.startswith(b"{") and raw.endswith(b"}")):
            raise ZipcoreError(f"{self.path} changed after it was read (record {row} is no "
                               "longer where it was); run again")
        return raw


def _stamp(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def indices_bytes(indices: Iterable[Any]) -> bytes:
    """An indices file: one index per line."""
    return "".join(f"{int(i)}\n" for i in indices).encode("ascii")


def read_pool(path: PathLike, *, format: str = "auto", text_field: Optional[str] = None,
              column: Optional[str] = None, template: Optional[str] = None,
              pairs: Optional[bool] = None, records_key: Optional[str] = None,
              threads: Optional[int] = None, partitions: Partitions = NO_PARTITIONS
              ) -> PoolFile:
    """Reads a JSON list, JSONL (``.gz``, ``.zst`` too) or Parquet file into a :class:`PoolFile`.

    Args:
        path: a ``str``, ``bytes`` (as ``os`` functions take them) or ``os.PathLike`` path.
        format: a record format of :mod:`zipcore.io.formats` (``auto`` detects it).
        text_field: samples are this string field of each record: format ``text`` (given, it
            is never ignored; not given, ``text`` is format text's field).
        column: the text column whose values are the samples (for JSON records, the same as
            ``text_field=column``).
        template: samples rendered from ``template``'s plain ``{field}`` names (fields name
            record fields or Parquet columns), e.g. ``"{instruction}\\n{output}"``.
        pairs: keep preference pairs together (None: when the first record has ``pair_id``
            and ``label``; see :mod:`zipcore.io.encoder` for what a pair must be).
        records_key: JSON only: the records are the list under this key of the file's
            top-level object (``{"data": [...]}``); see the module docstring.
        threads: worker processes that parse a JSONL file of 32 MiB or more, or the row groups
            of a Parquet file of several (rows as records or a template) (None: every core
            this process may use; 1: no workers); the result is the same for any count (see
            :mod:`zipcore.io.parallel`).
        partitions: Parquet only: columns added to every row, after the file's own (the
            file's hive partition values, :func:`zipcore.io.parquet.hive_partitions`).
    """
    path = os.fsdecode(path)
    format, text_field = resolve_format(format, text_field=text_field, column=column,
                                        template=template)
    pairs = flag("pairs", pairs, none=True)
    stamp = _stamp(path)
    kind = sniff(path)
    check_partitions(path, kind, partitions)
    if kind == "parquet":
        if records_key is not None:
            raise ValueError(f"records_key is for JSON files; {path} is Parquet")
        from .parquet import read_parquet, read_parquet_files

        reads = read_parquet_files([path], format, text_field, template, pairs, [partitions],
                                   threads)
        read = reads[0] if reads else read_parquet(path, format, text_field, template, pairs,
                                                   partitions)
        return _pool_file(path, kind, read, stamp, partitions=partitions)
    options: dict[str, Any] = dict(format=format, text_field=text_field, template=template,
                                   pairs=pairs)
    jsonl = (read_jsonl_files([path], threads=threads, **options)
             if kind == "jsonl" and records_key is None else None)
    read = jsonl[0] if jsonl else encode_records(path, kind, records_key, **options)
    if records_key is not None:
        kind = "json"  # the selection is written as a JSON list
    return _pool_file(path, kind, read, stamp, records_key)


def check_partitions(path: str, kind: str, partitions: Partitions) -> None:
    """TypeError for ``partitions`` that are not column names mapped to str or None (later an
    AttributeError or pyarrow's "expected bytes"); ValueError where a file that is not Parquet
    is given partition columns."""
    if not isinstance(partitions, Mapping) or not all(
            isinstance(key, str) and (value is None or isinstance(value, str))
            for key, value in partitions.items()):
        raise TypeError(f"partitions must map column names (str) to str values or None, e.g. "
                        f"{{'lang': 'en'}}, got {partitions!r}")
    if partitions and kind != "parquet":
        raise ValueError(f"{path}: partition columns are read for Parquet files only, and "
                         f"this file is {kind.upper()}")


def _pool_file(path: str, kind: str, read: EncodedRecords, stamp: tuple[int, int],
               records_key: Optional[str] = None, partitions: Partitions = NO_PARTITIONS
               ) -> PoolFile:
    """A file as its records were read (serially or by the workers)."""
    return PoolFile(path, kind, read.format, read.pool, read.records, read.spans, read.groups,
                    compression_of(path), stamp, records_key, read.pair_codes, partitions)


@dataclass
class PoolFiles(_Selectable):
    """Several files read into one Pool: their records concatenated in the order given.

    Sample and record indices are positions in that concatenation (a file's own indices
    shifted by the records of the files before it). Every file is read with the first file's
    record format (``auto`` resolves once, on the first file), and holds preference pairs if
    the first file with a record does, so the pool's bytes, and so a selection, equal those of
    one file holding all the records. JSON lists and JSONL mix; Parquet does not mix with JSON.
    A preference pair must lie within one file.
    """

    files: list[PoolFile]
    pool: Pool
    groups: Optional[np.ndarray]  # each sample's first record, with pairs
    record_starts: np.ndarray  # int64, one more than files: each file's first record

    @property
    def kind(self) -> str:
        """The first file's kind: the format a selection is written in by default."""
        return self.files[0].kind

    @property
    def format(self) -> str:
        return self.files[0].format

    @property
    def records(self) -> int:
        return int(self.record_starts[-1])

    def _chunks(self, rows: np.ndarray, out: OutputFormat) -> Iterable[Union[bytes, memoryview]]:
        if len(self.files) == 1:
            return self.files[0]._chunks(rows, out)
        for file in self.files:
            file._check_unchanged()
        which = np.searchsorted(self.record_starts, rows, side="right") - 1
        parts = [(self.files[f], np.flatnonzero(which == f), int(self.record_starts[f]))
                 for f in np.unique(which).tolist()]
        if self.kind == "parquet":
            return [_parquet_selection(parts, rows)]
        return compressed_chunks(json_chunks(_raw_records(parts, rows), out.kind),
                                 out.compression)

    def iter_records(self, columns: Optional[list[str]] = None) -> Iterator[Mapping[str, Any]]:
        """Every file's records again, in order (see :meth:`PoolFile.iter_records`)."""
        return chain.from_iterable(file.iter_records(columns) for file in self.files)

    def _inputs(self) -> dict[str, Optional[PathLike]]:
        return {f"file {i}": file.path for i, file in enumerate(self.files)}


Part = tuple[PoolFile, np.ndarray, int]
"""A file, the positions in the selection of its selected records, its first record index."""


def _raw_records(parts: list[Part], rows: np.ndarray) -> Iterator[bytes]:
    # Each file's records fetched together (a compressed one reads forward only), then handed
    # out in selection order: the selected records' text is held, once, in memory.
    fetched: list[bytes] = [b""] * len(rows)
    for file, positions, first in parts:
        for position, raw in zip(positions.tolist(), file.raw_records(rows[positions] - first)):
            fetched[position] = raw
    yield from fetched


def _parquet_selection(parts: list[Part], rows: np.ndarray) -> memoryview:
    from .parquet import concat_selected, parquet_bytes, parquet_take

    pa = require_pyarrow()
    tables = [parquet_take(file.path, rows[positions] - first, file.partitions)
              for file, positions, first in parts]
    try:
        table = concat_selected(pa, tables)
    except pa.ArrowInvalid as exc:
        raise ZipcoreError(f"{parts[0][0].path}, {parts[1][0].path}: Parquet files with "
                           f"different columns cannot be written as one ({exc})") from None
    order = np.concatenate([positions for _, positions, _ in parts])
    return parquet_bytes(table.take(pa.array(np.argsort(order, kind="stable"))))


def read_pools(paths: Sequence[PathLike], *, format: str = "auto",
               text_field: Optional[str] = None, column: Optional[str] = None,
               template: Optional[str] = None, pairs: Optional[bool] = None,
               records_key: Optional[str] = None, threads: Optional[int] = None,
               partitions: Optional[Sequence[Partitions]] = None) -> PoolFiles:
    """Reads several files (arguments as :func:`read_pool`; ``partitions``: one mapping per
    path) into one :class:`PoolFiles`, their records in the order of ``paths``. Every kind is
    checked before any file is read: JSON lists and JSONL mix, Parquet and JSON do not
    (ValueError naming a file of each), and Parquet files must have the same columns,
    partition columns included (ZipcoreError naming two files and the difference: their
    selected rows are written as one table). Every file holds preference pairs or none does
    (``pairs=None`` detects them from each file's first record), a pair lies within one file,
    and a pair id in one file only (a ZipcoreError naming both files): what one file holding
    all the records would give, as a pool or as an error."""
    names = [os.fsdecode(path) for path in paths]
    kinds = _input_kinds(names)
    parts = list(partitions) if partitions is not None else [NO_PARTITIONS] * len(names)
    if len(parts) != len(names):
        raise ValueError(f"partitions: one mapping per path, got {len(parts)} for "
                         f"{len(names)} paths")
    for name, kind, part in zip(names, kinds, parts):
        check_partitions(name, kind, part)
    parquet = [name for name, kind in zip(names, kinds) if kind == "parquet"]
    if len(parquet) > 1:
        from .parquet import check_same_columns

        check_same_columns(parquet, parts)
    files = _read_at_once(names, kinds, parts, format=format, text_field=text_field,
                          column=column, template=template, pairs=pairs,
                          records_key=records_key, threads=threads)  # all of them, or none
    for i, name in enumerate([] if files else names):  # one by one
        try:
            files.append(read_pool(name, format=format, text_field=text_field, column=column,
                                   template=template, pairs=pairs, records_key=records_key,
                                   threads=threads, partitions=parts[i]))
        except PairCutAtEnd:  # the partner of its last record may begin the next file
            if i + 1 < len(names):
                _refuse_split_pair(name, names[i + 1], records_key)
            raise
        first = next(file for file in files if file.records or file is files[-1])
        if files[-1].records:  # against the first file that has a record
            check_pair_layout(name, files[-1].pairs, first.path, first.pairs)
        if format == "auto" and template is None and files[0].format != "auto":
            format = files[0].format  # resolved once, on the first file
    paired = any(file.pairs for file in files)  # an empty file holds no pairs, nor records
    if paired:
        _refuse_pair_ids_again(files)
    starts = np.cumsum([0] + [file.records for file in files], dtype=np.int64)
    groups = None
    if paired:
        groups = np.concatenate([file.groups[:-1] + start for file, start in zip(files, starts)
                                 if file.groups is not None] + [starts[-1:]])
    pool = Pool.concat(file.pool for file in files)
    return PoolFiles(files, pool, groups, starts)


def _input_kinds(names: Sequence[str]) -> list[str]:
    """Each file's kind (:func:`~zipcore.io.jsonstream.sniff`), checked before any is read:
    JSON lists and JSONL mix, Parquet and JSON do not (ValueError naming a file of each)."""
    if not names:
        raise ValueError("no input files")
    kinds = [sniff(name) for name in names]
    parquet = [name for name, kind in zip(names, kinds) if kind == "parquet"]
    if parquet and len(parquet) < len(names):
        other = next(name for name, kind in zip(names, kinds) if kind != "parquet")
        raise ValueError(f"{parquet[0]} is Parquet and {other} is JSON: give inputs of one kind")
    return kinds


def check_pair_layout(name: str, pairs: bool, first: str, first_pairs: bool) -> None:
    """ZipcoreError where the file ``name`` holds preference pairs and the first input
    ``first`` not, or the other way round: what one file holding both would refuse."""
    if pairs == first_pairs:
        return
    has = ("has pair_id and label", "has not") if pairs else ("has no pair_id or label", "has")
    raise ZipcoreError(f"{name}: its first record {has[0]}, but the first record of {first} "
                       f"{has[1]}: preference pairs are detected from the first record, and "
                       "every input holds pairs or none does (pairs=False takes every record "
                       "alone)")


def _read_at_once(names: list[str], kinds: list[str], partitions: list[Partitions], *,
                  format: str, text_field: Optional[str], column: Optional[str],
                  template: Optional[str], pairs: Optional[bool], records_key: Optional[str],
                  threads: Optional[int]) -> list[PoolFile]:
    """Several JSONL files, or several Parquet files (the caller refused a mix), read at once
    by worker processes (:func:`read_jsonl_files`,
    :func:`~zipcore.io.parquet.read_parquet_files`), so that many shards smaller than a part
    still keep every core busy; [] where they are read one by one instead (JSON lists, a
    ``records_key``, one file, preference pairs, an error: the serial reader then names the
    first)."""
    if len(names) < 2 or "json" in kinds or records_key is not None:
        return []
    format, text_field = resolve_format(format, text_field=text_field, column=column,
                                        template=template)
    stamps = [_stamp(name) for name in names]
    if kinds[0] == "parquet":
        from .parquet import read_parquet_files

        reads = read_parquet_files(names, format, text_field, template, pairs, partitions,
                                   threads)
        return [_pool_file(name, "parquet", read, stamp, partitions=part) for name, read, stamp,
                part in zip(names, reads or [], stamps, partitions)]
    jsonl = read_jsonl_files(names, format=format, text_field=text_field, template=template,
                             pairs=pairs, threads=threads)
    return [_pool_file(name, "jsonl", read, stamp)
            for name, read, stamp in zip(names, jsonl or [], stamps)]


def _pair_ids(path: str, records_key: Optional[str]) -> Iterator[Any]:
    """The ``pair_id`` of each record of ``path`` (None where it has none), streamed again."""
    kind = sniff(path)
    if kind == "parquet":
        from .parquet import iter_parquet_rows

        return (row.get("pair_id") for row in iter_parquet_rows(path, ["pair_id"]))
    return (record.get("pair_id") if isinstance(record, Mapping) else None
            for record, _, _ in iter_records(path, kind, records_key))


def _refuse_split_pair(first: str, then: str, records_key: Optional[str]) -> None:
    """After ``first`` failed to read: an error naming both files where its last record is a
    pair member without its partner, and ``then`` begins with that pair id (one pair split
    across two files); otherwise ``first``'s own error stands."""
    try:
        tail = [json_text(key) for key in deque(_pair_ids(first, records_key), maxlen=2)]
        head = [json_text(key) for key in islice(_pair_ids(then, records_key), 1)]
    except (ZipcoreError, OSError):
        return
    if tail and tail[-1:] == head and tail[-2:-1] != head and head != ["null"]:
        raise ZipcoreError(f"{first}, {then}: the preference pair with pair_id {head[0]} "
                           f"begins at the end of {first} and ends at the start of {then}: a "
                           "pair must lie within one file") from None


def _refuse_pair_ids_again(files: list[PoolFile]) -> None:
    """A pair id in two files, as one file holding both would refuse it."""
    codes = [np.empty(0, np.int64) if f.pair_codes is None else f.pair_codes for f in files]
    repeat = first_repeat(np.concatenate(codes))  # within a file, ids are already unique
    if repeat is None:
        return
    again, before = repeat
    firsts = np.cumsum([0] + [len(c) for c in codes])

    def located(sample: int) -> tuple[PoolFile, int]:  # its file and first record there
        f = int(np.searchsorted(firsts, sample, side="right")) - 1
        groups = files[f].groups
        assert groups is not None, "every file is read with pairs"
        return files[f], int(groups[sample - firsts[f]])

    (b, rb), (a, ra) = located(again), located(before)
    key = json_text(next(islice(_pair_ids(b.path, b.records_key), rb, None)))
    raise ZipcoreError(f"{b.path}: record {rb} has the pair_id {key} of record {ra} of "
                       f"{a.path}: a preference pair's two records are next to each other in "
                       "one file, and its id is used once")
