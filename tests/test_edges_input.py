"""Bad input: every case ends in one clear error naming the file (and line, row or record), or
in the right bytes; never in a traceback or silently wrong samples (issue 12, the input side).

Each test here failed before the fix it covers; docs/reliability.md lists them by case.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zipcore
from zipcore import ZipcoreError, cli, measure
from zipcore.entropy import monitor, ratio
from zipcore.io import jsonfile
from zipcore.io.encoder import PoolEncoder
from zipcore.io.formats import RecordError
from zipcore.pool import Pool
from zipcore.io.readers import read_pool
from zipcore.entropy.report import file_sources

ALPACA = [{"instruction": f"do {i}", "input": "", "output": f"done {i} é"} for i in range(6)]


def _write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _encode(records, **options):
    encoder = PoolEncoder(**options)
    for record in records:
        encoder.add(record)
    return encoder.finish()


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zipcore: error: "), captured.err
    return lines[0][len("zipcore: error: "):]


@pytest.fixture
def pq():
    pytest.importorskip("pyarrow")
    import pyarrow.parquet

    return pyarrow.parquet


def _parquet(path: Path, table) -> Path:
    import pyarrow.parquet as pq

    pq.write_table(table, path)
    return path


# --- 6, 20: templates name plain fields only ----------------------------------------------------

@pytest.mark.parametrize("template, part", [
    ("{id:>99999999999}", "{id:>99999999999}"),  # MemoryError before
    ("{id:d}", "{id:d}"),
    ("{id!r}", "{id!r}"),
    ("{id!s:10}", "{id!s:10}"),
    ("{instruction.upper}", "{instruction.upper}"),  # put "<built-in method ...>" in the bytes
    ("{a[0]}", "{a[0]}"),
    ("x {instruction} {output.__class__}", "{output.__class__}"),
])
def test_templates_refuse_format_specs_conversions_and_access(tmp_path, template, part):
    # Refused when the template is read, before any record: this file is not even JSON.
    path = _write(tmp_path / "bad.jsonl", "not json\n")
    with pytest.raises(ValueError) as caught:
        read_pool(path, template=template)
    message = str(caught.value)
    assert message.startswith(f"template {template!r}: {part} ")
    assert "plain field names such as {instruction}" in message


def test_cli_refuses_a_huge_template_width_in_one_line(tmp_path, capsys):
    path = _write(tmp_path / "in.jsonl", "".join(json.dumps({"id": i}) + "\n" for i in range(4)))
    out = tmp_path / "out.jsonl"
    assert cli.main(["select", str(path), "-o", str(out), "--budget", "1", "-q",
                     "--template", "{id:>99999999999}"]) == 2
    assert _one_line_error(capsys).startswith("template '{id:>99999999999}': ")
    assert not out.exists()


def test_template_values_render_as_text():
    pool, _ = _encode([{"a": "x", "n": 1.5, "b": True, "l": [1, "y"]}],
                      template="{a}|{n}|{b}|{l}|{{literal}}")
    assert pool.sample(0) == b"x|1.5|True|[1, 'y']|{literal}"


def test_parquet_binary_template_field_is_decoded_as_utf8(tmp_path, pq):
    import pyarrow as pa

    table = pa.table({"text": pa.array(["héllo".encode(), b"world"], pa.binary())})
    path = _parquet(tmp_path / "bin.parquet", table)
    source = read_pool(path, template="{text}")
    assert [source.pool.sample(i) for i in range(2)] == ["héllo".encode(), b"world"]  # not b'..'
    bad = _parquet(tmp_path / "bad.parquet",
                   pa.table({"text": pa.array([b"ok", b"\xff\xfe"], pa.binary())}))
    with pytest.raises(ZipcoreError, match=rf"^{bad}: row 1 has 'text' bytes that are not valid "
                                           r"UTF-8 \(the template uses it\)"):
        read_pool(bad, template="{text}")


# --- 8: a JSON object around the records ------------------------------------------------------

WRAPPED = [{"id": 1e2, "text": "caf\u00e9 \\u00e9"}, {"id": 2, "text": "b", "n": [1, {}]},
           {"text": "c", "id": 3}]


def _wrapper(records_text: list[str], indent: str = "\n  ") -> str:
    return ('{"meta": {"name": "x", "list": [1, 2]},' + indent + '"data": [' + indent
            + ("," + indent).join(records_text) + "]," + indent + '"count": 3}\n')


@pytest.mark.parametrize("chunk", [3, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_records_key_reads_the_list_under_that_key(tmp_path, monkeypatch, chunk, gz):
    monkeypatch.setattr(jsonfile, "CHUNK_SIZE", chunk)  # records cut anywhere
    raw = ['{"id": 1e2, "text": "caf\u00e9 \\u00e9"}', '{ "id":2,"text" : "b", "n": [1, {}] }',
           '{"text": "c", "id": 3}']
    content = _wrapper(raw).encode("utf-8")
    path = _write(tmp_path / ("w.json.gz" if gz else "w.json"),
                  gzip.compress(content) if gz else content)
    source = read_pool(path, records_key="data")
    records = [json.loads(r) for r in raw]
    assert (source.kind, source.format, source.records) == ("json", "text", 3)
    assert source.pool == Pool.from_samples([r["text"] for r in records])
    assert read_pool(path, records_key="data", format="record").pool == Pool.from_samples(
        records)
    # Written back as a JSON list of the selected records, each byte for byte.
    out = tmp_path / ("sel.json.gz" if gz else "sel.json")
    source.write_selection(out, [2, 0])
    written = out.read_bytes()
    written = gzip.decompress(written) if gz else written
    assert written == ("[" + raw[2] + ", " + raw[0] + "]").encode("utf-8")
    assert file_sources(source) == ["(no source)"] * 3


@pytest.mark.parametrize("content, key, message", [
    (_wrapper(['{"text": "a"}']), "rows", ": no top-level key 'rows'; its list fields: 'data'"),
    (_wrapper(['{"text": "a"}']), "meta", ":1:10: 'meta' is a JSON object, not a list of records"),
    ('{"data": [{"a": 1}], "data": []}', "data", ":1:22: the top-level key 'data' appears twice"),
    ('[{"a": 1}]', "data", ":1:1: records_key='data' needs a JSON object at the top level, this "
                           "file is a JSON list"),
    ('{"data": [{"a": 1}]}\n{"data": []}\n', "data", ":2:1: extra data after the top-level "
                                                    "object"),
    ('{"data": [{"a": 1},\n 5]}', "data", ":2:2: element 1 is a JSON number, expected an object"),
    ('{"data": [{"a": 1}], "n": tru}', "data", ":1:27: Expecting value"),
    ('{"data": [{"a": 1}],}', "data", ":1:21: Expecting property name enclosed in double quotes"),
])
def test_records_key_errors_name_the_file(tmp_path, content, key, message):
    path = _write(tmp_path / "w.json", content)
    with pytest.raises(ZipcoreError) as caught:
        read_pool(path, records_key=key)
    assert str(caught.value).startswith(f"{path}{message}")


def test_records_key_is_for_json_input(tmp_path, pq):
    import pyarrow as pa

    path = _parquet(tmp_path / "t.parquet", pa.table({"text": ["a"]}))
    with pytest.raises(ValueError, match="records_key is for JSON files; .*t.parquet is Parquet"):
        read_pool(path, records_key="data")


def test_a_wrapper_object_without_records_key_is_refused(tmp_path, capsys):
    records = [{"text": f"t {i}"} for i in range(5)]
    expected = ("the top level is a JSON object, not a list of records; its list fields: "
                "'data', 'more'. Name the list with --records-key KEY (records_key= in Python)")
    pretty = _write(tmp_path / "pretty.json", json.dumps(
        {"version": 1, "data": records, "more": []}, indent=2))
    with pytest.raises(ZipcoreError) as caught:
        read_pool(pretty)
    assert str(caught.value) == f"{pretty}: {expected}"
    one_line = _write(tmp_path / "one.json", json.dumps({"data": records, "more": []}) + "\n")
    with pytest.raises(ZipcoreError) as caught:
        read_pool(one_line)
    assert str(caught.value).startswith(f"{one_line}: {expected}")
    out = tmp_path / "out.jsonl"
    assert cli.main(["select", str(one_line), "-o", str(out), "--budget", "1", "-q"]) == 2
    assert _one_line_error(capsys).startswith(f"{one_line}: the top level is a JSON object")
    assert not out.exists()
    # A wrapper with one list names it in the hint.
    single = _write(tmp_path / "single.json", json.dumps({"data": records}, indent=1))
    with pytest.raises(ZipcoreError, match="its list fields: 'data'. Name the list with "
                                           r"--records-key data \(records_key= in Python\)$"):
        read_pool(single)


def test_one_object_is_jsonl_only_when_named_so(tmp_path):
    record = {"conversations": [{"from": "human", "value": "hi"}]}
    jsonl = _write(tmp_path / "one.jsonl.gz", gzip.compress(json.dumps(record).encode()))
    assert read_pool(jsonl).pool == Pool.from_samples([record])
    plain = _write(tmp_path / "one.json", json.dumps({"text": "hi"}))
    with pytest.raises(ZipcoreError) as caught:
        read_pool(plain)
    assert str(caught.value) == (
        f"{plain}: the top level is a JSON object, not a list of records, and it has no list "
        "field; a file of records is a JSON list ([{...}, ...]) or JSONL (one object a line; "
        "a file of one record must be named .jsonl)")
    # Several objects, one a line, stay JSONL whatever the name.
    many = _write(tmp_path / "many.json", '{"text": "a"}\n{"text": "b"}\n')
    assert read_pool(many).pool == Pool.from_samples(["a", "b"])


def test_a_broken_multiline_object_is_positioned(tmp_path):
    path = _write(tmp_path / "w.json", '{\n  "data": [\n    {"a": 1},\n    {"a": 2,}\n  ]\n}\n')
    with pytest.raises(ZipcoreError, match=rf"^{path}:4:13: Expecting property name"):
        read_pool(path)


# --- 10: deep nesting, bytes paths ------------------------------------------------------------

def _nested(depth: int) -> dict:
    record: dict = {}
    for _ in range(depth):
        record = {"a": record}
    return record


def test_a_record_nested_too_deeply_to_encode_is_named():
    with pytest.raises(RecordError, match="^record 1 is nested too deeply to encode"):
        _encode([{"a": 1}, _nested(100_000)])
    with pytest.raises(RecordError, match="^record 0 is nested too deeply to encode"):
        _encode([{"a": _nested(100_000)}], template="{a}")


def test_an_api_sample_nested_too_deeply_is_named():
    with pytest.raises(ZipcoreError, match="^sample 2 is nested too deeply to encode$"):
        zipcore.select([{"a": 1}, {"b": 2}, _nested(100_000)], 1)


def test_select_records_key_writes_the_selected_records_as_a_json_list(tmp_path):
    records = [dict(r, id=i) for i, r in enumerate(ALPACA)]
    source = _write(tmp_path / "wrapped.json", json.dumps({"meta": {"n": 6}, "data": records},
                                                          indent=2))
    out, idx = tmp_path / "sel.json", tmp_path / "idx.txt"
    assert cli.main(["select", str(source), "--records-key", "data", "-o", str(out),
                     "--indices-out", str(idx), "--budget", "3", "-q"]) == 0
    chosen = [int(line) for line in idx.read_text().split()]
    assert chosen == zipcore.select(records, 3).tolist()
    written = out.read_text(encoding="utf-8")
    assert json.loads(written) == [records[i] for i in chosen]
    for i in chosen:  # each record byte for byte as it stands in the input (indented there)
        assert json.dumps(records[i], indent=2).replace("\n", "\n    ") in written


def test_read_pool_takes_bytes_paths(tmp_path):
    path = _write(tmp_path / "a.jsonl.gz", gzip.compress(b'{"text": "x"}\n{"text": "y"}\n'))
    source = read_pool(bytes(path))
    assert source.path == str(path) and source.compression == "gzip"
    assert source.pool == Pool.from_samples(["x", "y"])


# --- 14, 19, 24, 25: ratios -------------------------------------------------------------------

def test_an_empty_group_has_no_ratio():
    with pytest.raises(ZipcoreError, match="^there are no samples: R of an empty group is "
                                           "undefined$"):
        measure.dataset_ratio([])
    with pytest.raises(ZipcoreError, match="no samples"):
        measure.dataset_ratio(Pool.from_samples([]))


@pytest.mark.parametrize("content", ["[]", "", " \n"])
def test_an_empty_file_has_no_ratio(tmp_path, content):
    path = _write(tmp_path / "empty.json", content)
    with pytest.raises(ZipcoreError) as caught:
        ratio.file_ratios(path)
    assert str(caught.value) == f"{path}: no records: R of an empty file is undefined"


def test_ratio_command_refuses_an_empty_file(tmp_path, capsys):
    path = _write(tmp_path / "empty.json", "[]")
    assert cli.main(["ratio", str(path)]) == 2
    assert _one_line_error(capsys) == f"{path}: no records: R of an empty file is undefined"


def _sourced(n: int) -> list[dict]:
    sources = ["a/x", "a/y", "b", 3, "3", "(none)", None]
    records = [{"text": f"sample {i} " * (i % 4 + 1), "source": sources[i % len(sources)]}
               for i in range(n)]
    for i in range(0, n, 5):
        del records[i]["source"]
    return records


def _by(rows) -> dict[str, tuple[int, float]]:
    return {row.source: (row.samples, row.ratio) for row in rows}


def test_sources_that_look_alike_stay_apart():
    records = [{"t": 1, "source": "3"}, {"t": 2, "source": 3}, {"t": 3, "source": "(none)"},
               {"t": 4}, {"t": 5, "source": None}, {"t": 6, "source": 3.0},
               {"t": 7, "source": True}, {"t": 8, "source": "(no source)"},
               {"t": 9, "source": "3 (JSON number)"}, {"t": 10, "source": "null (JSON null)"},
               {"t": 11, "source": "b'x' (Python bytes)"}, {"t": 12, "source": b"x"},
               {"t": 13, "source": ""}, {"t": 14, "source": "a\nb"},
               {"t": 15, "source": "\ud800"}, {"t": 16, "source": "\\ud800"}]
    rows = ratio.ratio_by_source(records)
    # One label a group: a string that could pass for another label, or that a table cannot
    # show, is shown as JSON.
    assert sorted(row.source for row in rows) == sorted(
        ["3", "3 (JSON number)", "(none)", "(no source)", "null (JSON null)",
         "3.0 (JSON number)", "true (JSON boolean)", '"(no source)" (JSON string)',
         '"3 (JSON number)" (JSON string)', '"null (JSON null)" (JSON string)',
         '"b\'x\' (Python bytes)" (JSON string)', "b'x' (Python bytes)",
         '"" (JSON string)', '"a\\nb" (JSON string)', '"\\ud800" (JSON string)', "\\ud800"])
    assert all(row.samples == 1 for row in rows)
    assert all(row.source.isprintable() for row in rows)
    assert ratio.source_of({"t": 4}) == ratio.NO_SOURCE == "(no source)"
    # prefix=True cuts string sources only.
    prefixed = _by(ratio.ratio_by_source([{"source": "a/b"}, {"source": ["a/b"]}], prefix=True))
    assert set(prefixed) == {"a", '["a/b"] (JSON array)'}


@pytest.mark.parametrize("suffix", ["json", "jsonl", "parquet"])
def test_file_ratios_by_source_stream_every_kind(tmp_path, suffix):
    records = _sourced(60)
    path = tmp_path / f"pool.{suffix}"
    if suffix == "parquet":
        pytest.importorskip("pyarrow")
        import pyarrow as pa

        # One type a column: the Parquet sources are strings (missing = null), the rest as JSON.
        rows = [{**r, "source": None if not isinstance(r.get("source"), str) else r["source"]}
                for r in records]
        _parquet(path, pa.Table.from_pylist(rows))
        records = rows
    elif suffix == "json":
        _write(path, json.dumps(records))
    else:
        _write(path, "".join(json.dumps(r) + "\n" for r in records))
    for by, prefix in (("source", False), ("prefix", True)):  # each record's repr
        whole, groups = ratio.file_ratios(path, by=by, threads=2, format="record")
        assert (whole.samples, whole.ratio) == (60, measure.dataset_ratio(records).ratio)
        assert _by(groups) == _by(ratio.ratio_by_source(records, prefix=prefix))
        assert [g.source for g in groups] == [
            g.source for g in ratio.ratio_by_source(records, prefix=prefix)]
    # By default the samples select compresses: these records' text fields.
    whole, groups = ratio.file_ratios(path)
    assert groups is None and whole.samples == 60
    assert whole.ratio == measure.dataset_ratio([r["text"] for r in records]).ratio
    assert whole.ratio == zipcore.compression_ratio(zipcore.read_pool(path).pool)


def test_file_ratios_read_records_key_wrappers(tmp_path):
    records = _sourced(12)
    path = _write(tmp_path / "w.json", json.dumps({"data": records}, indent=2))
    whole, groups = ratio.file_ratios(path, by="source", records_key="data", format="record")
    assert whole.ratio == measure.dataset_ratio(records).ratio
    assert _by(groups) == _by(ratio.ratio_by_source(records))


def test_ratio_command_by_source_reads_parquet(tmp_path, pq, capsys):
    import pyarrow as pa

    rows = [{"text": f"t {i}", "source": "ab"[i % 2]} for i in range(20)]
    path = _parquet(tmp_path / "g.parquet", pa.Table.from_pylist(rows))
    assert cli.main(["ratio", str(path), "--by", "source", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert [(s["source"], s["samples"]) for s in row["sources"]] == [
        (g.source, g.samples) for g in ratio.ratio_by_source(rows)]


@pytest.mark.parametrize("limit, error, message", [
    (-5, ValueError, "exact_limit must be at least 0, got -5"),
    ("32M", TypeError, "exact_limit must be an integer, got str"),
    (True, TypeError, "exact_limit must be an integer, got a bool"),
    (1.5, TypeError, "exact_limit must be an integer, got float"),
])
def test_exact_limit_is_checked(limit, error, message):
    with pytest.raises(error, match=message):
        measure.dataset_ratio(["a", "b"], exact_limit=limit)


def test_read_pool_pairs_is_a_bool_and_pairs_true_says_it_asked(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    with pytest.raises(TypeError, match="pairs must be True, False or None, got 'yes'"):
        zipcore.read_pool(path, pairs="yes")  # type: ignore[arg-type]
    with pytest.raises(ZipcoreError, match="record 0 has no pair_id or label, but pairs=True "
                                           "asks for preference pairs"):
        zipcore.read_pool(path, pairs=True)


def test_dataset_ratio_takes_numpy_integers_as_every_count_does():
    samples = [f"text {i}" for i in range(30)]
    assert (measure.dataset_ratio(samples, chunk_size=np.int64(1 << 20),
                                  exact_limit=np.int64(10), threads=np.int32(1))
            == measure.dataset_ratio(samples, chunk_size=1 << 20, exact_limit=10, threads=1))
    with pytest.raises(TypeError, match="chunk_size must be an integer, got str"):
        measure.dataset_ratio(samples, chunk_size="1")


def test_dataset_ratio_takes_any_iterable():
    samples = [f"text {i}" for i in range(30)]
    expected = measure.dataset_ratio(samples)
    assert measure.dataset_ratio(s for s in samples) == expected
    assert measure.dataset_ratio(iter(samples)) == expected


def test_a_dictionary_encoded_column_is_text(tmp_path, pq):
    import pyarrow as pa

    values = ["a b", "c d é", "a b"]
    table = pa.table({"text": pa.array(values).dictionary_encode(), "n": [1, 2, 3]})
    path = _parquet(tmp_path / "dict.parquet", table)
    for options in ({"column": "text"}, {"template": "{text}"}):
        assert read_pool(path, **options).pool == Pool.from_samples(values)


# --- 21: preference pairs are checked ---------------------------------------------------------

def _pair(k, labels=("chosen", "rejected"), pair_id=None) -> list[dict]:
    return [{"text": f"{label} {k}", "pair_id": k if pair_id is None else pair_id,
             "label": label} for label in labels]


@pytest.mark.parametrize("records, message", [
    (_pair(0) + _pair(1)[:1] + _pair(2),
     "record 2 .pair_id 1. has no partner: a preference pair is two consecutive records"),
    (_pair(0) + _pair(1)[:1], "record 2 .pair_id 1. has no partner"),
    (_pair(0) + _pair(0, ("chosen",)), "record 2 is a third record with pair_id 0: a preference "
                                       "pair is exactly two records"),
    (_pair(0, ("chosen", "chosen")), 'record 1 has label "chosen" like its partner record 0: '
                                     'a pair has one "chosen" and one "rejected" member'),
    (_pair(0, ("chosen", 2)), 'record 1 has label 2; a preference pair member\'s label is '
                              '"chosen" or "rejected"'),
    (_pair(0, ("x", "rejected")), 'record 0 has label "x"; a preference pair member\'s label'),
    # pair ids compare as JSON values, type included: 1, true, 1.0 and "1" all differ.
    (_pair(1)[:1] + _pair(True)[1:], "record 0 .pair_id 1. has no partner"),
    (_pair(1)[:1] + _pair(1.0)[1:], "record 0 .pair_id 1. has no partner"),
    (_pair(1)[:1] + _pair("1")[1:], "record 0 .pair_id 1. has no partner"),
    (_pair(True)[:1] + _pair(1)[1:], "record 0 .pair_id true. has no partner"),
    (_pair(0) + [{"text": "x"}], "record 2 has no pair_id or label, but the first record is a "
                                 "preference pair member"),
    ([{"text": "x"}] + _pair(0), "record 1 has pair_id and label, but the first record has "
                                 "not: preference pairs are detected from the first record"),
])
def test_pairs_are_exactly_two_consecutive_records(tmp_path, records, message):
    with pytest.raises(RecordError, match="^" + message):
        _encode(records)
    path = _write(tmp_path / "pairs.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(ZipcoreError, match=rf"^{path}:\d+:1: {message}"):
        read_pool(path)


def test_pairs_either_order_and_forced_off(tmp_path):
    records = _pair(0, ("rejected", "chosen")) + _pair("k") + _pair(0.5)
    pool, groups = _encode(records)
    assert groups.tolist() == [0, 2, 4, 6]
    assert pool.sample(1) == b"chosen k, rejected k"  # text format: the members' texts
    mixed = [{"text": "x"}] + _pair(0)[:1]
    pool, groups = _encode(mixed, pairs=False)  # asked: no pairs, no check
    assert groups is None and len(pool) == 2


def test_parquet_pairs_are_checked(tmp_path, pq):
    import pyarrow as pa

    rows = _pair(0) + _pair(1)[:1] + _pair(2)
    path = _parquet(tmp_path / "p.parquet", pa.Table.from_pylist(rows))
    for options in ({}, {"column": "text"}, {"template": "{text}"}):
        with pytest.raises(ZipcoreError, match=rf"^{path}: row 2 .pair_id 1. has no partner"):
            read_pool(path, **options)
    labels = _parquet(tmp_path / "l.parquet", pa.Table.from_pylist(_pair(0, ("chosen", "bad"))))
    with pytest.raises(ZipcoreError, match=rf'^{labels}: row 1 has label "bad"'):
        read_pool(labels, column="text")


# --- 22: a text field given means format text -------------------------------------------------

def test_a_named_text_field_means_format_text(tmp_path, pq):
    import pyarrow as pa

    path = _write(tmp_path / "a.json", json.dumps(ALPACA))
    named = read_pool(path, text_field="instruction")
    assert named.format == "text"
    assert named.pool == Pool.from_samples([r["instruction"] for r in ALPACA])
    assert read_pool(path).format == "alpaca"
    with pytest.raises(ValueError, match="a text field is for format 'text'"):
        read_pool(path, text_field="instruction", format="alpaca")
    with pytest.raises(ValueError, match="give a text field or a template, not both"):
        read_pool(path, text_field="instruction", template="{output}")
    parquet = _parquet(tmp_path / "a.parquet", pa.Table.from_pylist(ALPACA))
    assert read_pool(parquet, text_field="output").pool == Pool.from_samples(
        [r["output"] for r in ALPACA])


# --- 23, 7: monitor names the CSV row, the version and the path -------------------------------

def test_monitor_names_the_row_of_an_empty_or_missing_version(tmp_path):
    _write(tmp_path / "v1.json", json.dumps(ALPACA))
    _write(tmp_path / "empty.json", "[]")
    csv_path = _write(tmp_path / "versions.csv", "version,path\nv1,v1.json\nv2,empty.json\n")
    with pytest.raises(ZipcoreError) as caught:
        monitor.monitor(csv_path)
    assert str(caught.value) == (f"{csv_path}:3: version 'v2': {tmp_path / 'empty.json'}: no "
                                 "records: R of an empty file is undefined")
    _write(csv_path, "version,path\n\nv1,v1.json\nv3,nothere.json\n")
    with pytest.raises(ZipcoreError) as caught:
        monitor.monitor(csv_path)
    assert str(caught.value) == (f"{csv_path}:4: version 'v3': {tmp_path / 'nothere.json'}: "
                                 "No such file or directory")
    _write(tmp_path / "bad.jsonl", '{"a": 1}\n{"a": \n')
    _write(csv_path, "version,path\nv1,bad.jsonl\n")
    with pytest.raises(ZipcoreError, match=rf"^{csv_path}:2: version 'v1': "
                                           rf"{tmp_path / 'bad.jsonl'}:2:7: Expecting value"):
        monitor.monitor(csv_path)


def test_monitor_names_the_line_of_a_non_utf8_csv(tmp_path, capsys):
    csv_path = _write(tmp_path / "versions.csv", b"version,path\nv1,caf\xe9.json\n")
    assert cli.main(["monitor", str(csv_path)]) == 2
    assert _one_line_error(capsys) == (f"{csv_path}:2:7: not valid UTF-8 (byte 0xe9: invalid "
                                       "continuation byte)")


# --- an input that can be read only once -----------------------------------------------------

def test_a_pipe_as_input_is_refused_not_read_or_waited_on(tmp_path):
    # A FIFO with no writer used to block the sniffing open forever; one with a writer lost
    # the records the sniff read before the reader opened it again.
    fifo = tmp_path / "pool.json"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "zipcore", "select", str(fifo), "-o",
                           str(tmp_path / "out.json"), "--budget", "1", "-q"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"zipcore: error: {fifo}: not a regular file (a pipe or device can "
                           "be read only once); write it to a file first\n")
    with pytest.raises(ZipcoreError, match="not a regular file"):
        read_pool(fifo)


def test_ratio_by_source_names_the_row_of_the_input():
    # The row of a bad field is its row in what the caller passed, not in its source's group.
    records = [{"text": "a", "source": "x"}] * 5 + [{"text": "b", "source": "y"},
                                                    {"text": None, "source": "y"}]
    with pytest.raises(ValueError, match="row 6"):
        measure.dataset_ratio(records, column="text")
    with pytest.raises(ValueError, match="row 6"):
        ratio.ratio_by_source(records, column="text")
    generated = ratio.ratio_by_source((r for r in records[:6]), column="text")  # read once
    assert sorted((row.source, row.samples) for row in generated) == [("x", 5), ("y", 1)]


def test_ratio_by_source_of_no_samples_is_no_sources():
    # A list gave [] and a pool "there are no samples"; one answer: no samples, no sources.
    assert ratio.ratio_by_source([]) == []
    assert ratio.ratio_by_source(zipcore.Pool.from_samples([])) == []
    with pytest.raises(ZipcoreError, match="there are no samples"):
        measure.dataset_ratio([])
