"""The selection report: its numbers, the PNG, and ``zipcore select --report``."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import sys

import pytest

import zipcore
from zipcore import cli
from zipcore.entropy import report
from zipcore._pool import encode_pool

K = {"k1": 200, "k2": 40, "k3": 20}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as handle:
        return json.load(handle)[:400]


@pytest.fixture(scope="module")
def result(records) -> zipcore.SelectionResult:
    return zipcore.select_with_stats(records, 70, threads=2, **K)


def test_report_numbers(records, result):
    summary = report.selection_report(result, records)
    chosen = [records[i] for i in result.indices]
    assert summary.rounds == [1, 2, 3, 4] and summary.selected == [20, 40, 60, 70]
    assert summary.running_ratio == [zipcore.compression_ratio(chosen[:n])
                                     for n in summary.selected]
    if "ratio" in result.rounds[0]:  # the engine's own per-round ratio (zlib) agrees
        assert summary.running_ratio == [r["ratio"] for r in result.rounds]
    assert summary.pool_ratio == zipcore.compression_ratio(records)
    assert summary.stage1_seconds == result.stage1["seconds"]
    assert summary.stage3_seconds == [r["stage3"]["seconds"] for r in result.rounds]
    assert summary.sources == ["gsm8k/train", "hh_rlhf/harmless-base/test", "gsm8k/test"]
    pool_counts = [sum(r["source"] == s for r in records) for s in summary.sources]
    assert summary.pool_share == [c / len(records) for c in pool_counts]
    assert summary.selection_share == [sum(r["source"] == s for r in chosen) / 70
                                       for s in summary.sources]


def test_many_sources_are_merged_by_prefix_then_into_other():
    samples = [{"source": f"origin{i % 15}/part{i % 4}", "text": f"sample {i}"} for i in range(300)]
    names, pool, picked = report._source_groups(report.sample_sources(samples, 300), [0, 1, 2, 3])
    assert len(names) == report.MAX_SOURCES and names[-1] == report.OTHER
    assert all("/" not in n for n in names)
    assert sum(pool) == pytest.approx(1) and sum(picked) == pytest.approx(1)
    assert pool[-1] == pytest.approx(4 * 20 / 300)  # the 4 smallest origins, merged


def test_report_of_bytes_samples(records, result):
    summary = report.selection_report(result, encode_pool(records))
    assert summary.sources == ["(no source)"] and summary.selection_share == [1.0]
    with pytest.raises(ValueError, match="indices outside the 10 samples"):
        report.selection_report(result, records[:10])


def test_a_column_selections_report_measures_that_column(records):
    """The pool's R is of the bytes the run selected on (here the first turn of each record),
    for records and for a DataFrame (which is not iterated as its column names)."""
    rows = [{"text": r["conversations"][0]["value"], "source": r["source"]} for r in records]
    run = zipcore.select_with_stats(rows, 20, column="text", k1=200, k2=60, k3=10)
    summary = report.selection_report(run, rows, column="text")
    assert summary.pool_ratio == zipcore.compression_ratio([r["text"] for r in rows])
    assert summary.pool_ratio != zipcore.compression_ratio(rows)
    assert sorted(summary.sources) == sorted({r["source"] for r in rows})
    import numpy as np  # records in an object array keep their sources too

    assert report.sample_sources(np.array(rows, dtype=object), len(rows)) == [
        r["source"] for r in rows]
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(rows)
    by_frame = report.selection_report(zipcore.select_with_stats(frame, 20, column="text", k1=200,
                                                                 k2=60, k3=10), frame,
                                       column="text")
    assert by_frame.pool_ratio == summary.pool_ratio and by_frame.sources == ["(no source)"]


def test_write_selection_report_png(tmp_path, records, result):
    pytest.importorskip("matplotlib")
    path = tmp_path / "report.png"
    report.write_selection_report(path, result, records, title="example")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and 20_000 < len(data) < 150_000
    assert os.listdir(tmp_path) == ["report.png"]


def test_select_command_writes_the_report(tmp_path, records, result, capsys):
    pytest.importorskip("matplotlib")
    source = tmp_path / "pool.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    out, png = tmp_path / "sel.json", tmp_path / "report.png"
    argv = ["select", str(source), "-o", str(out), "--budget", "70", "--k1", "200", "--k2", "40",
            "--k3", "20", "-q", "--report", str(png)]
    assert cli.main(argv) == 0
    assert json.loads(out.read_text()) == [records[i] for i in result.indices]
    assert png.read_bytes().startswith(b"\x89PNG")
    assert capsys.readouterr().err.strip().endswith(f"wrote {out} and {png}")


def test_select_report_without_matplotlib_exits_2_before_selecting(tmp_path, records,
                                                                   monkeypatch, capsys):
    source = tmp_path / "pool.json"
    source.write_text(json.dumps(records[:20]), encoding="utf-8")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr("zipcore.cli.select.select_with_stats",
                        lambda *a, **k: pytest.fail("selected"))
    argv = ["select", str(source), "-o", str(tmp_path / "sel.json"), "--budget", "5", "-q",
            "--report", str(tmp_path / "r.png")]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        "zipcore: error: --report needs matplotlib, which is not installed; "
        "install it with: pip install 'zipcore[plot]'")
    assert os.listdir(tmp_path) == ["pool.json"]


@pytest.mark.parametrize("kind", ["json", "jsonl.gz", "pairs"])
def test_file_sources_follow_the_pool_read_from_a_file(tmp_path, records, real_pool, kind):
    readers = pytest.importorskip("zipcore.io.readers")
    if kind == "pairs":  # preference pairs: one sample per pair, labelled by its first record
        rows = real_pool("hh", 0, 40)
        for i, row in enumerate(rows):
            row["source"] = f"hh/{i // 2 % 3}-{i % 2}"
        expected = [f"hh/{k % 3}-0" for k in range(20)]
    else:
        rows = [dict(r) for r in records[:30]]
        del rows[4]["source"]
        expected = [r.get("source", "(no source)") for r in rows]
    path = tmp_path / ("pool.jsonl.gz" if kind == "jsonl.gz" else "pool.json")
    if kind == "jsonl.gz":
        path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    else:
        path.write_text(json.dumps(rows), encoding="utf-8")
    pool_file = readers.read_pool(path)
    assert len(pool_file) == len(expected)
    assert report.file_sources(pool_file) == expected


def test_explicit_sources_and_a_pool_without_sources(tmp_path, records, result):
    labels = ["even" if i % 2 == 0 else "odd" for i in range(len(records))]
    summary = report.selection_report(result, encode_pool(records), sources=labels)
    assert sorted(summary.sources) == ["even", "odd"]
    assert sum(summary.selection_share) == pytest.approx(1)
    with pytest.raises(ValueError, match="sources has 3 labels for 400 samples"):
        report.selection_report(result, records, sources=labels[:3])
    for bad in ([i for i in range(len(records))], [None] * len(records)):  # was AttributeError
        with pytest.raises(TypeError, match="sources must be str labels"):
            report.selection_report(result, records, sources=bad)
    pytest.importorskip("matplotlib")
    path = tmp_path / "bytes.png"
    report.write_selection_report(path, result, encode_pool(records))  # a note, no bars
    assert path.read_bytes().startswith(b"\x89PNG")


def test_a_resumed_run_says_its_report_shows_only_its_own_rounds(records, result, tmp_path):
    """After a resume the result holds the rounds this run ran: the title says so."""
    checkpoint = tmp_path / "run.npz"
    first = zipcore.select_with_stats(records, 70, threads=2, checkpoint=checkpoint, **K)
    again = zipcore.select_with_stats(records, 70, threads=2, checkpoint=checkpoint, **K)
    assert list(again.indices) == list(first.indices) == list(result.indices)
    finished = report.selection_report(again, records)
    assert finished.samples == 70 and finished.rounds == []
    assert report._rounds_shown(finished) == ("resumed from a finished checkpoint: no round ran "
                                              "in this run")
    whole = report.selection_report(first, records)
    assert report._rounds_shown(whole) == "4 rounds"
    later = dataclasses.replace(whole, rounds=whole.rounds[2:], selected=whole.selected[2:])
    assert report._rounds_shown(later).startswith("rounds 3-4 (resumed from a checkpoint")


def test_labels_and_titles_a_picture_cannot_show_are_escaped(tmp_path, records, capsys):
    # A lone surrogate in a source, or an undecodable byte in the input's name (in the title),
    # made matplotlib fail after the whole run: a traceback, the selection lost.
    pytest.importorskip("matplotlib")
    rows = [{"text": f"sample {i} " * (i % 7 + 1), "source": "\ud800" if i % 2 else "ok"}
            for i in range(60)]
    name = os.fsdecode(b"pool\xff.json")  # \udcff: the surrogate Python decodes 0xff to
    path = tmp_path / name
    path.write_text(json.dumps(rows), encoding="utf-8", errors="surrogatepass")
    picture = tmp_path / "r.png"
    assert cli.main(["select", str(path), "-o", str(tmp_path / "o.json"), "--budget", "6",
                     "--k1", "30", "--k2", "12", "--k3", "6", "-q", "--report",
                     str(picture)]) == 0
    assert picture.read_bytes().startswith(b"\x89PNG")
    summary = report.selection_report(zipcore.select_with_stats(rows, 6, k1=30, k2=12, k3=6),
                                      rows)
    assert sorted(summary.sources) == ['"\\ud800" (JSON string)', "ok"]
    report.write_selection_report(os.fsencode(tmp_path / "s.png"), zipcore.select_with_stats(
        rows, 1, k1=30, k2=12, k3=6), rows, sources=["a\nb\ud800"] * 60, title="t\udcff")
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")  # a bytes path as well


def test_the_title_counts_in_the_singular_and_plural(records):
    one = report.selection_report(zipcore.select_with_stats(records[:30], 1, k1=20, k2=8, k3=1),
                                  records[:30])
    assert (one.samples, report._rounds_shown(one)) == (1, "1 round")
    assert report._count(1, "sample") == "1 sample" and report._count(0, "round") == "0 rounds"


def test_the_source_mix_merges_by_prefix_only_where_a_label_is_a_string():
    # A source named "(other)" went into the catch-all bar; merging by prefix cut a JSON label
    # ('["a/b"] (JSON array)' -> '["a'), which could then meet a string source's label.
    records = ([{"source": f"g/{i}"} for i in range(12)] + [{"source": "(other)"}]
               + [{"source": ["a/b"]}] + [{"source": '["a'}])  # 15 sources: merged by prefix
    names, _, _ = report._source_groups(report.sample_sources(records, len(records)), [0])
    assert sorted(names) == sorted(["g", '"(other)" (JSON string)', '["a/b"] (JSON array)',
                                    '["a'])
