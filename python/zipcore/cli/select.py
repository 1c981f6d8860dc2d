"""``zipcore select INPUT -o OUTPUT --budget N``: select records by ZIP and write them, in this
process or, with ``--ray``, on a Ray cluster (:mod:`.select_ray`)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from ..entropy.plotting import INSTALL as PLOT_INSTALL, require_matplotlib
from ..io import atomic
from ..io.formats import FORMATS
from ..io.jsonfile import is_gzip_path
from ..io.jsonstream import sniff
from ..io.readers import indices_bytes, read_pool
from ..measure import compression_ratio
from ..params import ZipParams
from ..selection import select_with_stats
from .arguments import UsageError, add_records_key, positive_int, require, template
from .progress import ProgressBar


def add_command(commands: Any) -> None:
    sel = commands.add_parser("select", help="select BUDGET records by ZIP and write them")
    sel.add_argument("input", metavar="INPUT",
                     help="JSON list or JSONL of records (.gz read), or Parquet; read as a "
                          "stream")
    sel.add_argument("-o", "--output", required=True,
                     help="selected records, in selection order, in INPUT's format "
                          "(gzip when it ends in .gz)")
    sel.add_argument("--budget", type=positive_int, required=True,
                     help="how many records to select")
    sel.add_argument("--k1", type=positive_int, default=10000, help="stage 1 size (10000)")
    sel.add_argument("--k2", type=positive_int, default=200, help="stage 2 size (200)")
    sel.add_argument("--k3", type=positive_int, default=100, help="stage 3 size (100)")
    sel.add_argument("--threads", type=positive_int, default=None,
                     help="worker threads (default: every core this process may use)")
    sel.add_argument("--indices-out", metavar="FILE",
                     help="also write the selected records' indices in INPUT, one per line "
                          "(a preference pair: both members)")
    sel.add_argument("--report", metavar="PNG",
                     help="also write a picture of the run: R of the selection per round, time "
                          "per stage, source mix against the pool (needs matplotlib: "
                          f"{PLOT_INSTALL})")
    sel.add_argument("--format", choices=FORMATS, default="auto",
                     help="what a record is and which bytes ZIP compresses: sharegpt, alpaca, "
                          "messages, preference and record compress repr(record) like the "
                          "reference; text compresses one string field; auto (default) "
                          "detects it from the first record. Preference pairs (pair_id and "
                          "label) are kept together as one sample")
    add_records_key(sel)
    sel.add_argument("--text-field", default=None, metavar="NAME",
                     help="samples are this string field of each record (format text); "
                          "default: the field 'text' when auto-detection finds no other format")
    sample = sel.add_mutually_exclusive_group()
    sample.add_argument("--column", metavar="NAME",
                        help="Parquet: samples are this text column's values")
    sample.add_argument("--template", type=template, metavar="TEMPLATE",
                        help="samples are each record (or Parquet row) rendered by TEMPLATE, "
                             "e.g. '{instruction}\\n{output}' (\\n and \\t are decoded)")
    sel.add_argument("--codec", choices=("zlib", "zstd"), default="zlib",
                     help="zlib (default): exactly the reference's selection; zstd: sees "
                          "redundancy across the whole selection, faster")
    sel.add_argument("--level", type=int, default=None, metavar="N",
                     help="compression level: zlib is always 9; zstd 1..22 (3)")
    sel.add_argument("--checkpoint", metavar="FILE",
                     help="save the run's state here after every round; if FILE exists, "
                          "resume from it (same input and parameters required)")
    sel.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sel.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS|local",
                     help="select on a Ray cluster in shards, then merge (zipcore[ray]): no "
                          "value joins RAY_ADDRESS or the cluster 'ray start' began here, else "
                          "starts one; 'local' starts a new local one; or ray://HOST:10001. "
                          "INPUT must be readable by the workers")
    sel.set_defaults(run=run)


def _params(args: argparse.Namespace) -> ZipParams:
    """Every parameter checked before any input is read (an error names no input file)."""
    try:
        return ZipParams.build(args.budget, k1=args.k1, k2=args.k2, k3=args.k3,
                               codec=args.codec, level=args.level, threads=args.threads)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


_OUTPUT_KINDS = {".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}


def _check_output_format(kind: str, output_path: str) -> None:
    """Refuses an output whose name promises another format than the one written (the input's
    ``kind``): ``sel.parquet`` holding JSON text, a gzip-wrapped Parquet file."""
    gzip_name = is_gzip_path(output_path)
    stem = output_path[:-len(".gz")] if gzip_name else output_path
    named = _OUTPUT_KINDS.get(os.path.splitext(stem)[1].lower())
    if kind == "parquet" and gzip_name:
        raise UsageError(f"{output_path}: Parquet output compresses inside the file: drop the .gz")
    if named is not None and named != kind:
        raise UsageError(f"{output_path}: the selection is written in the input's format "
                         f"({kind}), which this name does not match: name it *.{kind}")


def run(args: argparse.Namespace) -> int:
    params = _params(args)
    if args.report is not None:
        require(require_matplotlib, "--report")
    if args.ray is not None:
        # Imported only for --ray: zipcore.distributed is not needed otherwise.
        from . import select_ray

        select_ray.check(args)
    outputs = atomic.plan({"--output": args.output, "--indices-out": args.indices_out,
                           "--report": args.report, "--checkpoint": args.checkpoint},
                          {"INPUT": args.input}, regular_only=["--checkpoint"])
    # Records under --records-key are written as a JSON list. A file that does not open with
    # '[' is JSONL or an object wrapping the records, which the reader refuses with a better
    # message than a name mismatch: its name is checked once it is read (before any selecting).
    kind = "json" if args.records_key is not None else sniff(args.input)
    if kind != "jsonl" or args.ray is not None:
        _check_output_format(kind, args.output)
    if args.ray is not None:
        return select_ray.run(args, params, outputs)
    return _run_here(args, params, outputs, kind)


def _run_here(args: argparse.Namespace, params: ZipParams, outputs: dict[str, atomic.Output],
              kind: str) -> int:
    source = read_pool(args.input, format=args.format, text_field=args.text_field,
                       column=args.column, template=args.template,
                       records_key=args.records_key)
    if kind == "jsonl":
        _check_output_format(source.kind, args.output)
    try:
        params = params.for_pool(len(source))
    except ValueError as exc:  # budget larger than the pool, empty pool
        raise ValueError(f"{args.input}: {exc}") from None
    bar = None if args.quiet else ProgressBar()
    start = time.perf_counter()
    try:
        result = select_with_stats(source.pool, params.budget, k1=params.k1, k2=params.k2,
                                   k3=params.k3, threads=params.threads, progress=bar,
                                   codec=params.codec, level=params.level,
                                   checkpoint=args.checkpoint)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    indices = result.indices
    r = compression_ratio(source.pool.take(indices))

    chunks = source.selection_chunks(indices, compress=is_gzip_path(args.output))
    files: list[tuple[atomic.Output, atomic.Content]] = [(outputs["--output"], chunks)]
    if args.indices_out is not None:  # record indices: a pair's members, one line each
        files.append((outputs["--indices-out"],
                      indices_bytes(source.record_indices(indices))))
    if args.report is not None:  # imported only for a picture
        from ..entropy.report import file_sources, report_png, selection_report

        summary = selection_report(result, source.pool, sources=file_sources(source),
                                   threads=params.threads)
        files.append((outputs["--report"],
                      report_png(summary, title=os.path.basename(args.input))))
    atomic.write_files(files)
    extra = "" if args.report is None else f" and {args.report}"
    unit = "pairs" if source.pairs else "records"
    print(f"zipcore: selected {len(indices)} of {len(source)} {unit} in {seconds:.2f} s, "
          f"R = {r:.4f}, wrote {args.output}{extra}", file=sys.stderr)
    return 0
