"""A JSON list of records read incrementally, or the list under one key of a top-level object.

Parsed over 1 MiB chunks (``json.JSONDecoder.raw_decode`` over a sliding window), never
``json.load`` of the whole file; a record cut by the window's end is parsed again once the
window has grown. Each record comes with the byte span of its source text (see
:mod:`zipcore.io.jsonfile`). A file that is one object wrapping its records is refused, naming
its list fields, unless ``records_key`` names the list (:func:`not_records_error`).
"""

from __future__ import annotations

import json
import os
from itertools import count
from typing import Any, Iterator, Optional

from . import jsonfile
from .._core import ZipcoreError
from .formats import json_type
from . import PathLike
from .jsonfile import (DECODER, Reader, Span, SpanText, TextChunks, not_an_object,
                       positioned, spans_only, unreadable_value, whitespace_end)

_NEAR_END = 64
"""A decode error this close to the end of the window may just be a record cut by the window."""


class _Parser:
    """Yields the objects of a JSON list (or of the list under a key of a top-level object) one
    by one, with their byte spans.

    ``text[pos:]`` is the unparsed part of a window over the file; ``pos_byte`` is the file
    offset of ``text[pos]``. A record cut by the window's end is parsed again once the window
    has grown (doubling, so a huge record costs linear time).
    """

    def __init__(self, reader: Reader, texts: bool = False) -> None:
        self.path = reader.path
        self.texts = texts  # yield each record's source text (else None)
        self.chunks = TextChunks(reader)
        self.text = ""
        self.pos = 0
        self.pos_byte = 0
        self.eof = False
        self.list_fields: list[str] = []  # members(): the top-level keys whose values are lists

    def _more(self, at_least: int = 0) -> bool:
        if self.eof:
            return False
        new = self.chunks.read(max(jsonfile.CHUNK_SIZE, at_least))
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
            self._advance(whitespace_end(self.text, self.pos))
            if self.pos < len(self.text) or not self._more():
                return

    def _step(self) -> None:
        """Passes the character at ``pos`` (a bracket, brace, comma or colon), and the
        whitespace after it."""
        self._advance(self.pos + 1)
        self._skip_whitespace()

    def _closes(self, close: str) -> bool:
        """Passes ``close`` (``]`` or ``}``) where it is next: True."""
        if not self.text.startswith(close, self.pos):
            return False
        self._advance(self.pos + 1)
        return True

    def _next(self, close: str, element: Optional[int] = None) -> bool:
        """Passes the ``,`` after a list element (its index ``element``) or an object member
        (True), or the closing ``close`` (False)."""
        self._skip_whitespace()
        if self.text.startswith(",", self.pos):
            self._step()
            return True
        if self._closes(close):
            return False
        raise self._error(self.pos, "Expecting ',' delimiter" if element is None else
                          f"expected ',' or ']' after element {element}, found {self._found()}")

    def _error(self, at: int, message: str) -> ZipcoreError:
        return positioned(self.path, self.pos_byte + self._bytes(self.pos, at), message)

    def _decode(self) -> tuple[Any, int]:
        while True:
            try:
                return DECODER.raw_decode(self.text, self.pos)
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

    def _list(self, records: bool) -> Iterator[SpanText]:
        """The elements of the list opening at ``pos``, which ends after its ``]``. records:
        each must be an object, yielded with its span and source text; else they are parsed
        and dropped, one at a time."""
        self._step()
        if self._closes("]"):
            return
        for index in count():
            value, end = self._decode()
            if records and not isinstance(value, dict):
                raise self._error(self.pos, not_an_object(f"element {index}", value))
            start, text = self.pos_byte, self.text[self.pos:end] if self.texts else None
            self._advance(end)
            if records:
                yield value, start, self.pos_byte, None if text is None else text.encode("utf-8")
            if not self._next("]", index):
                return

    def records(self) -> Iterator[SpanText]:
        """The objects of a top-level list."""
        self._begin()
        if not self.text.startswith("[", self.pos):
            raise self._error(self.pos, "expected a JSON list '['")
        yield from self._list(records=True)
        self._check_end("extra data after the closing ']'")

    def members(self, records_key: Optional[str]) -> Iterator[SpanText]:
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
        self._step()
        more = not self._closes("}")
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
            more = self._next("}")
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
        self._step()


def _quoted(names: list[str]) -> str:
    """``'a', 'b'`` (``none`` for no names), for messages."""
    return ", ".join(repr(name) for name in names) or "none"


def iter_list_texts(path: PathLike, records_key: Optional[str] = None, texts: bool = True
                    ) -> Iterator[SpanText]:
    """The objects of a JSON list file, or of the list under ``records_key`` in a file whose
    top level is one JSON object (the object's other values are parsed and dropped), one at a
    time, each with the byte span of its source text and (``texts``) that text. Holds about
    1 MiB of text (more for a larger record)."""
    with Reader(path) as reader:
        parser = _Parser(reader, texts)
        yield from parser.records() if records_key is None else parser.members(records_key)


def iter_json_list(path: PathLike) -> Iterator[Span]:
    """The objects of a JSON list file (``.gz`` read through gzip), one at a time, each with
    the byte span of its source text (:func:`iter_list_texts`)."""
    return spans_only(iter_list_texts(path, texts=False))


def one_object_error(path: PathLike) -> ZipcoreError:
    """The error for a file that is one JSON object over several lines: positioned where its
    syntax is wrong, else naming its list fields."""
    with Reader(path) as reader:
        parser = _Parser(reader)
        for _ in parser.members(None):
            pass
    return not_records_error(path, parser.list_fields, one_line=False)


def not_records_error(path: PathLike, list_fields: list[str], one_line: bool) -> ZipcoreError:
    """The error for a file whose top level is an object with ``list_fields``, read without
    ``records_key``; ``one_line``: it is the only line of a file that could be JSONL."""
    what = f"{os.fspath(path)}: the top level is a JSON object, not a list of records"
    if not list_fields:
        return ZipcoreError(f"{what}, and it has no list field; a file of records is a JSON "
                            "list ([{...}, ...]) or JSONL (one object a line; a file of one "
                            "record must be named .jsonl)")
    key = list_fields[0] if len(list_fields) == 1 else "KEY"
    return ZipcoreError(f"{what}; its list fields: {_quoted(list_fields)}. Name the list with "
                        f"--records-key {key} (records_key= in Python)"
                        + (", or name the file .jsonl if it is one record" if one_line else ""))
