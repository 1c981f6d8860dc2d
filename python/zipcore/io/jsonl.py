"""JSONL read line by line: one object a line, each with the byte span of its source text.

Lines split on ``\\n`` only (``\\r`` before it is whitespace); blank lines are skipped. A first
object that goes on past its line is not JSONL but one object over several lines, refused by
:func:`zipcore.io.jsonlist.one_object_error`.

Each line is parsed by msgspec first (faster than Python's ``json``, about 1.5x), and by
Python's ``json`` wherever msgspec says no or might answer differently (:func:`fast_record`):
so every record is exactly the dict ``json`` makes (keys in file order, a repeated key's last
value at its first position, ``NaN``, ``1e400`` as ``inf``, lone surrogate escapes, integers up
to Python's digit limit), its ``repr`` (the sample bytes) is unchanged, and every error comes
from the ``json`` path with its message and ``line:column``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Optional

import msgspec

from .._core import ZipcoreError
from . import PathLike
from .jsonfile import (BOM, DECODER, Reader, Span, SpanText, not_an_object,
                       spans_only, unreadable_value, utf8_error, whitespace_end)
from .jsonlist import one_object_error

FAST_BRACKETS = 256
"""A line with more ``[`` and ``{`` bytes than this goes to Python's ``json``: how deep a value
may nest is Python's recursion limit, which msgspec does not share (it stops two levels later),
so only shallow lines, the common case, are left to msgspec."""

_WHITESPACE = b" \t\r\n"  # JSON's own, as jsonfile.whitespace_end
_decode = msgspec.json.Decoder().decode


def fast_record(body: bytes) -> Optional[dict[str, Any]]:
    """The object on a line (its bytes without the ``\\n``) as msgspec parses it, or None where
    Python's ``json`` must decide.

    msgspec refuses everything ``json`` refuses (and more: ``NaN``, numbers that overflow a
    float, lone surrogate escapes, invalid UTF-8); on what both accept, both give the same
    values (the tests check numbers, strings and keys). Nesting is the one difference, kept
    away by :data:`FAST_BRACKETS`."""
    if (len(body) > 2 * FAST_BRACKETS  # shorter, it cannot hold more (each opened is closed)
            and body.count(b"[") + body.count(b"{") > FAST_BRACKETS):
        return None
    try:
        value = _decode(body)
    except (ValueError, RecursionError):  # msgspec.DecodeError and UnicodeDecodeError too
        return None
    return value if type(value) is dict else None


def jsonl_texts(lines: Iterable[bytes], path: str, offset: int = 0, number: int = 1
                ) -> Iterator[SpanText]:
    """The objects of ``lines`` (each ending in ``\\n`` but maybe the last), with byte spans
    and source texts (see :data:`SpanText`).

    ``offset`` and ``number`` are the first line's byte offset and number in the file: a part
    of a file is read as the file's lines there (a byte order mark is skipped at offset 0
    only). Errors name ``path`` and the line's number."""
    first = offset == 0
    for line in lines:
        size = len(line)
        body = line[:-1] if line.endswith(b"\n") else line
        skip = len(BOM) if offset == 0 and body.startswith(BOM) else 0
        if skip:
            body = body[skip:]
        value = fast_record(body)
        if value is not None:
            # Only ASCII whitespace surrounds the record: strip its bytes.
            start = len(body) - len(body.lstrip(_WHITESPACE))
            end = len(body.rstrip(_WHITESPACE))
            yield value, offset + skip + start, offset + skip + end, body[start:end]
            first = False
        elif body.strip(_WHITESPACE):
            yield (*_stdlib_record(body, path, offset + skip, number, first), None)
            first = False
        offset += size
        number += 1


def _stdlib_record(body: bytes, path: str, offset: int, number: int, first: bool) -> Span:
    """A non-blank line parsed by Python's ``json``, or its error (``offset``: the body's)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise utf8_error(path, offset + exc.start, exc) from None
    start = whitespace_end(text)  # before a character that is not whitespace: not blank
    try:
        value, end = DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        if first and exc.pos >= len(text):  # the first object goes on past its line
            raise one_object_error(path) from None
        raise ZipcoreError(f"{path}:{number}:{exc.colno}: {exc.msg}") from None
    except (RecursionError, ValueError) as exc:
        raise ZipcoreError(f"{path}:{number}:{start + 1}: " + unreadable_value(exc)) from None
    if not isinstance(value, dict):
        raise ZipcoreError(f"{path}:{number}:{start + 1}: " + not_an_object("this line", value))
    rest = whitespace_end(text, end)
    if rest < len(text):
        raise ZipcoreError(f"{path}:{number}:{rest + 1}: extra data after the record (JSONL "
                           "needs one object per line)")
    # Only ASCII whitespace surrounds the record: characters there are bytes.
    return value, offset + start, offset + len(body) - (len(text) - end)


def iter_jsonl(path: PathLike) -> Iterator[Span]:
    """The objects of a JSONL file, one per line, each with the byte span of its source text.

    Lines split on ``\\n`` only (``\\r`` before it is whitespace); blank lines are skipped."""
    return spans_only(iter_jsonl_texts(path))


def iter_jsonl_texts(path: PathLike) -> Iterator[SpanText]:
    """As :func:`iter_jsonl`, each record also with its source text (see :data:`SpanText`)."""
    with Reader(path) as reader:
        yield from jsonl_texts(reader.lines(), reader.path)
