"""The edge contract on the output side: no input overwritten, no output half written or written
into the wrong thing, every failure one line naming the file, clean stops on Ctrl-C and SIGTERM.

Each test names the defect it pins down (issue "The edge contract", items 1-18). The pool is the
bundled example (``zipcore.EXAMPLE_POOL``), so nothing here needs ``../shared``.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import zipcore
from zipcore import _info, cli
from zipcore.io import atomic
from zipcore.params import THREADS_PER_CORE

K = ["--k1", "60", "--k2", "20", "--k3", "5"]


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def good(tmp_path, records) -> Path:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(records[:80]), encoding="utf-8")
    return path


def _select(good: Path, *extra: str) -> list[str]:
    return ["select", str(good), "--budget", "10", *K, "-q", *extra]


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zipcore: error: "), err
    return lines[0]


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (hidden temporary files included) with its bytes."""
    return {p.name: (p.read_bytes() if p.is_file() else b"") for p in sorted(folder.iterdir())}


def _run_cli(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zipcore", *args], capture_output=True,
                          text=True, timeout=120, **kwargs)


# --- 1, 18: an output that is an input, or another output, is refused before any work ----------

@pytest.mark.parametrize("flags, message", [
    (["-o", "{good}"], "--output {good} is the same file as the input INPUT {good}"),
    (["-o", "{d}/o.json", "--indices-out", "{good}"],
     "--indices-out {good} is the same file as the input INPUT {good}"),
    (["-o", "{d}/o.json", "--report", "{d}/o.png"],  # o.png: a link to o.json
     "--report {d}/o.png is the same file as the output --output {d}/o.json"),
    (["-o", "{d}/o.json", "--checkpoint", "{d}/o.json"],
     "--checkpoint {d}/o.json is the same file as the output --output {d}/o.json"),
    (["-o", "{d}/o.json", "--report", "{d}/good.png"],  # good.png: a link to the input
     "--report {d}/good.png is the same file as the input INPUT {good}"),
    (["-o", "{d}/link.json"], "--output {d}/link.json is the same file as the input"),
    (["-o", "{d}/hard.json"], "--output {d}/hard.json is the same file as the input"),
])
def test_an_output_that_is_an_input_or_another_output_is_refused(good, capsys, flags, message):
    folder = good.parent
    (folder / "link.json").symlink_to(good)
    (folder / "good.png").symlink_to(good)
    (folder / "o.png").symlink_to(folder / "o.json")  # a picture's name, the output's file
    os.link(good, folder / "hard.json")
    before = _tree(folder)
    fill = {"good": str(good), "d": str(folder)}
    assert cli.main(_select(good, *(f.format(**fill) for f in flags))) == 2
    assert message.format(**fill) in _one_error_line(capsys.readouterr().err)
    assert _tree(folder) == before  # the input intact, nothing written


@pytest.mark.parametrize("flag", ["-o", "--indices-out", "--checkpoint", "--report"])
def test_a_missing_folder_and_dotdot_never_lands_on_the_input(good, capsys, flag):
    # os.path.realpath cancels "nosuch/..", which the kernel refuses: planned by realpath, the
    # output was renamed over the input itself.
    if flag == "--report":
        pytest.importorskip("matplotlib")
    folder = good.parent
    name = "good.png" if flag == "--report" else "good.json"  # a picture is named *.png
    link = folder / ("link.png" if flag == "--report" else "link.json")
    link.symlink_to("nosuch/../good.json")  # the input, through a link
    before = _tree(folder)
    for path in (folder / "nosuch" / ".." / name, link):
        extra = [flag, str(path)] + ([] if flag == "-o" else ["-o", str(folder / "o.json")])
        assert cli.main(_select(good, *extra)) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert line == f"zipcore: error: {path}: cannot write output: No such file or directory"
    assert _tree(folder) == before


def test_write_selection_never_writes_over_its_input(good):
    before = good.read_bytes()
    with pytest.raises(ValueError, match="is the same file as the input"):
        zipcore.read_pool(good).write_selection(good, [0])
    assert good.read_bytes() == before


def test_api_checkpoint_and_report_must_differ(tmp_path, records):
    pytest.importorskip("matplotlib")
    path, picture = tmp_path / "run.npz", tmp_path / "run.png"
    picture.symlink_to(path)
    with pytest.raises(ValueError, match="report= .* is the same file as the output checkpoint="):
        zipcore.select(records[:40], 4, k1=20, k2=8, k3=4, checkpoint=path, report=picture)
    assert not path.exists()


