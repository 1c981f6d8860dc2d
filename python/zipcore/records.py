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
from typing import Any, Iterable, Union

from ._core import ZipcoreError
from ._pool import checked_indices
from .atomic import write_file
from .formats import json_type

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


def is_gzip_path(path: PathLike) -> bool:
    """Gzip is chosen by name, for input and output alike."""
    return os.fspath(path).endswith(".gz")


def unreadable_value(exc: BaseException) -> str:
    """The message for valid JSON that Python's json cannot turn into objects."""
    if isinstance(exc, RecursionError):
        return "this value is nested too deeply to read"
    return f"this value cannot be read ({exc})"  # e.g. an integer of more than 4300 digits


def _position(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column (in characters) of offset ``pos``, counted as json does."""
    line = text.count("\n", 0, pos) + 1
    return line, pos - text.rfind("\n", 0, pos)


def _read_text(path: PathLike) -> str:
    with open(path, "rb") as handle:
        data = handle.read()
    if is_gzip_path(path):
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


def _not_an_object(path: PathLike, line: int, column: int, what: str, value: Any) -> ZipcoreError:
    return ZipcoreError(
        f"{os.fspath(path)}:{line}:{column}: {what} is a JSON {json_type(value)}, "
        "expected an object (a record such as {\"conversations\": [...]})"
    )


def _syntax_error(path: PathLike, line: int, column: int, message: str) -> ZipcoreError:
    return ZipcoreError(f"{os.fspath(path)}:{line}:{column}: {message}")


def _parse_json_list(path: PathLike, text: str, pos: int) -> tuple[list, list]:
    """Parses the list opening at ``text[pos]`` one element at a time, keeping each span."""
    records: list[dict] = []
    raw: list[str] = []
    pos = _skip_whitespace(text, pos + 1)
    if text.startswith("]", pos):
        _check_end(path, text, pos + 1)
        return records, raw
    while True:
        start = pos
        try:
            value, pos = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            raise _syntax_error(path, exc.lineno, exc.colno, exc.msg) from None
        except (RecursionError, ValueError) as exc:
            raise _syntax_error(path, *_position(text, start), unreadable_value(exc)) from None
        if not isinstance(value, dict):
            line, column = _position(text, start)
            raise _not_an_object(path, line, column, f"element {len(records)}", value)
        records.append(value)
        raw.append(text[start:pos])
        pos = _skip_whitespace(text, pos)
        if text.startswith(",", pos):
            pos = _skip_whitespace(text, pos + 1)
        elif text.startswith("]", pos):
            _check_end(path, text, pos + 1)
            return records, raw
        else:
            line, column = _position(text, pos)
            found = "the end of the file" if pos >= len(text) else repr(text[pos])
            raise _syntax_error(path, line, column,
                                f"expected ',' or ']' after element {len(records) - 1}, "
                                f"found {found}")


def _check_end(path: PathLike, text: str, pos: int) -> None:
    end = _skip_whitespace(text, pos)
    if end < len(text):
        line, column = _position(text, end)
        raise _syntax_error(path, line, column, "extra data after the closing ']'")


def _parse_jsonl(path: PathLike, text: str) -> tuple[list, list]:
    """One object per line. Splits on "\\n" only: str.splitlines would also split on
    characters such as U+2028 that JSON allows unescaped inside strings."""
    records: list[dict] = []
    raw: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        start = _skip_whitespace(line, 0)
        if start == len(line):
            continue  # blank lines are allowed
        try:
            value, end = _DECODER.raw_decode(line, start)
        except json.JSONDecodeError as exc:
            raise _syntax_error(path, number, exc.colno, exc.msg) from None
        except (RecursionError, ValueError) as exc:
            raise _syntax_error(path, number, start + 1, unreadable_value(exc)) from None
        if not isinstance(value, dict):
            raise _not_an_object(path, number, start + 1, "this line", value)
        rest = _skip_whitespace(line, end)
        if rest < len(line):
            raise _syntax_error(path, number, rest + 1,
                                "extra data after the record (JSONL needs one object per line)")
        records.append(value)
        raw.append(line[start:end])
    return records, raw


def load_dataset(path: PathLike) -> Dataset:
    """Loads a JSON list or JSONL file (``.gz`` read through gzip), format told by content.

    A file whose first non-whitespace character is ``[`` is a JSON list; anything else,
    an empty file included, is JSONL. An empty dataset loads; selecting from it fails later.
    """
    text = _read_text(path)
    first = _skip_whitespace(text, 0)
    if text.startswith("[", first):
        records, raw = _parse_json_list(path, text, first)
        kind = "json"
    else:
        records, raw = _parse_jsonl(path, text)
        kind = "jsonl"
    return Dataset(os.fspath(path), kind, records, raw, is_gzip_path(path))


def _selected_raw(dataset: Dataset, indices: Iterable[Any]) -> list[str]:
    return [dataset.raw[i] for i in checked_indices(list(indices), len(dataset.raw)).tolist()]


def selection_bytes(dataset: Dataset, indices: Iterable[Any], *, compress: bool = False) -> bytes:
    """The file contents ``write_selection`` writes (exposed to write several files at once)."""
    chosen = _selected_raw(dataset, indices)
    if dataset.format == "json":
        text = "[" + ", ".join(chosen) + "]"  # the framing of the shared input files
    else:
        text = "".join(line + "\n" for line in chosen)
    data = text.encode("utf-8")
    # mtime=0 keeps the output reproducible: the same selection gives the same bytes.
    return gzip.compress(data, compresslevel=6, mtime=0) if compress else data


def indices_bytes(indices: Iterable[Any]) -> bytes:
    return "".join(f"{int(i)}\n" for i in indices).encode("ascii")


def write_selection(path: PathLike, dataset: Dataset, indices: Iterable[Any]) -> None:
    """Writes ``dataset``'s records at ``indices``, in that order, in the dataset's format.

    Gzip-compressed when ``path`` ends in ``.gz``. Written by zipcore's output policy (atomic;
    never over the dataset's own file).
    """
    write_file(path, selection_bytes(dataset, indices, compress=is_gzip_path(path)),
               inputs={"file": dataset.path})


def write_indices(path: PathLike, indices: Iterable[Any]) -> None:
    """Writes one index per line (atomically, like ``write_selection``)."""
    write_file(path, indices_bytes(indices))

