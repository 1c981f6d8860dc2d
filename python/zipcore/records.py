"""Reading and writing ShareGPT-style datasets: a JSON list of objects, or JSONL.

Every record keeps its exact source text, so a written selection reproduces the chosen
records byte for byte (key order, escapes and number spelling included) instead of
re-serialising them. Data problems raise ``ZipcoreError`` with ``path:line:column``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Union

from ._core import ZipcoreError
from .atomic import write_file

PathLike = Union[str, "os.PathLike[str]"]

# JSON's own whitespace; str.isspace would also accept characters JSON rejects.
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@dataclass
class Dataset:
    """A loaded dataset: ``records[i]`` was parsed from the source text ``raw[i]``."""

    path: str
    format: str  # "json" (one list) or "jsonl" (one object per line)
    records: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    gzip: bool = False

    def __len__(self) -> int:
        return len(self.records)


def _is_gzip_path(path: PathLike) -> bool:
    return os.fspath(path).endswith(".gz")


def _position(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column (in characters) of offset ``pos``, counted as json does."""
    line = text.count("\n", 0, pos) + 1
    return line, pos - text.rfind("\n", 0, pos)


def _read_text(path: PathLike) -> str:
    with open(path, "rb") as handle:
        data = handle.read()
    if _is_gzip_path(path):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ZipcoreError(f"{os.fspath(path)}: not a valid gzip file ({exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Everything before the bad byte decoded fine, so the column can count characters.
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[start:exc.start].decode("utf-8")) + 1
        raise ZipcoreError(
            f"{os.fspath(path)}:{line}:{column}: not valid UTF-8 "
            f"(byte 0x{data[exc.start]:02x}: {exc.reason})"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text  # tolerate a UTF-8 byte order mark


def _skip_whitespace(text: str, pos: int) -> int:
    return _WHITESPACE.match(text, pos).end()


def _not_an_object(path: PathLike, text: str, pos: int, value: Any, what: str) -> ZipcoreError:
    line, column = _position(text, pos)
    return ZipcoreError(
        f"{os.fspath(path)}:{line}:{column}: {what} is a JSON {_json_type(value)}, "
        "expected an object (a record such as {\"conversations\": [...]})"
    )


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _syntax_error(path: PathLike, line: int, column: int, message: str) -> ZipcoreError:
    return ZipcoreError(f"{os.fspath(path)}:{line}:{column}: {message}")


def _parse_json_list(path: PathLike, text: str, pos: int) -> tuple[list, list]:
    """Parses the list starting at ``text[pos] == "["`` one element at a time, keeping spans."""
    records: list[dict] = []
    raw: list[str] = []
    pos = _skip_whitespace(text, pos + 1)
    if text.startswith("]", pos):
        pos += 1
    while not text.startswith("]", pos - 1) or not records and pos == 1 + text.index("["):
        start = pos
        try:
            value, pos = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            raise _syntax_error(path, exc.lineno, exc.colno, exc.msg) from None
        if not isinstance(value, dict):
            raise _not_an_object(path, text, start, value, f"element {len(records)}")
        records.append(value)
        raw.append(text[start:pos])
        pos = _skip_whitespace(text, pos)
        if text.startswith(",", pos):
            pos = _skip_whitespace(text, pos + 1)
        elif text.startswith("]", pos):
            pos += 1
            break
        else:
            line, column = _position(text, pos)
            found = "end of file" if pos >= len(text) else repr(text[pos])
            raise _syntax_error(path, line, column,
                                f"expected ',' or ']' after element {len(records) - 1}, "
                                f"found {found}")
    end = _skip_whitespace(text, pos)
    if end < len(text):
        line, column = _position(text, end)
        raise _syntax_error(path, line, column, "extra data after the closing ']'")
    return records, raw
