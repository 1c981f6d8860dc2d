"""Reading pools and writing results: the streaming JSON/JSONL reader (``jsonstream``, over
``jsonfile``: bytes, text and positions; ``jsonlist``: JSON lists; ``jsonl``: JSONL), pools from
files (``readers``: ``read_pool``, ``PoolFile``; several files: ``read_pools``, ``PoolFiles``),
which files a command line names (``inputs``: folders, globs, stdin, URLs), ``.gz``/``.zst`` by
name (``compressed``), what a selection is written as (``outputs``), record formats
(``formats``, ``templates``), records into a pool with preference pairs (``encoder``), Parquet
(``parquet``) and the one output policy every writer follows (``atomic``)."""

from __future__ import annotations

import os
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]
"""A file name as zipcore's functions take it (the one spelling, for every module's signatures)."""
