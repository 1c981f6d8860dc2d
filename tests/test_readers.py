"""Streaming readers: the same records as json.loads and each record's exact source text, in
bounded memory."""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import zipcore
from zipcore import ZipcoreError, cli
from zipcore.pool import Pool
from zipcore.io import jsonfile, jsonstream
from zipcore.io.readers import iter_json_list, iter_jsonl, locate, read_pool, sniff

from conftest import POOLS

KS = dict(k1=12, k2=8, k3=3)

# Source text json.dumps would not write back: exponent, trailing zero, escapes beside raw
# non-ASCII, a line separator, odd spacing, a surrogate pair escape, a 4-byte character.
ODD_RAW = [
    '{"id": 1e2, "score": 1.50, "conversations": []}',
    '{ "text" : "caf\\u00e9 caf\u00e9 \u2028 \\"q\\"" ,"id":7 }',
    '{"e": "\\ud83d\\ude00 \U0001f600 \\\\ \\/", "n": [1, 2.5, -0.0, true, null, {}]}',
]


@pytest.fixture(scope="module")
def raw_items(real_pool) -> list[str]:
    records = real_pool("pool", 1400, 1460)
    return [json.dumps(r, ensure_ascii=i % 2 == 0) for i, r in enumerate(records)] + ODD_RAW


def _write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _spans_text(path: Path, spans) -> list[str]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [data[start:end].decode("utf-8") for _, start, end in spans]


# --- JSON list and JSONL: the same records as json.loads, each with its source text ------------

@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_json_list_stream_equals_a_whole_file_load(tmp_path, raw_items, monkeypatch, chunk, gz):
    monkeypatch.setattr(jsonfile, "CHUNK_SIZE", chunk)  # records cut anywhere, even mid-character
    text = "\ufeff \n[\n  " + ",\n  ".join(raw_items) + "\n]\n"
    content = text.encode("utf-8")
    path = _write(tmp_path / ("in.json.gz" if gz else "in.json"),
                  gzip.compress(content) if gz else content)
    spans = list(iter_json_list(path))
    assert [record for record, _, _ in spans] == [json.loads(r) for r in raw_items]
    assert _spans_text(path, spans) == raw_items


@pytest.mark.parametrize("gz", [False, True])
def test_jsonl_stream_equals_a_whole_file_load(tmp_path, raw_items, gz):
    lines = []
    for i, raw in enumerate(raw_items):
        lines.append(("  " if i % 4 == 0 else "") + raw + ("\r" if i % 3 == 0 else " "))
        if i % 5 == 0:
            lines.append("   ")
    content = ("\ufeff\n" + "\n".join(lines)).encode("utf-8")
    path = _write(tmp_path / ("in.jsonl.gz" if gz else "in.jsonl"),
                  gzip.compress(content) if gz else content)
    spans = list(iter_jsonl(path))
    assert [record for record, _, _ in spans] == [json.loads(r) for r in raw_items]
    assert _spans_text(path, spans) == raw_items


@pytest.mark.parametrize("name", ["pool", "hh"])
def test_real_files_stream_like_json_load(name):
    # The bundled example pool: one line of 0.97 MB; a gzipped test pool of multi-turn pairs.
    path = POOLS[name]
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as handle:
        expected = json.load(handle)
    spans = list(iter_json_list(path))
    assert [record for record, _, _ in spans] == expected
    assert [json.loads(raw) for raw in _spans_text(path, spans)] == expected


@pytest.mark.parametrize("content, kind", [
    (b"", "jsonl"), (b" \n\t", "jsonl"), (b"\xef\xbb\xbf [ ]", "json"), (b"{}", "jsonl"),
    (b"PAR1xxxx", "parquet"),
])
def test_sniff(tmp_path, content, kind):
    assert sniff(_write(tmp_path / "f", content)) == kind


@pytest.mark.parametrize("content, kind", [("[ ]", "json"), (" [ \n ] \n", "json"), ("", "jsonl"),
                                           ("\n  \n", "jsonl"), (" \n\n\t", "jsonl")])
def test_empty_files_read_as_empty_pools(tmp_path, content, kind):
    source = read_pool(_write(tmp_path / "empty", content))
    assert len(source) == 0 and source.records == 0 and source.kind == kind
    assert jsonstream.load_records(tmp_path / "empty") == []


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_pool(tmp_path / "absent.json")


# --- malformed input: one message naming the file, line and column ---------------------------

