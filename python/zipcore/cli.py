"""The ``zipcore`` command: select a subset, measure compression ratios, monitor data versions.

``main(argv)`` returns the exit status instead of exiting, so tests call it directly.
Exit status: 0 ok; 1 ``monitor --strict`` flagged a version; 2 bad usage, bad input or an output
that cannot be written (one ``zipcore: error:`` line, no traceback); 70 a bug (its traceback);
130 interrupted (Ctrl-C); 143 terminated (SIGTERM). A failed run leaves no output file behind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import traceback
import warnings
from typing import Any, Optional, Sequence

from tqdm import tqdm

from . import atomic, monitor, ratio
from ._info import build_info
from ._plot import INSTALL as PLOT_INSTALL, require_matplotlib
from ._stop import Terminated, sigterm_raises, stop_status
from .formats import FORMATS
from .jsonstream import require_regular_file, sniff
from .params import CODECS, ZSTD_LEVEL, ZipParams
from .readers import read_pool
from .records import indices_bytes, is_gzip_path
from .selection import compression_ratio, select_with_stats


class UsageError(Exception):
    """A command line argparse or our own checks reject."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block and exits; we want one line and a return value.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _percentage(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a non-negative percentage, got {text!r}")
    return value


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _size(text: str) -> int:
    """Bytes, with an optional K, M or G (binary: 32M = 32 MiB)."""
    number, unit = text.strip(), ""
    if number[-1:].upper() in ("K", "M", "G"):
        number, unit = number[:-1], number[-1].upper()
    try:
        value = int(float(number) * _UNITS[unit])
    except (ValueError, OverflowError):  # OverflowError: "inf"
        raise argparse.ArgumentTypeError(f"expected a size such as 32M, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text!r}")
    return value


def _add_records_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records-key", metavar="KEY",
                        help="JSON input whose top level is an object: the records are the list "
                             "under KEY (e.g. data for {\"data\": [...]}), read as a stream")


def _add_ratio_options(parser: argparse.ArgumentParser) -> None:
    """How R is computed: shared by ratio and monitor."""
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
    parser.add_argument("--exact-limit", type=_size, default=None, metavar="SIZE",
                        help="zlib: exact up to this many bytes of framed data, parallel above "
                             f"({ratio.EXACT_LIMIT >> 20}M)")
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="threads of the parallel path (default: every core this process "
                             "may use); R does not depend on it")


def _ratio_options(args: argparse.Namespace) -> dict[str, Any]:
    if args.codec == "zstd":
        _require(ratio.require_zstandard)
        for flag, given in (("--exact/--parallel", args.exact is not None),
                            ("--exact-limit", args.exact_limit is not None)):
            if given:
                raise UsageError(f"{flag} choose how zlib's R is computed; --codec zstd is "
                                 "always one stream over the whole file")
    exact_limit = ratio.EXACT_LIMIT if args.exact_limit is None else args.exact_limit
    return {"codec": args.codec, "level": args.level, "exact": args.exact,
            "exact_limit": exact_limit, "threads": args.threads}


