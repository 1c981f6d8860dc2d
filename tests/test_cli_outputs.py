"""``zipcore select -o``: the output's format from its name or ``--output-format``, JSON list
<-> JSONL conversion with each record's bytes, ``.gz``/``.zst``, ``-o -``, refusals before any
work (zipcore.io.outputs), ``--json`` and ``--version``."""

from __future__ import annotations

import gzip
import os
import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import zipcore
from zipcore import cli

K = {"budget": 8, "k1": 20, "k2": 10, "k3": 4}
FLAGS = ["--budget", "8", "--k1", "20", "--k2", "10", "--k3", "4", "-q"]


@pytest.fixture(scope="module")
def records(real_pool) -> list[dict]:
    return real_pool("gsm8k", 0, 120)


@pytest.fixture(scope="module")
def chosen(records) -> list[int]:
    return zipcore.select(records, K["budget"], k1=K["k1"], k2=K["k2"], k3=K["k3"]).tolist()


@pytest.fixture
def indented(tmp_path, records) -> Path:
    """A JSON list whose records span several lines (and CRLF line ends)."""
    path = tmp_path / "in" / "pool.json"
    path.parent.mkdir()
    path.write_bytes(json.dumps(records, indent=2).replace("\n", "\r\n").encode())
    return path


@pytest.fixture
def lines(tmp_path, records) -> Path:
    path = tmp_path / "in" / "pool.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _in_list(record: dict) -> bytes:
    """A record's text as ``json.dumps(records, indent=2)`` has it, one level in, on one line."""
    return textwrap.indent(json.dumps(record, indent=2), "  ").lstrip().replace("\n", "").encode()


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("zipcore: error: "), err
    return err[0]


def _unzstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"zipcore {zipcore.__version__}\n"


def test_a_multiline_json_list_becomes_jsonl_one_record_a_line(indented, tmp_path, records,
                                                              chosen):
    out = tmp_path / "sel.jsonl"
    assert cli.main(["select", str(indented), "-o", str(out), *FLAGS]) == 0
    got = out.read_bytes().split(b"\n")
    assert got[-1] == b"" and len(got) == len(chosen) + 1
    for line, i in zip(got, chosen):
        # The record's own bytes, its LF (whitespace between tokens) dropped; CR kept.
        assert b"\r" in line and line.replace(b"\r", b"") == _in_list(records[i])
        assert json.loads(line) == records[i]
    # And it is JSONL: read back, the same records, the same sample bytes.
    again = zipcore.read_pool(out)
    assert again.kind == "jsonl" and again.pool == zipcore.Pool.from_samples(
        [records[i] for i in chosen])


def test_newlines_inside_strings_are_escapes_so_dropping_cr_lf_keeps_values(tmp_path):
    # JSON cannot hold a raw newline inside a string: json.dumps writes "\n" as two characters,
    # and json.loads refuses a raw one. So every CR/LF byte of a record is between tokens.
    tricky = [{"text": "a\nb\r\nc", "n": [1,
                                          2.5e3], "t": True, "z": None} for _ in range(12)]
    source = tmp_path / "tricky.json"
    source.write_text(json.dumps(tricky, indent=4), encoding="utf-8")
    with pytest.raises(json.JSONDecodeError):
        json.loads('{"text": "a\nb"}')
    out = tmp_path / "sel.jsonl"
    assert cli.main(["select", str(source), "-o", str(out), "--budget", "3", "--k1", "6",
                     "--k2", "4", "--k3", "2", "-q"]) == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == tricky[:3]


def test_jsonl_becomes_a_json_list(lines, tmp_path, records, chosen):
    out = tmp_path / "sel.json"
    assert cli.main(["select", str(lines), "-o", str(out), *FLAGS]) == 0
    assert out.read_bytes() == ("[" + ", ".join(json.dumps(records[i]) for i in chosen)
                                + "]").encode()


@pytest.mark.parametrize("name, unpack", [("sel.jsonl.gz", gzip.decompress),
                                          ("sel.jsonl.zst", _unzstd),
                                          ("sel.json.zst", _unzstd)])