def test_monitor_plot_that_is_an_input_is_refused(tmp_path, records, capsys):
    pytest.importorskip("matplotlib")
    data = tmp_path / "v1.json"
    data.write_text(json.dumps(records[:30]), encoding="utf-8")
    versions = tmp_path / "versions.csv"
    versions.write_text("version,path\nv1,v1.json\n", encoding="utf-8")
    for target, label in ((versions, "VERSIONS.csv"), (data, "version v1")):
        (tmp_path / f"{target.stem}.png").symlink_to(target)  # a picture's name, an input
    before = _tree(tmp_path)
    for target, label in ((versions, "VERSIONS.csv"), (data, "version v1")):
        link = tmp_path / f"{target.stem}.png"
        assert cli.main(["monitor", str(versions), "--plot", str(link)]) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert f"--plot {link} is the same file as the input {label}" in line
    assert _tree(tmp_path) == before


def test_a_picture_is_written_only_under_a_png_name(tmp_path, records, capsys):
    # A mistyped picture name (--plot versions.csv) replaced that file with PNG bytes; the API's
    # writers wrote PNG bytes under a.pdf.
    pytest.importorskip("matplotlib")
    from zipcore.entropy import monitor, report

    data = tmp_path / "v1.json"
    data.write_text(json.dumps(records[:30]), encoding="utf-8")
    (tmp_path / "versions.csv").write_text("version,path\nv1,v1.json\n", encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text("keep me", encoding="utf-8")
    before = _tree(tmp_path)
    assert cli.main(["monitor", str(tmp_path / "versions.csv"), "--plot", str(other)]) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"zipcore: error: --plot {other}: the picture is written as PNG: name it *.png")
    assert cli.main(_select(data, "-o", str(tmp_path / "o.json"), "--report",
                            str(tmp_path / "r.json"))) == 2
    assert "--report" in _one_error_line(capsys.readouterr().err)
    with pytest.raises(ValueError, match="report= .*r.pdf: the picture is written as PNG"):
        zipcore.select(records[:40], 4, k1=20, k2=8, k3=4, report=tmp_path / "r.pdf")
    result = zipcore.select_with_stats(records[:40], 4, k1=20, k2=8, k3=4)
    with pytest.raises(ValueError, match="r.pdf: the picture is written as PNG"):
        report.write_selection_report(tmp_path / "r.pdf", result, records[:40])
    with pytest.raises(ValueError, match="m.jpg: the picture is written as PNG"):
        monitor.write_plot(tmp_path / "m.jpg",
                           monitor.monitor(tmp_path / "versions.csv", threads=1))
    assert _tree(tmp_path) == before
    report.write_selection_report(tmp_path / "R.PNG", result, records[:40])  # any case
    assert (tmp_path / "R.PNG").read_bytes().startswith(b"\x89PNG")


# --- 2: devices, pipes, symlinks and permissions -----------------------------------------------