NOT_AN_OBJECT = ", expected an object (a record such as {\"conversations\": [...]})"

# case: (file name, content, where the error points (the last occurrence of these bytes; None:
# the end of the file), message)
MALFORMED = {
    "trailing_comma": ("bad.json", b'[{"id": 0},\n {"id": 1,}]', b"}]",
                       "Expecting property name enclosed in double quotes"),
    "missing_comma": ("bad.json", b'[{"id": 0}\n {"id": 1}]', b'{"id": 1}',
                      "expected ',' or ']' after element 0, found '{'"),
    "element_not_object": ("bad.json", b'[{"id": 0},\n 5]', b"5",
                           "element 1 is a JSON number" + NOT_AN_OBJECT),
    "array_element": ("bad.json", b'[{"id": 0},\n  [1, 2]]', b"[1",
                      "element 1 is a JSON array" + NOT_AN_OBJECT),
    "string_element": ("bad.json", b'[{"id": 0}, "a long string element"]', b'"a long',
                       "element 1 is a JSON string" + NOT_AN_OBJECT),
    "first_element_a_string": ("bad.json", b'[\n"text"]', b'"text',
                               "element 0 is a JSON string" + NOT_AN_OBJECT),
    "unclosed_list": ("bad.json", b'[{"id": 0},\n {"id": 1}', None,
                      "expected ',' or ']' after element 1, found the end of the file"),
    "unterminated_list": ("bad.json", b'[{"id": 0},\n', None, "Expecting value"),
    "unclosed_record": ("bad.json", b'[{"id": 0},\n {"id": 1, "v": "abc', b'"abc',
                        "Unterminated string starting at"),
    "only_bracket": ("bad.json", b"[", None, "Expecting value"),
    "extra_after_list": ("bad.json", b'[{"id": 0}]\n\n  x', b"x",
                         "extra data after the closing ']'"),
    "bad_escape": ("bad.json", b'[{"id": 0}, {"v": "\\q"}]', b"\\q", "Invalid \\escape"),
    "non_utf8_json": ("bad.json", b'[{"id": 0},\n {"v": "caf\xc3\xa9 \xff"}]', b"\xff",
                      "not valid UTF-8 (byte 0xff: invalid start byte)"),
    "non_utf8_continuation": ("bad.json", b'[{"a": "ok"},\n {"b": "caf\xe9"}]', b"\xe9",
                              "not valid UTF-8 (byte 0xe9: invalid continuation byte)"),
    "non_utf8_first_byte": ("bad.json", b"\x80", b"\x80",
                            "not valid UTF-8 (byte 0x80: invalid start byte)"),
    "jsonl_not_object": ("bad.jsonl", b'{"id": 0}\n["x"]\n', b'["x"]',
                         "this line is a JSON array" + NOT_AN_OBJECT),
    "jsonl_indented_not_object": ("bad.jsonl", b'{"id": 0}\n\n  ["x"]\n', b'["x"]',
                                  "this line is a JSON array" + NOT_AN_OBJECT),
    "jsonl_number": ("bad.jsonl", b'{"id": 0}\n42\n', b"42",
                     "this line is a JSON number" + NOT_AN_OBJECT),
    "jsonl_malformed": ("bad.jsonl", b'{"id": 0}\n{"id": }\n', b"}\n",
                        "Expecting value"),
    "jsonl_two_objects": ("bad.jsonl", b'{"id": 0}\n{"id": 1} {"id": 2}\n', b'{"id": 2}',
                          "extra data after the record (JSONL needs one object per line)"),
    "jsonl_two_objects_on_line_1": ("bad.jsonl", b'{"id": 0} {"id": 1}\n', b'{"id": 1}',
                                    "extra data after the record (JSONL needs one object per "
                                    "line)"),
    "jsonl_truncated": ("bad.jsonl", b'{"id": 0}\n{"id": 1, "v": ', None, "Expecting value"),
    "jsonl_non_utf8": ("bad.jsonl", b'{"id": 0}\n{"v": "\xc3\xa9\xff"}\n', b"\xff",
                       "not valid UTF-8 (byte 0xff: invalid start byte)"),
}


def _line_and_column(content: bytes, at: bytes | None) -> tuple[int, int]:
    """Where the last ``at`` in ``content`` starts (None: the end), as json counts: lines from 1,
    columns in characters from 1 (the valid UTF-8 before the position)."""
    offset = len(content) if at is None else content.rindex(at)
    line_start = content.rfind(b"\n", 0, offset) + 1
    column = len(content[line_start:offset].decode("utf-8")) + 1
    return content.count(b"\n", 0, offset) + 1, column


