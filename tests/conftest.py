"""Shared fixtures: slices of the real ShareGPT pools in ../shared/data.

The data folder can be moved with the ZIPCORE_DATA environment variable. Each file is parsed once
per test session (they are a few MB of JSON).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

DATA_DIR = Path(os.environ.get("ZIPCORE_DATA",
                               Path(__file__).resolve().parents[2] / "shared" / "data"))

POOLS = {
    "pool": "pool_real_5k.json",
    "gsm8k": "gsm8k.json",
    "code": "code_alpaca.json",
    "hh": "pref_hh_rlhf_harmless_test.json",
}
"""Short names for the real pools the tests use."""


REQUIRE_DATA = os.environ.get("ZIPCORE_REQUIRE_DATA") == "1"
"""CI sets it: a test that would skip for want of the real data fails instead."""


def missing_data(path: Path) -> None:
    """Skips the test (fails it under ZIPCORE_REQUIRE_DATA=1): real data it needs is absent."""
    message = f"real data {path} not found (set ZIPCORE_DATA to the data folder)"
    if REQUIRE_DATA:
        pytest.fail(message + "; ZIPCORE_REQUIRE_DATA=1 makes that a failure")
    pytest.skip(message)


@functools.lru_cache(maxsize=None)
def _load(filename: str) -> tuple[dict[str, Any], ...]:
    path = DATA_DIR / filename
    if not path.is_file():
        missing_data(path)
    with open(path, encoding="utf-8") as f:
        return tuple(json.load(f))


PoolLoader = Callable[[str, int, Optional[int]], "list[dict[str, Any]]"]


@pytest.fixture(scope="session")
def real_pool() -> PoolLoader:
    """``real_pool(name, start=0, stop=None)``: records ``start:stop`` of a real pool, as a new list.

    ``name`` is a key of POOLS ("pool", "gsm8k", "code", "hh") or a file name in the data folder.
    """

    def load(name: str, start: int = 0, stop: Optional[int] = None) -> list[dict[str, Any]]:
        return list(_load(POOLS.get(name, name))[start:stop])

    return load


@pytest.fixture(scope="session")
def big_text(real_pool: PoolLoader) -> str:
    """About 200 KB of real text, non-ASCII included: far past deflate's 32 KB window and its
    16 K-symbol blocks."""
    parts: list[str] = []
    size = 0
    for record in real_pool("hh", 0, 2000):
        for turn in record["conversations"]:
            parts.append(turn["value"])
            size += len(turn["value"].encode("utf-8"))
        if size >= 200_000:
            break
    text = "\n\n".join(parts)
    assert len(text.encode("utf-8")) >= 200_000 and not text.isascii()
    return text
