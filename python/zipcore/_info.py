"""What this build of zipcore runs on."""

from __future__ import annotations

import os
import zlib
from typing import Any

from . import _core


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), the default thread count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def build_info() -> dict[str, Any]:
    """The engine's build facts.

    ``zlib_exact`` is True when the engine and Python's ``zlib`` module run the same zlib
    version: only then do zipcore's ratios equal ``len(b) / len(zlib.compress(b, 9))`` byte
    for byte, and its selections those of the reference script.
    """
    info = dict(_core.build_info())
    info["zlib_python"] = zlib.ZLIB_RUNTIME_VERSION
    info["zlib_exact"] = info["zlib_linked"] == zlib.ZLIB_RUNTIME_VERSION
    info["default_threads"] = available_cores()
    return info
