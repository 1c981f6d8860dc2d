"""Writers: selections byte for byte (PoolFile.write_selection), indices files, and the one output
policy under them (zipcore.io.atomic): checked before any work, all or nothing, no litter."""

from __future__ import annotations

import gzip
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from zipcore.io import atomic
from zipcore.io.jsonstream import load_records
from zipcore.io.readers import indices_bytes, read_pool

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


# --- selections, byte for byte --------------------------------------------------------------

def test_json_selection_round_trip_is_byte_exact(tmp_path, raw_items):
    source = read_pool(_write(tmp_path / "in.json", "[\n" + ",\n".join(raw_items) + "\n]"),
                       format="record")  # records of any shape
    chosen = [len(raw_items) - 1, 5, 0, 41, len(raw_items) - 2]
    source.write_selection(tmp_path / "out.json", np.array(chosen, dtype=np.int64))
    written = (tmp_path / "out.json").read_bytes()
    assert written == ("[" + ", ".join(raw_items[i] for i in chosen) + "]").encode("utf-8")
    assert load_records(tmp_path / "out.json") == [json.loads(raw_items[i]) for i in chosen]


def test_selecting_everything_in_order_reproduces_a_shared_style_file(tmp_path, real_records):
    text = json.dumps(real_records)  # the shared data files' own framing
    source = read_pool(_write(tmp_path / "in.json", text))
    source.write_selection(tmp_path / "out.json", range(len(real_records)))
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == text


def test_jsonl_selection_round_trip(tmp_path, raw_items):
    source = read_pool(_write(tmp_path / "in.jsonl", "\r\n".join(raw_items)), format="record")
    chosen = [3, 1, len(raw_items) - 1]
    source.write_selection(tmp_path / "out.jsonl", chosen)
    expected = "".join(raw_items[i] + "\n" for i in chosen)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == expected
    assert load_records(tmp_path / "out.jsonl") == [json.loads(raw_items[i]) for i in chosen]


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_a_row_chosen_twice_is_written_twice_whatever_the_compression(tmp_path, raw_items,
                                                                      suffix):
    """A compressed input is read forward only: a repeated row is fetched once, written twice
    (it used to read as 'the file changed')."""
    import zstandard

    text = "".join(item + "\n" for item in raw_items).encode("utf-8")
    packed = {"": text, ".gz": gzip.compress(text), ".zst": zstandard.compress(text)}[suffix]
    source = read_pool(_write(tmp_path / f"in.jsonl{suffix}", packed), format="record")
    source.write_selection(tmp_path / "out.jsonl", [4, 2, 4, 0, 4])
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == "".join(
        raw_items[i] + "\n" for i in (4, 2, 4, 0, 4))


