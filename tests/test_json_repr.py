"""The engine's repr of a JSON record (``_core.json_object_repr``), which the JSON and JSONL
readers use instead of ``repr(json.loads(text)).encode()``: equal to it wherever it answers,
and answering for every record whose strings are ASCII and whose numbers are integers (of few
keys, not deeply nested); and the texts the readers hand it are the records' own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zipcore import _core
from zipcore.io.readers import read_pool

# ASCII with every character repr() escapes, quotes and backslash included, and a little more.
ASCII = st.text(st.characters(max_codepoint=0x7F), max_size=12)
ANY_TEXT = st.text(max_size=8)
INTEGERS = st.integers(min_value=-(10**30), max_value=10**30) | st.sampled_from([0, 2**63, -1])
SCALARS = (st.none() | st.booleans() | INTEGERS | ASCII | ANY_TEXT
           | st.floats(allow_nan=False, allow_infinity=False))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(ASCII | ANY_TEXT, inner, max_size=4), max_leaves=20)
RECORDS = st.dictionaries(ASCII | ANY_TEXT, VALUES, max_size=5)


def python_repr(text: bytes) -> bytes:
    return repr(json.loads(text)).encode("utf-8")


def simple(value: Any) -> bool:
    """What the engine must answer for: ASCII strings, integers, no float anywhere."""
    if isinstance(value, str):
        return value.isascii()
    if isinstance(value, float):
        return False
    if isinstance(value, list):
        return all(simple(v) for v in value)
    if isinstance(value, dict):
        return all(simple(k) and simple(v) for k, v in value.items())
    return True


@pytest.mark.slow  # 400 generated records; the cases below run in the fast tier
@settings(max_examples=400, deadline=None)
@given(RECORDS, st.booleans(), st.sampled_from([None, 0, 2]),
       st.sampled_from([(", ", ": "), (",", ":"), (" ,\t", " :\r\n")]))
def test_the_engine_repr_is_python_repr_where_it_answers(record, ascii_only, indent, separators):
    text = json.dumps(record, ensure_ascii=ascii_only, indent=indent,
                      separators=separators).encode("utf-8")
    got = _core.json_object_repr(b" \t" + text + b"\r\n")
    if got is not None:
        assert got == python_repr(text)
    assert (got is not None) == simple(record)


@pytest.mark.parametrize("text, expected", [
    (b'{"a": -0, "b": 00}', None),  # a leading zero: json refuses it
    (b'{"a": -0}', b"{'a': 0}"),
    (b'{"a": 1, "a": 2}', None),  # Python keeps the first position and the last value
    (b'{"a": {"k": 1}, "b": {"k": 2}}', b"{'a': {'k': 1}, 'b': {'k': 2}}"),  # per object
    (b'{"a": "\\u0000\x7f\\u001f"}', b"{'a': '\\x00\\x7f\\x1f'}"),
    (b'{"a": "it\'s"}', b'{\'a\': "it\'s"}'),
    (b'{"a": "it\'s \\"x\\""}', b"{'a': 'it\\'s \"x\"'}"),
    (b'{"a": "\\\\\'"}', b'{\'a\': "\\\\\'"}'),
    (b'{"a": "\\/\\b\\f"}', b"{'a': '/\\x08\\x0c'}"),
    (b'{"a": 1.0}', None), (b'{"a": 1e3}', None), (b'{"a": NaN}', None),
    (b'{"a": "\xc3\xa9"}', None), (b'{"a": "\\u00e9"}', None), (b'{"a": "\\ud800"}', None),
    (b'{"a": "\x01"}', None),  # a raw control character: json refuses it
    (b'{"a": 1,}', None), (b'{"a" 1}', None), (b'{"a": 1} x', None), (b'{"a": "x', None),
    (b'[1]', None), (b'"x"', None), (b'', None), (b'{}', b"{}"), (b'{"a": []}', b"{'a': []}"),
    (b'{"a": ' + b"9" * 640 + b"}", b"{'a': " + b"9" * 640 + b"}"),
    (b'{"a": ' + b"9" * 641 + b"}", None),  # past the digits every Python may print
])
def test_edge_cases(text, expected):
    assert _core.json_object_repr(text) == expected
    if expected is not None:
        assert expected == python_repr(text)


@pytest.mark.parametrize("keys, answered", [(32, True), (33, False)])
def test_objects_of_many_keys_are_left_to_python(keys, answered):
    # The repeated-key check is quadratic in an object's keys: a wide line must stay cheap.
    text = json.dumps({f"k{i}": {f"k{j}": j for j in range(keys)} for i in range(3)}).encode()
    got = _core.json_object_repr(text)
    assert (got is not None) == answered
    assert got is None or got == python_repr(text)


@pytest.mark.parametrize("depth, answered", [(64, True), (65, False)])
def test_deep_records_are_left_to_python(depth, answered):
    # ``depth`` levels: the record and depth - 1 lists inside it.
    text = b'{"a": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    got = _core.json_object_repr(text)
    assert (got is not None) == answered
    assert got is None or got == python_repr(text)


def test_a_jsonl_pool_holds_python_repr_of_every_record(tmp_path, real_pool):
    records = real_pool("gsm8k", 0, 50) + [{"é": 1.5, "x": [None, True]}, {"a": "\x00'\""}]
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    pool = read_pool(path, format="record", threads=1).pool
    assert [pool.sample(i) for i in range(len(pool))] == [repr(r).encode() for r in records]
    answered = [_core.json_object_repr(json.dumps(r).encode()) is not None for r in records]
    assert answered == [simple(r) for r in records] and sum(answered) >= 40


@pytest.mark.parametrize("name, key", [("pool.json", None), ("pool.json.gz", None),
                                       ("pool.jsonl", None), ("wrapped.json", "data")])
def test_the_readers_hand_over_each_records_own_text(tmp_path, monkeypatch, name, key):
    # A wrong text would mostly be declined and fall back to Python's repr unnoticed: check the
    # texts themselves, with windows small enough to cut records and characters anywhere.
    import gzip

    from zipcore.io import jsonfile
    from zipcore.io.jsonstream import iter_record_texts

    monkeypatch.setattr(jsonfile, "CHUNK_SIZE", 7)
    records = [{"a": i, "t": "é" * (i % 3) + "x" * i, "n": [1, {"b": None}]} for i in range(40)]
    if name.endswith(".jsonl"):
        text = "".join(json.dumps(r) + "\r\n" for r in records)
    elif key is None:
        text = "\ufeff[\n " + ",\n\t".join(json.dumps(r, indent=1) for r in records) + " ]"
    else:
        text = json.dumps({"x": [1, [2]], key: records, "y": {}}, indent=2)
    data = text.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    kind = "jsonl" if name.endswith(".jsonl") else "json"
    got = list(iter_record_texts(path, kind, key))
    assert [value for value, _, _, _ in got] == records
    assert all(source == data[start:end] for _, start, end, source in got)
