"""Dataset reading and writing: exact source text, error positions, all-or-nothing output."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest

from zipcore import ZipcoreError, atomic
from zipcore.records import Dataset, load_dataset, write_indices, write_selection


# Records whose source text differs from what json.dumps would write back (exponent,
# trailing zero, escapes next to raw non-ASCII, odd spacing): only a byte-exact copy keeps them.
ODD_RAW = [
    '{"id": 1e2, "score": 1.50, "conversations": []}',
    '{ "text" : "caf\\u00e9 caf\u00e9 \u2028 \\"q\\"" ,"id":7 }',
]


@pytest.fixture(scope="module")
def real_records(real_pool) -> list[dict]:
    return real_pool("pool", 0, 60)


@pytest.fixture
def raw_items(real_records) -> list[str]:
    return [json.dumps(r, ensure_ascii=i % 2 == 0) for i, r in enumerate(real_records)] + ODD_RAW


def _write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path



# --- loading -------------------------------------------------------------------------------

def test_json_list_keeps_each_records_exact_source_text(tmp_path, raw_items):
    path = _write(tmp_path / "in.json", " \n[\n  " + ",\n  ".join(raw_items) + "\n]\n")
    dataset = load_dataset(path)
    assert dataset.format == "json"
    assert dataset.gzip is False
    assert dataset.path == str(path)
    assert dataset.raw == raw_items
    assert dataset.records == [json.loads(r) for r in raw_items]
    assert len(dataset) == len(raw_items)


def test_jsonl_skips_blank_lines_and_keeps_source_text(tmp_path, raw_items):
    lines = []
    for i, raw in enumerate(raw_items):
        lines.append(raw + ("\r" if i % 3 == 0 else "  "))  # CRLF and trailing blanks
        if i % 5 == 0:
            lines.append("   ")
    dataset = load_dataset(_write(tmp_path / "in.jsonl", "\n" + "\n".join(lines)))
    assert dataset.format == "jsonl"
    assert dataset.raw == raw_items
    assert dataset.records == [json.loads(r) for r in raw_items]


@pytest.mark.parametrize("kind", ["json", "jsonl"])
def test_gzip_input_loads_like_the_plain_file(tmp_path, raw_items, kind):
    text = "[" + ", ".join(raw_items) + "]" if kind == "json" else "\n".join(raw_items) + "\n"
    plain = load_dataset(_write(tmp_path / f"in.{kind}", text))
    packed = load_dataset(_write(tmp_path / f"in.{kind}.gz", gzip.compress(text.encode())))
    assert packed.gzip is True
    assert (packed.format, packed.raw, packed.records) == (kind, plain.raw, plain.records)


@pytest.mark.parametrize("text, kind", [("", "jsonl"), (" \n\n\t", "jsonl"), ("[]", "json"),
                                        (" [ \n ] \n", "json")])
def test_empty_datasets_load(tmp_path, text, kind):
    dataset = load_dataset(_write(tmp_path / "empty", text))
    assert (dataset.format, dataset.records, dataset.raw) == (kind, [], [])


def test_byte_order_mark_is_tolerated(tmp_path):
    dataset = load_dataset(_write(tmp_path / "in.json", '\ufeff[{"a": 1}]'))
    assert dataset.records == [{"a": 1}]


@pytest.mark.parametrize("name, content, message", [
    ("trailing_comma_in_object", '[{"id": 0},\n {"id": 1,}]',
     ":2:11: Expecting property name enclosed in double quotes"),
    ("missing_comma_between_elements", '[{"id": 0}\n{"id": 1}]',
     ":2:1: expected ',' or ']' after element 0, found '{'"),
    ("unterminated_list", '[{"id": 0},\n', ":2:1: Expecting value"),
    ("unclosed_list", '[{"id": 0}', ":1:11: expected ',' or ']' after element 0, found the end"),
    ("element_not_an_object", '[{"id": 0},\n  [1, 2]]', ":2:3: element 1 is a JSON array"),
    ("string_element", '[\n"text"]', ":2:1: element 0 is a JSON string"),
    ("extra_data_after_list", '[{"id": 0}]\n\n x', ":3:2: extra data after the closing ']'"),
    ("jsonl_line_not_object", '{"id": 0}\n\n  ["x"]\n', ":3:3: this line is a JSON array"),
    ("jsonl_number_line", '{"id": 0}\n42\n', ":2:1: this line is a JSON number"),
    ("jsonl_malformed", '{"id": 0}\n{"id": }\n', ":2:8: Expecting value"),
    ("jsonl_two_objects_on_a_line", '{"id": 0} {"id": 1}\n', ":1:11: extra data after the record"),
    ("jsonl_pretty_printed", '{\n  "id": 0\n}\n', ":1:2: Expecting property name"),
])
def test_malformed_input_names_file_line_and_column(tmp_path, name, content, message):
    path = _write(tmp_path / f"{name}.json", content)
    with pytest.raises(ZipcoreError) as caught:
        load_dataset(path)
    assert str(caught.value).startswith(f"{path}:")
    assert message in str(caught.value)


@pytest.mark.parametrize("content, position, byte", [
    (b'[{"a": "ok"},\n {"b": "caf\xe9"}]', ":2:12:", "0xe9"),
    (b'{"a": 1}\n{"b": "\xc3\xa9\xc3\xa9\xff"}\n', ":2:10:", "0xff"),  # columns count characters
    (b'\x80', ":1:1:", "0x80"),
])
def test_non_utf8_bytes_name_file_line_and_column(tmp_path, content, position, byte):
    path = _write(tmp_path / "in.json", content)
    with pytest.raises(ZipcoreError, match="not valid UTF-8") as caught:
        load_dataset(path)
    assert str(caught.value).startswith(f"{path}{position}")
    assert byte in str(caught.value)


def test_non_utf8_inside_gzip_is_found_after_decompression(tmp_path):
    path = _write(tmp_path / "in.jsonl.gz", gzip.compress(b'{"a": 1}\n{"b": "\xff"}\n'))
    with pytest.raises(ZipcoreError, match=r"in\.jsonl\.gz:2:8: not valid UTF-8"):
        load_dataset(path)


def test_broken_gzip_is_a_data_error(tmp_path):
    path = _write(tmp_path / "in.json.gz", b'[{"a": 1}]')
    with pytest.raises(ZipcoreError, match=r"in\.json\.gz: not a valid gzip file"):
        load_dataset(path)
    truncated = _write(tmp_path / "cut.json.gz", gzip.compress(b'[{"a": 1}]' * 50)[:20])
    with pytest.raises(ZipcoreError, match="not a valid gzip file"):
        load_dataset(truncated)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "absent.json")


# --- writing -------------------------------------------------------------------------------

def test_json_selection_round_trip_is_byte_exact(tmp_path, raw_items):
    dataset = load_dataset(_write(tmp_path / "in.json", "[\n" + ",\n".join(raw_items) + "\n]"))
    chosen = [len(raw_items) - 1, 5, 0, 41, len(raw_items) - 2]
    write_selection(tmp_path / "out.json", dataset, np.array(chosen, dtype=np.int64))
    written = (tmp_path / "out.json").read_bytes()
    assert written == ("[" + ", ".join(raw_items[i] for i in chosen) + "]").encode("utf-8")
    again = load_dataset(tmp_path / "out.json")
    assert again.records == [dataset.records[i] for i in chosen]
    assert again.raw == [raw_items[i] for i in chosen]


def test_selecting_everything_in_order_reproduces_a_shared_style_file(tmp_path, real_records):
    source = json.dumps(real_records)  # the shared data files' own framing
    dataset = load_dataset(_write(tmp_path / "in.json", source))
    write_selection(tmp_path / "out.json", dataset, range(len(real_records)))
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == source


def test_jsonl_selection_round_trip(tmp_path, raw_items):
    dataset = load_dataset(_write(tmp_path / "in.jsonl", "\r\n".join(raw_items)))
    chosen = [3, 1, len(raw_items) - 1]
    write_selection(tmp_path / "out.jsonl", dataset, chosen)
    expected = "".join(raw_items[i] + "\n" for i in chosen)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == expected
    assert load_dataset(tmp_path / "out.jsonl").records == [dataset.records[i] for i in chosen]


def test_gz_output_is_compressed_and_reproducible(tmp_path, raw_items):
    dataset = load_dataset(_write(tmp_path / "in.json", "[" + ", ".join(raw_items) + "]"))
    write_selection(tmp_path / "plain.json", dataset, [2, 0])
    write_selection(tmp_path / "a.json.gz", dataset, [2, 0])
    write_selection(tmp_path / "b.json.gz", dataset, [2, 0])
    packed = (tmp_path / "a.json.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == (tmp_path / "plain.json").read_bytes()
    assert packed == (tmp_path / "b.json.gz").read_bytes()
    assert load_dataset(tmp_path / "a.json.gz").records == [dataset.records[2], dataset.records[0]]


def test_empty_selection_writes_valid_empty_files(tmp_path):
    for kind, expected in (("json", b"[]"), ("jsonl", b"")):
        write_selection(tmp_path / f"out.{kind}", Dataset("x", kind, [{}], ["{}"]), [])
        assert (tmp_path / f"out.{kind}").read_bytes() == expected


@pytest.mark.parametrize("bad", [1, -1])
def test_out_of_range_indices_are_rejected_before_writing(tmp_path, bad):
    with pytest.raises(IndexError, match=f"index {bad} is out of range for 1 samples"):
        write_selection(tmp_path / "out.json", Dataset("x", "json", [{}], ["{}"]), [0, bad])
    assert os.listdir(tmp_path) == []


def test_write_indices_one_per_line(tmp_path):
    write_indices(tmp_path / "idx.txt", np.array([7, 0, 123456789012], dtype=np.int64))
    assert (tmp_path / "idx.txt").read_text() == "7\n0\n123456789012\n"
    write_indices(tmp_path / "none.txt", [])
    assert (tmp_path / "none.txt").read_bytes() == b""


def test_new_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_indices(tmp_path / "idx.txt", [1])
    finally:
        os.umask(old)
    assert (tmp_path / "idx.txt").stat().st_mode & 0o777 == 0o644


# --- all-or-nothing output -----------------------------------------------------------------

def test_output_under_a_regular_file_fails_naming_the_path(tmp_path):
    (tmp_path / "blocker").write_text("x")
    target = tmp_path / "blocker" / "out.txt"
    with pytest.raises(OSError, match="cannot write output") as caught:
        write_indices(target, [1])
    assert caught.value.filename == str(target)
    assert sorted(os.listdir(tmp_path)) == ["blocker"]


def test_output_that_is_a_directory_fails_without_leftovers(tmp_path):
    (tmp_path / "out.txt").mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        write_indices(tmp_path / "out.txt", [1])
    assert caught.value.filename == str(tmp_path / "out.txt")
    assert os.listdir(tmp_path) == ["out.txt"] and os.listdir(tmp_path / "out.txt") == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_keeps_the_previous_file_and_removes_the_temp(tmp_path, monkeypatch, failing):
    target = tmp_path / "idx.txt"
    target.write_text("old\n")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space left on device"):
        write_indices(target, [1, 2, 3])
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["idx.txt"]


def test_interrupt_during_write_removes_the_temp(tmp_path, monkeypatch):
    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_indices(tmp_path / "idx.txt", [1])
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_write_files_leaves_nothing_when_a_later_file_cannot_be_staged(tmp_path):
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(OSError):
        atomic.write_files([(tmp_path / "a.txt", b"a"), (tmp_path / "blocker" / "b.txt", b"b")])
    assert sorted(os.listdir(tmp_path)) == ["blocker"]


def test_write_files_removes_committed_files_when_a_later_rename_fails(tmp_path, monkeypatch):
    real_replace = os.replace
    calls = []

    def replace_once(src, dst):
        calls.append(dst)
        if len(calls) > 1:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_once)
    with pytest.raises(OSError, match="Input/output error"):
        atomic.write_files([(tmp_path / "a.txt", b"a"), (tmp_path / "b.txt", b"b")])
    monkeypatch.undo()
    assert len(calls) == 2
    assert os.listdir(tmp_path) == []


def test_planning_an_output_creates_nothing(tmp_path):
    atomic.output(tmp_path / "out.json")
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="cannot write output"):
        atomic.output(tmp_path / "missing" / "out.json")


def test_json_python_cannot_build_is_a_positioned_error(tmp_path):
    # Valid JSON that Python's json refuses: nesting past the recursion limit, a huge integer.
    from zipcore.readers import read_pool

    for name, text in (("deep.json", "[" + "[" * 5000 + "]" * 5000 + "]"),
                       ("deep.jsonl", "{\"a\": " + "[" * 5000 + "]" * 5000 + "}\n"),
                       ("big.json", "[{\"a\": " + "1" * 5000 + "}]"),
                       ("big.jsonl", "{\"id\": 1}\n{\"a\": " + "1" * 5000 + "}\n")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        for reader in (load_dataset, read_pool):
            with pytest.raises(ZipcoreError, match=rf"{name}:\d+:\d+: this value"):
                reader(path)
