"""zipcore: exact, fast ZIP data selection by compression (Entropy Law, arXiv 2407.06645).

``import zipcore`` loads the engine (and checks that its zlib is Python's, see ``build_info``)
but none of the Python modules: each public name is imported on first use, so the command line
starts fast and a Ctrl-C during start-up lands in its error boundary.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._core import ZipcoreError
from ._info import build_info

__version__: str = build_info()["version"]

EXAMPLE_POOL = Path(__file__).parent / "data" / "gsm8k_hh_rlhf_1500.json"
"""1,500 real samples (GSM8K + hh-rlhf, MIT licensed) in ShareGPT JSON, for demos."""

WHOLE_ROW = "__row__"
"""``column=WHOLE_ROW`` selects on whole rows of a table: each row compressed as a record
(``repr`` of its dict), what ``select`` did with a ``datasets.Dataset`` before ``column=``."""

_PUBLIC = {
    "Pool": "pool",
    "align_scores": "align",
    "select_aligned": "align",
    "PoolFile": "io.readers",
    "read_pool": "io.readers",
    "SelectionResult": "selection",
    "candidate_ratios": "selection",
    "compression_ratio": "measure",
    "select": "selection",
    "select_rows": "selection",
    "select_with_stats": "selection",
}
__all__ = ["EXAMPLE_POOL", "WHOLE_ROW", "ZipcoreError", "build_info", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    elif not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f".{name}", __name__)  # a submodule: zipcore.entropy.ratio
    else:
        raise AttributeError(f"module 'zipcore' has no attribute {name!r}")
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


if TYPE_CHECKING:  # what type checkers and IDEs see (``X as X``: re-exported under --strict)
    from . import (distributed as distributed, entropy as entropy, io as io, measure as measure,
                   params as params, progress as progress)
    from .pool import Pool as Pool
    from .align import align_scores as align_scores, select_aligned as select_aligned
    from .io.readers import PoolFile as PoolFile, read_pool as read_pool
    from .measure import compression_ratio as compression_ratio
    from .selection import (SelectionResult as SelectionResult,
                            candidate_ratios as candidate_ratios, select as select,
                            select_rows as select_rows, select_with_stats as select_with_stats)
