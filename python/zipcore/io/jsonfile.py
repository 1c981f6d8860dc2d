"""A JSON or JSONL file as the streaming reader sees it: its bytes (``.gz`` and ``.zst`` read
through :mod:`zipcore.io.compressed`),
its text decoded chunk by chunk, and the error messages that point into it (``line:column``).

Positions are byte offsets into the decompressed file; :func:`locate` turns one into the line
and column ``json`` would report, re-reading the file only when an error is being raised.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from typing import Any, Iterator, Optional

import numpy as np

from . import PathLike
from .._core import ZipcoreError
from .compressed import compression_of, decompress_errors, open_decompressed
from .formats import json_type

Span = tuple[dict[str, Any], int, int]
"""A record and the byte span ``[start, end)`` of its source text in the decompressed file."""
SpanText = tuple[dict[str, Any], int, int, Optional[bytes]]
"""A :data:`Span` and that source text itself, where the reader has it at hand (None where it
has not: a JSONL line Python's ``json`` parsed, the rare line that needs it)."""


def spans_only(records: Iterator[SpanText]) -> Iterator[Span]:
    """The spans of records read with their texts, the texts dropped."""
    return ((value, start, end) for value, start, end, _ in records)

CHUNK_SIZE = 1 << 20
"""Bytes read at a time. Read as ``jsonfile.CHUNK_SIZE`` at each use, never imported by name:
tests shrink it to cut records (and characters) at every position."""

BOM = b"\xef\xbb\xbf"
DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's own; str.isspace would accept more


def whitespace_end(text: str, pos: int = 0) -> int:
    """Where the JSON whitespace at ``pos`` ends (the pattern matches the empty string too)."""
    match = _WHITESPACE.match(text, pos)
    assert match is not None
    return match.end()


def unreadable_value(exc: BaseException) -> str:
    """The message for valid JSON that Python's json cannot turn into objects."""
    if isinstance(exc, RecursionError):
        return "this value is nested too deeply to read"
    return f"this value cannot be read ({exc})"  # e.g. an integer of more than 4300 digits


def not_an_object(what: str, value: Any) -> str:
    """The message for a record that is some other JSON value (``what`` says which)."""
    return (f"{what} is a JSON {json_type(value)}, expected an object "
            "(a record such as {\"conversations\": [...]})")


class Reader:
    """Reads a (maybe compressed) file's bytes, turning decompression failures into a
    ZipcoreError."""

    def __init__(self, path: PathLike) -> None:
        self.path = os.fspath(path)
        self.compression = compression_of(path)
        self.handle = open_decompressed(path)
        self._errors = decompress_errors(self.compression)

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handle.close()

    def _bad_file(self, exc: BaseException) -> ZipcoreError:
        return ZipcoreError(f"{self.path}: not a valid {self.compression} file ({exc})")

    def read(self, size: int) -> bytes:
        try:
            return self.handle.read(size)
        except self._errors as exc:
            raise self._bad_file(exc) from None

    def lines(self) -> Iterator[bytes]:
        try:
            yield from self.handle
        except self._errors as exc:
            raise self._bad_file(exc) from None


class TextChunks:
    """The file's text, decoded chunk by chunk (a character cut between chunks is kept for the
    next one); a leading byte order mark is skipped and counted in ``skipped``."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.fed = 0
        self.skipped = 0
        self.first = True

    def read(self, size: int) -> str:
        """At least one character, or "" at the end of the file."""
        while True:
            raw = self.reader.read(size)
            pending = len(self.decoder.getstate()[0])
            try:
                text = self.decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                raise utf8_error(self.reader.path, self.fed - pending + exc.start, exc) from None
            self.fed += len(raw)
            if self.first and text:
                self.first = False
                if text.startswith("\ufeff"):
                    text, self.skipped = text[1:], len(BOM)
            if text or not raw:
                return text


def locate(path: PathLike, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as ``json`` counts them) of byte ``offset`` of
    the decompressed file. Re-reads the file up to there: for error messages only."""
    line, column, done = 1, 0, 0
    with open_decompressed(path) as handle:
        while done < offset:
            chunk = handle.read(min(CHUNK_SIZE, offset - done))
            if not chunk:
                break
            if done == 0 and chunk.startswith(BOM):
                column -= 1  # the byte order mark is not a character of the text
            newlines = chunk.count(b"\n")
            if newlines:
                line += newlines
                column = _characters(chunk[chunk.rfind(b"\n") + 1:])
            else:
                column += _characters(chunk)
            done += len(chunk)
    return line, column + 1


def _characters(data: bytes) -> int:
    """UTF-8 characters in ``data``: the bytes that are not continuation bytes."""
    values = np.frombuffer(data, dtype=np.uint8)
    return len(values) - int(np.count_nonzero((values & 0xC0) == 0x80))


def positioned(path: PathLike, offset: int, message: str,
               kind: type[ZipcoreError] = ZipcoreError) -> ZipcoreError:
    line, column = locate(path, offset)
    return kind(f"{os.fspath(path)}:{line}:{column}: {message}")


def utf8_error(path: PathLike, offset: int, exc: UnicodeDecodeError) -> ZipcoreError:
    """The error for text that is not UTF-8 at byte ``offset`` of the (decompressed) file."""
    return positioned(path, offset, f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}: "
                                     f"{exc.reason})")
