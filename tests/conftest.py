"""Shared fixtures: slices of real data that ship with the repository (tests/data/README.md).

- ``pool``: the bundled example pool, ``zipcore.EXAMPLE_POOL`` (1,500 samples: 1,200 GSM8K
  problems and 300 hh-rlhf chosen dialogues, shuffled; sources ``gsm8k/train``, ``gsm8k/test``
  and ``hh_rlhf/harmless-base/test``);
- ``gsm8k``: tests/data/gsm8k_1200.json.gz (1,200 other GSM8K problems, train then test);
- ``hh``: tests/data/hh_rlhf_harmless_400_pairs.json.gz (400 hh-rlhf harmless-base preference
  pairs, 800 samples: pair k is samples 2k "chosen" and 2k+1 "rejected", multi-turn, non-ASCII).

All of it is MIT licensed and rebuilt by ``dev/make_test_fixtures.py``. No test needs the larger
pools in ../shared/data (``DATA_DIR``; moved with the ZIPCORE_DATA environment variable): they
are for longer checks by hand (``dev/differential_oracle.py``, the benchmarks). Each file is
parsed once per test session.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

import zipcore

DATA_DIR = Path(os.environ.get("ZIPCORE_DATA",
                               Path(__file__).resolve().parents[2] / "shared" / "data"))
"""The larger shared pools (optional; no test reads them)."""

FIXTURES = Path(__file__).resolve().parent / "data"

POOLS = {
    "pool": Path(zipcore.EXAMPLE_POOL),
    "gsm8k": FIXTURES / "gsm8k_1200.json.gz",
    "hh": FIXTURES / "hh_rlhf_harmless_400_pairs.json.gz",
}
"""Short names for the real pools the tests use."""

COMBINED = {"all": ("pool", "gsm8k", "hh")}
"""Pools read as one: "all" is the three above, in this order (3,500 samples, 2.4 MB of JSON)."""


REQUIRE_DATA = os.environ.get("ZIPCORE_REQUIRE_DATA") == "1"
"""CI sets it: a test that would skip for want of real data fails instead."""


def skip_ray_under_sanitizers() -> None:
    """Ray's own worker binary is not ASan-clean (a use-after-free in its setproctitle, seen in
    some runs) and would fail the sanitizer run (dev/sanitize.sh sets ZIPCORE_SANITIZED) for a
    bug that is not ours; the engine code the Ray tests drive is sanitized by the rest of the
    suite."""
    if os.environ.get("ZIPCORE_SANITIZED"):
        pytest.skip("Ray workers are not run under the sanitizers (dev/sanitize.sh)")


def missing_data(path: Path) -> None:
    """Skips the test (fails it under ZIPCORE_REQUIRE_DATA=1): real data it needs is absent."""
    hint = ("set ZIPCORE_DATA to the data folder" if DATA_DIR in path.parents
            else "rebuild it with dev/make_test_fixtures.py")
    message = f"real data {path} not found ({hint})"
    if REQUIRE_DATA:
        pytest.fail(message + "; ZIPCORE_REQUIRE_DATA=1 makes that a failure")
    pytest.skip(message)


@functools.lru_cache(maxsize=None)
def _load(path: Path) -> tuple[dict[str, Any], ...]:
    if not path.is_file():
        missing_data(path)
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as f:
        return tuple(json.load(f))


PoolLoader = Callable[[str, int, Optional[int]], "list[dict[str, Any]]"]


@pytest.fixture(scope="session")
def real_pool() -> PoolLoader:
    """``real_pool(name, start=0, stop=None)``: records ``start:stop`` of a real pool, as a new list.

    ``name`` is a key of POOLS ("pool", "gsm8k", "hh") or COMBINED ("all"), or a file name in
    DATA_DIR. A slice past the end of the pool is an error, not a shorter list.
    """

    def load(name: str, start: int = 0, stop: Optional[int] = None) -> list[dict[str, Any]]:
        if name in COMBINED:
            records = sum((_load(POOLS[part]) for part in COMBINED[name]), ())
        else:
            records = _load(POOLS.get(name, DATA_DIR / name))
        if max(start, stop or 0) > len(records):
            raise ValueError(f"{name} has {len(records)} records, not {start}:{stop}")
        return list(records[start:stop])

    return load


@pytest.fixture(scope="session")
def big_text(real_pool: PoolLoader) -> str:
    """About 200 KB of real text, non-ASCII included: far past deflate's 32 KB window and its
    16 K-symbol blocks."""
    parts: list[str] = []
    size = 0
    for record in real_pool("hh"):
        for turn in record["conversations"]:
            parts.append(turn["value"])
            size += len(turn["value"].encode("utf-8"))
        if size >= 200_000:
            break
    text = "\n\n".join(parts)
    assert len(text.encode("utf-8")) >= 200_000 and not text.isascii()
    return text


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty folder for outputs, apart from the inputs."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder
