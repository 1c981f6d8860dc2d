#!/usr/bin/env python3
"""Fuzzes the JSON-list reader: ``read_pool`` of ``[`` followed by the input's bytes.

The leading ``[`` sends every input to the streaming JSON-list parser (the format is told by the
first non-whitespace character). Invariants: tests/fuzz/_readers.py.
"""

from __future__ import annotations

import _common
import _readers


def test_one_input(data: bytes) -> None:
    _readers.check(b"[" + data, "input.json")


if __name__ == "__main__":
    _common.run(test_one_input, ["zipcore", "json"])
