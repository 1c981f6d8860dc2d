"""Fast reading: msgspec for JSONL lines and parallel parts give exactly the serial stdlib
reader's records, spans, pools and errors."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from zipcore import ZipcoreError
from zipcore.io import jsonl, parallel
from zipcore.io.jsonfile import DECODER
from zipcore.io.readers import read_pool, read_pools


def stdlib_record(body: bytes) -> Optional[dict[str, Any]]:
    """The oracle: what the stdlib path makes of a line, None where it refuses the line."""
    try:
        text = body.decode("utf-8")
        start = len(text) - len(text.lstrip(" \t\r\n"))
        value, end = DECODER.raw_decode(text, start)
    except (ValueError, RecursionError):
        return None
    if text[end:].strip(" \t\r\n") or not isinstance(value, dict):
        return None
    return value


def check_line(body: bytes) -> None:
    """msgspec's answer, where it gives one, is the stdlib's: the same repr (sample bytes)."""
    fast = jsonl.fast_record(body)
    if fast is not None:
        slow = stdlib_record(body)
        assert slow is not None, body
        assert repr(fast) == repr(slow), body
        assert list(fast) == list(slow)


NUMBERS = ["1.0", "1e400", "-1e400", "1.7976931348623159e308", "-0.0", "-0", "1E5", "1e-400",
           "0.1000000000000000055511151231257827", "2.4703282292062328e-324",
           "2.4703282292062327e-324", "18446744073709551616", "-9223372036854775809",
           "9" * 4300, "9" * 4301, "1" * 400 + ".5", "123456789012345678901234567890e-10",
           "NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1"]
STRINGS = ['"\\ud800"', '"\\udc00"', '"\\uD800\\u0041"', '"\\ud83d\\ude00"', '"\U0001f600"',
           '"caf\\u00e9 caf\u00e9"', '"\\u0000"', '"\x7f"', '"\t"', '"\\/"', '"\\x"']


@pytest.mark.parametrize("value", NUMBERS + STRINGS)
def test_msgspec_gives_the_stdlib_value_or_defers(value):
    body = ('{"a": %s, "b": [%s]}' % (value, value)).encode("utf-8")
    check_line(body)
    if value in ("NaN", "Infinity", "1e400", '"\\ud800"', '"\\udc00"', "9" * 4301):
        assert jsonl.fast_record(body) is None  # msgspec refuses: the stdlib decides


def test_duplicate_keys_keep_the_last_value_at_the_first_position():
    body = b'{"a": 1, "b": 2, "a": {"c": 3}, "d": 4, "a": [5]}'
    assert jsonl.fast_record(body) is not None
    check_line(body)
    assert list(jsonl.fast_record(body).items()) == [("a", [5]), ("b", 2), ("d", 4)]


@pytest.mark.parametrize("depth", [10, 200, 300, 990, 1000, 5000])
def test_deep_nesting_is_left_to_the_stdlib(depth):
    body = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    check_line(body)
    assert (jsonl.fast_record(body) is None) == (depth + 1 > jsonl.FAST_BRACKETS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20)


@pytest.mark.slow  # generated records; the fixed cases above run in the fast tier
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5), st.booleans(),
       st.sampled_from(["", " ", "\t", "\r"]))
def test_dumped_objects_read_as_the_stdlib_reads_them(record, ascii, space):
    body = (space + json.dumps(record, ensure_ascii=ascii) + space).encode("utf-8", "surrogatepass")
    check_line(body)


_NUMBER = st.from_regex(re.compile(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,4})?"),
                        fullmatch=True)


@pytest.mark.slow  # 500 generated numbers
@settings(max_examples=500, deadline=None)
@given(_NUMBER)
@example("1e309")
@example("0.30000000000000004")
def test_numbers_parse_as_python_parses_them(number):
    body = b'{"n": ' + number.encode() + b"}"
    check_line(body)
    fast = jsonl.fast_record(body)
    if fast is not None and isinstance(fast["n"], float) and math.isfinite(fast["n"]):
        assert fast["n"] == float(number)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=12), st.binary(max_size=6))
@example(b"\xed\xa0\x80", b"")
@example(b"\xc0\x80", b"\xf4\x90\x80\x80")
def test_any_bytes_in_strings_and_keys(value, key):
    body = b'{"' + key + b'": "' + value + b'"}'
    check_line(body)


# --- whole files: parallel parts and msgspec give the serial stdlib reader's result ---------

ODD_LINES = [
    '{"text": "plain", "id": 1}',
    '  {"text": "spaced \\u00e9 caf\u00e9", "id": 2.50}  \r',
    '',
    '{"text": "lone \\ud800 surrogate", "id": 1e400}',  # stdlib only; UTF-8 cannot encode it
    '\t{"text": "NaN id", "id": NaN}',
    '{"text": "huge", "id": ' + "7" * 500 + '}',
    '{"text": "dup", "id": 1, "text": "dup2"}',
    '{"text": "deep", "x": ' + "[" * 300 + "]" * 300 + "}",
]


def _serial(path: Path, **options: Any):
    return read_pool(path, threads=1, **options)


def _same(a, b) -> None:
    assert a.format == b.format and a.records == b.records and a.pool == b.pool
    assert np.array_equal(a.spans, b.spans)
    assert (a.groups is None) == (b.groups is None)


@pytest.fixture
def small_parts(monkeypatch):
    """Parallel from the first byte, in parts of a few lines (split by the main process).

    The list it gives says, for each file read through worker processes, whether they read it
    (True) or met an error and left it to the serial reader (False): a fallback gives the same
    answer, so the tests check that the workers did the reading."""
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "PART_BYTES", 300)
    read_parts = parallel._read_parts
    taken: list[bool] = []

    def spy(*args: Any) -> Any:
        result = read_parts(*args)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(parallel, "_read_parts", spy)
    return taken


def _lines(count: int, bom: bool = False) -> str:
    rows = [ODD_LINES[i % len(ODD_LINES)] for i in range(count) if i % len(ODD_LINES) != 3]
    return ("\ufeff" if bom else "") + "\n".join(rows) + "\n"


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_parallel_read_equals_the_serial_read(tmp_path, small_parts, bom, ending):
    path = tmp_path / "in.jsonl"
    path.write_text(_lines(120, bom).replace("\n", ending).rstrip("\r\n"), encoding="utf-8")
    serial = _serial(path)
    assert serial.records > 40
    for threads in (2, 3):
        _same(read_pool(path, threads=threads), serial)
    _same(read_pool(path, threads=2, format="record"), _serial(path, format="record"))
    assert small_parts == [True, True, True]


def test_parallel_read_of_a_real_pool_and_a_gzip_file(tmp_path, small_parts, real_pool):
    records = real_pool("pool", 0, 200)
    text = "".join(json.dumps(r, ensure_ascii=i % 2 == 0) + "\n" for i, r in enumerate(records))
    for name, data in (("in.jsonl", text.encode()), ("in.jsonl.gz", None)):
        path = tmp_path / name
        if data is None:
            import gzip

            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_bytes(data)
        serial = _serial(path)
        assert serial.format == "sharegpt" and serial.records == 200
        _same(read_pool(path, threads=2), serial)
        _same(read_pool(path, threads=2, template="{id}:{source}"),
              _serial(path, template="{id}:{source}"))
    assert small_parts == [True] * 4


def _error(path: Path, **options: Any) -> str:
    with pytest.raises(ZipcoreError) as info:
        read_pool(path, **options)
    return str(info.value)


@pytest.mark.parametrize("bad, where", [
    ('{"text": "x", "id": }', 70),  # a syntax error late in the file
    ('{"text": "x"} {"text": "y"}', 50),  # extra data
    ('[1, 2]', 90),  # not an object
    ('{"id": 3}', 60),  # a record that does not fit the detected format (text)
    ('{"text": "x", "pair_id": 1, "label": "chosen"}', 30),  # a pair member after unpaired ones
    ('{"text": "\xff"}', 80),  # not UTF-8 (written as latin-1 below)
])
def test_errors_are_the_serial_readers(tmp_path, small_parts, bad, where):
    rows = _lines(120).splitlines()
    assert len(rows) > where
    rows[where] = bad
    path = tmp_path / "in.jsonl"
    content = "\n".join(rows).encode("utf-8")
    if "\xff" in bad:
        content = content.replace("\xff".encode("utf-8"), b"\xff")
    path.write_bytes(content)
    serial = _error(path, threads=1)
    assert f":{where + 1}:" in serial
    assert _error(path, threads=2) == serial
    assert small_parts == [False]  # the workers met it, and the serial reader named it


def test_pairs_and_a_one_line_file_are_read_as_serially(tmp_path, small_parts):
    rows = [json.dumps({"pair_id": i // 2, "label": ["chosen", "rejected"][i % 2],
                        "text": f"t{i}"}) for i in range(60)]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    serial = _serial(path)
    assert serial.groups is not None and len(serial) == 30
    _same(read_pool(path, threads=2), serial)
    assert small_parts == []  # pairs are read serially
    one = tmp_path / "one.json"
    one.write_text('{"data": [1, 2]}\n', encoding="utf-8")
    assert _error(one, threads=2) == _error(one, threads=1)


def test_workers_are_not_started_for_small_files(tmp_path, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a small file was read in parallel")

    monkeypatch.setattr(parallel, "_read_parts", refuse)
    path = tmp_path / "in.jsonl"
    path.write_text(_lines(50), encoding="utf-8")
    assert read_pool(path).records > 10  # below PARALLEL_BYTES: serial


@pytest.mark.parametrize("syntax_error", [False, True])
def test_a_broken_gzip_file_fails_as_when_read_serially(tmp_path, small_parts, syntax_error):
    import gzip

    rows = _lines(20000).splitlines()
    if syntax_error:
        rows[20] = '{"text": '  # before the place where the gzip stream breaks
    data = gzip.compress(("\n".join(rows) + "\n").encode("utf-8"))
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(data[:len(data) // 2])  # truncated
    serial = _error(path, threads=1)
    assert (":21:" in serial) == syntax_error
    assert _error(path, threads=2) == serial


UNGUARDED_SCRIPT = """
import sys
import zipcore
from zipcore.io import parallel

