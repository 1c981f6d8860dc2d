"""What this build of zipcore runs on."""

from __future__ import annotations

import math
import os
import warnings
import zlib
from pathlib import Path
from typing import Any, Optional

from . import _core


CGROUP = Path("/sys/fs/cgroup")
"""Where a container sees its own control group (cgroup v2 at the top, v1 under ``cpu/``)."""


def available_cores() -> int:
    """Cores this process may run on, the default thread count: its CPU affinity (taskset, a
    Slurm or cpuset binding), at most its container's CPU quota rounded up (``docker --cpus``,
    a Kubernetes CPU limit), where threads beyond the quota would only be throttled."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_quota(CGROUP)
    return max(1, min(cores, math.ceil(quota))) if quota is not None else cores


def default_threads() -> int:
    """The thread count of a run given none: :func:`available_cores`, lowered by
    ``OMP_NUM_THREADS`` where that is set (the engine is an OpenMP program, and that is how a
    job bounds those; its first value, as OpenMP reads "4,2")."""
    cores = available_cores()
    first = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return min(cores, int(first)) if first.isdecimal() and int(first) > 0 else cores  # not "²"


def cgroup_cpu_quota(root: Path) -> Optional[float]:
    """The CPUs a control group's quota allows per period (``1.5``), or None for no quota or
    no control group to read: v2's ``cpu.max`` ("max 100000", "150000 100000"), else v1's
    ``cpu.cfs_quota_us`` (-1: none) over ``cpu.cfs_period_us``."""
    v1 = root / "cpu"
    for files in ([root / "cpu.max"], [v1 / "cpu.cfs_quota_us", v1 / "cpu.cfs_period_us"]):
        try:
            words = [word for file in files for word in file.read_text().split()]
        except (OSError, ValueError):  # ValueError: not text
            continue
        try:
            allowed, period = (int(word) for word in words)
        except ValueError:  # "max", or not two numbers
            return None
        return allowed / period if allowed > 0 and period > 0 else None
    return None


def build_info() -> dict[str, Any]:
    """The engine's build facts.

    ``zlib_exact`` is True when the engine and Python's ``zlib`` module run the same zlib
    version: only then do zipcore's ratios equal ``len(b) / len(zlib.compress(b, 9))`` byte
    for byte, and its selections those of the reference script.
    """
    info = dict(_core.build_info())
    info["zlib_python"] = zlib.ZLIB_RUNTIME_VERSION
    info["zlib_exact"] = info["zlib_linked"] == zlib.ZLIB_RUNTIME_VERSION
    info["default_threads"] = default_threads()
    return info


def _warn_if_zlib_inexact() -> None:
    """Warns (a RuntimeWarning) when ``zlib_exact`` is false: what differs and what it costs.

    Called once, when zipcore is imported. A wheel loads the system zlib (``libz.so.1``), normally
    the one Python's ``zlib`` module runs too; a Python with a zlib of its own (a conda or
    statically linked Python, zlib-ng) is where the two part.
    """
    info = build_info()
    if info["zlib_exact"]:
        return
    warnings.warn(
        f"zipcore: the engine runs zlib {info['zlib_linked']} but Python's zlib module runs zlib "
        f"{info['zlib_python']}: with codec='zlib', compressed sizes can differ from "
        "zlib.compress(data, 9), so ratios and selections may differ from the reference script's "
        "(and align_scores' zipfit scores from the zip-fit package's) "
        "(codec='zstd' is not affected). For exact selections, build zipcore from source against "
        "the zlib this Python uses (from the source tree: bash dev/bootstrap.sh; from an index: "
        "pip install --no-binary zipcore zipcore); "
        "zipcore.build_info() shows both versions.",
        RuntimeWarning,
        stacklevel=2,
    )


# Runs once per process: the package imports this module once, on `import zipcore`.
_warn_if_zlib_inexact()
