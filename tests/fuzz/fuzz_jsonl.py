#!/usr/bin/env python3
"""Fuzzes the JSONL reader: ``load_dataset`` of a first line ``{}`` and then the input's bytes.

The leading object sends every input to the JSONL parser (the format is told by the first
non-whitespace character). Invariants: tests/fuzz/_readers.py.
"""

from __future__ import annotations

import _common
import _readers


def test_one_input(data: bytes) -> None:
    _readers.check(b"{}\n" + data)


if __name__ == "__main__":
    _common.run(test_one_input, ["zipcore", "json"])
