"""Record formats: detection, the bytes each one compresses, and preference pairs kept together."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zipcore
from zipcore import ZipcoreError
from zipcore.io.encoder import PoolEncoder
from zipcore.io.formats import FORMATS, RecordError, detect_format
from zipcore.io.templates import template_fields
from zipcore.pool import Pool
from zipcore.io.readers import read_pool

SHAREGPT = {"id": 0, "conversations": [{"from": "human", "value": "hi é"},
                                       {"from": "gpt", "value": "hello"}], "source": "x/y"}
ALPACA = {"instruction": "Add.", "input": "2 3", "output": "5"}
MESSAGES = {"messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": "hello"}]}
PREFERENCE = {"prompt": "hi", "chosen": "hello", "rejected": "go away"}
TEXT = {"text": "plain text é", "meta": 1}
OTHER = {"id": 3, "body": "x"}


def _encode(records, **options):
    encoder = PoolEncoder(**options)
    for record in records:
        encoder.add(record)
    pool, groups = encoder.finish()
    return encoder, pool, groups


def sample_bytes_of(record, format="auto", *, text_field="text") -> bytes:
    """One record's sample bytes, through the encoder that reading a file uses."""
    _, pool, _ = _encode([record], format=format, text_field=text_field, pairs=False)
    return pool.data[pool.offsets[0]:pool.offsets[1]].tobytes()


def _write_json(path, records):
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.mark.parametrize("record, name", [
    (SHAREGPT, "sharegpt"), (ALPACA, "alpaca"), (MESSAGES, "messages"),
    (PREFERENCE, "preference"), (TEXT, "text"), (OTHER, "record"),
    ({**MESSAGES, **PREFERENCE}, "preference"), ({**SHAREGPT, "text": "t"}, "sharegpt"),
    ({"instruction": "x"}, "record"), ({"conversations": "not a list"}, "record"),
])
def test_detect_format(record, name):
    assert detect_format(record) == name


def test_text_field_is_configurable():
    assert detect_format({"body": "x"}, text_field="body") == "text"
    assert sample_bytes_of({"body": "é", "id": 1}, "text", text_field="body") == "é".encode()


@pytest.mark.parametrize("record", [SHAREGPT, ALPACA, MESSAGES, PREFERENCE, OTHER])
def test_record_formats_keep_the_reference_framing(record):
    # Every record format compresses repr(record): the reference's bytes, whatever the format.
    expected = repr(record).encode("utf-8")
    assert sample_bytes_of(record) == expected
    assert sample_bytes_of(record, "record") == expected
    encoder, pool, groups = _encode([record, record])
    assert pool == Pool.from_samples([record, record]) and groups is None
    assert encoder.format == detect_format(record)


def test_sharegpt_pool_is_exactly_what_select_compresses(real_pool):
    records = real_pool("pool", 0, 50)
    encoder, pool, _ = _encode(records)
    assert encoder.format == "sharegpt"
    assert pool == Pool.from_samples(records)
    assert zipcore.select(pool, 6, k1=12, k2=8, k3=3).tolist() == zipcore.select(
        records, 6, k1=12, k2=8, k3=3).tolist()


def test_text_format_compresses_the_field_alone():
    _, pool, _ = _encode([TEXT, {"text": "b"}])
    assert [pool.sample(i) for i in range(2)] == [TEXT["text"].encode("utf-8"), b"b"]


def test_template_renders_named_fields():
    template = "{instruction}\n{input}\n{output}"
    assert template_fields(template) == ["instruction", "input", "output"]
    encoder, pool, _ = _encode([ALPACA], template=template)
    assert encoder.format == "template"
    assert pool.sample(0) == b"Add.\n2 3\n5"
    with pytest.raises(RecordError, match="record 1 has no 'output' field .the template"):
        _encode([ALPACA, {"instruction": "x", "input": ""}], template=template)
    with pytest.raises(RecordError, match="record 0 has 'input' null"):
        _encode([{**ALPACA, "input": None}], template=template)
    with pytest.raises(ValueError, match=r"template '\{n:d\}': \{n:d\} has a format spec"):
        _encode([{"n": "x"}], template="{n:d}")
    for bad in ("{}", "{0}", "no fields", "{unclosed"):
        with pytest.raises(ValueError):
            template_fields(bad)
    with pytest.raises(ValueError, match="leave the format"):
        PoolEncoder("sharegpt", template=template)


def test_auto_names_the_first_record_that_disagrees():
    with pytest.raises(RecordError) as caught:
        _encode([SHAREGPT, SHAREGPT, ALPACA])
    message = str(caught.value)
    assert caught.value.index == 2
    assert message.startswith("record 2 has no 'conversations' field")
    assert "not a sharegpt record like the first one (it looks like alpaca)" in message
    # Unknown shapes are taken as they are ("record"), so they never disagree.
    _encode([OTHER, SHAREGPT, ALPACA])


