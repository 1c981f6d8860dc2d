"""Streaming readers: a JSON list, JSONL or Parquet file read record by record into a Pool.

Memory stays bounded by the pool itself: each record is parsed, turned into its sample bytes
(see :mod:`zipcore.formats`), appended to the pool's growing buffer and dropped. What is kept
per record is its byte span in the (decompressed) file, 16 bytes, so that a selection is written
by re-reading just the selected records' exact source text: in the input's format, each record
byte for byte, all fields kept, in selection order, streamed into an atomic output.

- JSON list and JSONL (``.gz`` too): :mod:`zipcore.jsonstream`, never a whole-file ``json.load``.
- Parquet (needs pyarrow): :mod:`zipcore.parquet`, found by its magic bytes.

Malformed input raises ``ZipcoreError`` naming the file and ``line:column`` (JSON, JSONL) or the
row (Parquet, counted from 0 like record indices).
"""

from __future__ import annotations

import gzip
import os
import zlib
from array import array
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Union

import numpy as np

from . import atomic
from ._core import ZipcoreError
from .formats import PoolEncoder, RecordError
from .jsonstream import iter_json_list, iter_jsonl, locate, positioned, sniff
from .pool import Pool
from .records import is_gzip_path

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["PoolFile", "iter_json_list", "iter_jsonl", "locate", "read_pool", "sniff"]


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

    def __len__(self) -> int:
        return len(self.pool)

    @property
    def pairs(self) -> bool:
        return self.groups is not None

    def record_indices(self, samples: Iterable[Any]) -> np.ndarray:
        """The file's record indices (int64) of ``samples``, in order, pair members together."""
        chosen = np.asarray(samples, dtype=np.int64).reshape(-1)
        if len(chosen) and not (0 <= chosen.min() and chosen.max() < len(self)):
            bad = chosen[(chosen < 0) | (chosen >= len(self))][0]
            raise IndexError(f"index {bad} is out of range for {len(self)} samples")
        if self.groups is None:
            return chosen
        starts = self.groups[chosen]
        counts = self.groups[chosen + 1] - starts
        before = np.cumsum(counts) - counts
        return np.repeat(starts - before, counts) + np.arange(int(counts.sum()), dtype=np.int64)

    def selection_chunks(self, samples: Iterable[Any], *, compress: bool = False
                         ) -> Iterable[bytes]:
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

    def write_selection(self, path: PathLike, samples: Iterable[Any]) -> None:
        """Writes the selected records in the input's format, in selection order, each exactly
        as in the input (Parquet: every column). Gzip when ``path`` ends in ``.gz``; atomic."""
        atomic.write_file(path, self.selection_chunks(samples, compress=is_gzip_path(path)))

    def _check_unchanged(self) -> None:
        if _stamp(self.path) != self.stamp:
            raise ZipcoreError(f"{self.path} changed after it was read; run again")

    def _raw_records(self, rows: np.ndarray) -> Iterator[bytes]:
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
    # The framing of the shared input files, as records.selection_bytes writes it.
    yield b"["
    for i, record in enumerate(raw):
        yield b", " + record if i else record
    yield b"]"


def _jsonl_chunks(raw: Iterable[bytes]) -> Iterator[bytes]:
    for record in raw:
        yield record + b"\n"


def _gzip_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # gzip.compress(data, 6, mtime=0) streamed: zlib's output does not depend on how input is
    # split, so the bytes equal those of records.selection_bytes(..., compress=True).
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def read_pool(path: PathLike, *, format: str = "auto", text_field: str = "text",
              column: Optional[str] = None, template: Optional[str] = None,
              pairs: Optional[bool] = None) -> PoolFile:
    """Reads a JSON list, JSONL (``.gz`` too) or Parquet file into a :class:`PoolFile`.

    Args:
        format: a record format of :mod:`zipcore.formats` (``auto`` detects it).
        text_field: the string field of ``format="text"``.
        column: the text column whose values are the samples (for JSON records, the same as
            ``format="text", text_field=column``).
        template: samples rendered as ``template.format_map(record)`` (fields name record
            fields or Parquet columns), e.g. ``"{instruction}\\n{output}"``.
        pairs: keep preference pairs together (None: when the records have ``pair_id`` and
            ``label``).
    """
    path = os.fspath(path)
    if column is not None and template is not None:
        raise ValueError("give a column or a template, not both")
    if column is not None:
        if format not in ("auto", "text"):
            raise ValueError(f"a column chooses the sample bytes itself: leave the format at "
                             f"'auto' (got {format!r})")
        format, text_field = "text", column
    stamp = _stamp(path)
    kind = sniff(path)
    if kind == "parquet":
        from .parquet import read_parquet

        pool, groups, records, name = read_parquet(path, format, text_field, template, pairs)
        return PoolFile(path, kind, name, pool, records, None, groups, False, stamp)
    encoder = PoolEncoder(format, text_field=text_field, template=template, pairs=pairs)
    spans = array("q")
    try:
        for record, start, end in (iter_json_list(path) if kind == "json" else iter_jsonl(path)):
            spans.append(start)
            spans.append(end)
            encoder.add(record)
        pool, groups = encoder.finish()
    except RecordError as exc:
        raise positioned(path, spans[2 * exc.index], str(exc)) from None
    span_array = np.frombuffer(spans, dtype=np.int64).reshape(-1, 2)
    return PoolFile(path, kind, encoder.format, pool, encoder.records, span_array, groups,
                    is_gzip_path(path), stamp)
