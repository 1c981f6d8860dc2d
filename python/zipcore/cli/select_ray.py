"""``zipcore select INPUT ... --ray [ADDRESS|local]``: the selection made on a Ray cluster by
:mod:`zipcore.distributed`, the output files written as without ``--ray`` (by the driver, from
bytes a worker made, so the driver needs neither the file nor the pool)."""

from __future__ import annotations

import argparse
import glob
import logging
import os
import sys

from .._core import ZipcoreError
from ..distributed import connect, require_ray, select_with_stats, selection_output
from ..io import atomic
from ..io.inputs import Input
from ..io.outputs import OutputFormat, compressed_as_named
from ..io.readers import indices_bytes
from ..params import ZipParams
from .arguments import UsageError, require
from .pool_inputs import input_kind, sample_options


def check(args: argparse.Namespace) -> None:
    """Refuses, before any file is touched, what a run on Ray cannot do."""
    given = args.inputs[0]
    if (len(args.inputs) > 1 or given == "-" or "://" in given or os.path.isdir(given)
            or (glob.has_magic(given) and not os.path.exists(given))):
        raise UsageError("--ray reads one INPUT file, which the workers open themselves: "
                         "not several, a folder, a glob, - or a URL")
    for flag, value in (("--checkpoint", args.checkpoint), ("--report", args.report),
                        ("--json", args.json or None),
                        ("--partitioning hive", True if args.partitioning == "hive" else None)):
        if value is not None:
            raise UsageError(f"{flag} is not available with --ray")
    require(require_ray)


def _quiet_ray(quiet: bool) -> None:
    """Ray's own lines on standard error: none of Ray Data's errors (a task's error is raised
    here and printed as zipcore's one line, where Ray Data also logged its traceback), and with
    ``-q`` nothing (Ray Data's progress, the warnings about the cluster's CPUs)."""
    if quiet:
        for name in ("ray", "ray.data"):  # ray.data does not pass its records on to ray's
            logging.getLogger(name).setLevel(logging.CRITICAL)
    for handler in logging.getLogger("ray.data").handlers:  # Ray's own errors stay shown
        handler.addFilter(_below_error)  # once: a filter already there is not added again


def _below_error(record: logging.LogRecord) -> bool:
    return record.levelno < logging.ERROR


def run(args: argparse.Namespace, params: ZipParams, outputs: dict[str, atomic.Output],
        first: Input, made: OutputFormat) -> int:
    """``params``, ``outputs`` (``atomic.plan``'s) and ``made`` (the output's format) were
    checked by ``zipcore select``; ``first`` is the one INPUT file."""
    path = first.path
    kind = input_kind(args, first)
    if made.kind != kind or made.compression == "zstd":
        raise UsageError(f"{args.output}: with --ray the selection is written in the input's "
                         f"format ({kind}, .gz allowed for JSON): "
                         + ("leave --output-format out" if args.output == "-" else "name it so"))
    ray = require_ray()
    _quiet_ray(args.quiet)
    if args.quiet:
        ray.data.DataContext.get_current().enable_progress_bars = False
    connect(args.ray or None, **({"log_to_driver": False, "logging_level": logging.ERROR}
                                 if args.quiet else {}))
    options = {**sample_options(args), "records_key": args.records_key}
    try:
        result = select_with_stats(path, params.budget, k1=params.k1, k2=params.k2,
                                   k3=params.k3, codec=params.codec, level=params.level,
                                   cpus_per_task=args.threads, **options)
    except ZipcoreError:  # a bad record: the message names the file already
        raise
    except ValueError as exc:  # budget larger than the pool, empty pool
        raise ValueError(f"{path}: {exc}") from None
    out = selection_output(path, result.indices, compress=made.compression == "gzip",
                           **options)
    files: list[tuple[atomic.Output, atomic.Content]] = [(outputs["--output"], out["data"])]
    if args.indices_out is not None:  # record indices: a pair's members, one line each
        files.append((outputs["--indices-out"],
                      compressed_as_named(args.indices_out, [indices_bytes(out["records"])])))
    atomic.write_files(files)
    unit = "pairs" if out["pairs"] else "records"
    print(f"zipcore: selected {len(result.indices)} of {out['samples']} {unit} on Ray "
          f"({result.shards} shard{'s' if result.shards > 1 else ''}) in "
          f"{result.seconds['total']:.2f} s, R = {out['ratio']:.4f}, wrote {args.output}",
          file=sys.stderr)
    return 0
