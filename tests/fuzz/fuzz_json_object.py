#!/usr/bin/env python3
"""Fuzzes the reader of records wrapped in a JSON object: ``read_pool`` of ``{"data": [``
followed by the input's bytes.

Inputs of even length are read with ``records_key="data"`` (the list under that key, the other
members parsed and dropped); the others without, where an object spanning several lines must be
refused as a wrapper naming its list fields, or positioned where its syntax is wrong.
Invariants: tests/fuzz/_readers.py.
"""

from __future__ import annotations

import _common
import _readers


def test_one_input(data: bytes) -> None:
    _readers.check(b'{"data": [' + data, "input.json",
                   records_key=None if len(data) % 2 else "data")


if __name__ == "__main__":
    _common.run(test_one_input, ["zipcore", "json"])