def test_compressed_outputs_hold_the_plain_output(lines, tmp_path, name, unpack):
    plain = tmp_path / name.replace(".gz", "").replace(".zst", "")
    assert cli.main(["select", str(lines), "-o", str(plain), *FLAGS]) == 0
    packed = tmp_path / name
    assert cli.main(["select", str(lines), "-o", str(packed), *FLAGS]) == 0
    assert unpack(packed.read_bytes()) == plain.read_bytes()


def test_output_format_names_the_format_of_a_name_without_one(lines, tmp_path):
    assert cli.main(["select", str(lines), "-o", str(tmp_path / "a.json"), *FLAGS]) == 0
    out = tmp_path / "selection.out"
    assert cli.main(["select", str(lines), "-o", str(out), "--output-format", "json",
                     *FLAGS]) == 0
    assert out.read_bytes() == (tmp_path / "a.json").read_bytes()
    # Neither: the input's format, as before.
    assert cli.main(["select", str(lines), "-o", str(tmp_path / "b.out"), *FLAGS]) == 0
    assert (tmp_path / "b.out").read_bytes().count(b"\n") == K["budget"]


@pytest.fixture
def no_reading(monkeypatch):
    """Reading the input is the first piece of work: here it fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the input was read before the output was checked")
    monkeypatch.setattr("zipcore.cli.pool_inputs.read_pools", refuse)


@pytest.fixture
def parquet(tmp_path, records) -> Path:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [json.dumps(r) for r in records]}), path)
    return path


@pytest.mark.parametrize("source, output, extra, message", [
    ("lines", "o.parquet", [], "o.parquet: a selection of JSONL records cannot be written as "
                               "Parquet"),
    ("indented", "o.parquet.zst", [], "a selection of JSON records cannot be written as Parquet"),
    ("lines", "o.json", ["--output-format", "jsonl"], "o.json: the name says json but the "
                                                      "output format asked for is jsonl"),
    ("lines", "o", ["--output-format", "parquet"], "cannot be written as Parquet"),
    ("parquet", "o.jsonl", ["--column", "text"], "o.jsonl: a selection of Parquet records "
                                                 "cannot be written as JSONL"),
    ("parquet", "o.parquet.zst", ["--column", "text"], "Parquet compresses inside the file: "
                                                       "drop the .zst"),
    ("lines", "-", ["--json"], "-o - and --json both write to standard output"),
    ("lines", "-", ["--indices-out", "-"], "--output and --indices-out are both '-'"),
    ("lines", "o.jsonl", ["--report", "-", "--json"],
     "--report - and --json both write to standard output"),
    ("lines", "o.jsonl.bz2", [], "o.jsonl.bz2: zipcore writes .gz and .zst, not .bz2"),
    ("lines", "o.jsonl", ["--indices-out", "i.txt.xz"], "i.txt.xz: zipcore writes .gz and .zst, "
                                                        "not .xz"),
    ("indented", "o.parquet", ["--records-key", "data"],
     "a selection of JSON records cannot be written as Parquet"),
    ("parquet", "o.jsonl", ["--records-key", "data"],  # the input is Parquet, key or not
     "o.jsonl: a selection of Parquet records cannot be written as JSONL"),
])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(
        request, tmp_path, capsys, no_reading, source, output, extra, message):
    path = request.getfixturevalue(source)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli.main(["select", str(path), "-o", output if output == "-" else
                     str(tmp_path / output), *extra, *FLAGS]) == 2
    assert message in _error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temp file


def test_dash_writes_the_selection_and_nothing_else_to_stdout(lines, tmp_path, capsysbinary):
    out = tmp_path / "sel.json"
    assert cli.main(["select", str(lines), "-o", str(out), *FLAGS]) == 0
    capsysbinary.readouterr()
    assert cli.main(["select", str(lines), "-o", "-", "--output-format", "json", *FLAGS]) == 0
    captured = capsysbinary.readouterr()
    assert captured.out == out.read_bytes()
    assert b"wrote -" in captured.err


def test_dash_in_a_pipe(lines, tmp_path):
    out = tmp_path / "sel.jsonl"
    assert cli.main(["select", str(lines), "-o", str(out), *FLAGS]) == 0
    done = subprocess.run([sys.executable, "-m", "zipcore", "select", str(lines), "-o", "-",
                           *FLAGS[:-1]],  # with the progress bar: it goes to stderr
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == out.read_bytes()


@pytest.mark.parametrize("suffix, unpack", [(".gz", gzip.decompress), (".zst", _unzstd)])
def test_an_indices_file_is_compressed_as_its_name_says(lines, tmp_path, chosen, suffix, unpack):
    indices = tmp_path / f"i.txt{suffix}"
    assert cli.main(["select", str(lines), "-o", str(tmp_path / "s.jsonl"), "--indices-out",
                     str(indices), *FLAGS]) == 0
    assert unpack(indices.read_bytes()) == "".join(f"{i}\n" for i in chosen).encode()


def test_a_parquet_input_with_records_key_names_the_key(parquet, tmp_path, capsys):
    assert cli.main(["select", str(parquet), "-o", str(tmp_path / "o.parquet"), "--column",
                     "text", "--records-key", "data", *FLAGS]) == 2
    assert "records_key is for JSON files" in _error(capsys)


def _zipcore(*args: object, shell: str = "", **run: object) -> subprocess.CompletedProcess:
    """``python -m zipcore ARGS`` with ``shell`` redirections (``<&-``, ``>> FILE``) after it."""
    command = shlex.join([sys.executable, "-m", "zipcore", *map(str, args)]) + " " + shell
    return subprocess.run(["bash", "-c", command], capture_output=True, timeout=120, **run)


def test_standard_streams_that_are_inputs_or_closed_are_refused_before_any_work(lines,
                                                                                 tmp_path):
    before = lines.read_bytes()
    # `-` read from the very file -o names, and -o - appended to the input: never overwritten
    done = _zipcore("select", "-", "-o", lines, *FLAGS, shell=f"< {shlex.quote(str(lines))}")
    assert done.returncode == 2 and lines.read_bytes() == before
    assert (f"--output {lines} is the same file as the input INPUT - (standard input)"
            in done.stderr.decode())
    done = _zipcore("select", lines, "-o", "-", *FLAGS, shell=f">> {shlex.quote(str(lines))}")
    assert done.returncode == 2 and lines.read_bytes() == before
    assert (f"--output - (standard output) is the same file as the input INPUT {lines}"
            in done.stderr.decode())
    done = _zipcore("select", lines, "-o", tmp_path / "s.jsonl", "--json", *FLAGS,
                    shell=f">> {shlex.quote(str(lines))}")
    assert done.returncode == 2 and lines.read_bytes() == before
    assert (f"--json - (standard output) is the same file as the input INPUT {lines}"
            in done.stderr.decode())
    target = tmp_path / "target.jsonl"
    target.write_bytes(before[:2000].rpartition(b"\n")[0] + b"\n")
    kept = target.read_bytes()
    done = _zipcore("align", lines, "--target", "-", "-o", target, "--budget", "3", "-q",
                    shell=f"< {shlex.quote(str(target))}")
    assert done.returncode == 2 and target.read_bytes() == kept
    assert (f"--output {target} is the same file as the input --target - (standard input)"
            in done.stderr.decode())
    # closed streams: one line each, no traceback, no output
    out = tmp_path / "s.jsonl"
    for args, shell, message in [
        (["-", "-o", out], "<&-", "standard input: closed, so there is nothing to read"),
        ([lines, "-o", "-"], ">&-", "standard output: closed, so there is nothing to write to"),
        ([lines, "-o", out, "--json"], ">&-", "--json writes to standard output, which is "
                                              "closed"),
    ]:
        done = _zipcore("select", *args, *FLAGS, shell=shell)
        assert (done.returncode, done.stderr.decode()) == (2, f"zipcore: error: {message}\n")
        assert not out.exists()
    # a pipe or a file elsewhere is fine
    done = _zipcore("select", "-", "-o", out, *FLAGS, shell=f"< {shlex.quote(str(lines))}")
    assert done.returncode == 0, done.stderr


def test_standard_output_by_another_name_is_one_output(lines):
    """/dev/stdout on a pipe is the pipe behind `-` (it mixed the selection and --json's
    summary, or the indices, in it, exit 0)."""
    for args, message in [
        (["-o", "/dev/stdout", "--json"],
         "--json - (standard output) is the same file as the output --output /dev/stdout"),
        (["-o", "-", "--indices-out", "/dev/stdout"],
         "--indices-out /dev/stdout is the same file as the output --output - (standard output)"),
    ]:
        done = _zipcore("select", lines, *args, *FLAGS)  # standard output: a pipe
        assert (done.returncode, done.stdout) == (2, b""), done.stderr
        assert done.stderr.decode() == f"zipcore: error: {message}: choose another path\n"
    done = _zipcore("select", lines, "-o", "/dev/stdout", *FLAGS)  # alone it is fine
    assert done.returncode == 0 and done.stdout.count(b"\n") == K["budget"]


def test_standard_input_and_a_named_file_that_are_one_file_are_refused(lines, tmp_path):
    done = _zipcore("select", "-", lines, "-o", tmp_path / "s.jsonl", *FLAGS,
                    shell=f"< {shlex.quote(str(lines))}")
    assert done.returncode == 2
    assert f"{lines}: this file is named twice, by the argument - and by" in done.stderr.decode()


def test_closed_standard_error_keeps_messages_out_of_the_data(lines, tmp_path):
    done = _zipcore("select", lines, "-o", "-", *FLAGS[:-1], shell="2>&-")  # with the bar too
    assert done.returncode == 0 and done.stdout.count(b"\n") == K["budget"]
    assert b"zipcore:" not in done.stdout


def test_a_standard_error_whose_write_returns_none_takes_the_messages(lines, tmp_path,
                                                                      monkeypatch):
    """main() called with a file-like standard error whose write returns None (not a count):
    the message wrapper's int(None) was a TypeError, the error line lost, exit 1."""
    written: list[str] = []

    class Stream:
        def write(self, text):
            written.append(text)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stderr", Stream())
    assert cli.main(["select", str(tmp_path / "nosuch.jsonl"), "-o", str(tmp_path / "s.jsonl"),
                     *FLAGS]) == 2
    assert "".join(written).startswith(f"zipcore: error: {tmp_path / 'nosuch.jsonl'}")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_standard_error_that_cannot_be_written_does_not_stop_the_run(lines, tmp_path):
    """A full disk behind 2> (or a reader gone from 2>&1 | head): the progress bar's first write
    stopped the run with nothing written, exit 1; with -q, the closing message did, after -o."""
    out = tmp_path / "s.jsonl"
    for flags in (FLAGS[:-1], FLAGS):  # with the bar, and with -q
        done = _zipcore("select", lines, "-o", out, "--json", *flags, shell="2>/dev/full")
        assert done.returncode == 0 and json.loads(done.stdout)["selected"] == K["budget"]
        assert out.read_bytes().count(b"\n") == K["budget"]
        out.unlink()
    done = _zipcore("select", tmp_path / "nosuch.jsonl", "-o", out, *FLAGS, shell="2>/dev/full")
    assert done.returncode == 2 and not out.exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["ratio", "--help"]])