def test_a_character_device_is_written_into_never_replaced(good):
    # As root, replacing /dev/null by a regular file would break the whole machine.
    assert cli.main(_select(good, "-o", "/dev/null", "--indices-out", "/dev/null")) == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_into_and_stays_a_fifo(good, tmp_path, records):
    fifo = tmp_path / "sel.json"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        assert cli.main(_select(good, "-o", str(fifo))) == 0
    finally:
        reader.join(timeout=30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    chosen = json.loads(received[0])
    assert len(chosen) == 10 and all(r in records for r in chosen)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_symlink_is_written_through_and_kept(good, tmp_path):
    target = tmp_path / "real" / "sel.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "sel.json"
    link.symlink_to(target)
    assert cli.main(_select(good, "-o", str(link))) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 10


def test_a_dangling_symlink_creates_its_target(good, tmp_path):
    link = tmp_path / "sel.json"
    link.symlink_to(tmp_path / "made.json")
    assert cli.main(_select(good, "-o", str(link))) == 0
    assert link.is_symlink() and len(json.loads((tmp_path / "made.json").read_text())) == 10


def test_a_name_near_the_file_system_limit_is_writable(good, tmp_path):
    out = tmp_path / ("s" * 245 + ".json")  # 250 characters: the temporary name must not be
    assert cli.main(_select(good, "-o", str(out))) == 0
    assert len(json.loads(out.read_text())) == 10


def test_a_replaced_output_keeps_its_mode(good, tmp_path):
    out = tmp_path / "sel.json"
    out.write_text("old")
    out.chmod(0o640)
    assert cli.main(_select(good, "-o", str(out))) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert len(json.loads(out.read_text())) == 10


@pytest.mark.parametrize("flag", ["-o", "--checkpoint", "--indices-out"])
def test_an_output_url_is_refused_and_a_file_url_is_its_path(good, tmp_path, capsys, monkeypatch,
                                                            flag):
    url = "s3://bucket/sel.json"
    (tmp_path / "s3:" / "bucket").mkdir(parents=True)  # never written as a local folder
    argv = _select(good, "-o", str(tmp_path / "sel.json"))
    argv += [flag, url] if flag != "-o" else []
    if flag == "-o":
        argv[argv.index("-o") + 1] = url
    monkeypatch.chdir(tmp_path)  # where a relative s3:/bucket/ would be
    assert cli.main(argv) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"zipcore: error: {url}: cannot write output: outputs are local files (URLs are read, "
        "not written): write it here, then copy it")
    assert not any((tmp_path / "s3:" / "bucket").iterdir())
    out = tmp_path / "by_url.json"
    assert cli.main(_select(good, "-o", f"file://{out}")) == 0
    assert out.exists()


def test_a_read_only_output_is_refused_and_left_alone(good, tmp_path, capsys):
    out = tmp_path / "sel.json"
    out.write_text("keep me")
    out.chmod(0o444)
    assert cli.main(_select(good, "-o", str(out))) == 2
    assert (f"{out}: exists and is read-only, and zipcore would replace it"
            in _one_error_line(capsys.readouterr().err))
    assert out.read_text() == "keep me" and stat.S_IMODE(out.stat().st_mode) == 0o444


def test_a_checkpoint_must_be_a_regular_file(good, tmp_path, capsys):
    assert cli.main(_select(good, "-o", str(tmp_path / "o.json"), "--checkpoint",
                            "/dev/null")) == 2
    assert "/dev/null: must be a regular file" in _one_error_line(capsys.readouterr().err)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- 3, 4: damaged or foreign checkpoints ------------------------------------------------------

def _valid_checkpoint(records, path: Path) -> None:
    zipcore.select(records[:80], 10, k1=60, k2=20, k3=5, checkpoint=path)


