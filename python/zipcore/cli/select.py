"""``zipcore select INPUT... -o OUTPUT --budget N``: select records by ZIP and write them, in this
process or, with ``--ray``, on a Ray cluster (:mod:`.select_ray`).

The INPUTs, the sample options and the output are :mod:`.pool_inputs`' (shared with
``align``). Everything is checked before the selection starts; with ``-o -`` nothing but the
selection goes to standard output."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from .._core import build_info
from ..checkpoint import check_before_reading
from ..entropy.plotting import INSTALL as PLOT_INSTALL, check_picture
from ..io import atomic
from ..io.inputs import Input, expand, local_inputs
from ..io.outputs import OutputFormat, compressed_as_named
from ..io.readers import PoolFiles, indices_bytes
from ..measure import compression_ratio, dataset_ratio
from ..params import ZipParams
from ..selection import select_with_stats
from .arguments import UsageError, positive_int, require, require_stdout, write_stdout
from .pool_inputs import (add_pool_arguments, check_output_names, input_labels, read_inputs,
                          sample_options, selection_file, selection_format)


def add_command(commands: Any) -> None:
    sel = commands.add_parser("select", help="select BUDGET records by ZIP and write them")
    add_pool_arguments(sel)
    sel.add_argument("--budget", type=positive_int, required=True,
                     help="how many records to select")
    sel.add_argument("--k1", type=positive_int, default=10000, help="stage 1 size (10000)")
    sel.add_argument("--k2", type=positive_int, default=200, help="stage 2 size (200)")
    sel.add_argument("--k3", type=positive_int, default=100, help="stage 3 size (100)")
    sel.add_argument("--threads", type=positive_int, default=None,
                     help="worker threads of the selection, and worker processes that read "
                          "inputs of 32 MiB or more in all: JSONL cut at newlines, Parquet a "
                          "row group a task (default: every core this process may use)")
    sel.add_argument("--indices-out", metavar="FILE",
                     help="also write the selected records' indices, one per line: positions "
                          "in the INPUTs' records concatenated in order (a preference pair: "
                          "both members)")
    sel.add_argument("--report", metavar="PNG",
                     help="also write a picture of the run: R of the selection per round, time "
                          "per stage, source mix against the pool (needs matplotlib: "
                          f"{PLOT_INSTALL})")
    sel.add_argument("--codec", choices=("zlib", "zstd"), default="zlib",
                     help="zlib (default): exactly the reference's selection; zstd: sees "
                          "redundancy far beyond zlib's 32 KB (the selection's last 16 MiB at "
                          "levels 1-4, all of it from level 5), faster")
    sel.add_argument("--level", type=int, default=None, metavar="N",
                     help="compression level: zlib is always 9; zstd 1..22 (3)")
    sel.add_argument("--checkpoint", metavar="FILE",
                     help="save the run's state here after every round; if FILE exists, "
                          "resume from it (same input and parameters required); kept when "
                          "the run ends (a rerun writes the same selection at once)")
    sel.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sel.add_argument("--json", action="store_true",
                     help="print a summary of the run as one JSON object on standard output "
                          "(not with another output to -)")
    sel.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS|local",
                     help="select on a Ray cluster in shards, then merge (zipcore[ray]): no "
                          "value joins RAY_ADDRESS or the cluster 'ray start' began here, else "
                          "starts one; 'local' starts a new local one; or ray://HOST:10001. "
                          "INPUT, one file, must be readable by the workers; the output is in "
                          "its format; not with --checkpoint, --report, --json, --partitioning "
                          "hive")
    sel.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Every parameter checked before any input is read (an error names no input file).
    params = ZipParams.build(args.budget, k1=args.k1, k2=args.k2, k3=args.k3, codec=args.codec,
                             level=args.level, threads=args.threads)
    sample_options(args)
    if args.json:
        require_stdout("--json")
        for flag, path in (("-o", args.output), ("--indices-out", args.indices_out),
                           ("--report", args.report)):
            if path == "-":
                raise UsageError(f"{flag} - and --json both write to standard output: choose one")
    if args.report is not None:
        require(check_picture, "--report", args.report)
    if args.ray is not None:
        # Imported only for --ray: zipcore.distributed is not needed otherwise.
        from . import select_ray

        select_ray.check(args)
    named = require(expand, args.inputs)  # fsspec, for a URL
    outputs = atomic.plan({"--output": args.output, "--indices-out": args.indices_out,
                           "--report": args.report, "--checkpoint": args.checkpoint,
                           "--json": "-" if args.json else None},  # stdout, an input's file?
                          input_labels(named), regular_only=["--checkpoint"])
    if args.checkpoint is not None:  # what no pool could make right, before any input is read
        check_before_reading(outputs["--checkpoint"].path, params.identity(),
                             build_info()["version"])
    check_output_names(args, named[0], args.indices_out)
    with local_inputs(named) as inputs:  # errors name what the user gave, not a copy
        made = selection_format(args, inputs[0])
        if args.ray is not None:
            return select_ray.run(args, params, outputs, inputs[0], made)
        return _run_here(args, params, outputs, inputs, made)


def _run_here(args: argparse.Namespace, params: ZipParams, outputs: dict[str, atomic.Output],
              inputs: list[Input], made: OutputFormat) -> int:
    clock = time.perf_counter()
    source = read_inputs(args, inputs, params.threads)
    seconds = {"read": time.perf_counter() - clock}
    try:
        params = params.for_pool(len(source))
    except ValueError as exc:  # budget larger than the pool, empty pool
        raise ValueError(f"{', '.join(item.name for item in inputs)}: {exc}") from None
    clock = time.perf_counter()
    result = select_with_stats(source.pool, params.budget, k1=params.k1, k2=params.k2,
                               k3=params.k3, threads=params.threads, progress=not args.quiet,
                               codec=params.codec, level=params.level,
                               checkpoint=args.checkpoint)
    seconds["select"] = time.perf_counter() - clock
    indices = result.indices
    r = compression_ratio(source.pool.take(indices))

    clock = time.perf_counter()
    files: list[tuple[atomic.Output, atomic.Content]] = [
        selection_file(outputs, source, indices, made)]
    if args.indices_out is not None:  # record indices: a pair's members, one line each
        files.append((outputs["--indices-out"], compressed_as_named(
            args.indices_out, [indices_bytes(source.record_indices(indices))])))
    if args.report is not None:  # imported only for a picture
        from ..entropy.report import file_sources, report_png, selection_report

        summary = selection_report(result, source.pool, sources=file_sources(source),
                                   threads=params.threads)
        files.append((outputs["--report"],
                      report_png(summary, title=os.path.basename(inputs[0].name))))
    atomic.write_files(files)
    seconds["write"] = time.perf_counter() - clock
    extra = "" if args.report is None else f" and {args.report}"
    unit = "pairs" if source.pairs else "records"
    print(f"zipcore: selected {len(indices)} of {len(source)} {unit} in "
          f"{seconds['select']:.2f} s, R = {r:.4f}, wrote {args.output}{extra}", file=sys.stderr)
    if args.json:
        write_stdout(json.dumps(_summary(args, params, inputs, source, made, r, seconds,
                                         len(indices))) + "\n")
    return 0


def _summary(args: argparse.Namespace, params: ZipParams, inputs: list[Input],
             source: PoolFiles, made: OutputFormat, r: float, seconds: dict[str, float],
             selected: int) -> dict[str, Any]:
    """``--json``'s one object. R of the whole pool is measured for it, zlib-9 like the
    selection's (as ``zipcore ratio`` measures it: exact up to 32 MiB, parallel above)."""
    before = dataset_ratio(source.pool, threads=params.threads).ratio
    return {
        "inputs": [item.name for item in inputs], "records": source.records,
        "samples": len(source), "pairs": source.pairs, "budget": params.budget,
        "selected": selected, "ratio": {"pool": before, "selection": r},
        "seconds": {name: round(value, 6) for name, value in seconds.items()},
        "codec": params.codec, "level": params.level, "threads": params.threads,
        "k1": params.k1, "k2": params.k2, "k3": params.k3,
        "output": {"path": args.output, "format": made.kind, "compression": made.compression},
        "indices_out": args.indices_out, "report": args.report, "checkpoint": args.checkpoint,
    }
