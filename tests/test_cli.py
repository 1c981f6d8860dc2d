"""The zipcore command line, end to end through ``main`` (and once through ``python -m``)."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import zipcore
from zipcore import cli

K = {"budget": 8, "k1": 20, "k2": 10, "k3": 4}
FLAGS = ["--budget", "8", "--k1", "20", "--k2", "10", "--k3", "4"]


@pytest.fixture(scope="module")
def records(real_pool) -> list[dict]:
    return real_pool("gsm8k", 0, 60)


@pytest.fixture(scope="module")
def expected(records) -> list[int]:
    return zipcore.select(records, K["budget"], k1=K["k1"], k2=K["k2"], k3=K["k3"]).tolist()


@pytest.fixture
def input_json(tmp_path, records) -> Path:
    path = tmp_path / "in" / "pool.json"
    path.parent.mkdir()
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("zipcore: error: "), err
    return lines[0]


# --- select --------------------------------------------------------------------------------

def test_select_writes_records_and_indices_in_selection_order(input_json, out_dir, records,
                                                               expected, capsys):
    out, idx = out_dir / "sel.json", out_dir / "idx.txt"
    assert cli.main(["select", str(input_json), "-o", str(out), *FLAGS,
                     "--indices-out", str(idx), "--quiet"]) == 0
    assert [int(line) for line in idx.read_text().splitlines()] == expected
    assert json.loads(out.read_text(encoding="utf-8")) == [records[i] for i in expected]
    # The input uses the shared files' framing, so the output is those records' exact text.
    assert out.read_text(encoding="utf-8") == json.dumps([records[i] for i in expected])
    err = capsys.readouterr().err
    ratio = zipcore.compression_ratio([records[i] for i in expected])
    summary = rf"zipcore: selected 8 of 60 records in \d+\.\d\d s, R = {ratio:.4f}, wrote "
    assert re.fullmatch(summary + re.escape(str(out)), err.strip()), err
    assert sorted(os.listdir(out_dir)) == ["idx.txt", "sel.json"]


def test_select_jsonl_gz_in_and_out(tmp_path, out_dir, records, expected):
    source = tmp_path / "pool.jsonl.gz"
    source.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    out = out_dir / "sel.jsonl.gz"
    assert cli.main(["select", str(source), "-o", str(out), *FLAGS, "-q"]) == 0
    lines = gzip.decompress(out.read_bytes()).decode("utf-8").splitlines()
    assert lines == [json.dumps(records[i]) for i in expected]


def test_select_threads_do_not_change_the_result(input_json, out_dir, expected):
    for threads in ("1", "2"):
        idx = out_dir / f"idx{threads}.txt"
        assert cli.main(["select", str(input_json), "-o", str(out_dir / f"s{threads}.json"),
                         *FLAGS, "--threads", threads, "-q", "--indices-out", str(idx)]) == 0
        assert [int(x) for x in idx.read_text().split()] == expected


def test_progress_bar_shows_stage_round_and_total(input_json, out_dir, records, capsys):
    totals = []
    result = zipcore.select_with_stats(records, K["budget"], k1=K["k1"], k2=K["k2"], k3=K["k3"],
                                       progress=lambda s, r, done, total: totals.append(total))
    assert cli.main(["select", str(input_json), "-o", str(out_dir / "s.json"), *FLAGS]) == 0
    err = capsys.readouterr().err
    assert f"stage 3 round {len(result.rounds)}" in err
    assert f"/{totals[-1]} " in err
    assert "eval" in err
    assert "zipcore: selected 8 of 60 records" in err


def test_quiet_prints_only_the_summary(input_json, out_dir, capsys):
    assert cli.main(["select", str(input_json), "-o", str(out_dir / "s.json"), *FLAGS, "-q"]) == 0
    err = capsys.readouterr().err
    assert "stage" not in err and len(err.strip().splitlines()) == 1


def test_python_dash_m_entry_point(input_json, out_dir, records, expected):
    out = out_dir / "sel.json"
    proc = subprocess.run(
        [sys.executable, "-m", "zipcore", "select", str(input_json), "-o", str(out), *FLAGS],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "zipcore: selected 8 of 60 records" in proc.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == [records[i] for i in expected]

    bad = subprocess.run([sys.executable, "-m", "zipcore", "select", str(input_json), "-o",
                          str(out_dir / "x.json"), "--budget", "0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert _error_line(bad.stderr) and "Traceback" not in bad.stderr


def test_interrupt_exits_130_and_leaves_no_output(input_json, out_dir, monkeypatch, capsys):
    def interrupt(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr("zipcore.progress.ProgressBar.__call__", interrupt)
    code = cli.main(["select", str(input_json), "-o", str(out_dir / "s.json"), *FLAGS,
                     "--indices-out", str(out_dir / "i.txt")])
    assert code == 130
    assert "zipcore: interrupted" in capsys.readouterr().err
    assert os.listdir(out_dir) == []


def test_help_exits_zero(capsys):
    assert cli.main(["select", "--help"]) == 0
    assert "--indices-out" in capsys.readouterr().out


# --- failures: exit 2, one line, nothing written --------------------------------------------

def _input(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# Each case: (input file name, content or None for no file, extra argv, expected message parts).
# "{input}" and "{out_dir}" in the parts are filled in per test.
FAILURES = {
    "malformed_json": ("bad.json", b'[{"id": 0},\n {"id": 1,}]', FLAGS,
                       ["{input}:2:11:", "Expecting property name"]),
    "json_element_not_object": ("bad.json", b'[{"id": 0},\n 5]', FLAGS,
                                ["{input}:2:2:", "element 1 is a JSON number"]),
    "jsonl_line_not_object": ("bad.jsonl", b'{"id": 0}\n["x"]\n', FLAGS,
                              ["{input}:2:1:", "this line is a JSON array"]),
    "non_utf8": ("bad.json", b'[{"id": 0},\n {"v": "\xff"}]', FLAGS,
                 ["{input}:2:9:", "not valid UTF-8"]),
    "missing_input": ("absent.json", None, FLAGS, ["{input}: No such file or directory"]),
    "input_is_directory": ("", None, FLAGS, ["{input}: no data files in this folder"]),
    "output_parent_is_a_file": ("pool.json", b'[{"id": 0}]', ["--budget", "1"],
                                ["{out_dir}/blocker/out.json", "cannot write output"]),
    "indices_parent_is_a_file": ("pool.json", b'[{"id": 0}]',
                                 ["--budget", "1", "--indices-out", "{out_dir}/blocker/i.txt"],
                                 ["{out_dir}/blocker/i.txt", "cannot write output"]),
    "output_is_a_directory": ("pool.json", b'[{"id": 0}]', ["--budget", "1"],
                              ["{out_dir}/blocker/out.json", "cannot write output"]),
    "budget_zero": ("pool.json", b'[{"id": 0}]', ["--budget", "0"], ["--budget", "positive"]),
    "budget_negative": ("pool.json", b'[{"id": 0}]', ["--budget", "-3"], ["--budget", "-3"]),
    "budget_not_a_number": ("pool.json", b'[{"id": 0}]', ["--budget", "many"],
                            ["--budget", "'many'"]),
    "budget_missing": ("pool.json", b'[{"id": 0}]', [], ["--budget"]),
    "budget_over_pool": ("pool.json", b'[{"id": 0}, {"id": 1}]', ["--budget", "3"],
                         ["{input}: budget 3 is larger than the pool (2 samples)"]),
    "k1_below_k2": ("pool.json", b'[{"id": 0}]', ["--budget", "1", "--k1", "5", "--k2", "6"],
                    ["k1 >= k2 >= k3", "k1=5 k2=6"]),
    "k2_below_k3": ("pool.json", b'[{"id": 0}]',
                    ["--budget", "1", "--k1", "9", "--k2", "4", "--k3", "5"],
                    ["k1 >= k2 >= k3", "k2=4 k3=5"]),
    "k1_zero": ("pool.json", b'[{"id": 0}]', ["--budget", "1", "--k1", "0"], ["--k1", "positive"]),
    "k3_zero": ("pool.json", b'[{"id": 0}]', ["--budget", "1", "--k3", "0"], ["--k3", "positive"]),
    "threads_zero": ("pool.json", b'[{"id": 0}]', ["--budget", "1", "--threads", "0"],
                     ["--threads", "positive"]),
    "empty_json_pool": ("pool.json", b"[]", ["--budget", "1"], ["{input}:", "pool is empty"]),
    "empty_file_pool": ("pool.jsonl", b"", ["--budget", "1"], ["{input}:", "pool is empty"]),
    "same_output_and_indices": ("pool.json", b'[{"id": 0}]',
                                ["--budget", "1", "--indices-out", "{out_dir}/out.json"],
                                ["--indices-out {out_dir}/out.json is the same file as the "
                                 "output --output {out_dir}/out.json"]),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, out_dir, capsys, case):
    name, content, extra, parts = FAILURES[case]
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    out = out_dir / ("out" + (Path(name).suffix or ".json"))  # the input's format
    if case.startswith(("output_parent", "indices_parent")):
        (out_dir / "blocker").write_text("x")
    if case == "output_parent_is_a_file":
        out = out_dir / "blocker" / "out.json"
    if case == "output_is_a_directory":
        out = out_dir / "blocker" / "out.json"
        out.mkdir(parents=True)
    before = sorted(os.walk(out_dir))
    fill = {"input": str(source), "out_dir": str(out_dir)}
    argv = ["select", str(source), "-o", str(out), *(a.format(**fill) for a in extra)]

    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    line = _error_line(captured.err)
    for part in parts:
        assert part.format(**fill) in line
    assert captured.out == ""
    assert sorted(os.walk(out_dir)) == before  # no output, no temporary file


# --- ratio and info ------------------------------------------------------------------------

def test_ratio_matches_compression_ratio(tmp_path, input_json, records, capsys):
    half = tmp_path / "half.jsonl.gz"
    half.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records[:30]).encode()))
    assert cli.main(["ratio", "--json", str(input_json), str(half)]) == 0
    rows = json.loads(capsys.readouterr().out)
    for row, path, subset in zip(rows, (input_json, half), (records, records[:30])):
        group = ("[" + ", ".join(repr(r) for r in subset) + "]").encode("utf-8")
        assert row == {"file": str(path), "samples": len(subset), "bytes": len(group),
                       "compressed": len(zlib.compress(group, 9)), "codec": "zlib-9",
                       "method": "exact", "ratio": zipcore.compression_ratio(subset)}

    assert cli.main(["ratio", str(input_json)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["samples", "bytes", "R", "codec", "file"]
    assert table[1].split() == ["60", str(rows[0]["bytes"]), f"{rows[0]['ratio']:.4f}",
                                "zlib-9", str(input_json)]


def test_ratio_of_a_bad_file_exits_2_without_a_partial_table(tmp_path, input_json, capsys):
    bad = _input(tmp_path, "bad.jsonl", b'{"id": 0}\n{"id": \n')
    assert cli.main(["ratio", str(input_json), str(bad)]) == 2
    captured = capsys.readouterr()
    assert f"{bad}:2:8: Expecting value" in _error_line(captured.err)
    assert captured.out == ""


def test_info_prints_build_info_as_json(capsys):
    assert cli.main(["info"]) == 0
    assert json.loads(capsys.readouterr().out) == zipcore.build_info()


@pytest.mark.parametrize("argv, message", [
    ([], "COMMAND"),
    (["shuffle"], "invalid choice: 'shuffle'"),
    (["ratio"], "FILE"),
])
def test_usage_errors_exit_2(capsys, argv, message):
    assert cli.main(argv) == 2
    assert message in _error_line(capsys.readouterr().err)
