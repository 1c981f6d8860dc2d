"""`zipcore select --codec/--level/--checkpoint`: the CLI reaches the engine's options."""

from __future__ import annotations

import json

import numpy as np

import zipcore
from zipcore.cli import main

ARGS = ["--budget", "30", "--k1", "200", "--k2", "40", "--k3", "10", "--quiet"]


def _pool(tmp_path, real_pool):
    path = tmp_path / "pool.json"
    records = real_pool("pool", 0, 300)
    path.write_text(json.dumps(records), encoding="utf-8")
    return path, records


def test_codec_and_level_reach_the_engine(tmp_path, real_pool):
    path, records = _pool(tmp_path, real_pool)
    out = tmp_path / "sel.json"
    idx = tmp_path / "idx.txt"
    assert main(["select", str(path), "-o", str(out), "--indices-out", str(idx),
                 "--codec", "zstd", "--level", "1", *ARGS]) == 0
    expected = zipcore.select(records, 30, k1=200, k2=40, k3=10, codec="zstd", level=1)
    assert [int(x) for x in idx.read_text().split()] == expected.tolist()


def test_bad_level_is_exit_2_with_a_message(tmp_path, real_pool, capsys):
    path, _ = _pool(tmp_path, real_pool)
    out = tmp_path / "sel.json"
    assert main(["select", str(path), "-o", str(out), "--codec", "zstd", "--level", "40",
                 *ARGS]) == 2
    assert "zstd level must be in 1..22, got 40" in capsys.readouterr().err
    assert not out.exists()


def test_checkpoint_is_written_and_a_rerun_resumes_to_the_same_output(tmp_path, real_pool):
    path, records = _pool(tmp_path, real_pool)
    ckpt = tmp_path / "run.npz"
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["select", str(path), "-o", str(first), "--checkpoint", str(ckpt), *ARGS]) == 0
    with np.load(ckpt) as saved:
        assert int(saved["rounds"]) == 3
    assert main(["select", str(path), "-o", str(second), "--checkpoint", str(ckpt), *ARGS]) == 0
    assert first.read_bytes() == second.read_bytes()
    # Other parameters with the same checkpoint: refused, nothing written.
    third = tmp_path / "c.json"
    assert main(["select", str(path), "-o", str(third), "--checkpoint", str(ckpt),
                 "--budget", "40", "--k1", "200", "--k2", "40", "--k3", "10", "--quiet"]) == 2
    assert not third.exists()
