"""Streaming JSON: a JSON list or JSONL file read one record at a time, with byte spans.

- JSON list: parsed incrementally over 1 MiB chunks (``json.JSONDecoder.raw_decode`` over a
  sliding window), never ``json.load`` of the whole file; a record cut by the window's end is
  parsed again once the window has grown.
- JSONL: line by line (split on ``\\n`` only; blank lines allowed).
- ``.gz`` files are read through gzip.

Each record comes with the byte span ``[start, end)`` of its source text in the decompressed
file, so that it can be re-read later byte for byte. Malformed input raises ``ZipcoreError``
naming the file and ``line:column``.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import json
import os
import re
import stat
import zlib
from typing import Any, BinaryIO, Iterator, Optional, Union

import numpy as np

from .._core import ZipcoreError
from .formats import json_type

PathLike = Union[str, "os.PathLike[str]"]
Span = tuple[dict[str, Any], int, int]
"""A record and the byte span ``[start, end)`` of its source text in the decompressed file."""

CHUNK_SIZE = 1 << 20

_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's own; str.isspace would accept more


def _whitespace_end(text: str, pos: int = 0) -> int:
    """Where the JSON whitespace at ``pos`` ends (the pattern matches the empty string too)."""
    match = _WHITESPACE.match(text, pos)
    assert match is not None
    return match.end()
_DECODER = json.JSONDecoder()
_BOM = b"\xef\xbb\xbf"
_PARQUET_MAGIC = b"PAR1"
_NEAR_END = 64
"""A decode error this close to the end of the window may just be a record cut by the window."""


def is_gzip_path(path: PathLike) -> bool:
    """Gzip is chosen by name, for input and output alike."""
    return os.fspath(path).endswith(".gz")


def unreadable_value(exc: BaseException) -> str:
    """The message for valid JSON that Python's json cannot turn into objects."""
    if isinstance(exc, RecursionError):
        return "this value is nested too deeply to read"
    return f"this value cannot be read ({exc})"  # e.g. an integer of more than 4300 digits


def _open_binary(path: PathLike) -> BinaryIO:
    if is_gzip_path(path):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # a binary file object
    return open(path, "rb")


class _Reader:
    """Reads a (maybe gzip) file's bytes, turning gzip failures into a ZipcoreError."""

    def __init__(self, path: PathLike) -> None:
        self.path = os.fspath(path)
        self.gzip = is_gzip_path(path)
        self.handle = _open_binary(path)

    def __enter__(self) -> "_Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handle.close()

    def _bad_gzip(self, exc: BaseException) -> ZipcoreError:
        return ZipcoreError(f"{self.path}: not a valid gzip file ({exc})")

    def read(self, size: int) -> bytes:
        if not self.gzip:
            return self.handle.read(size)
        try:
            return self.handle.read(size)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise self._bad_gzip(exc) from None

    def lines(self) -> Iterator[bytes]:
        iterator = iter(self.handle)
        while True:
            try:
                line = next(iterator)
            except StopIteration:
                return
            except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
                if not self.gzip:
                    raise
                raise self._bad_gzip(exc) from None
            yield line