@pytest.mark.parametrize("chunk", [3, 1 << 20])
@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("gz", [False, True])
def test_malformed_input_names_file_line_and_column(tmp_path, monkeypatch, case, chunk, gz):
    monkeypatch.setattr(jsonfile, "CHUNK_SIZE", chunk)
    name, content, at, message = MALFORMED[case]
    line, column = _line_and_column(content, at)
    if gz:  # positions count the decompressed text
        name, content = name + ".gz", gzip.compress(content)
    path = _write(tmp_path / name, content)
    with pytest.raises(ZipcoreError) as got:
        read_pool(path)
    assert str(got.value) == f"{path}:{line}:{column}: {message}"


@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b'[{"id": 0}]')[:-6]])
def test_bad_gzip_is_named(tmp_path, content):
    path = _write(tmp_path / "in.json.gz", content)
    with pytest.raises(ZipcoreError, match=rf"^{path}: not a valid gzip file"):
        read_pool(path)


def test_columns_never_count_a_byte_order_mark(tmp_path):
    path = _write(tmp_path / "bom.json", b'\xef\xbb\xbf[{"v": "\xe9"}]')
    with pytest.raises(ZipcoreError, match=rf"^{path}:1:9: not valid UTF-8 .byte 0xe9"):
        read_pool(path)
    path = _write(tmp_path / "bom.jsonl", b'\xef\xbb\xbf{"v": "\xe9"}')
    with pytest.raises(ZipcoreError, match=rf"^{path}:1:8: not valid UTF-8 .byte 0xe9"):
        read_pool(path)


def test_json_python_cannot_build_is_a_positioned_error(tmp_path):
    # Valid JSON that Python's json refuses: nesting past the recursion limit, a huge integer.
    for name, text in (("deep.json", "[" + "[" * 5000 + "]" * 5000 + "]"),
                       ("deep.jsonl", "{\"a\": " + "[" * 5000 + "]" * 5000 + "}\n"),
                       ("big.json", "[{\"a\": " + "1" * 5000 + "}]"),
                       ("big.jsonl", "{\"id\": 1}\n{\"a\": " + "1" * 5000 + "}\n")):
        path = _write(tmp_path / name, text)
        with pytest.raises(ZipcoreError, match=rf"{name}:\d+:\d+: this value"):
            read_pool(path)


def test_locate_counts_characters_as_json_does(tmp_path):
    path = _write(tmp_path / "t.json", "\ufeffab\ncé\u2028x\n")
    data = path.read_bytes()
    assert locate(path, data.index(b"x")) == (2, 4)
    assert locate(path, data.index(b"b")) == (1, 2)


# --- pools and written selections ------------------------------------------------------------

@pytest.fixture(scope="module")
def records(real_pool):
    return real_pool("pool", 0, 40)


