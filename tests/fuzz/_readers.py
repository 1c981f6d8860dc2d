"""The invariants the reader harnesses check on one input file (see fuzz_json_list.py).

They drive the reader ``zipcore select`` uses: ``zipcore.read_pool`` (streaming, spans kept),
``PoolFile.write_selection`` and ``selection_chunks``. For any bytes, ``read_pool`` with
``format="record"`` either raises ``ZipcoreError`` whose message names the file and a line and
column inside it (or, unpositioned, says the file is one JSON object wrapping the records, or
not valid gzip), or returns a pool where

* each record's span holds its source text: ``json.loads`` of it is an object, and the record's
  sample bytes are exactly ``repr`` of that object in UTF-8 (values and key order);
* the selection of every record, as ``write_selection`` writes it (``selection_chunks``), reads
  again as the same records' texts;
* the same bytes gzip-compressed, read from a ``.gz`` name, give the same pool and spans (or the
  same error);
* ``format="auto"`` (format detection, preference pair checks) fails with a positioned message
  or reads the same records.

``KNOWN_BUGS`` lists (exception type, message) pairs a run may let through while a reader bug is
being fixed, so that fuzzing keeps looking for new ones. It is empty.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Optional

import _common
from zipcore import ZipcoreError, read_pool

# On tmpfs when there is one: creating a file on the disk costs ~2 ms here, 100 times the parse.
# libFuzzer ends the process without Python's exit handlers, so nothing could remove a folder of
# our own at the end: the files go to one shared folder, named by process, and are deleted
# after each read.
_DIR = Path(os.environ.get("ZIPCORE_FUZZ_TMP") or Path(
    "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir(), "zipcore-fuzz"))
_DIR.mkdir(parents=True, exist_ok=True)
_STEM = _DIR / f"{os.getpid()}-"
_WRITTEN: set[str] = set()  # the files of the input being checked

KNOWN_BUGS: tuple = ()

# Messages that name the file without a position: what they say, and which inputs may get them.
_UNPOSITIONED = ("the top level is a JSON object, not a list of records",
                 "no top-level key", "not a valid gzip file")


def _read(name: str, data: bytes, **options):
    """read_pool of ``data`` in the file called ``name`` (written here, removed by ``check``):
    (PoolFile, raw texts), or the error's message after checking it."""
    path = f"{_STEM}{name}"
    with open(path, "wb") as handle:
        handle.write(data)
    _WRITTEN.add(path)
    try:
        source = read_pool(path, **options)
        text = gzip.decompress(data) if name.endswith(".gz") else data
        return source, [text[start:end] for start, end in source.spans.tolist()]
    except ZipcoreError as exc:
        _check_message(str(exc), path, data)
        return str(exc)[len(path):]
    except (RecursionError, ValueError) as exc:
        if not any(type(exc) is kind and text in str(exc) for kind, text in KNOWN_BUGS):
            raise
        return str(exc)


def _check_message(message: str, path: str, data: bytes) -> None:
    assert message.startswith(path + ":"), message
    located = re.match(re.escape(path) + r":(\d+):(\d+): \S", message)
    if located is None:
        assert any(message.startswith(f"{path}: {what}") for what in _UNPOSITIONED), message
        return
    line, column = int(located.group(1)), int(located.group(2))
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    lines = data.split(b"\n")
    assert 1 <= line <= len(lines), (message, len(lines))
    # Columns count characters (bytes for undecodable input), one past the end at most.
    assert 1 <= column <= len(lines[line - 1]) + 1, (message, lines[line - 1][:200])


def _check_pool(source, raw: list[bytes]) -> None:
    assert source.records == len(source.pool) == len(raw) and source.groups is None
    for i, text in enumerate(raw):
        record = json.loads(text.decode("utf-8"))
        assert isinstance(record, dict)
        assert source.pool.sample(i) == repr(record).encode("utf-8")
        if source.kind == "jsonl":
            assert b"\n" not in text


def check(data: bytes, name: str, records_key: Optional[str] = None) -> None:
    """The invariants of the module docstring for ``data`` in a file called ``name``."""
    try:
        _check(data, name, records_key)
    finally:
        while _WRITTEN:
            os.unlink(_WRITTEN.pop())


def _check(data: bytes, name: str, records_key: Optional[str]) -> None:
    options = {"format": "record", "records_key": records_key}
    plain = _read(name, data, **options)
    packed = _read(name + ".gz", gzip.compress(data, compresslevel=1, mtime=0), **options)
    if isinstance(plain, str):
        assert packed == plain, (plain, packed)  # the same error, at the same place
        _common.OUTCOMES.add("rejected")
        return
    source, raw = plain
    assert not isinstance(packed, str), packed
    assert packed[0].compression == "gzip" and packed[1] == raw and packed[0].pool == source.pool
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # a UTF-8 byte order mark
    first = text.lstrip(b" \t\r\n")[:1]
    assert source.kind == ("json" if first == b"[" or records_key else "jsonl")
    _check_pool(source, raw)
    # Everything written back, as write_selection writes it, reads as the same records.
    suffix = ".json" if source.kind == "json" else ".jsonl"
    again = _read("again" + suffix, b"".join(source.selection_chunks(range(len(raw)))),
                  format="record")
    assert not isinstance(again, str), again
    assert again[1] == raw and again[0].kind == source.kind
    auto = _read("auto-" + name, data, records_key=records_key)
    if not isinstance(auto, str):
        assert auto[1] == raw and auto[0].records == len(raw)
    _common.OUTCOMES.add("read, auto refused" if isinstance(auto, str) else "read")
