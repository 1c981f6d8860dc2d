"""``zipcore align INPUT... --target FILE... -o OUTPUT --budget N``: keep the records most like
a target set (:mod:`zipcore.align`: ZIP-FIT's score, or the dictionary score, optionally
against the pool's own data: ``--contrast``), optionally without near-duplicates
(``--diverse``). INPUTs, targets and the sample options are read as
``select`` reads its INPUTs (:mod:`.pool_inputs`); every check runs before any work."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from ..align import (CONTRAST_DRAWS, DICT_LEVEL, DIVERSE_FACTOR, METHODS, ZIPFIT_LEVEL,
                     align_scores, best_aligned, checked_budget, contrast_sets, method_level)
from ..io import atomic
from ..io.inputs import expand, local_inputs
from ..io.outputs import compressed_as_named
from ..params import thread_count
from .arguments import UsageError, positive_int, require
from .pool_inputs import (INPUT_HELP, add_pool_arguments, check_output_names, input_labels,
                          read_inputs, sample_options, selection_file, selection_format)


def add_command(commands: Any) -> None:
    align = commands.add_parser("align", help="keep the BUDGET records most like a target set")
    add_pool_arguments(align)
    align.add_argument("--target", action="extend", nargs="+", required=True, metavar="FILE",
                       help="the target records, read as INPUT is (" + INPUT_HELP + "), their "
                            "samples made by the same options; it takes the names up to the "
                            "next option, so give INPUTs before it or another option between")
    align.add_argument("--budget", type=positive_int, required=True,
                       help="how many records to keep")
    align.add_argument("--method", choices=METHODS, default="zipfit",
                       help="zipfit (default): ZIP-FIT's score exactly, N x M gzip pairs, for "
                            "a few hundred targets; dict: one zstd dictionary of the targets, N "
                            "compressions, for large target sets and pools")
    align.add_argument("--contrast", action="store_true",
                       help="score each sample against sets of the pool's own distinct "
                            "samples too and keep the difference, what is particular to the "
                            "target (for a target in the pool's general style); costs about "
                            f"{1 + CONTRAST_DRAWS} x the plain score and needs a pool of a "
                            f"little more than {CONTRAST_DRAWS} x the targets' bytes (dict) or "
                            f"{CONTRAST_DRAWS} samples a target (zipfit); deduplicate the pool "
                            "first")
    align.add_argument("--level", type=int, default=None, metavar="N",
                       help=f"zipfit: gzip level 0..9 ({ZIPFIT_LEVEL}; the zip-fit package's "
                            f"default is 0); dict: zstd level 1..22 ({DICT_LEVEL}; over 16 MiB "
                            "of targets 5)")
    align.add_argument("--diverse", action="store_true",
                       help=f"ZIP's selection over the {DIVERSE_FACTOR} x BUDGET most aligned: "
                            "like the target, without near-duplicates")
    align.add_argument("--scores-out", metavar="FILE",
                       help="also write every sample's score, one per line, in INPUT order")
    align.add_argument("--threads", type=positive_int, default=None,
                       help="threads, and worker processes that read large inputs (default: "
                            "every core this process may use)")
    align.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    align.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sample_options(args)
    method_level(args.method, args.level)  # the level's range is the method's: checked first
    if "-" in args.inputs and "-" in args.target:
        raise UsageError("standard input can be read once: give - as INPUT or as --target, "
                         "not both")
    named = require(expand, args.inputs)
    named_targets = require(expand, args.target)
    outputs = atomic.plan({"--output": args.output, "--scores-out": args.scores_out},
                          {**input_labels(named), **input_labels(named_targets, "--target")})
    check_output_names(args, named[0], args.scores_out)
    threads = thread_count(args.threads)
    with local_inputs(named) as inputs, local_inputs(named_targets) as targets:
        made = selection_format(args, inputs[0])
        source = read_inputs(args, inputs, threads)
        try:
            budget = checked_budget(args.budget, len(source))
        except ValueError as exc:
            raise ValueError(f"{', '.join(item.name for item in inputs)}: {exc}") from None
        target = read_inputs(args, targets, threads)
        if len(target) == 0:
            raise ValueError(f"{', '.join(item.name for item in targets)}: no target records")
        if args.contrast:  # the pool must hold the background sets: said before any scoring
            try:
                contrast_sets(args.method, source.pool, target.pool)
            except ValueError as exc:
                raise ValueError(f"{', '.join(item.name for item in inputs)}: {exc}") from None
        scores = align_scores(source.pool, target.pool, method=args.method,
                              contrast=args.contrast, level=args.level, threads=threads,
                              progress=not args.quiet)
        indices = best_aligned(source.pool, scores, budget, diverse=args.diverse,
                               threads=threads, progress=not args.quiet)
        files: list[tuple[atomic.Output, atomic.Content]] = [
            selection_file(outputs, source, indices, made)]
        if args.scores_out is not None:
            files.append((outputs["--scores-out"],
                          compressed_as_named(args.scores_out, [_score_lines(scores)])))
        atomic.write_files(files)
    unit = "pairs" if source.pairs else "records"
    print(f"zipcore: kept {len(indices)} of {len(source)} {unit} most like {len(target)} "
          f"target samples ({args.method}{', contrast' if args.contrast else ''}"
          f"{', diverse' if args.diverse else ''}), best score kept "
          f"{scores[indices].max():.4f}, wrote {args.output}", file=sys.stderr)
    return 0


def _score_lines(scores: np.ndarray) -> bytes:
    """One score a line, as Python's repr writes a float (it reads back exactly)."""
    return "".join(f"{score!r}\n" for score in scores.tolist()).encode()
