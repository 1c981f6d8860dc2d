"""zipcore: exact, fast ZIP data selection by compression (Entropy Law, arXiv 2407.06645)."""

from pathlib import Path

from . import distributed, monitor, ratio, report
from ._core import ZipcoreError
from ._info import build_info
from .pool import Pool
from .readers import PoolFile, read_pool
from .selection import SelectionResult, candidate_ratios, compression_ratio, select, select_with_stats

__version__ = build_info()["version"]

EXAMPLE_POOL = Path(__file__).parent / "data" / "gsm8k_hh_rlhf_1500.json"
"""1,500 real samples (GSM8K + hh-rlhf, MIT licensed) in ShareGPT JSON, for demos."""

__all__ = [
    "EXAMPLE_POOL",
    "Pool",
    "PoolFile",
    "SelectionResult",
    "ZipcoreError",
    "build_info",
    "candidate_ratios",
    "compression_ratio",
    "read_pool",
    "select",
    "select_with_stats",
]
