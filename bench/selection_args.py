"""The command-line arguments every selection benchmark shares: the pool and ZIP's parameters."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional


def add_selection_args(parser: argparse.ArgumentParser, *, budget: Optional[int] = None,
                       pool_help: Optional[str] = None) -> None:
    """Adds POOL, --budget (required when ``budget`` is None) and --k1/--k2/--k3 (paper defaults)."""
    parser.add_argument("pool", type=Path, help=pool_help)
    if budget is None:
        parser.add_argument("--budget", type=int, required=True)
    else:
        parser.add_argument("--budget", type=int, default=budget)
    parser.add_argument("--k1", type=int, default=10000)
    parser.add_argument("--k2", type=int, default=200)
    parser.add_argument("--k3", type=int, default=100)


def thread_sweep_args(description: str) -> argparse.Namespace:
    """The command line of a benchmark that runs one selection per thread count: the pool and
    ZIP's parameters, --threads (1 2), --repeat (best of), --codec, --level and --json (where
    the full results go)."""
    parser = argparse.ArgumentParser(description=description)
    add_selection_args(parser)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="runs per thread count; best kept")
    parser.add_argument("--codec", choices=("zlib", "zstd"), default="zlib")
    parser.add_argument("--level", type=int, default=None)
    parser.add_argument("--json", type=Path, help="write the full results here")
    return parser.parse_args()


def load_pool(path: Path) -> Any:
    """The pool of ``path`` (zipcore's streaming reader), timed on stderr."""
    from zipcore.io.readers import read_pool

    start = time.perf_counter()
    pool = read_pool(path).pool
    print(f"loaded {len(pool)} samples in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return pool


def best_per_thread_count(run: Callable[[int], dict], args: argparse.Namespace,
                          key: str) -> Iterator[dict]:
    """For each of ``args.threads``, the run (``run(threads)``) with the smallest ``key`` of
    ``args.repeat`` runs."""
    for threads in args.threads:
        yield min((run(threads) for _ in range(args.repeat)), key=lambda r: r[key])