def test_gz_output_is_compressed_and_reproducible(tmp_path, raw_items):
    source = read_pool(_write(tmp_path / "in.json", "[" + ", ".join(raw_items) + "]"),
                       format="record")
    source.write_selection(tmp_path / "plain.json", [2, 0])
    source.write_selection(tmp_path / "a.json.gz", [2, 0])
    source.write_selection(tmp_path / "b.json.gz", [2, 0])
    packed = (tmp_path / "a.json.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == (tmp_path / "plain.json").read_bytes()
    assert packed == (tmp_path / "b.json.gz").read_bytes()
    assert load_records(tmp_path / "a.json.gz") == [json.loads(raw_items[i]) for i in (2, 0)]


@pytest.mark.parametrize("kind, expected", [("json", b"[]"), ("jsonl", b"")])
def test_empty_selection_writes_valid_empty_files(tmp_path, out_dir, kind, expected):
    source = read_pool(_write(tmp_path / f"in.{kind}", "[{}]" if kind == "json" else "{}\n"))
    source.write_selection(out_dir / f"out.{kind}", [])
    assert (out_dir / f"out.{kind}").read_bytes() == expected


@pytest.mark.parametrize("bad", [1, -1])
def test_out_of_range_indices_are_rejected_before_writing(tmp_path, out_dir, bad):
    source = read_pool(_write(tmp_path / "in.json", "[{}]"))
    with pytest.raises(IndexError, match=f"index {bad} is out of range for 1 samples"):
        source.write_selection(out_dir / "out.json", [0, bad])
    assert os.listdir(out_dir) == []


def test_interrupted_selection_leaves_no_output(tmp_path, out_dir, raw_items, monkeypatch):
    source = read_pool(_write(tmp_path / "in.jsonl", "\n".join(raw_items)), format="record")
    records = source.raw_records

    def interrupted(rows):
        for i, raw in enumerate(records(rows)):
            if i == 2:
                raise KeyboardInterrupt
            yield raw

    monkeypatch.setattr(source, "raw_records", interrupted)
    with pytest.raises(KeyboardInterrupt):
        source.write_selection(out_dir / "out.jsonl", range(len(raw_items)))
    assert os.listdir(out_dir) == []


# --- indices files ---------------------------------------------------------------------------

def test_indices_one_per_line(out_dir):
    atomic.write_file(out_dir / "idx.txt",
                      indices_bytes(np.array([7, 0, 123456789012], dtype=np.int64)))
    assert (out_dir / "idx.txt").read_text() == "7\n0\n123456789012\n"
    atomic.write_file(out_dir / "none.txt", indices_bytes([]))
    assert (out_dir / "none.txt").read_bytes() == b""


# --- the output policy -----------------------------------------------------------------------

def test_new_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.write_file(tmp_path / "idx.txt", b"1\n")
    finally:
        os.umask(old)
    assert (tmp_path / "idx.txt").stat().st_mode & 0o777 == 0o644


def test_output_under_a_regular_file_fails_naming_the_path(tmp_path):
    (tmp_path / "blocker").write_text("x")
    target = tmp_path / "blocker" / "out.txt"
    with pytest.raises(OSError, match="cannot write output") as caught:
        atomic.write_file(target, b"1\n")
    assert caught.value.filename == str(target)
    assert sorted(os.listdir(tmp_path)) == ["blocker"]


def test_output_that_is_a_directory_fails_without_leftovers(tmp_path):
    (tmp_path / "out.txt").mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        atomic.write_file(tmp_path / "out.txt", b"1\n")
    assert caught.value.filename == str(tmp_path / "out.txt")
    assert os.listdir(tmp_path) == ["out.txt"] and os.listdir(tmp_path / "out.txt") == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_keeps_the_previous_file_and_removes_the_temp(tmp_path, monkeypatch, failing):
    target = tmp_path / "idx.txt"
    target.write_text("old\n")
    planned = atomic.output(target)  # checked first: only the write itself fails

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space left on device") as caught:
        atomic.write_file(planned, b"1\n2\n3\n")
    monkeypatch.undo()
    assert caught.value.filename == str(target)
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["idx.txt"]


def test_interrupt_during_write_removes_the_temp(tmp_path, monkeypatch):
    def interrupt(fd):
        raise KeyboardInterrupt

    planned = atomic.output(tmp_path / "idx.txt")
    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_file(planned, b"1\n")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_interrupt_while_chunks_stream_removes_the_temp(tmp_path):
    def chunks():
        yield b"first chunk\n"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_file(tmp_path / "out.txt", chunks())
    assert os.listdir(tmp_path) == []


def test_write_files_leaves_nothing_when_a_later_file_cannot_be_staged(tmp_path):
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(OSError):
        atomic.write_files([(tmp_path / "a.txt", b"a"), (tmp_path / "blocker" / "b.txt", b"b")])
    assert sorted(os.listdir(tmp_path)) == ["blocker"]


def _fail_renames(monkeypatch, failure: BaseException, first: int,
                  last: int = 10**9) -> list:
    """os.replace raising ``failure`` on its calls ``first``..``last`` (from 1), renaming
    otherwise; returns the targets it was called with."""
    real_replace = os.replace
    calls: list = []

    def replace(src, dst):
        calls.append(dst)
        if first <= len(calls) <= last:
            raise failure
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return calls


@pytest.mark.parametrize("failure", [OSError(5, "Input/output error"), KeyboardInterrupt()])
@pytest.mark.parametrize("existed", [False, True])
def test_write_files_puts_committed_files_back_when_a_later_rename_fails(tmp_path, monkeypatch,
                                                                        failure, existed):
    """A failed rename, or Ctrl-C between two: every target as it was, never a lost file."""
    names = ["a.txt", "b.txt", "c.txt"]
    if existed:
        for name in names:
            (tmp_path / name).write_text(f"old {name}")
    calls = _fail_renames(monkeypatch, failure, 3, 3)  # the third; the two before are renamed
    with pytest.raises(type(failure)):
        atomic.write_files([(tmp_path / name, b"new") for name in names])
    monkeypatch.undo()
    assert calls[:3] == [tmp_path / name for name in names]
    if existed:
        assert sorted(os.listdir(tmp_path)) == names  # the kept links renamed back, no litter
        assert [(tmp_path / name).read_text() for name in names] == [f"old {n}" for n in names]
    else:
        assert os.listdir(tmp_path) == []


def test_write_files_keeps_no_copy_of_the_files_it_replaced(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("old")
    atomic.write_files([(tmp_path / "a.txt", b"new a"), (tmp_path / "b.txt", b"new b")])
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]
    assert [(tmp_path / n).read_text() for n in ("a.txt", "b.txt")] == ["new a", "new b"]


def test_planning_an_output_creates_nothing(tmp_path):
    atomic.output(tmp_path / "out.json")
    assert atomic.plan({"-o": tmp_path / "a.json", "--report": tmp_path / "b.json"}).keys() == {
        "-o", "--report"}
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="cannot write output"):
        atomic.output(tmp_path / "missing" / "out.json")
    with pytest.raises(FileNotFoundError, match="cannot write output"):
        atomic.plan({"-o": tmp_path / "missing" / "out.json"})
    assert os.listdir(tmp_path) == []


