"""``zipcore ratio FILE...``: each file's compression ratio R (and each source's, with --by);
and the options that choose how R is computed, shared with ``zipcore monitor``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..entropy import ratio as entropy_ratio
from ..io.inputs import expand, local_inputs
from ..io.jsonstream import require_regular_file, sniff
from ..io.readers import check_partitions
from ..measure import EXACT_LIMIT
from ..params import CODECS, ZSTD_LEVEL, codec_level, thread_count
from .arguments import (UsageError, add_records_key, positive_int, require, require_stdout,
                        size, write_stdout)
from .pool_inputs import add_partitioning, add_sample_arguments, partitions_of, sample_options


def add_ratio_options(parser: argparse.ArgumentParser) -> None:
    """Which bytes and how R is computed: shared by ratio and monitor (the samples made as
    select makes them, so R is the R of what select compresses)."""
    add_sample_arguments(parser, pairs=False)
    parser.add_argument("--codec", choices=CODECS, default="zlib",
                        help="zlib: zlib-9, the paper's R (default); zstd: one zstd frame whose "
                             "window covers the whole dataset, so repeats far apart count")
    parser.add_argument("--level", type=int, default=None, metavar="N",
                        help=f"compression level: zlib is 9 only; zstd 1..22 "
                             f"(default {ZSTD_LEVEL})")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--exact", dest="exact", action="store_const", const=True, default=None,
                     help="zlib: always one single-threaded stream (the exact R)")
    how.add_argument("--parallel", dest="exact", action="store_const", const=False,
                     help="zlib: always the chunked parallel path")
    parser.add_argument("--exact-limit", type=size, default=None, metavar="SIZE",
                        help="zlib: exact up to this many bytes of framed data, parallel above "
                             f"({EXACT_LIMIT >> 20}M)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="threads of the parallel path and worker processes that read "
                             "inputs of 32 MiB or more (default: every core this process may "
                             "use); R does not depend on it")


def ratio_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_ratio_options` as keyword arguments of ``file_ratios``, checked
    before any file is read."""
    samples = sample_options(args)
    if args.codec == "zstd":
        for flag, given in (("--exact/--parallel", args.exact is not None),
                            ("--exact-limit", args.exact_limit is not None)):
            if given:
                raise UsageError(f"{flag} choose how zlib's R is computed; --codec zstd is "
                                 "always one stream over the whole file")
    if args.exact is not None and args.exact_limit is not None:
        raise UsageError("--exact-limit chooses the path by size; --exact and --parallel choose "
                         "one path always: give one or the other")
    codec_level(args.codec, args.level)  # before any file is read
    exact_limit = EXACT_LIMIT if args.exact_limit is None else args.exact_limit
    return {**samples, "codec": args.codec, "level": args.level, "exact": args.exact,
            "exact_limit": exact_limit,
            "threads": thread_count(args.threads)}  # one warning, not one per read and measure


def add_command(commands: Any) -> None:
    rat = commands.add_parser(
        "ratio", help="print each file's compression ratio R",
        description="For each file: samples, bytes of the group [s0, s1, ...] that ZIP "
                    "compresses (each sample made as 'zipcore select' makes it: repr(record) "
                    "by default, a text field's string for text records), and R = bytes / "
                    "compressed bytes. "
                    "zlib groups up to --exact-limit are compressed as one exact stream; "
                    "larger ones in 1 MiB chunks in parallel (--threads), each primed with the "
                    "32 KB before it (within 0.02% of the exact value on the real pools).")
    rat.add_argument("files", metavar="FILE", nargs="+",
                     help="JSON list, JSONL (.gz, .zst) or Parquet; folders, quoted globs, - "
                          "and URLs name files as for 'zipcore select' (one row each)")
    add_records_key(rat)
    add_partitioning(rat)
    rat.add_argument("--by", choices=("source", "prefix"),
                     help="also R per value of the records' source field (prefix: the part "
                          "before the first '/'), most redundant first")
    add_ratio_options(rat)
    rat.add_argument("--json", action="store_true", help="machine-readable output")
    rat.set_defaults(run=run)


def _rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    options = ratio_options(args)
    named = require(expand, args.files)  # fsspec, for a URL
    rows = []
    with local_inputs(named) as inputs:  # errors name what the user gave, not a copy
        partitions = [partitions_of(args, item) for item in inputs]
        for item, part in zip(inputs, partitions):  # every file is there, and takes its
            require_regular_file(item.path)         # partitions, before the first is measured
            if part:
                check_partitions(item.path, sniff(item.path), part)
        for item, part in zip(inputs, partitions):  # one file in memory at a time, streamed
            whole, sources = entropy_ratio.file_ratios(
                item.path, by=args.by, records_key=args.records_key, partitions=part,
                **options)
            row = {"file": item.name, **whole.as_dict()}
            if sources is not None:
                row["sources"] = [{"source": s.source, **s.as_dict()} for s in sources]
            rows.append(row)
    return rows


_PARALLEL_NOTE = ("* parallel zlib-9: 1 MiB chunks, each primed with the 32 KB before it; "
                  "within 0.02% of the exact single-stream R on the real pools (--exact for it)")


def _codec_cell(row: dict[str, Any]) -> str:
    return str(row["codec"]) + ("*" if row["method"] == "parallel" else "")


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'samples':>10} {'bytes':>14} {'R':>8}  {'codec':<8} file"]
    for row in rows:
        lines.append(f"{row['samples']:>10} {row['bytes']:>14} {row['ratio']:>8.4f}  "
                     f"{_codec_cell(row):<8} {row['file']}")
    for row in rows:
        if "sources" not in row:
            continue
        lines.append(f"\n{row['file']}: R by source, most redundant first")
        lines.append(f"{'samples':>10} {'bytes':>14} {'share':>6} {'R':>8}  {'codec':<8} source")
        for source in row["sources"]:
            share = 100.0 * source["samples"] / max(row["samples"], 1)
            lines.append(f"{source['samples']:>10} {source['bytes']:>14} {share:>5.1f}% "
                         f"{source['ratio']:>8.4f}  {_codec_cell(source):<8} {source['source']}")
    methods = [row["method"] for row in rows] + [
        s["method"] for row in rows for s in row.get("sources", ())]
    if "parallel" in methods:
        lines.append(f"\n{_PARALLEL_NOTE}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    require_stdout("zipcore ratio")
    rows = _rows(args)  # all or nothing: no partial table
    write_stdout(json.dumps(rows, indent=2) + "\n" if args.json else _table(rows))
    return 0