def test_explicit_format_checks_every_record():
    with pytest.raises(RecordError, match=r"record 0 has no 'instruction' or 'output' field "
                                          r"\(format alpaca\)"):
        _encode([SHAREGPT], format="alpaca")
    with pytest.raises(RecordError, match="record 1 has 'text' as a number, not a string"):
        _encode([TEXT, {"text": 5}], format="text")
    with pytest.raises(RecordError, match="'messages' as a string, not an array"):
        _encode([{"messages": "hi"}], format="messages")
    with pytest.raises(RecordError, match="record 0 is a JSON array, expected an object"):
        _encode([[1, 2]])
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        PoolEncoder("yaml")
    assert set(FORMATS) >= {"auto", "sharegpt", "alpaca", "messages", "text"}


def test_text_that_utf8_cannot_encode_is_named():
    with pytest.raises(RecordError, match="record 1 holds text UTF-8 cannot encode"):
        _encode([TEXT, {"text": "\ud800"}])


# --- preference pairs ------------------------------------------------------------------------

def _pairs(n: int) -> list[dict]:
    records = []
    for k in range(n):
        for label in ("chosen", "rejected"):
            records.append({"id": len(records), "conversations": [
                {"from": "human", "value": f"question {k}"},
                {"from": "gpt", "value": f"{label} answer {k} " * (k % 3 + 1)}],
                "source": "pref", "pair_id": k, "label": label})
    return records


def test_pair_members_form_one_sample():
    records = _pairs(4)
    encoder, pool, groups = _encode(records)
    assert encoder.pairs and encoder.records == 8 and len(pool) == 4
    assert groups.tolist() == [0, 2, 4, 6, 8]
    # The members' bytes joined as ZIP joins selected samples.
    assert pool.sample(1) == repr(records[2]).encode() + b", " + repr(records[3]).encode()


def test_pairs_can_be_turned_off():
    records = _pairs(3)
    _, pool, groups = _encode(records, pairs=False)
    assert len(pool) == 6 and groups is None


def test_pairs_must_be_next_to_each_other():
    records = _pairs(3)
    with pytest.raises(RecordError, match="record 4 has the pair_id of record 0, with other "
                                          "records in between"):
        _encode(records[:4] + records[:2])
    with pytest.raises(RecordError, match="record 2 has no pair_id"):
        _encode(records[:2] + [SHAREGPT])


def test_records_with_chosen_and_rejected_are_one_sample_each():
    records = [PREFERENCE, {**PREFERENCE, "chosen": "hey"}]
    encoder, pool, groups = _encode(records)
    assert encoder.format == "preference" and groups is None
    assert pool == Pool.from_samples(records)


def test_selected_pairs_come_back_whole(tmp_path, real_pool):
    records = real_pool("hh", 0, 60)  # 30 pairs of the shared preference file
    source = read_pool(_write_json(tmp_path / "pref.json", records))
    assert source.pairs and len(source) == 30 and source.records == 60
    chosen = zipcore.select(source.pool, 5, k1=12, k2=8, k3=3)
    rows = source.record_indices(chosen)
    assert rows.tolist() == [r for i in chosen.tolist() for r in (2 * i, 2 * i + 1)]
    out = tmp_path / "out.json"
    source.write_selection(out, chosen)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == [records[r] for r in rows]
    assert all(a["pair_id"] == b["pair_id"] for a, b in zip(written[::2], written[1::2]))


def test_pair_errors_name_the_file_line_and_record(tmp_path):
    records = _pairs(3)
    path = tmp_path / "pref.jsonl"
    order = [0, 1, 2, 3, 4, 5, 2, 3]
    path.write_text("".join(json.dumps(records[i]) + "\n" for i in order), encoding="utf-8")
    with pytest.raises(ZipcoreError, match=rf"^{path}:7:1: record 6 has the pair_id of record 2"):
        read_pool(path)


def test_mixed_formats_in_a_file_name_the_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [SHAREGPT, SHAREGPT, ALPACA]) + "\n",
                    encoding="utf-8")
    with pytest.raises(ZipcoreError, match=rf"^{path}:3:1: record 2 has no 'conversations'"):
        read_pool(path)
    assert len(read_pool(path, format="record")) == 3
    json_path = _write_json(tmp_path / "mixed.json", [SHAREGPT, ALPACA])
    with pytest.raises(ZipcoreError, match=rf"^{json_path}:1:\d+: record 1 has no"):
        read_pool(json_path)
    assert read_pool(json_path, format="record").pool == Pool.from_samples([SHAREGPT, ALPACA])


def test_text_and_template_from_json_records(tmp_path):
    path = _write_json(tmp_path / "a.json", [ALPACA, {**ALPACA, "output": "6"}])
    assert read_pool(path).format == "alpaca"
    texted = read_pool(path, template="{instruction} {output}")
    assert [texted.pool.sample(i) for i in range(2)] == [b"Add. 5", b"Add. 6"]
    column = read_pool(path, column="output")
    assert column.format == "text" and column.pool == Pool.from_samples(["5", "6"])
    with pytest.raises(ValueError, match="not both"):
        read_pool(path, column="output", template="{output}")
    with pytest.raises(ValueError, match="a column chooses"):
        read_pool(path, column="output", format="alpaca")
    np.testing.assert_array_equal(texted.record_indices([1, 0]), [1, 0])
