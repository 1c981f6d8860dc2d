"""Streaming readers: a JSON list, JSONL or Parquet file read record by record into a Pool.

Memory stays bounded by the pool itself: each record is parsed, turned into its sample bytes
(see :mod:`zipcore.io.formats`), appended to the pool's growing buffer and dropped. What is kept
per record is its byte span in the (decompressed) file, 16 bytes, so that a selection is written
by re-reading just the selected records' exact source text: in the input's format, each record
byte for byte, all fields kept, in selection order, streamed into an atomic output.

- JSON list and JSONL (``.gz`` too): :mod:`zipcore.io.jsonstream`, never a whole-file ``json.load``.
- Parquet (needs pyarrow): :mod:`zipcore.io.parquet`, found by its magic bytes.

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

import gzip
import os
import zlib
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Union

import numpy as np

from . import atomic
from .. import _core
from .._core import ZipcoreError
from .._pool import checked_indices
from .encoder import PoolEncoder
from .formats import RecordError, resolve_format
from .jsonfile import is_gzip_path, locate, positioned
from .jsonl import iter_jsonl
from .jsonlist import iter_json_list
from .jsonstream import iter_records, sniff
from ..pool import Pool

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["PoolFile", "iter_json_list", "iter_jsonl", "iter_records", "locate", "read_pool",
           "sniff"]


@dataclass
class PoolFile:
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
    gzip: bool
    stamp: tuple[int, int]  # (size, mtime_ns) when read: a changed input is not re-read
    records_key: Optional[str] = None  # the top-level key whose list holds the records

    def __len__(self) -> int:
        return len(self.pool)

    @property
    def pairs(self) -> bool:
        return self.groups is not None

    def record_indices(self, samples: Iterable[Any]) -> np.ndarray:
        """The file's record indices (int64) of ``samples``, in order, pair members together."""
        chosen = checked_indices(samples, len(self))
        if self.groups is None:
            return chosen
        starts = self.groups[chosen]
        counts = self.groups[chosen + 1] - starts
        before = np.cumsum(counts) - counts
        return np.repeat(starts - before, counts) + np.arange(int(counts.sum()), dtype=np.int64)

    def selection_chunks(self, samples: Iterable[Any], *, compress: bool = False
                         ) -> Iterable[Union[bytes, memoryview]]:
        """The contents of the file that :meth:`write_selection` writes, chunk by chunk."""
        rows = self.record_indices(samples)
        self._check_unchanged()
        if self.kind == "parquet":
            if compress:
                raise ValueError("Parquet output compresses inside the file: drop the .gz")
            from .parquet import parquet_selection

            return [parquet_selection(self.path, rows)]
        raw = self._raw_records(rows)
        chunks = _json_list_chunks(raw) if self.kind == "json" else _jsonl_chunks(raw)
        return _gzip_chunks(chunks) if compress else chunks

    def iter_records(self, columns: Optional[list[str]] = None) -> Iterator[Mapping[str, Any]]:
        """The file's records again, in file order, as parsed dicts (streamed).

        ``columns``: Parquet reads only these columns (those the file has); JSON records are
        parsed whole."""
        self._check_unchanged()
        if self.kind == "parquet":
            from .parquet import iter_parquet_rows

            return iter_parquet_rows(self.path, columns)
        return (record for record, _, _ in iter_records(self.path, self.kind, self.records_key))

    def write_selection(self, path: PathLike, samples: Iterable[Any]) -> None:
        """Writes the selected records in the input's format, in selection order, each exactly
        as in the input (Parquet: every column). Gzip when ``path`` ends in ``.gz``; written
        by zipcore's output policy (atomic; never over the input file itself)."""
        out = atomic.plan({"output": path}, {"file": self.path})["output"]
        atomic.write_file(out, self.selection_chunks(samples, compress=is_gzip_path(path)))

    def _check_unchanged(self) -> None:
        if _stamp(self.path) != self.stamp:
            raise ZipcoreError(f"{self.path} changed after it was read; run again")

    def _raw_records(self, rows: np.ndarray) -> Iterator[bytes]:
        assert self.spans is not None, "JSON and JSONL files keep their records' spans"
        spans = self.spans[rows]
        if not self.gzip:  # random access: each record read when it is written
            with open(self.path, "rb") as handle:
                for row, (start, end) in zip(rows.tolist(), spans.tolist()):
                    handle.seek(start)
                    yield self._checked(handle.read(end - start), row)
            return
        # gzip reads forward only: fetch in file order, then hand out in selection order.
        fetched: dict[int, bytes] = {}
        with gzip.open(self.path, "rb") as handle:
            for j in np.argsort(spans[:, 0], kind="stable").tolist():
                start, end = spans[j].tolist()
                handle.seek(start)
                fetched[j] = self._checked(handle.read(end - start), int(rows[j]))
        for j in range(len(rows)):
            yield fetched.pop(j)

    def _checked(self, raw: bytes, row: int) -> bytes:
        if not (raw.startswith(b"{") and raw.endswith(b"}")):
            raise ZipcoreError(f"{self.path} changed after it was read (record {row} is no "
                               "longer where it was); run again")
        return raw


def _stamp(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def _json_list_chunks(raw: Iterable[bytes]) -> Iterator[bytes]:
    # The shared input files' framing, which is ZIP's group framing: "[", ", ", "]".
    yield _core.GROUP_OPEN
    for i, record in enumerate(raw):
        yield _core.GROUP_SEPARATOR + record if i else record
    yield _core.GROUP_CLOSE


def _jsonl_chunks(raw: Iterable[bytes]) -> Iterator[bytes]:
    for record in raw:
        yield record + b"\n"


def _gzip_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # gzip.compress(data, 6, mtime=0) streamed: zlib's output does not depend on how input is
    # split, so the bytes equal those of gzip.compress(whole output, 6, mtime=0).
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def indices_bytes(indices: Iterable[Any]) -> bytes:
    """An indices file: one index per line."""
    return "".join(f"{int(i)}\n" for i in indices).encode("ascii")


def read_pool(path: PathLike, *, format: str = "auto", text_field: Optional[str] = None,
              column: Optional[str] = None, template: Optional[str] = None,
              pairs: Optional[bool] = None, records_key: Optional[str] = None) -> PoolFile:
    """Reads a JSON list, JSONL (``.gz`` too) or Parquet file into a :class:`PoolFile`.

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
    """
    path = os.fsdecode(path)
    format, text_field = resolve_format(format, text_field=text_field, column=column,
                                        template=template)
    stamp = _stamp(path)
    kind = sniff(path)
    if kind == "parquet":
        if records_key is not None:
            raise ValueError(f"records_key is for JSON files; {path} is Parquet")
        from .parquet import read_parquet

        pool, groups, records, name = read_parquet(path, format, text_field, template, pairs)
        return PoolFile(path, kind, name, pool, records, None, groups, False, stamp)
    encoder = PoolEncoder(format, text_field=text_field, template=template, pairs=pairs)
    spans = array("q")
    try:
        for record, start, end in iter_records(path, kind, records_key):
            spans.append(start)
            spans.append(end)
            encoder.add(record)
        pool, groups = encoder.finish()
    except RecordError as exc:
        raise positioned(path, spans[2 * exc.index], str(exc)) from None
    span_array = np.frombuffer(spans, dtype=np.int64).reshape(-1, 2)
    if records_key is not None:
        kind = "json"  # the selection is written as a JSON list
    return PoolFile(path, kind, encoder.format, pool, encoder.records, span_array, groups,
                    is_gzip_path(path), stamp, records_key)