def _raw_member(data: bytes) -> bytes:
    """The archive with its ``order`` array replaced by a member that is no ``.npy``: np.load
    hands such a member back as bytes, not an array (found by fuzz_checkpoint.py)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename == "order.npy":
                target.writestr("order", b"no array here")
            else:
                target.writestr(item.filename, source.read(item))
    return out.getvalue()


@pytest.mark.parametrize("damage", ["truncated", "flipped", "json", "empty", "raw_member"])
def test_a_damaged_checkpoint_is_one_line_naming_it(good, tmp_path, records, capsys, damage):
    ck = tmp_path / "run.npz"
    _valid_checkpoint(records, ck)
    data = ck.read_bytes()
    ck.write_bytes({"truncated": lambda: data[:len(data) // 2],
                    "flipped": lambda: data[:200] + bytes(b ^ 0xFF for b in data[200:400])
                    + data[400:],
                    "json": lambda: b'{"not": "a checkpoint"}',
                    "empty": lambda: b"",
                    "raw_member": lambda: _raw_member(data)}[damage]())
    out = tmp_path / "o.json"
    assert cli.main(_select(good, "-o", str(out), "--checkpoint", str(ck))) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.count(str(ck)) == 1 and "checkpoint" in line
    assert "allow_pickle" not in line and not out.exists()
    with pytest.raises(zipcore.ZipcoreError, match=str(ck)):  # the API: a ZipcoreError
        zipcore.select(records[:80], 10, k1=60, k2=20, k3=5, checkpoint=ck)


# --- 5, 13, 17: parameters ---------------------------------------------------------------------

@pytest.mark.parametrize("level", [2**40, 99999999999, -(2**70), 0, 23])
def test_an_out_of_range_level_is_a_plain_value_error(records, level):
    with pytest.raises(ValueError, match=r"zstd level must be in 1\.\.22") as caught:
        zipcore.select(records[:20], 2, k1=10, k2=4, k3=2, codec="zstd", level=level)
    assert "incompatible function arguments" not in str(caught.value)


def test_an_out_of_range_level_on_the_command_line(good, tmp_path, capsys):
    assert cli.main(_select(good, "-o", str(tmp_path / "o.json"), "--codec", "zstd",
                            "--level", "99999999999")) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == "zipcore: error: zstd level must be in 1..22, got 99999999999"


@pytest.mark.parametrize("name", ["budget", "k1", "k2", "k3", "threads", "level"])
def test_bools_are_not_integers(records, name):
    kwargs = {"budget": 2, "k1": 10, "k2": 4, "k3": 2}
    kwargs[name] = True
    with pytest.raises(TypeError, match=f"{name} must be an integer, got a bool"):
        zipcore.select(records[:20], **kwargs)


def test_floats_are_not_integers(records):
    with pytest.raises(TypeError, match="budget must be an integer, got float"):
        zipcore.select(records[:20], 2.0, k1=10, k2=4, k3=2)


@pytest.mark.parametrize("command", ["select", "ratio", "monitor"])
def test_too_many_threads_on_the_command_line_is_a_warning_line(good, tmp_path, capsys,
                                                                  command, monkeypatch):
    # ratio and monitor, which read and measure with --threads, warned once for each; the cap
    # counts cores, not OMP_NUM_THREADS (which lowers the default only)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    cap = THREADS_PER_CORE * _info.available_cores()
    again = tmp_path / "again.json"
    again.write_bytes(good.read_bytes())
    (tmp_path / "versions.csv").write_text(f"version,path\nv1,{good}\nv2,{again}\n")
    argv = {"select": _select(good, "-o", str(tmp_path / "o.json")),
            "ratio": ["ratio", str(good), str(again)],
            "monitor": ["monitor", str(tmp_path / "versions.csv")]}[command]
    assert cli.main([*argv, "--threads", "4096"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert err == [f"zipcore: warning: threads=4096 is more than {THREADS_PER_CORE} per core "
                   f"this process may use ({cap // THREADS_PER_CORE}); using {cap}"]


# --- 7: a full disk or a file-size limit names the file ---------------------------------------

def test_a_full_device_names_the_output(good, capsys):
    assert cli.main(_select(good, "-o", "/dev/full")) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == "zipcore: error: /dev/full: cannot write output: No space left on device"


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("which", ["--output", "--checkpoint"])
def test_a_write_past_the_file_size_limit_names_the_file(good, tmp_path, which):
    out, ck = tmp_path / "o.json", tmp_path / "state" / "run.npz"
    ck.parent.mkdir()
    # The output holds 10 records (~6 KB): past a 4 KB limit. With a 1 KB limit the first
    # checkpoint (two float32 scores a sample and headers, ~3 KB) fails before it.
    if which == "--output":
        args, limit = _select(good, "-o", str(out)), 4096
    else:
        args, limit = _select(good, "-o", str(out), "--checkpoint", str(ck)), 1024
    done = _run_cli(args, preexec_fn=_file_size_limit(limit))
    assert done.returncode == 2, done.stderr
    path = out if which == "--output" else ck
    assert _one_error_line(done.stderr) == (f"zipcore: error: {path}: cannot write output: "
                                            "File too large")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["good.json", "state"]
    assert [p.name for p in ck.parent.iterdir() if p.name.startswith(".")] == []


# --- 9: every path and parameter is checked before any work ------------------------------------

@pytest.fixture
def no_reading(monkeypatch):
    """Reading the input is the first piece of work: here it fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the input was read before the arguments were checked")
    monkeypatch.setattr("zipcore.cli.pool_inputs.read_pools", refuse)


@pytest.mark.parametrize("flags, message", [
    (["--checkpoint", "{d}/nodir/ck.npz"], "{d}/nodir/ck.npz: cannot write output"),
    (["--codec", "zstd", "--level", "40"], "zstd level must be in 1..22, got 40"),
    (["--codec", "zlib", "--level", "6"], "exact at level 9 only"),
    (["--report", "{d}/nodir/r.png"], "{d}/nodir/r.png: cannot write output"),
    (["--indices-out", "{d}"], "{d}: cannot write output: is a directory"),
    (["--indices-out", "{d}/newdir/"], "{d}/newdir/: cannot write output: no such directory"),
    (["--indices-out", ""], "'': cannot write output: the path is empty"),
    (["--indices-out", "-", "--json"], "--indices-out - and --json both write to standard"),
    (["--checkpoint", "-"], "-: must be a regular file, not standard output"),
])
def test_bad_paths_and_parameters_fail_before_reading(good, tmp_path, capsys, no_reading,
                                                      flags, message):
    if "--report" in flags:
        pytest.importorskip("matplotlib")
    fill = {"d": str(tmp_path)}
    argv = _select(good, "-o", str(tmp_path / "o.json"), *(f.format(**fill) for f in flags))
    assert cli.main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert message.format(**fill) in line
    assert str(good) not in line  # a parameter error is not the input's


