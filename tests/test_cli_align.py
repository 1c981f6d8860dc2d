"""``zipcore align``: the records most like a target set, read and written as ``select``
reads and writes them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import zipcore
from zipcore import cli


@pytest.fixture
def files(tmp_path, real_pool) -> tuple[Path, Path, list[dict], list[dict]]:
    pool = real_pool("pool", 0, 80)  # GSM8K and hh-rlhf dialogues
    target = real_pool("hh", 0, 20)
    pool_path, target_path = tmp_path / "pool.json", tmp_path / "target.jsonl"
    pool_path.write_text(json.dumps(pool), encoding="utf-8")
    target_path.write_text("".join(json.dumps(r) + "\n" for r in target), encoding="utf-8")
    return pool_path, target_path, pool, target


@pytest.mark.parametrize("method, contrast", [("zipfit", False), ("dict", False), ("dict", True),
                                             ("zipfit", True)])
@pytest.mark.parametrize("diverse", [False, True])
def test_align_keeps_what_select_aligned_keeps(files, tmp_path, method, contrast, diverse):
    pool_path, target_path, pool, target = files
    out, scores_out = tmp_path / "kept.jsonl", tmp_path / "scores.txt"
    argv = ["align", str(pool_path), "--target", str(target_path), "-o", str(out), "--budget", "10",
            "--method", method, "--scores-out", str(scores_out), "-q", "--template",
            "{conversations}"] + (["--diverse"] if diverse else []) + (
            ["--contrast"] if contrast else [])
    assert cli.main(argv) == 0
    samples = zipcore.read_pool(pool_path, template="{conversations}").pool
    targets = zipcore.read_pool(target_path, template="{conversations}").pool
    expected = zipcore.select_aligned(samples, targets, 10, method=method, contrast=contrast,
                                      diverse=diverse)
    kept = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert kept == [pool[i] for i in expected]
    scores = [float(line) for line in scores_out.read_text().splitlines()]
    assert np.array_equal(scores, zipcore.align_scores(samples, targets, method=method,
                                                       contrast=contrast))


def test_align_reads_records_and_several_targets(files, tmp_path, capsys, real_pool):
    pool_path, _, pool, _ = files
    target = real_pool("gsm8k", 0, 20)
    target_path, second = tmp_path / "gsm8k.jsonl", tmp_path / "more.json"
    target_path.write_text("".join(json.dumps(r) + "\n" for r in target), encoding="utf-8")
    second.write_text(json.dumps(pool[:5]), encoding="utf-8")
    out = tmp_path / "kept.json"
    assert cli.main(["align", str(pool_path), "--target", str(target_path), str(second), "-o",
                     str(out), "--budget", "5", "-q"]) == 0
    targets = target + pool[:5]  # records: repr of each, as select compresses them
    expected = zipcore.select_aligned(pool, targets, 5)
    assert json.loads(out.read_text(encoding="utf-8")) == [pool[i] for i in expected]
    assert "kept 5 of 80 records most like 25 target samples (zipfit)" in capsys.readouterr().err


def test_diverse_reports_the_best_score_it_kept(files, tmp_path, capsys):
    """ZIP's first pick is not the best aligned sample: the line names the best kept."""
    pool_path, target_path, _, _ = files
    scores_out = tmp_path / "scores.txt"
    assert cli.main(["align", str(pool_path), "--target", str(target_path), "-o",
                     str(tmp_path / "kept.json"), "--budget", "10", "--diverse",
                     "--scores-out", str(scores_out), "-q"]) == 0
    kept = json.loads((tmp_path / "kept.json").read_text(encoding="utf-8"))
    scores = [float(line) for line in scores_out.read_text().splitlines()]
    pool = json.loads(pool_path.read_text(encoding="utf-8"))
    best = max(scores[pool.index(record)] for record in kept)
    assert f"best score kept {best:.4f}," in capsys.readouterr().err


@pytest.mark.parametrize("flags, message", [
    (["--level", "10"], "level for zipfit must be 0..9, got 10"),
    (["--method", "dict", "--level", "0"], "level for dict must be 1..22, got 0"),
    (["--budget", "81"], "pool.json: budget 81 is larger than the pool (80 samples)"),
])
def test_align_errors_are_one_line(files, tmp_path, capsys, flags, message):
    pool_path, target_path, _, _ = files
    out = tmp_path / "kept.json"
    argv = ["align", str(pool_path), "--target", str(target_path), "-o", str(out), "--budget", "5"]
    assert cli.main(argv + flags) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize("method, message", [
    ("dict", "pool.json: dict's contrast needs a pool whose distinct samples, other than the "
             "targets, split into 3 random sets"),
    ("zipfit", "pool.json: zipfit's contrast needs a pool of at least 3 distinct samples, other "
               "than the targets, for each target"),
])
def test_a_pool_too_small_for_contrast_is_named(files, tmp_path, capsys, method, message):
    pool_path, target_path, _, _ = files
    out = tmp_path / "kept.json"
    assert cli.main(["align", str(pool_path), "--target", str(pool_path), "-o", str(out),
                     "--budget", "5", "--contrast", "--method", method, "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and not out.exists()


def test_align_never_writes_over_a_target(files, capsys):
    pool_path, target_path, _, _ = files
    assert cli.main(["align", str(pool_path), "--target", str(target_path), "-o", str(target_path),
                     "--budget", "5"]) == 2
    assert "--target" in capsys.readouterr().err


def test_standard_input_is_not_both_the_pool_and_the_target(files, tmp_path, capsys):
    pool_path, _, _, _ = files
    assert cli.main(["align", "-", "--target", "-", "-o", str(tmp_path / "o.jsonl"),
                     "--budget", "2"]) == 2
    assert "standard input can be read once" in capsys.readouterr().err


def test_an_empty_target_file_is_named(files, tmp_path, capsys):
    pool_path, _, _, _ = files
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    assert cli.main(["align", str(pool_path), "--target", str(empty), "-o",
                     str(tmp_path / "o.jsonl"), "--budget", "2"]) == 2
    err = capsys.readouterr().err
    assert "empty.json" in err and err.count("\n") == 1


def test_target_names_end_at_the_next_option(files, tmp_path, real_pool):
    pool_path, target_path, _, _ = files
    out = tmp_path / "o.jsonl"
    assert cli.main(["align", "--target", str(target_path), "--budget", "3", str(pool_path),
                     "-o", str(out), "-q"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3

