"""The invariants the reader harnesses check on one input file (see fuzz_json_list.py).

For any bytes, ``zipcore.records.load_dataset`` either raises ``ZipcoreError`` whose message names
the file and a line and column inside it, or returns a dataset where

* every record is a dict equal (``repr``: values and key order) to ``json.loads`` of its raw text;
* writing all records back (``selection_bytes``) and loading that gives the same raw texts;
* the same bytes gzip-compressed, read from a ``.gz`` name, load to the same raw texts.

``KNOWN_BUGS`` lists (exception type, message) pairs a run may let through while a reader bug is
being fixed, so that fuzzing keeps looking for new ones. It is empty: the two the fuzzers found
(nesting past the recursion limit, integers of more than 4,300 digits) are positioned
``ZipcoreError``s now (tests/test_records.py).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from pathlib import Path

import _common
from zipcore import ZipcoreError, records

# On tmpfs when there is one: creating a file on the disk costs ~2 ms here, 100 times the parse.
# libFuzzer ends the process without Python's exit handlers, so nothing could remove a folder of
# our own at the end: the files go to one shared folder, named by process, and are deleted
# after each load.
_DIR = Path(os.environ.get("ZIPCORE_FUZZ_TMP") or Path(
    "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir(), "zipcore-fuzz"))
_DIR.mkdir(parents=True, exist_ok=True)
PLAIN = _DIR / f"{os.getpid()}-input.json"
GZ = _DIR / f"{os.getpid()}-input.json.gz"
AGAIN = _DIR / f"{os.getpid()}-again.json"


KNOWN_BUGS: tuple = ()  # none left: deep nesting and huge numbers are ZipcoreErrors now


def _load(path: Path, data: bytes):
    path.write_bytes(data)
    try:
        return records.load_dataset(path)
    except ZipcoreError as exc:
        _check_message(str(exc), path, data)
        return None
    except (RecursionError, ValueError) as exc:
        if not any(type(exc) is kind and text in str(exc) for kind, text in KNOWN_BUGS):
            raise
        return None
    finally:
        path.unlink()


def _check_message(message: str, path: Path, data: bytes) -> None:
    where = os.fspath(path)
    assert message.startswith(where + ":"), message
    located = re.match(re.escape(where) + r":(\d+):(\d+): \S", message)
    if located is None:
        assert path.suffix == ".gz" and "not a valid gzip file" in message, message
        return
    line, column = int(located.group(1)), int(located.group(2))
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    lines = data.split(b"\n")
    assert 1 <= line <= len(lines), (message, len(lines))
    # Columns count characters (bytes for undecodable input), one past the end at most.
    assert 1 <= column <= len(lines[line - 1]) + 1, (message, lines[line - 1][:200])


def check(data: bytes) -> None:
    dataset = _load(PLAIN, data)
    packed = _load(GZ, gzip.compress(data, compresslevel=1, mtime=0))
    if dataset is None:
        assert packed is None, "the .gz copy loaded where the plain file failed"
        _common.OUTCOMES.add("rejected")
        return
    assert packed is not None and packed.raw == dataset.raw and packed.gzip
    assert dataset.format in ("json", "jsonl")
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # a UTF-8 byte order mark
    assert dataset.format == ("json" if text.lstrip(b" \t\r\n").startswith(b"[") else "jsonl")
    assert len(dataset.records) == len(dataset.raw)
    for record, raw in zip(dataset.records, dataset.raw):
        assert isinstance(record, dict)
        assert repr(json.loads(raw)) == repr(record)
        if dataset.format == "jsonl":
            assert "\n" not in raw
    again = _load(AGAIN, records.selection_bytes(dataset, range(len(dataset))))
    assert again is not None, "a written selection does not load"
    assert again.raw == dataset.raw and again.format == dataset.format
    _common.OUTCOMES.add("loaded")
