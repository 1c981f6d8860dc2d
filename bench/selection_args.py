"""The command-line arguments every selection benchmark shares: the pool and ZIP's parameters."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional


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