@pytest.mark.parametrize("output, message", [
    ("o.parquet.gz", "Parquet compresses inside the file: drop the .gz"),
    ("o.json", "a selection of Parquet records cannot be written as JSON"),
])
def test_an_output_name_the_input_format_cannot_fill_is_refused_before_reading(
        tmp_path, records, capsys, no_reading, output, message):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    source = tmp_path / "pool.parquet"
    pq.write_table(pa.table({"text": [json.dumps(r) for r in records[:30]]}), source)
    assert cli.main(["select", str(source), "-o", str(tmp_path / output), "--budget", "2",
                     "--column", "text", "-q"]) == 2
    assert message in _one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("output", ["o.parquet", "o.parquet.gz"])
def test_json_text_is_never_written_under_another_format_name(good, tmp_path, capsys, output):
    assert cli.main(_select(good, "-o", str(tmp_path / output))) == 2
    assert "name it *.json" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / output).exists()


def test_a_wrapped_file_is_named_for_what_it_is_not_for_its_output_name(tmp_path, records,
                                                                         capsys):
    # A file opening with '{' is JSONL or a wrapper object: the reader says which, and only
    # then is the output's name held against the format.
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"data": records[:20]}), encoding="utf-8")
    assert cli.main(["select", str(wrapped), "-o", str(tmp_path / "o.json"), "--budget", "2",
                     "-q"]) == 2
    assert "Name the list with --records-key data" in _one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrapped.json"]


# --- 10, 11: Ctrl-C and SIGTERM ----------------------------------------------------------------

STOP_DURING_IMPORT = textwrap.dedent("""
    import builtins, os, signal, sys
    # As started from a terminal: a test run launched in the background (a non-interactive
    # shell's `&`) passes SIGINT on ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    real_import = builtins.__import__
    def stop_while_importing(name, *args, **kwargs):
        if name == "argparse":  # the command line's own imports are under way (tqdm no longer:
            # it is imported at a run's first progress report)
            os.kill(os.getpid(), signal.{signal})
        return real_import(name, *args, **kwargs)
    builtins.__import__ = stop_while_importing
    sys.argv[1:] = ["info"]
    from zipcore.__main__ import main
    sys.exit(main())
""")


@pytest.mark.parametrize("sig, status, word", [("SIGINT", 130, "interrupted"),
                                               ("SIGTERM", 143, "terminated")])
def test_a_stop_during_start_up_is_one_line(sig, status, word):
    done = subprocess.run([sys.executable, "-c", STOP_DURING_IMPORT.format(signal=sig)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == status, done.stderr
    assert done.stderr == f"zipcore: {word}\n"


@pytest.fixture(scope="module")
def long_pool(tmp_path_factory, records) -> Path:
    """A pool whose selection takes a few seconds: rounds to stop in."""
    path = tmp_path_factory.mktemp("long") / "pool.json"
    path.write_text(json.dumps(records * 2), encoding="utf-8")
    return path


LONG = ["--budget", "450", "--k1", "2000", "--k2", "60", "--k3", "15", "--threads", "2", "-q"]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.3, 0.7])
def test_sigterm_mid_run_exits_143_leaving_no_temp_files_and_a_resumable_checkpoint(
        long_pool, tmp_path, delay):
    out, ck = tmp_path / "sel.json", tmp_path / "run.npz"
    args = ["select", str(long_pool), "-o", str(out), "--checkpoint", str(ck), *LONG]
    child = subprocess.Popen([sys.executable, "-m", "zipcore", *args], stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.monotonic() + 60
        while not ck.exists():
            assert child.poll() is None, child.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.005)
        time.sleep(delay)
        child.send_signal(signal.SIGTERM)
        err = child.communicate(timeout=30)[1]
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 143, err
    assert err == "zipcore: terminated\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]  # no output, no temp file
    resumed = _run_cli(args)
    assert resumed.returncode == 0, resumed.stderr
    uninterrupted = tmp_path / "again.json"
    assert _run_cli(["select", str(long_pool), "-o", str(uninterrupted), *LONG]).returncode == 0
    assert out.read_bytes() == uninterrupted.read_bytes()