def test_help_and_version_that_cannot_be_printed_name_standard_output(args):
    """argparse drops a failed write: > /dev/full exited 0 with nothing printed."""
    done = _zipcore(*args, shell="> /dev/full")
    assert (done.returncode, done.stderr.decode()) == (
        2, "zipcore: error: standard output: No space left on device\n")
    assert _zipcore(*args).stdout.startswith(b"zipcore" if args == ["--version"] else b"usage")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["-o", "-"], ["-o", "s.jsonl", "--indices-out", "-"]])
def test_a_full_standard_output_is_named_so(lines, tmp_path, args):
    """It was named '-: cannot write output', where --json's summary says standard output."""
    done = _zipcore("select", lines, *args, *FLAGS, shell="> /dev/full", cwd=tmp_path)
    assert (done.returncode, done.stderr.decode()) == (
        2, "zipcore: error: standard output: cannot write output: No space left on device\n")
    assert list(tmp_path.iterdir()) == [lines.parent]  # -o s.jsonl not renamed into place


def test_a_failed_copy_of_standard_input_names_it(lines, tmp_path):
    """A file size limit below the input's size: the spooled copy fails, not standard output."""
    limited = subprocess.run(["bash", "-c", "ulimit -f 4; " + shlex.join(
        [sys.executable, "-m", "zipcore", "select", "-", "-o", str(tmp_path / "t.jsonl"),
         *FLAGS]) + f" < {shlex.quote(str(lines))}"], capture_output=True, timeout=120)
    assert lines.stat().st_size > 4 * 1024 and limited.returncode == 2
    assert limited.stderr.decode() == ("zipcore: error: standard input: cannot copy it to a "
                                       "temporary file: File too large\n")


