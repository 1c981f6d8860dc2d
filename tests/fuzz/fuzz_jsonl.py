#!/usr/bin/env python3
"""Fuzzes the JSONL reader: ``read_pool`` of a first line ``{}`` and then the input's bytes.

The leading object sends every input to the JSONL reader (the format is told by the first
non-whitespace character). Inputs of odd length are named ``.jsonl``, the others ``.json``, where
a file of one line is refused as a wrapper object. Invariants: tests/fuzz/_readers.py.
"""

from __future__ import annotations

import _common
import _readers


def test_one_input(data: bytes) -> None:
    _readers.check(b"{}\n" + data, "input.jsonl" if len(data) % 2 else "input.json")


if __name__ == "__main__":
    _common.run(test_one_input, ["zipcore", "json"])