def test_temp_files_of_killed_runs_are_removed_by_the_next_write(good, tmp_path):
    out = tmp_path / "sel.json"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = atomic.HOST
    stale = tmp_path / f".sel.json.zipcore-{host}-{gone.pid}-0badc0de.tmp"
    alive = tmp_path / f".sel.json.zipcore-{host}-{os.getpid()}-0badc0de.tmp"
    other_host = tmp_path / f".sel.json.zipcore-elsewhere-{gone.pid}-0badc0de.tmp"
    for path in (stale, alive, other_host):
        path.write_text("partial")
    assert cli.main(_select(good, "-o", str(out))) == 0
    assert not stale.exists()
    assert alive.exists() and other_host.exists()  # a live writer's, another host's: not ours


# --- 12: a slow progress callback ---------------------------------------------------------------

def test_a_slow_progress_callback_is_called_about_ten_times_a_second_at_most(records):
    calls: list[float] = []

    def slow(stage, round_, done, total):
        calls.append(time.monotonic())
        time.sleep(0.15)

    start = time.monotonic()
    zipcore.select(records[:600], 40, k1=300, k2=40, k3=10, threads=1, progress=slow)
    elapsed = time.monotonic() - start
    # Each call takes 0.15 s and the next comes 0.1 s after it returns (plus the final one):
    # when the timer was reset before the callback, it came after every evaluation instead.
    assert len(calls) <= elapsed / 0.25 + 2, (len(calls), elapsed)
    gaps = np.diff(calls)[:-1]  # the last call reports the end at once
    assert (gaps >= 0.25 - 0.01).all()


# --- 15, 16: indices and zero-copy pools -------------------------------------------------------

@pytest.mark.parametrize("bad, error, message", [
    ([1.7], TypeError, "indices must be integers"),
    ([True], TypeError, "indices must be integers"),
    ([1, True], TypeError, r"indices must be integers, got a bool \(True\)"),  # was [1, 1]
    ([1, None], TypeError, r"indices must be integers, got object \(e.g. None\)"),
    (["1"], TypeError, "indices must be integers"),
    (np.array([0.0]), TypeError, "indices must be integers"),
    ({1, 2}, TypeError, "indices must be in an order, not a set"),
    (5, TypeError, "indices must be a sequence of integers, not int"),  # was index 5 of 5
    (np.array(1), ValueError, r"one-dimensional, got an array of shape \(\)"),
    (np.zeros((2, 2), dtype=int), ValueError, "one-dimensional"),  # was flattened
])
def test_float_or_bool_indices_are_refused_not_truncated(good, tmp_path, bad, error, message):
    source = zipcore.read_pool(good)
    with pytest.raises(error, match=message):
        source.write_selection(tmp_path / "o.json", bad)
    with pytest.raises(error, match=message):
        source.pool.take(bad)
    assert not (tmp_path / "o.json").exists()


def test_indices_may_come_from_any_iterable(good, tmp_path):
    # A generator, map or iterator was one numpy object: "'generator' object has no attribute
    # 'item'".
    source = zipcore.read_pool(good)
    source.write_selection(tmp_path / "list.json", [3, 1, 2])
    for name, given in (("gen", (i for i in [3, 1, 2])), ("map", map(int, "312")),
                        ("iter", iter([3, 1, 2]))):
        source.write_selection(tmp_path / f"{name}.json", given)
        assert (tmp_path / f"{name}.json").read_bytes() == (tmp_path / "list.json").read_bytes()
    assert source.pool.take(i for i in [3, 1, 2]) == source.pool.take([3, 1, 2])
    assert source.pool.take(range(3)) == source.pool.take([0, 1, 2])
    pa = pytest.importorskip("pyarrow")  # what numpy reads as an array, read as one
    assert source.pool.take(pa.array([3, 1, 2])) == source.pool.take([3, 1, 2])
    assert source.record_indices(pa.chunked_array([[2], [0]])).tolist() == [2, 0]
    assert source.record_indices(iter([2, 0])).tolist() == [2, 0]


