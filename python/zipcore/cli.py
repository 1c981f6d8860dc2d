"""The ``zipcore`` command: select a subset of a dataset, measure compression ratios, build info.

``main(argv)`` returns the exit status instead of exiting, so tests call it directly.
Exit status: 0 ok, 2 bad usage or bad input (one ``zipcore: error:`` line, no traceback),
130 interrupted. A failed run leaves no output file behind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Optional, Sequence

from tqdm import tqdm

from . import atomic
from ._info import build_info
from ._pool import encode_pool
from .records import indices_bytes, is_gzip_path, load_dataset, selection_bytes
from .selection import compression_ratio, select


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


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zipcore", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sel = commands.add_parser("select", help="select BUDGET records by ZIP and write them")
    sel.add_argument("input", metavar="INPUT", help="JSON list or JSONL of records (.gz read)")
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
                     help="also write the selected indices, one per line")
    sel.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sel.set_defaults(run=_run_select, parser=sel)

    ratio = commands.add_parser(
        "ratio", help="print each file's compression ratio R",
        description="For each file: samples, bytes of the group [r0, r1, ...] that ZIP "
                    "compresses (records framed as repr), and R = bytes / zlib-9 bytes.")
    ratio.add_argument("files", metavar="FILE", nargs="+")
    ratio.add_argument("--json", action="store_true", help="machine-readable output")
    ratio.set_defaults(run=_run_ratio, parser=ratio)

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


def _check_select_args(args: argparse.Namespace) -> None:
    if not args.k1 >= args.k2 >= args.k3:
        args.parser.error(f"ZIP needs k1 >= k2 >= k3, got k1={args.k1} k2={args.k2} k3={args.k3}")
    if args.indices_out is not None and os.path.abspath(args.indices_out) == os.path.abspath(
            args.output):
        args.parser.error("--indices-out must differ from --output")


def _run_select(args: argparse.Namespace) -> int:
    _check_select_args(args)
    # Checked before loading and selecting, which can take a long time.
    for path in (args.output, args.indices_out):
        if path is not None:
            atomic.check_writable(path)
    dataset = load_dataset(args.input)
    bar = None if args.quiet else _ProgressBar()
    start = time.perf_counter()
    try:
        indices = select(dataset.records, args.budget, k1=args.k1, k2=args.k2, k3=args.k3,
                         threads=args.threads, progress=bar)
    except ValueError as exc:  # budget larger than the pool, empty pool
        raise ValueError(f"{args.input}: {exc}") from None
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    ratio = compression_ratio([dataset.records[i] for i in indices])

    outputs = [(args.output, selection_bytes(dataset, indices, compress=is_gzip_path(args.output)))]
    if args.indices_out is not None:
        outputs.append((args.indices_out, indices_bytes(indices)))
    atomic.write_files(outputs)
    print(f"zipcore: selected {len(indices)} of {len(dataset)} records in {seconds:.2f} s, "
          f"R = {ratio:.4f}, wrote {args.output}", file=sys.stderr)
    return 0


def _ratio_row(path: str) -> dict[str, Any]:
    pool = encode_pool(load_dataset(path).records)
    n = len(pool)
    # The group "[r0, r1, ...]": the samples plus brackets and n - 1 separators.
    size = int(pool.offsets[-1]) + 2 + 2 * max(n - 1, 0)
    return {"file": path, "samples": n, "bytes": size, "ratio": compression_ratio(pool)}


def _run_ratio(args: argparse.Namespace) -> int:
    rows = [_ratio_row(path) for path in args.files]  # all or nothing: no partial table
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'samples':>10} {'bytes':>14} {'R':>8}  file")
    for row in rows:
        print(f"{row['samples']:>10} {row['bytes']:>14} {row['ratio']:>8.4f}  {row['file']}")
    return 0


def _run_info(args: argparse.Namespace) -> int:
    print(json.dumps(build_info(), indent=2, sort_keys=True, default=str))
    return 0


def _describe(exc: BaseException) -> str:
    # OSError's str() starts with "[Errno 2]"; users want the file and the reason.
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror
    return str(exc)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    try:
        args = _build_parser().parse_args(argv)
        return args.run(args)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("zipcore: interrupted", file=sys.stderr)
        return 130
    except (UsageError, ValueError, OSError) as exc:  # ZipcoreError is a ValueError
        print(f"zipcore: error: {_describe(exc)}", file=sys.stderr)
        return 2