def locate(path: PathLike, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as ``json`` counts them) of byte ``offset`` of
    the decompressed file. Re-reads the file up to there: for error messages only."""
    line, column, done = 1, 0, 0
    with _open_binary(path) as handle:
        while done < offset:
            chunk = handle.read(min(CHUNK_SIZE, offset - done))
            if not chunk:
                break
            if done == 0 and chunk.startswith(_BOM):
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


def positioned(path: PathLike, offset: int, message: str) -> ZipcoreError:
    line, column = locate(path, offset)
    return ZipcoreError(f"{os.fspath(path)}:{line}:{column}: {message}")


def _not_an_object(what: str, value: Any) -> str:
    return (f"{what} is a JSON {json_type(value)}, expected an object "
            "(a record such as {\"conversations\": [...]})")


def utf8_error(path: PathLike, offset: int, exc: UnicodeDecodeError) -> ZipcoreError:
    """The error for text that is not UTF-8 at byte ``offset`` of the (decompressed) file."""
    return positioned(path, offset, f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}: "
                                     f"{exc.reason})")


class _TextChunks:
    """The file's text, decoded chunk by chunk (a character cut between chunks is kept for the
    next one); a leading byte order mark is skipped and counted in ``skipped``."""

    def __init__(self, reader: _Reader) -> None:
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
                    text, self.skipped = text[1:], len(_BOM)
            if text or not raw:
                return text


class _Parser:
    """Yields the objects of a JSON list (or of the list under a key of a top-level object) one
    by one, with their byte spans.

    ``text[pos:]`` is the unparsed part of a window over the file; ``pos_byte`` is the file
    offset of ``text[pos]``. A record cut by the window's end is parsed again once the window
    has grown (doubling, so a huge record costs linear time).
    """

    def __init__(self, reader: _Reader) -> None:
        self.path = reader.path
        self.chunks = _TextChunks(reader)
        self.text = ""
        self.pos = 0
        self.pos_byte = 0
        self.eof = False
        self.list_fields: list[str] = []  # members(): the top-level keys whose values are lists

    def _more(self, at_least: int = 0) -> bool:
        if self.eof:
            return False
        new = self.chunks.read(max(CHUNK_SIZE, at_least))
        if not new:
            self.eof = True
            return False
        self.text = self.text[self.pos:] + new
        self.pos = 0
        return True

    def _bytes(self, start: int, end: int) -> int:
        """UTF-8 length of ``text[start:end]``."""
        if self.text.isascii():  # O(1): CPython knows whether a str is ASCII
            return end - start
        part = self.text[start:end]
        return len(part) if part.isascii() else len(part.encode("utf-8"))

    def _advance(self, to: int) -> None:
        self.pos_byte += self._bytes(self.pos, to)
        self.pos = to

    def _skip_whitespace(self) -> None:
        while True:
            self._advance(_whitespace_end(self.text, self.pos))
            if self.pos < len(self.text) or not self._more():
                return

    def _error(self, at: int, message: str) -> ZipcoreError:
        return positioned(self.path, self.pos_byte + self._bytes(self.pos, at), message)

    def _decode(self) -> tuple[Any, int]:
        while True:
            try:
                return _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self.text) - _NEAR_END or exc.msg.startswith("Unterminated")
                if not (cut and self._more(at_least=len(self.text) - self.pos)):
                    raise self._error(exc.pos, exc.msg) from None
            except (RecursionError, ValueError) as exc:
                raise self._error(self.pos, unreadable_value(exc)) from None

    def _begin(self) -> None:
        self._more()
        self.pos_byte = self.chunks.skipped
        self._skip_whitespace()

    def _found(self) -> str:
        return "the end of the file" if self.pos >= len(self.text) else repr(self.text[self.pos])

    def _list(self, records: bool) -> Iterator[Span]:
        """The elements of the list opening at ``pos``, which ends after its ``]``. records:
        each must be an object, yielded with its span; else they are parsed and dropped, one
        at a time."""
        self._advance(self.pos + 1)
        self._skip_whitespace()
        if self.text.startswith("]", self.pos):
            self._advance(self.pos + 1)
            return
        index = 0
        while True:
            value, end = self._decode()
            if records and not isinstance(value, dict):
                raise self._error(self.pos, _not_an_object(f"element {index}", value))
            start = self.pos_byte
            self._advance(end)
            if records:
                yield value, start, self.pos_byte
            self._skip_whitespace()
            if self.text.startswith(",", self.pos):
                self._advance(self.pos + 1)
                self._skip_whitespace()
            elif self.text.startswith("]", self.pos):
                self._advance(self.pos + 1)
                return
            else:
                raise self._error(self.pos, f"expected ',' or ']' after element {index}, "
                                            f"found {self._found()}")
            index += 1

    def records(self) -> Iterator[Span]:
        """The objects of a top-level list."""
        self._begin()
        if not self.text.startswith("[", self.pos):
            raise self._error(self.pos, "expected a JSON list '['")
        yield from self._list(records=True)
        self._check_end("extra data after the closing ']'")

    def members(self, records_key: Optional[str]) -> Iterator[Span]:
        """The objects of the list under ``records_key`` in a top-level object (None: none);
        the object's other values are parsed and dropped, lists one element at a time.
        Afterwards ``list_fields`` holds the keys whose values are lists."""
        self._begin()
        if not self.text.startswith("{", self.pos):
            if self.text.startswith("[", self.pos):
                raise self._error(self.pos, f"records_key={records_key!r} needs a JSON object "
                                            "at the top level, this file is a JSON list")
            raise self._error(self.pos, f"expected a JSON object '{{', found {self._found()}")
        seen = False
        self._advance(self.pos + 1)
        self._skip_whitespace()
        more = not self.text.startswith("}", self.pos)
        while more:
            key, end = self._name()
            if key == records_key and seen:
                raise self._error(self.pos, f"the top-level key {key!r} appears twice")
            self._advance(end)
            self._colon()
            if self.text.startswith("[", self.pos):
                self.list_fields.append(key)
                yield from self._list(records=key == records_key)
            else:
                value, end = self._decode()
                if key == records_key:
                    raise self._error(self.pos, f"{key!r} is a JSON {json_type(value)}, not a "
                                                "list of records")
                self._advance(end)
            seen = seen or key == records_key
            more = self._next_member()
        self._advance(self.pos + 1)
        self._check_end("extra data after the top-level object")
        if records_key is not None and not seen:
            raise ZipcoreError(f"{self.path}: no top-level key {records_key!r}; its list "
                               f"fields: {_quoted(self.list_fields)}")

    def _check_end(self, message: str) -> None:
        self._skip_whitespace()
        if self.pos < len(self.text):
            raise self._error(self.pos, message)

    def _name(self) -> tuple[str, int]:
        """The member name at ``pos`` and where it ends (json's messages for a bad one)."""
        if not self.text.startswith('"', self.pos):
            raise self._error(self.pos, "Expecting property name enclosed in double quotes")
        return self._decode()

    def _colon(self) -> None:
        self._skip_whitespace()
        if not self.text.startswith(":", self.pos):
            raise self._error(self.pos, "Expecting ':' delimiter")
        self._advance(self.pos + 1)
        self._skip_whitespace()

    def _next_member(self) -> bool:
        """Passes the ``,`` after a member (True) or stops at the closing ``}`` (False)."""
        self._skip_whitespace()
        if self.text.startswith(",", self.pos):
            self._advance(self.pos + 1)
            self._skip_whitespace()
            return True
        if self.text.startswith("}", self.pos):
            return False
        raise self._error(self.pos, "Expecting ',' delimiter")


def _quoted(names: list[str]) -> str:
    """``'a', 'b'`` (``none`` for no names), for messages."""
    return ", ".join(repr(name) for name in names) or "none"


def iter_json_list(path: PathLike) -> Iterator[Span]:
    """The objects of a JSON list file (``.gz`` read through gzip), one at a time, each with
    the byte span of its source text. Holds about 1 MiB of text (more for a larger record)."""
    with _Reader(path) as reader:
        yield from _Parser(reader).records()


def iter_jsonl(path: PathLike) -> Iterator[Span]:
    """The objects of a JSONL file, one per line, each with the byte span of its source text.

    Lines split on ``\\n`` only (``\\r`` before it is whitespace); blank lines are skipped."""
    with _Reader(path) as reader:
        offset = 0
        first = True
        for number, line in enumerate(reader.lines(), start=1):
            size = len(line)
            body = line[:-1] if line.endswith(b"\n") else line
            skip = len(_BOM) if number == 1 and body.startswith(_BOM) else 0
            body = body[skip:]
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise utf8_error(path, offset + skip + exc.start, exc) from None
            start = _whitespace_end(text)
            if start < len(text):
                try:
                    value, end = _DECODER.raw_decode(text, start)
                except json.JSONDecodeError as exc:
                    if first and exc.pos >= len(text):  # the first object goes on past its line
                        raise _one_object(reader.path) from None
                    raise ZipcoreError(f"{reader.path}:{number}:{exc.colno}: {exc.msg}") from None
                except (RecursionError, ValueError) as exc:
                    raise ZipcoreError(f"{reader.path}:{number}:{start + 1}: "
                                       + unreadable_value(exc)) from None
                if not isinstance(value, dict):
                    raise ZipcoreError(f"{reader.path}:{number}:{start + 1}: "
                                       + _not_an_object("this line", value))
                rest = _whitespace_end(text, end)
                if rest < len(text):
                    raise ZipcoreError(f"{reader.path}:{number}:{rest + 1}: extra data after the "
                                       "record (JSONL needs one object per line)")
                # Only ASCII whitespace surrounds the record: characters there are bytes.
                yield value, offset + skip + start, offset + skip + len(body) - (len(text) - end)
                first = False
            offset += size


def iter_records(path: PathLike, kind: str, records_key: Optional[str] = None
                 ) -> Iterator[Span]:
    """The records of a file :func:`sniff` calls ``kind`` (``json`` or ``jsonl``), each with
    the byte span of its source text: the objects of a JSON list, of the list under
    ``records_key`` in a top-level object, or of JSONL lines.

    A file that is one JSON object is refused unless ``records_key`` names its list (see
    :mod:`zipcore.io.readers` for the rule): an object that goes on past its first line, or the
    only line of a file not named ``.jsonl``.
    """
    if records_key is not None:
        with _Reader(path) as reader:
            yield from _Parser(reader).members(records_key)
        return
    if kind == "json":
        yield from iter_json_list(path)
        return
    lines = iter_jsonl(path)
    first = next(lines, None)
    second = next(lines, None)
    if first is not None and second is None and not _named_jsonl(path):
        raise _not_records(path, [key for key, value in first[0].items()
                                  if isinstance(value, list)], one_line=True)
    yield from (span for span in (first, second) if span is not None)
    yield from lines


def load_records(path: PathLike) -> list[dict[str, Any]]:
    """Every record of a JSON list or JSONL file (``.gz`` too) as parsed dicts, in file order:
    the streaming reader's records, for scripts that want them all at once."""
    return [record for record, _, _ in iter_records(path, sniff(path))]


def _named_jsonl(path: PathLike) -> bool:
    name = os.fspath(path).lower()
    return (name[:-len(".gz")] if name.endswith(".gz") else name).endswith(".jsonl")


def _one_object(path: PathLike) -> ZipcoreError:
    """The error for a file that is one JSON object over several lines: positioned where its
    syntax is wrong, else naming its list fields."""
    with _Reader(path) as reader:
        parser = _Parser(reader)
        for _ in parser.members(None):
            pass
    return _not_records(path, parser.list_fields, one_line=False)


def _not_records(path: PathLike, list_fields: list[str], one_line: bool) -> ZipcoreError:
    what = f"{os.fspath(path)}: the top level is a JSON object, not a list of records"
    if not list_fields:
        return ZipcoreError(f"{what}, and it has no list field; a file of records is a JSON "
                            "list ([{...}, ...]) or JSONL (one object a line; a file of one "
                            "record must be named .jsonl)")
    key = list_fields[0] if len(list_fields) == 1 else "KEY"
    return ZipcoreError(f"{what}; its list fields: {_quoted(list_fields)}. Name the list with "
                        f"--records-key {key} (records_key= in Python)"
                        + (", or name the file .jsonl if it is one record" if one_line else ""))


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
    ``jsonl`` (anything else, an empty file included)."""
    require_regular_file(path)
    with _Reader(path) as reader:
        head = reader.read(4)
        if head == _PARQUET_MAGIC and not reader.gzip:
            return "parquet"
        head = head[3:] if head.startswith(_BOM) else head
        while True:
            stripped = head.lstrip(b" \t\r\n")
            if stripped:
                return "json" if stripped.startswith(b"[") else "jsonl"
            head = reader.read(CHUNK_SIZE)
            if not head:
                return "jsonl"