def test_a_summary_that_cannot_be_printed_names_standard_output(lines, tmp_path):
    done = _zipcore("select", lines, "-o", tmp_path / "s.jsonl", "--json", *FLAGS,
                    shell="> /dev/full")
    assert done.returncode == 2
    assert done.stderr.decode().endswith(
        "zipcore: error: standard output: No space left on device\n")


def test_indices_on_stdout(lines, tmp_path, capsys, chosen):
    assert cli.main(["select", str(lines), "-o", str(tmp_path / "s.jsonl"), "--indices-out",
                     "-", *FLAGS]) == 0
    assert capsys.readouterr().out == "".join(f"{i}\n" for i in chosen)


def test_json_prints_one_summary_object(lines, tmp_path, capsys, records, chosen):
    out = tmp_path / "sel.jsonl.zst"
    assert cli.main(["select", str(lines), "-o", str(out), "--json", *FLAGS]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["inputs"] == [str(lines)]
    assert (summary["records"], summary["samples"], summary["budget"], summary["selected"]) == (
        120, 120, 8, 8)
    assert summary["ratio"]["selection"] == zipcore.compression_ratio(
        [records[i] for i in chosen])
    assert summary["ratio"]["pool"] == zipcore.compression_ratio(records)
    assert set(summary["seconds"]) == {"read", "select", "write"}
    assert (summary["codec"], summary["level"], summary["k1"]) == ("zlib", 9, 20)
    assert summary["threads"] >= 1
    assert summary["output"] == {"path": str(out), "format": "jsonl", "compression": "zstd"}


def test_write_selection_follows_the_same_rule(indented, tmp_path, records):
    source = zipcore.read_pool(indented)
    source.write_selection(tmp_path / "sel.jsonl.zst", [3, 1])
    assert _unzstd((tmp_path / "sel.jsonl.zst").read_bytes()).replace(b"\r", b"") == b"".join(
        _in_list(records[i]) + b"\n" for i in (3, 1))  # LF dropped, CR kept
    with pytest.raises(ValueError, match="cannot be written as Parquet"):
        source.write_selection(tmp_path / "sel.parquet", [3, 1])
    assert not (tmp_path / "sel.parquet").exists()


def test_an_output_on_a_read_only_file_system_says_so(lines, tmp_path, capsys):
    """An existing file there was 'exists and is read-only ... make it writable'."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a file system needs root")
    try:
        (folder / "s.jsonl").write_bytes(b"old\n")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        for flag in ("-o", "--checkpoint"):
            args = [flag, str(folder / "s.jsonl")]
            if flag != "-o":
                args += ["-o", str(tmp_path / "s.jsonl")]
            assert cli.main(["select", str(lines), *args, *FLAGS]) == 2
            assert _error(capsys) == (f"zipcore: error: {folder / 's.jsonl'}: cannot write "
                                      "output: Read-only file system")
        assert (folder / "s.jsonl").read_bytes() == b"old\n"
    finally:
        subprocess.run(["umount", str(folder)], check=True)