parallel.PARALLEL_BYTES, parallel.PART_BYTES = 0, 3000
took_parts = []
read_parts = parallel._read_parts
parallel._read_parts = lambda *args: took_parts.append(read_parts(*args)) or took_parts[-1]
with open(sys.argv[2], "a") as runs:
    runs.write("run\\n")
source = zipcore.read_pool(sys.argv[1], threads=2)
print(len(source), [parts is not None for parts in took_parts])
"""


def test_workers_never_run_the_main_script(tmp_path, real_pool):
    # multiprocessing's spawn would import this script, which has no `if __name__ ==
    # "__main__":`, in every worker: each would read the pool (and run a selection) again.
    records = real_pool("pool", 0, 300)
    pool = tmp_path / "in.jsonl"
    pool.write_text("".join(json.dumps(r) + "\n" for r in records))
    script, runs = tmp_path / "script.py", tmp_path / "runs.txt"
    script.write_text(UNGUARDED_SCRIPT)
    # A sitecustomize that prints, in every process: a worker's results do not go through its
    # standard output, so the print cannot corrupt them.
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text("print('hello from sitecustomize')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(script), str(pool), str(runs)], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines() == ["hello from sitecustomize", "300 [True]"]  # in parts
    assert runs.read_text() == "run\n"  # by the script once, never by a worker


def test_workers_of_another_zipcore_are_not_used(tmp_path, small_parts, monkeypatch, caplog):
    # The workers import the zipcore their interpreter finds; if this process imported another
    # one (another checkout first on its path), their bytes could differ: read it here.
    path = tmp_path / "in.jsonl"
    path.write_text(_lines(120), encoding="utf-8")
    monkeypatch.setattr(parallel, "_THIS_ZIPCORE", "/elsewhere/zipcore/io/parallel.py")
    with caplog.at_level("DEBUG", logger="zipcore"):
        _same(read_pool(path, threads=2), _serial(path))
    assert small_parts == []  # the workers were refused before any part
    assert "the workers import" in caplog.text and "serially" in caplog.text


def test_several_files_are_read_at_once_as_one_by_one(tmp_path, small_parts, real_pool):
    import gzip

    from zipcore.io.readers import read_pools

    records = real_pool("pool", 0, 240)
    texts = ["".join(json.dumps(r) + "\n" for r in chunk)
             for chunk in (records[:100], records[100:103], records[103:])]
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz", tmp_path / "c.jsonl"]
    paths[0].write_text(texts[0])
    paths[1].write_bytes(gzip.compress(texts[1].encode()))  # a shard smaller than a part
    paths[2].write_text(texts[2])
    serial = read_pools(paths, threads=1)
    at_once = read_pools(paths, threads=2)
    assert small_parts == [True]  # one read of all three files
    assert at_once.pool == serial.pool and np.array_equal(at_once.record_starts,
                                                          serial.record_starts)
    for a, b in zip(at_once.files, serial.files):
        _same(a, b)
    # An error in the last file is the one-by-one reader's, naming that file and line.
    paths[2].write_text(texts[2] + '{"conversations": [}\n')
    with pytest.raises(ZipcoreError) as serial_error:
        read_pools(paths, threads=1)
    with pytest.raises(ZipcoreError) as error:
        read_pools(paths, threads=2)
    assert str(error.value) == str(serial_error.value) and "c.jsonl:138:" in str(error.value)
    # All three at once met the error; then each file alone, the last one failing again.
    assert small_parts[:2] == [True, False] and small_parts[-1] is False


@pytest.mark.parametrize("threads", [1, 2])
def test_inputs_hold_pairs_or_none_do(tmp_path, small_parts, threads):
    # A file of pairs after a file without them was read as single records (each pair member a
    # sample of its own, written back without its partner), where one file holding both is
    # refused; the other order blamed an option the user did not give (pairs=True).
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps({"text": f"plain {i} " * 3}) + "\n" for i in range(40)),
                     encoding="utf-8")
    paired = tmp_path / "pairs.jsonl"
    paired.write_text("".join(json.dumps({"pair_id": i // 2,
                                          "label": ["chosen", "rejected"][i % 2],
                                          "text": f"pair {i} " * 3}) + "\n" for i in range(40)),
                      encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ZipcoreError, match=f"{paired}: its first record has pair_id "
                       f"and label, but the first record of {plain} has not"):
        read_pools([plain, paired], threads=threads)
    with pytest.raises(ZipcoreError, match=f"{plain}: its first record has no pair_id "
                       f"or label, but the first record of {paired} has"):
        read_pools([paired, plain], threads=threads)
    assert len(read_pools([plain, paired], pairs=False, threads=threads)) == 80
    for order in ([paired, empty], [empty, paired]):  # an empty file holds no records at all
        both = read_pools(order, threads=threads)
        assert (len(both), both.pairs) == (20, True)
    with pytest.raises(ZipcoreError, match=f"{paired}: its first record has pair_id and label, "
                       f"but the first record of {plain} has not"):
        read_pools([empty, plain, paired], threads=threads)  # the first file with a record
    assert len(read_pool(empty, pairs=True)) == 0  # was a TypeError in the encoder


@pytest.mark.parametrize("command", ["ratio", "monitor"])
def test_ratio_and_monitor_read_with_their_threads(tmp_path, small_parts, command):
    # --threads 1 bounded their compression only: a large input was still read by a worker
    # process per core.
    from zipcore.cli import main

    path = tmp_path / "in.jsonl"
    path.write_text(_lines(400), encoding="utf-8")
    versions = tmp_path / "versions.csv"
    versions.write_text("version,path\nv1,in.jsonl\n", encoding="utf-8")
    argv = ["ratio", str(path)] if command == "ratio" else ["monitor", str(versions)]
    assert main([*argv, "--threads", "1"]) == 0
    assert small_parts == []  # read serially
    assert main([*argv, "--threads", "2"]) == 0
    assert small_parts == [True]  # by the workers