def _require(check: Any, *args: Any) -> None:
    try:
        check(*args)
    except ImportError as exc:
        raise UsageError(str(exc)) from None


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zipcore", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sel = commands.add_parser("select", help="select BUDGET records by ZIP and write them")
    sel.add_argument("input", metavar="INPUT",
                     help="JSON list or JSONL of records (.gz read), or Parquet; read as a "
                          "stream")
    sel.add_argument("-o", "--output", required=True,
                     help="selected records, in selection order, in INPUT's format "
                          "(gzip when it ends in .gz)")
    sel.add_argument("--budget", type=_positive_int, required=True,
                     help="how many records to select")
    sel.add_argument("--k1", type=_positive_int, default=10000, help="stage 1 size (10000)")
    sel.add_argument("--k2", type=_positive_int, default=200, help="stage 2 size (200)")
    sel.add_argument("--k3", type=_positive_int, default=100, help="stage 3 size (100)")
    sel.add_argument("--threads", type=_positive_int, default=None,
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
    _add_records_key(sel)
    sel.add_argument("--text-field", default=None, metavar="NAME",
                     help="samples are this string field of each record (format text); default: the field 'text' when auto-detection finds no other format")
    sample = sel.add_mutually_exclusive_group()
    sample.add_argument("--column", metavar="NAME",
                        help="Parquet: samples are this text column's values")
    sample.add_argument("--template", type=_template, metavar="TEMPLATE",
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
    sel.set_defaults(run=_run_select, parser=sel)

    rat = commands.add_parser(
        "ratio", help="print each file's compression ratio R",
        description="For each file: samples, bytes of the group [r0, r1, ...] that ZIP "
                    "compresses (records framed as repr), and R = bytes / compressed bytes. "
                    "zlib groups up to --exact-limit are compressed as one exact stream; "
                    "larger ones in 1 MiB chunks on all cores, each primed with the 32 KB "
                    "before it (within 0.02% of the exact value on the real pools).")
    rat.add_argument("files", metavar="FILE", nargs="+")
    _add_records_key(rat)
    rat.add_argument("--by", choices=("source", "prefix"),
                     help="also R per value of the records' source field (prefix: the part "
                          "before the first '/'), most redundant first")
    _add_ratio_options(rat)
    rat.add_argument("--json", action="store_true", help="machine-readable output")
    rat.set_defaults(run=_run_ratio, parser=rat)

    mon = commands.add_parser(
        "monitor", help="R and first-epoch loss per data version, with risk flags",
        description="Reads VERSIONS.csv (header version,path[,loss][,quality]; paths relative "
                    "to the CSV's folder; one row per version, oldest first), measures each "
                    "version's R and flags changes from the previous version: RISK (R and L "
                    "up together), R-UP, L-UP (at steady R), MIXED (R down, L up), GAIN (R "
                    "down, L steady or down), R-DOWN (R down, no L). With 3 or more quality "
                    "scores, fits quality on R (and L) and predicts the rest.")
    mon.add_argument("versions", metavar="VERSIONS.csv")
    mon.add_argument("--r-tol", type=_percentage, default=monitor.R_PCT, metavar="PCT",
                     help=f"R is up/down beyond this %% change (default {monitor.R_PCT:g})")
    mon.add_argument("--l-tol", type=_percentage, default=monitor.L_PCT, metavar="PCT",
                     help=f"L is up/down beyond this %% change (default {monitor.L_PCT:g})")
    mon.add_argument("--against", choices=monitor.AGAINST, default="previous",
                     help="compare each version with the previous one (default), or with the "
                          "first (candidate versions built from one base)")
    mon.add_argument("--plot", metavar="PNG",
                     help=f"also write a picture of R, L and the quality fit ({PLOT_INSTALL})")
    mon.add_argument("--strict", action="store_true",
                     help="exit 1 when a version is flagged RISK, R-UP, L-UP or MIXED")
    _add_ratio_options(mon)
    mon.add_argument("--json", action="store_true", help="machine-readable output")
    mon.set_defaults(run=_run_monitor, parser=mon)

    info = commands.add_parser("info", help="print build information as JSON")
    info.set_defaults(run=_run_info, parser=info)
    return parser


class _ProgressBar:
    """Drives a tqdm bar from select's ``progress(stage, round, done, total)`` callback.

    The bar is created on the first call, when the run's total evaluation count is known,
    so tqdm's rate and ETA cover the whole run rather than one stage.
    """

    def __init__(self) -> None:
        self._bar: Optional[tqdm] = None
        self._label = ""

    def __call__(self, stage: int, round_: int, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(total=total, unit="eval", unit_scale=True, dynamic_ncols=True,
                             file=sys.stderr, leave=False)
        label = "stage 1" if stage == 1 else f"stage {stage} round {round_}"
        if label != self._label:  # shown at once: a stage can be shorter than tqdm's interval
            self._bar.set_description_str(label)
            self._label = label
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _template(text: str) -> str:
    """A --template with the shell-friendly escapes \\n, \\t and \\\\ decoded."""
    escapes = {"n": "\n", "t": "\t", "\\": "\\"}
    return re.sub(r"\\([nt\\])", lambda m: escapes[m.group(1)], text)


def _select_params(args: argparse.Namespace) -> ZipParams:
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


def _run_select(args: argparse.Namespace) -> int:
    params = _select_params(args)
    if args.report is not None:
        _require(require_matplotlib, "--report")
    if args.ray is not None:  # sharded on a Ray cluster: zipcore.distributed
        from .distributed import require_ray, run_command

        _require(require_ray)
        for flag, value in (("--checkpoint", args.checkpoint), ("--report", args.report),
                            ("--records-key", args.records_key)):
            if value is not None:
                raise UsageError(f"{flag} is not available with --ray")
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
        return run_command(args, params, outputs)
    source = read_pool(args.input, format=args.format, text_field=args.text_field,
                       column=args.column, template=args.template,
                       records_key=args.records_key)
    if kind == "jsonl":
        _check_output_format(source.kind, args.output)
    try:
        params = params.for_pool(len(source))
    except ValueError as exc:  # budget larger than the pool, empty pool
        raise ValueError(f"{args.input}: {exc}") from None
    bar = None if args.quiet else _ProgressBar()
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

    files = [(outputs["--output"],
              source.selection_chunks(indices, compress=is_gzip_path(args.output)))]
    if args.indices_out is not None:  # record indices: a pair's members, one line each
        files.append((outputs["--indices-out"],
                      indices_bytes(source.record_indices(indices))))
    if args.report is not None:
        from .report import file_sources, report_png, selection_report

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


def _ratio_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    options = _ratio_options(args)
    for path in args.files:  # every file is there before the first one is measured
        require_regular_file(path)
    rows = []
    for path in args.files:  # one file in memory at a time, read as a stream
        whole, sources = ratio.file_ratios(path, by=args.by, records_key=args.records_key,
                                           **options)
        row = {"file": path, **whole.as_dict()}
        if sources is not None:
            row["sources"] = [{"source": s.source, **s.as_dict()} for s in sources]
        rows.append(row)
    return rows


_PARALLEL_NOTE = ("* parallel zlib-9: 1 MiB chunks, each primed with the 32 KB before it; "
                  "within 0.02% of the exact single-stream R on the real pools (--exact for it)")


def _codec_cell(row: dict[str, Any]) -> str:
    return row["codec"] + ("*" if row["method"] == "parallel" else "")


def _print_ratio_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'samples':>10} {'bytes':>14} {'R':>8}  {'codec':<8} file")
    for row in rows:
        print(f"{row['samples']:>10} {row['bytes']:>14} {row['ratio']:>8.4f}  "
              f"{_codec_cell(row):<8} {row['file']}")
    for row in rows:
        if "sources" not in row:
            continue
        print(f"\n{row['file']}: R by source, most redundant first")
        print(f"{'samples':>10} {'bytes':>14} {'share':>6} {'R':>8}  {'codec':<8} source")
        for source in row["sources"]:
            share = 100.0 * source["samples"] / max(row["samples"], 1)
            print(f"{source['samples']:>10} {source['bytes']:>14} {share:>5.1f}% "
                  f"{source['ratio']:>8.4f}  {_codec_cell(source):<8} {source['source']}")
    methods = [row["method"] for row in rows] + [
        s["method"] for row in rows for s in row.get("sources", ())]
    if "parallel" in methods:
        print(f"\n{_PARALLEL_NOTE}")


def _run_ratio(args: argparse.Namespace) -> int:
    rows = _ratio_rows(args)  # all or nothing: no partial table
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_ratio_table(rows)
    return 0


def _run_monitor(args: argparse.Namespace) -> int:
    options = _ratio_options(args)
    if args.plot is not None:
        _require(require_matplotlib, "--plot")
        inputs = {"VERSIONS.csv": args.versions}
        inputs.update((f"version {spec.version}", spec.path)
                      for spec in monitor.read_versions(args.versions))
        plot = atomic.plan({"--plot": args.plot}, inputs)["--plot"]
    result = monitor.monitor(args.versions, r_pct=args.r_tol, l_pct=args.l_tol,
                             against=args.against, **options)
    if args.plot is not None:
        monitor.write_plot(plot, result)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(monitor.format_report(result), end="")
    return 1 if args.strict and result.warnings else 0


def _run_info(args: argparse.Namespace) -> int:
    print(json.dumps(build_info(), indent=2, sort_keys=True, default=str))
    return 0


def _describe(exc: BaseException) -> str:
    # OSError's str() starts with "[Errno 2]"; users want the file and the reason.
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror
    if isinstance(exc, MemoryError):
        return "out of memory"
    return str(exc)


EXIT_USAGE = 2
"""Bad usage, bad input, or an output or resource the run cannot have (disk full, no memory)."""
EXIT_SOFTWARE = 70
"""A bug in zipcore (sysexits' EX_SOFTWARE): the traceback is printed, please report it."""


def _show_warning(message: Any, category: Any, filename: str, lineno: int,
                  file: Any = None, line: Optional[str] = None) -> None:
    print(f"zipcore: warning: {message}", file=sys.stderr)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    The one error boundary of the command line: an expected failure is one line
    ``zipcore: error: ...`` and exit status 2; Ctrl-C and SIGTERM exit with 130 and 143 after
    removing temporary files; anything else is a bug, shown with its traceback, exit status 70.
    """
    with sigterm_raises(), warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = _show_warning
        try:
            args = _build_parser().parse_args(argv)
            return args.run(args)
        except SystemExit as exc:  # --help and --version exit through argparse
            return exc.code if isinstance(exc.code, int) else 0
        except (KeyboardInterrupt, Terminated) as stop:
            return stop_status(stop)
        except (UsageError, ValueError, OSError, MemoryError) as exc:  # ZipcoreError: ValueError
            print(f"zipcore: error: {_describe(exc)}", file=sys.stderr)
            return EXIT_USAGE
        except Exception:  # noqa: BLE001 - the boundary: a bug must stay visible
            traceback.print_exc()
            print("zipcore: internal error (a bug in zipcore: please report it with the "
                  "traceback above)", file=sys.stderr)
            return EXIT_SOFTWARE
