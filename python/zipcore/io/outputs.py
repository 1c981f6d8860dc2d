"""What a selection is written as: its format and compression, and the bytes of each format.

The one rule, for ``zipcore select -o`` and :meth:`PoolFile.write_selection` alike: the format
is the one asked for (``--output-format``), else the one the name ends in (``.json``,
``.jsonl``, ``.parquet``, JSON and JSONL with ``.gz`` or ``.zst`` after it), else the input's.
The compression follows the name (``-``, standard output, is never compressed), for the
``--indices-out`` and ``--scores-out`` text files too; a name in another compression's suffix
(``.bz2``, ``.xz``, ...) is refused.

Each record keeps its bytes. JSON list and JSONL convert into each other: a JSONL record is one
line already; a record of a JSON list that spans several lines becomes one line by dropping its
LF bytes (a CR stays: JSONL splits lines on LF only). That changes no value: JSON forbids raw
control characters inside strings (a newline in a string is the two characters ``\\n``), so
every CR or LF byte of a record lies between tokens, where it is whitespace; and no two
tokens of a valid record meet once it is gone, since tokens are always separated by
``, : [ ] { }``. Parquet is written only from
Parquet (every column); JSON to Parquet and back are refused before any work, as they could not
keep the records' bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Union

from . import PathLike
from .. import _core
from .compressed import compressed_chunks, compression_of, strip_compression


KINDS = ("json", "jsonl", "parquet")
"""What ``--output-format`` takes."""
_NAMED = {".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class OutputFormat:
    kind: str  # "json", "jsonl" or "parquet"
    compression: Optional[str]  # "gzip", "zstd" or None


_NOT_WRITTEN = (".bz2", ".xz", ".lzma", ".lz4", ".lz", ".zip", ".br", ".7z", ".z", ".tgz",
                ".gzip", ".zstd")
"""Suffixes of compressions zipcore does not write (nor read; .gz and .zst are its names)."""


def compression_for(path: PathLike) -> Optional[str]:
    """The compression an output named ``path`` is written with: ``gzip`` for ``.gz``, ``zstd``
    for ``.zst``, None otherwise and for ``-``. ValueError naming ``path`` where the name ends
    in another compression's suffix: plain bytes under it would fool every reader."""
    name = os.fspath(path)
    if name == "-":
        return None
    suffix = os.path.splitext(name)[1]
    if suffix.lower() in _NOT_WRITTEN:
        raise ValueError(f"{name}: zipcore writes .gz and .zst, not {suffix}: rename it, or "
                         f"write to - and pipe that into the compressor")
    return compression_of(name)


def compressed_as_named(path: PathLike, chunks: Iterable[Union[bytes, memoryview]]
                        ) -> Iterator[Union[bytes, memoryview]]:
    """A text output's ``chunks`` compressed as its name says (:func:`compression_for`)."""
    return compressed_chunks(chunks, compression_for(path))


def output_format(path: PathLike, requested: Optional[str], input_kind: str) -> OutputFormat:
    """The format a selection of ``input_kind`` records is written in at ``path`` (see the
    module docstring). ValueError naming ``path`` for what cannot be written."""
    name = os.fspath(path)
    stdout = name == "-"
    compression = compression_for(name)
    named = None if stdout else _NAMED.get(os.path.splitext(strip_compression(name))[1].lower())
    if requested is not None and requested not in KINDS:
        raise ValueError(f"unknown output format {requested!r}; choose one of {', '.join(KINDS)}")
    if requested is not None and named is not None and requested != named:
        raise ValueError(f"{name}: the name says {named} but the output format asked for is "
                         f"{requested}: rename it or drop the format")
    out = OutputFormat(requested or named or input_kind, compression)
    check_output(name, out, input_kind)
    return out


def check_output(name: str, out: OutputFormat, input_kind: str) -> None:
    """Refuses (ValueError naming ``name``) an output of ``input_kind`` records that cannot be
    written as ``out``: Parquet compressed by name, JSON as Parquet and Parquet as JSON."""
    if (out.kind == "parquet") != (input_kind == "parquet"):
        hint = ("name it *.parquet" if input_kind == "parquet"
                else "name it *.json or *.jsonl (.gz or .zst allowed)")
        if name == "-":  # standard output has no name to change
            hint = "ask for " + ("parquet" if input_kind == "parquet" else "json or jsonl")
        raise ValueError(f"{name}: a selection of {_label(input_kind)} records cannot be written "
                         f"as {_label(out.kind)} (each record is written with its own bytes): "
                         f"{hint}")
    if out.kind == "parquet" and out.compression is not None:
        raise ValueError(f"{name}: Parquet compresses inside the file: drop the "
                         f"{os.path.splitext(name)[1] or out.compression}")


def _label(kind: str) -> str:
    return "Parquet" if kind == "parquet" else "JSON" if kind == "json" else "JSONL"


def json_chunks(records: Iterable[bytes], kind: str) -> Iterator[bytes]:
    """JSON records (each its source text) as a JSON list (ZIP's own group framing, as the
    shared input files have it: ``[``, ``, ``, ``]``) or as JSONL, one record a line."""
    if kind == "json":
        yield _core.GROUP_OPEN
        for i, record in enumerate(records):
            yield _core.GROUP_SEPARATOR + record if i else record
        yield _core.GROUP_CLOSE
        return
    for record in records:
        yield one_line(record) + b"\n"


def one_line(record: bytes) -> bytes:
    """A JSON value's text on one line: its LF bytes, whitespace between tokens, dropped (see the
    module docstring). Only LF: JSONL lines split on it alone, and a CR is whitespace that a
    JSONL record may hold, which must come back byte for byte."""
    if b"\n" in record:
        return record.translate(None, b"\n")
    return record
