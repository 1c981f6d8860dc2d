"""JSONL read line by line: one object a line, each with the byte span of its source text.

Lines split on ``\\n`` only (``\\r`` before it is whitespace); blank lines are skipped. A first
object that goes on past its line is not JSONL but one object over several lines, refused by
:func:`zipcore.io.jsonlist.one_object_error`.
"""

from __future__ import annotations

import json
from typing import Iterator

from .._core import ZipcoreError
from .jsonfile import (BOM, DECODER, PathLike, Reader, Span, not_an_object, unreadable_value,
                       utf8_error, whitespace_end)
from .jsonlist import one_object_error

def iter_jsonl(path: PathLike) -> Iterator[Span]:
    """The objects of a JSONL file, one per line, each with the byte span of its source text.

    Lines split on ``\\n`` only (``\\r`` before it is whitespace); blank lines are skipped."""
    with Reader(path) as reader:
        offset = 0
        first = True
        for number, line in enumerate(reader.lines(), start=1):
            size = len(line)
            body = line[:-1] if line.endswith(b"\n") else line
            skip = len(BOM) if number == 1 and body.startswith(BOM) else 0
            body = body[skip:]
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise utf8_error(path, offset + skip + exc.start, exc) from None
            start = whitespace_end(text)
            if start < len(text):
                try:
                    value, end = DECODER.raw_decode(text, start)
                except json.JSONDecodeError as exc:
                    if first and exc.pos >= len(text):  # the first object goes on past its line
                        raise one_object_error(reader.path) from None
                    raise ZipcoreError(f"{reader.path}:{number}:{exc.colno}: {exc.msg}") from None
                except (RecursionError, ValueError) as exc:
                    raise ZipcoreError(f"{reader.path}:{number}:{start + 1}: "
                                       + unreadable_value(exc)) from None
                if not isinstance(value, dict):
                    raise ZipcoreError(f"{reader.path}:{number}:{start + 1}: "
                                       + not_an_object("this line", value))
                rest = whitespace_end(text, end)
                if rest < len(text):
                    raise ZipcoreError(f"{reader.path}:{number}:{rest + 1}: extra data after the "
                                       "record (JSONL needs one object per line)")
                # Only ASCII whitespace surrounds the record: characters there are bytes.
                yield value, offset + skip + start, offset + skip + len(body) - (len(text) - end)
                first = False
            offset += size
