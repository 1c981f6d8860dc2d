"""Streaming JSON: a JSON list or JSONL file read one record at a time, with byte spans.

The entry points: :func:`sniff` tells a file's kind, :func:`iter_records` reads its records
and :func:`load_records` takes them all at once. The reading itself is split by concern:

- :mod:`zipcore.io.jsonfile`: the file's bytes (``.gz``, ``.zst`` decompressed), its text decoded
  chunk by chunk, and error messages that name ``line:column``;
- :mod:`zipcore.io.jsonlist`: a JSON list, parsed incrementally over 1 MiB chunks, never
  ``json.load`` of the whole file (and the list under ``records_key`` of a top-level object);
- :mod:`zipcore.io.jsonl`: JSONL, line by line (split on ``\\n`` only; blank lines allowed).

Each record comes with the byte span ``[start, end)`` of its source text in the decompressed
file, so that it can be re-read later byte for byte. Malformed input raises ``ZipcoreError``
naming the file and ``line:column``.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Any, Iterator, Optional

from . import jsonfile
from .._core import ZipcoreError
from .compressed import foreign_compression, strip_compression
from . import PathLike
from .jsonfile import BOM, Reader, Span, SpanText, spans_only
from .jsonl import iter_jsonl_texts
from .jsonlist import iter_list_texts, not_records_error

_PARQUET_MAGIC = b"PAR1"


def iter_records(path: PathLike, kind: str, records_key: Optional[str] = None
                 ) -> Iterator[Span]:
    """The records of a file :func:`sniff` calls ``kind`` (``json`` or ``jsonl``), each with
    the byte span of its source text: the objects of a JSON list, of the list under
    ``records_key`` in a top-level object, or of JSONL lines.

    A file that is one JSON object is refused unless ``records_key`` names its list (see
    :mod:`zipcore.io.readers` for the rule): an object that goes on past its first line, or the
    only line of a file not named ``.jsonl``.
    """
    return spans_only(iter_record_texts(path, kind, records_key))


def iter_record_texts(path: PathLike, kind: str, records_key: Optional[str] = None
                      ) -> Iterator[SpanText]:
    """As :func:`iter_records`, each record also with its source text (see
    :data:`~zipcore.io.jsonfile.SpanText`)."""
    if records_key is not None or kind == "json":
        yield from iter_list_texts(path, records_key)
        return
    lines = iter_jsonl_texts(path)
    first = next(lines, None)
    second = next(lines, None)
    if first is not None and second is None and not _named_jsonl(path):
        raise not_records_error(path, [key for key, value in first[0].items()
                                       if isinstance(value, list)], one_line=True)
    yield from (line for line in (first, second) if line is not None)
    yield from lines


def load_records(path: PathLike) -> list[dict[str, Any]]:
    """Every record of a JSON list or JSONL file (``.gz``, ``.zst`` too) as parsed dicts, in
    file order: the streaming reader's records, for scripts that want them all at once."""
    return [record for record, _, _ in iter_records(path, sniff(path))]


def _named_jsonl(path: PathLike) -> bool:
    return strip_compression(path).lower().endswith(".jsonl")


def require_regular_file(path: PathLike) -> None:
    """Fails unless ``path`` is a regular file that exists (a pipe or device is refused)."""
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", os.fspath(path))
    if not stat.S_ISREG(info.st_mode):
        # A pipe or device reads once (and a FIFO with no writer blocks): sniffing the format
        # would eat the records, and a selection is written by re-reading the chosen ones.
        raise ZipcoreError(f"{os.fspath(path)}: not a regular file (a pipe or device can be "
                           "read only once); write it to a file first")


def sniff(path: PathLike) -> str:
    """``parquet`` (by its magic bytes), ``json`` (the first non-blank character is ``[``) or
    ``jsonl`` (anything else, an empty file included). A file named ``.parquet`` is read by
    its content too (JSON named so is JSON), but one that is neither Parquet nor JSON, an
    empty one, and compressed Parquet are ZipcoreErrors naming it (not a wrong kind of
    output later)."""
    require_regular_file(path)
    named_parquet = strip_compression(os.fsdecode(path)).lower().endswith(".parquet")
    with Reader(path) as reader:
        head = reader.read(4)
        if head == _PARQUET_MAGIC:
            if reader.compression is None:
                return "parquet"
            raise ZipcoreError(f"{os.fsdecode(path)}: Parquet compressed as a whole file: "
                               "zipcore reads Parquet as written (its pages carry their own "
                               "compression): decompress it first")
        foreign = None if reader.compression else foreign_compression(head)
        if foreign is not None:
            raise ZipcoreError(f"{os.fsdecode(path)}: compressed with {foreign}")
        head = head[3:] if head.startswith(BOM) else head
        while True:
            stripped = head.lstrip(b" \t\r\n")
            if stripped:
                if named_parquet and not stripped.startswith((b"[", b"{")):
                    raise ZipcoreError(f"{os.fsdecode(path)}: not a Parquet file (it does not "
                                       "start with PAR1), nor JSON")
                return "json" if stripped.startswith(b"[") else "jsonl"
            head = reader.read(jsonfile.CHUNK_SIZE)
            if not head:
                if named_parquet:
                    raise ZipcoreError(f"{os.fsdecode(path)}: an empty file named .parquet "
                                       "(a Parquet file is never empty: still being written?)")
                return "jsonl"