def _existing(tmp_path, names):
    for name in names:
        (tmp_path / name).write_text(f"old {name}")
    return [(tmp_path / name, b"new") for name in names]


def test_an_interrupt_after_a_rename_puts_that_file_back_too(tmp_path, monkeypatch):
    """Ctrl-C in the directory's fsync after the 2nd rename: the 2nd is put back as well."""
    files = _existing(tmp_path, ["a.txt", "b.txt", "c.txt"])
    syncs = []

    def sync(directory):
        syncs.append(directory)
        if len(syncs) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_sync_directory", sync)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_files(files)
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt", "c.txt"]
    assert {p.name: p.read_text() for p, _ in files} == {
        "a.txt": "old a.txt", "b.txt": "old b.txt", "c.txt": "old c.txt"}


def test_a_file_that_cannot_be_put_back_is_named_with_its_previous_contents(tmp_path,
                                                                           monkeypatch):
    files = _existing(tmp_path, ["a.txt", "b.txt"])
    _fail_renames(monkeypatch, OSError(5, "Input/output error"), 2, 3)  # b's, then a's restore
    with pytest.raises(OSError) as caught:
        atomic.write_files(files)
    monkeypatch.undo()
    kept = tmp_path / "a.txt.zipcore-previous"  # out of the temporary names a write removes
    assert caught.value.filename == str(tmp_path / "b.txt")  # the rename that failed
    assert caught.value.strerror == (
        f"cannot write output: Input/output error; and could not put back "
        f"{tmp_path / 'a.txt'} (Input/output error; "
        f"its previous contents are in {kept})")
    atomic.write_file(tmp_path / "a.txt", b"newer")  # a later run clears stale temporary files
    assert kept.read_text() == "old a.txt"
    assert (tmp_path / "b.txt").read_text() == "old b.txt"


def test_a_failing_first_rename_leaves_everything_as_it_was(tmp_path, monkeypatch):
    files = _existing(tmp_path, ["a.txt", "b.txt"])
    _fail_renames(monkeypatch, OSError(28, "No space left on device"), 1)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_files(files)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]
    assert (tmp_path / "a.txt").read_text() == "old a.txt"


def test_a_symlinked_output_put_back_keeps_its_link(tmp_path, monkeypatch):
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("real.txt")
    _fail_renames(monkeypatch, OSError(5, "Input/output error"), 2, 2)
    with pytest.raises(OSError):
        atomic.write_files([(tmp_path / "link.txt", b"new"), (tmp_path / "b.txt", b"new")])
    monkeypatch.undo()
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "link.txt").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["link.txt", "real.txt"]


def test_without_hard_links_a_renamed_file_is_kept_whole(tmp_path, monkeypatch):
    files = _existing(tmp_path, ["a.txt", "b.txt"])
    _fail_renames(monkeypatch, OSError(5, "Input/output error"), 2, 2)

    def no_link(src, dst):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    with pytest.raises(OSError, match="Input/output error"):
        atomic.write_files(files)
    monkeypatch.undo()
    assert (tmp_path / "a.txt").read_text() == "new"  # complete, never half written or lost
    assert (tmp_path / "b.txt").read_text() == "old b.txt"
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_signals_wait_while_outputs_are_renamed():
    from zipcore._stop import signals_deferred

    # Python's own handler, whatever this process inherited (a background job of a
    # non-interactive shell starts with SIGINT ignored).
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        reached = False
        with pytest.raises(KeyboardInterrupt):
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(1000):  # Python would run a handler at any of these
                    pass
                reached = True
        assert reached  # the interrupt came as the block ended, not inside it
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)


def test_an_error_in_the_block_wins_over_a_deferred_signal():
    from zipcore._stop import signals_deferred

    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    term = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(OSError, match="No space left"):
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(1000):
                    pass
                raise OSError(28, "No space left on device")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGTERM) is term  # both handlers put back
    finally:
        signal.signal(signal.SIGINT, inherited)
