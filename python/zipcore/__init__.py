"""zipcore: exact, fast ZIP data selection by compression (Entropy Law, arXiv 2407.06645)."""

from ._core import ZipcoreError
from ._info import build_info
from .selection import SelectionResult, candidate_ratios, compression_ratio, select, select_with_stats

__version__ = build_info()["version"]

__all__ = [
    "SelectionResult",
    "ZipcoreError",
    "build_info",
    "candidate_ratios",
    "compression_ratio",
    "select",
    "select_with_stats",
]