@pytest.mark.slow  # a thread rewriting offsets while selections run
def test_rewriting_a_zero_copy_pools_offsets_cannot_crash_a_running_select(records):
    encoded = zipcore.Pool.from_samples(records[:400])
    data = np.array(encoded.data)
    offsets = np.array(encoded.offsets)  # the caller's own, writeable
    pool = zipcore.Pool.from_buffers(data, offsets)
    expected = zipcore.select(pool, 30, k1=200, k2=30, k3=10, threads=2)
    stop = threading.Event()

    def vandal() -> None:
        rng = np.random.default_rng(0)
        while not stop.is_set():
            offsets[:] = rng.integers(-10**12, 10**12, len(offsets))

    thread = threading.Thread(target=vandal)
    thread.start()
    try:
        for _ in range(3):
            np.testing.assert_array_equal(
                zipcore.select(pool, 30, k1=200, k2=30, k3=10, threads=2), expected)
    finally:
        stop.set()
        thread.join()
    assert not np.shares_memory(pool.offsets, offsets)


@pytest.mark.slow  # a thread rewriting offsets while the binding copies them
def test_the_binding_copies_offsets_it_is_given(records):
    encoded = zipcore.Pool.from_samples(records[:50])
    offsets = np.array(encoded.offsets)
    stop = threading.Event()

    def vandal() -> None:
        while not stop.is_set():
            offsets[1:] = 10**15
            offsets[1:] = encoded.offsets[1:]

    thread = threading.Thread(target=vandal)
    thread.start()
    try:
        for _ in range(20):
            try:
                zipcore._core.select(encoded.data, offsets, 5, 20, 10, 5, 2, "zlib", 9, None)
            except ValueError as exc:  # the copy was taken mid-rewrite: refused, not read
                assert "offsets" in str(exc)
    finally:
        stop.set()
        thread.join()


# --- 14: R of nothing --------------------------------------------------------------------------

def test_the_ratio_of_no_samples_is_an_error():
    with pytest.raises(zipcore.ZipcoreError, match="no samples"):
        zipcore.compression_ratio([])


# --- the error boundary ------------------------------------------------------------------------

def test_a_bug_prints_its_traceback_and_exits_70(good, tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")
    monkeypatch.setattr("zipcore.cli.pool_inputs.read_pools", broken)
    assert cli.main(_select(good, "-o", str(tmp_path / "o.json"))) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: simulated bug" in err
    assert err.strip().splitlines()[-1].startswith("zipcore: internal error")


def test_out_of_memory_is_one_line(good, tmp_path, monkeypatch, capsys):
    def exhausted(*args, **kwargs):
        raise MemoryError()
    monkeypatch.setattr("zipcore.cli.pool_inputs.read_pools", exhausted)
    assert cli.main(_select(good, "-o", str(tmp_path / "o.json"))) == 2
    assert _one_error_line(capsys.readouterr().err) == "zipcore: error: out of memory"


# --- 25 (command line): zlib-only options with zstd ---------------------------------------------

@pytest.mark.parametrize("flag", [["--parallel"], ["--exact"], ["--exact-limit", "1M"]])
def test_zlib_only_ratio_options_with_zstd_are_refused(good, capsys, flag):
    assert cli.main(["ratio", str(good), "--codec", "zstd", *flag]) == 2
    assert "--codec zstd is always one stream" in _one_error_line(capsys.readouterr().err)


# --- every input of ratio and monitor is there before the first is measured --------------------

def test_ratio_and_monitor_check_every_file_before_measuring(good, tmp_path, monkeypatch, capsys):
    def measured(*args, **kwargs):
        raise AssertionError("a file was measured before all were checked")
    monkeypatch.setattr(zipcore.entropy.ratio, "file_ratios", measured)
    monkeypatch.setattr(zipcore.entropy.monitor, "file_samples", measured)
    missing = tmp_path / "missing.json"
    assert cli.main(["ratio", str(good), str(missing)]) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"zipcore: error: {missing}: No such file or directory")
    versions = tmp_path / "versions.csv"
    versions.write_text(f"version,path\nv1,{good.name}\nv2,missing.json\n", encoding="utf-8")
    assert cli.main(["monitor", str(versions)]) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"zipcore: error: {versions}:3: version 'v2': {missing}: No such file or directory")