@pytest.mark.parametrize("kind", ["json", "jsonl", "json.gz", "jsonl.gz"])
def test_selection_is_each_chosen_records_source_text(tmp_path, records, kind):
    text = (json.dumps(records) if kind.startswith("json.") or kind == "json"
            else "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    content = text.encode("utf-8")
    path = _write(tmp_path / f"in.{kind}",
                  gzip.compress(content) if kind.endswith(".gz") else content)
    source = read_pool(path)
    assert source.kind == kind.split(".")[0] and (source.compression == "gzip") == kind.endswith(".gz")
    assert source.pool == Pool.from_samples(records)
    chosen = zipcore.select(source.pool, 9, **KS)
    assert chosen.tolist() == zipcore.select(records, 9, **KS).tolist()
    raw = [json.dumps(r) if kind.startswith("json.") or kind == "json"
           else json.dumps(r, ensure_ascii=False) for r in records]
    picked = [raw[i] for i in chosen]
    expected = ("[" + ", ".join(picked) + "]" if source.kind == "json"
                else "".join(line + "\n" for line in picked)).encode("utf-8")
    assert b"".join(source.selection_chunks(chosen)) == expected
    assert (b"".join(source.selection_chunks(chosen, compression="gzip"))
            == gzip.compress(expected, compresslevel=6, mtime=0))
    out = tmp_path / f"out.{kind}"
    source.write_selection(out, chosen)
    assert out.read_bytes() == (gzip.compress(expected, compresslevel=6, mtime=0)
                                if kind.endswith(".gz") else expected)


def test_a_changed_input_is_not_reread(tmp_path, records):
    path = _write(tmp_path / "in.json", json.dumps(records))
    source = read_pool(path)
    _write(path, json.dumps(records[::-1]) + " ")
    with pytest.raises(ZipcoreError, match="changed after it was read"):
        source.selection_chunks([0, 1])
    with pytest.raises(IndexError, match="index 40 is out of range"):
        source.record_indices([40])


def _with_peak_memory(call):
    """(call(), peak bytes Python allocated during it)."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_holds_the_pool_not_the_records(tmp_path, real_pool):
    records = real_pool("pool") + real_pool("gsm8k")  # 2,700 records, 1.7 MB
    path = _write(tmp_path / "in.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    source, peak = _with_peak_memory(lambda: read_pool(path))
    # The pool's bytes (grown by about 1/8 at a time) plus a few MiB: no per-record objects.
    assert peak < 1.3 * source.pool.nbytes + (4 << 20), (peak, source.pool.nbytes)
    # A whole-file load (the text, then every record parsed) takes far more.
    loaded, whole = _with_peak_memory(
        lambda: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    assert len(loaded) == len(source)
    assert whole > 2 * peak, (whole, peak)


# --- Parquet ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pq():
    pytest.importorskip("pyarrow")
    import pyarrow.parquet

    return pyarrow.parquet


def _parquet(pq, path: Path, rows: list[dict], **options) -> Path:
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(rows), path, **options)
    return path


def test_parquet_rows_as_records_match_the_json(tmp_path, pq, records):
    path = _parquet(pq, tmp_path / "in.parquet", records, row_group_size=7)
    source = read_pool(path)
    assert (source.kind, source.format, source.compression, source.spans) == (
        "parquet", "sharegpt", None, None)
    assert source.pool == Pool.from_samples(records)  # same repr: same selection as the JSON
    chosen = zipcore.select(source.pool, 9, **KS)
    out = tmp_path / "out.parquet"
    source.write_selection(out, chosen)
    table = pq.read_table(out)
    assert table.schema == pq.read_schema(path)
    assert table.to_pylist() == [records[i] for i in chosen.tolist()]


def test_parquet_column_and_template(tmp_path, pq, monkeypatch):
    from zipcore.io import parquet

    monkeypatch.setattr(parquet, "COLUMN_BATCH_ROWS", 4)  # several batches per row group
    rows = [{"instruction": f"do {i}", "input": "x" * (i % 3), "output": f"done {i} é",
             "n": i} for i in range(30)]
    path = _parquet(pq, tmp_path / "alpaca.parquet", rows, row_group_size=5)
    column = read_pool(path, column="output")
    assert column.format == "text"
    assert column.pool == Pool.from_samples([r["output"] for r in rows])
    assert read_pool(path, format="text", text_field="output").pool == column.pool
    template = read_pool(path, template="{instruction}\n{output}")
    assert template.format == "template"
    assert template.pool == Pool.from_samples([f"{r['instruction']}\n{r['output']}"
                                               for r in rows])
    assert read_pool(path).format == "alpaca"
    chosen = zipcore.select(column.pool, 6, **KS)
    out = tmp_path / "sel.parquet"
    column.write_selection(out, chosen)
    assert pq.read_table(out).to_pylist() == [rows[i] for i in chosen.tolist()]
    with pytest.raises(ValueError, match="Parquet compresses inside the file"):
        column.selection_chunks(chosen, compression="gzip")


def test_parquet_pairs_stay_together(tmp_path, pq, real_pool):
    rows = real_pool("hh", 0, 20)
    path = _parquet(pq, tmp_path / "pref.parquet", rows, row_group_size=3)
    for options in ({}, {"template": "{conversations}"}):
        source = read_pool(path, **options)
        assert source.pairs and len(source) == 10
    flat = [{"text": f"{r['conversations'][-1]['value']}", "pair_id": r["pair_id"],
             "label": r["label"]} for r in rows]
    flat_path = _parquet(pq, tmp_path / "flat.parquet", flat, row_group_size=3)
    source = read_pool(flat_path, column="text")
    assert source.pairs and len(source) == 10
    assert source.pool.sample(0) == (flat[0]["text"] + ", " + flat[1]["text"]).encode()
    out = tmp_path / "sel.parquet"
    source.write_selection(out, [3, 0])
    assert pq.read_table(out).to_pylist() == [flat[6], flat[7], flat[0], flat[1]]


def test_parquet_errors_name_the_file_and_row(tmp_path, pq):
    rows = [{"text": "a", "n": 1}, {"text": "b", "n": 2}, {"text": None, "n": 3}]
    path = _parquet(pq, tmp_path / "t.parquet", rows)
    with pytest.raises(ZipcoreError, match=rf"^{path}: row 2 has 'text' null"):
        read_pool(path, column="text")
    with pytest.raises(ZipcoreError, match=rf"^{path}: row 2 has 'text' null"):
        read_pool(path, format="text")
    with pytest.raises(ZipcoreError, match=rf"^{path}: row 2 has 'text' as null, not a "
                                           "string: it is not a text record like the first"):
        read_pool(path)
    with pytest.raises(ZipcoreError, match=rf"^{path}: row 2 has 'text' null .the template"):
        read_pool(path, template="{n}: {text}")
    with pytest.raises(ZipcoreError, match=rf"^{path}: no column 'body'; the columns are"):
        read_pool(path, column="body")
    with pytest.raises(ZipcoreError, match=rf"^{path}: column 'n' holds int64, not text"):
        read_pool(path, column="n")
    broken = _write(tmp_path / "broken.parquet", path.read_bytes()[:40])
    with pytest.raises(ZipcoreError, match=rf"^{broken}: not a valid Parquet file"):
        read_pool(broken)


# --- the command line ------------------------------------------------------------------------

def test_cli_formats_columns_and_templates(tmp_path, pq, capsys):
    rows = [{"instruction": f"task {i}", "output": f"answer {i % 7} " * (i % 5 + 1)}
            for i in range(40)]
    parquet = _parquet(pq, tmp_path / "in.parquet", rows, row_group_size=9)
    jsonl = _write(tmp_path / "in.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    flags = ["--budget", "6", "--k1", "12", "--k2", "8", "--k3", "3", "-q"]
    texts = [f"{r['instruction']}\n{r['output']}" for r in rows]
    expected = zipcore.select(texts, 6, **KS).tolist()
    for source in (parquet, jsonl):
        out, idx = tmp_path / f"out{source.suffix}", tmp_path / "idx.txt"
        argv = ["select", str(source), "-o", str(out), *flags, "--indices-out", str(idx),
                "--template", r"{instruction}\n{output}"]
        assert cli.main(argv) == 0, capsys.readouterr().err
        assert [int(x) for x in idx.read_text().split()] == expected
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == [rows[i] for i in expected]
    assert (tmp_path / "out.jsonl").read_text().splitlines() == [
        json.dumps(rows[i]) for i in expected]
    assert cli.main(["select", str(parquet), "-o", str(tmp_path / "c.parquet"), *flags,
                     "--column", "output"]) == 0
    assert cli.main(["select", str(jsonl), "-o", str(tmp_path / "t.jsonl"), *flags,
                     "--format", "text", "--text-field", "output"]) == 0
    assert (tmp_path / "t.jsonl").read_text().splitlines() == [
        json.dumps(rows[i]) for i in zipcore.select([r["output"] for r in rows], 6, **KS)]
    capsys.readouterr()
    assert cli.main(["select", str(jsonl), "-o", str(tmp_path / "x.jsonl"), *flags,
                     "--format", "sharegpt"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"zipcore: error: {jsonl}:1:1: record 0 has no 'conversations' field "
                   "(format sharegpt)")
    assert not (tmp_path / "x.jsonl").exists()


def test_cli_keeps_pairs_together(tmp_path, real_pool, capsys):
    rows = real_pool("hh", 0, 40)
    path = _write(tmp_path / "pref.json", json.dumps(rows))
    out, idx = tmp_path / "sel.json", tmp_path / "idx.txt"
    assert cli.main(["select", str(path), "-o", str(out), "--budget", "5", "--k1", "12",
                     "--k2", "8", "--k3", "3", "-q", "--indices-out", str(idx)]) == 0
    assert "selected 5 of 20 pairs" in capsys.readouterr().err
    lines = [int(x) for x in idx.read_text().split()]
    assert len(lines) == 10 and all(b == a + 1 and a % 2 == 0 for a, b in zip(lines[::2],
                                                                               lines[1::2]))
    assert json.loads(out.read_text(encoding="utf-8")) == [rows[i] for i in lines]
    assert sorted(os.listdir(tmp_path)) == ["idx.txt", "pref.json", "sel.json"]
    assert np.array_equal(np.array(lines) // 2, np.repeat(np.array(lines[::2]) // 2, 2))
