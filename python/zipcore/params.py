"""ZIP's parameters, checked once where a call enters zipcore: one rule for each of them, for
``select``, ``candidate_ratios``, ``distributed`` and the command line alike.

The engine checks them again at the binding (``validate`` in ``cpp/zip_select.cpp``): that is its
guard against a caller that skips this module, not a second set of rules.
"""

from __future__ import annotations

import dataclasses
import operator
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Literal, Optional, cast, get_args

from . import _core
from ._info import available_cores, default_threads

Codec = Literal["zlib", "zstd"]
"""The engine's codecs, as the public signatures spell them."""
CODECS: tuple[Codec, ...] = get_args(Codec)
ZLIB_LEVEL = 9
"""The reference compresses with zlib level 9; any other level would not be ZIP."""
ZSTD_LEVEL = 3
"""zstd's own default level."""
THREADS_PER_CORE = 4
"""``threads`` above this many per core the process may use are capped, with a warning: the
engine is compute-bound, so more threads than cores only add switching (4,096 threads on 2
cores ran 40 times slower than 2)."""


def integer(name: str, value: Any, *, minimum: Optional[int] = 1) -> int:
    """``value`` as an int of at least ``minimum`` (None: any). Python and numpy integers only:
    ``True`` is not 1 and ``2.0`` is not 2 here (a float where a count belongs is a mistake
    upstream)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got a bool ({value})")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if minimum is not None and number < minimum:
        what = "positive" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"{name} must be {what}, got {number}")
    return number


def flag(name: str, value: Any, *, none: bool = False) -> Optional[bool]:
    """``value`` as a bool: Python's or numpy's only (a string such as "no" would be true);
    None too where ``none``. TypeError naming ``name`` otherwise."""
    if value is None and none:
        return None
    kind = type(value)  # numpy's bool without importing numpy here (import zipcore stays light)
    if isinstance(value, bool) or (kind.__module__ == "numpy" and kind.__name__ in ("bool",
                                                                                  "bool_")):
        return bool(value)
    allowed = "True, False or None" if none else "True or False"
    raise TypeError(f"{name} must be {allowed}, got {value!r}")


def check_progress(progress: Any) -> Any:
    """``progress=`` with a numpy bool as Python's (the callers test ``progress is True``);
    TypeError, before any work, for one that is neither True, False, None nor a callable (the
    engine would find out at its first report, or only at its last)."""
    if progress is None or callable(progress):
        return progress
    try:
        return flag("progress", progress)
    except TypeError:
        raise TypeError(f"progress must be True, False, None or a callable, got "
                        f"{type(progress).__name__}") from None


def thread_count(threads: Optional[int]) -> int:
    """The threads a run uses: ``None`` = every core this process may use (its CPU affinity,
    at most its container's CPU quota, and ``OMP_NUM_THREADS`` where set:
    :func:`~zipcore._info.default_threads`). More than ``THREADS_PER_CORE`` per core is
    capped there, with a ``UserWarning``."""
    if threads is None:
        return default_threads()
    cores = available_cores()
    count = integer("threads", threads)
    cap = THREADS_PER_CORE * cores
    if count > cap:
        warnings.warn(f"threads={count} is more than {THREADS_PER_CORE} per core this process "
                      f"may use ({cores}); using {cap}", UserWarning,
                      stacklevel=_first_caller_outside())
        return cap
    return count


def _first_caller_outside() -> int:
    """The ``stacklevel`` that points a warning raised here at the first frame outside zipcore
    (its functions call :func:`thread_count` from different depths)."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 1  # thread_count's frame
    while frame.f_back is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def check_budget_fits(budget: int, size: int) -> None:
    """ValueError unless a pool of ``size`` samples holds ``budget`` of them."""
    if size == 0:
        raise ValueError("the pool is empty: there is nothing to select from")
    if budget > size:
        raise ValueError(f"budget {budget} is larger than the pool ({size} samples)")


def codec_level(codec: Any, level: Optional[int]) -> tuple[Codec, int]:
    """The codec and its level: zlib is level 9 only, zstd 1..its maximum (22), default 3."""
    if codec not in CODECS:
        raise ValueError(f"codec must be 'zlib' or 'zstd', got {codec!r}")
    codec = cast(Codec, codec)
    if level is None:
        return codec, ZLIB_LEVEL if codec == "zlib" else ZSTD_LEVEL
    level = integer("level", level, minimum=None)
    if codec == "zlib" and level != ZLIB_LEVEL:
        raise ValueError(f"the zlib codec is exact at level 9 only (the reference's), got {level}")
    highest = _core.build_info()["zstd_max_level"]
    if codec == "zstd" and not 1 <= level <= highest:
        raise ValueError(f"zstd level must be in 1..{highest}, got {level}")
    return codec, level


@dataclass(frozen=True)
class ZipParams:
    """A ZIP run's parameters, valid before any pool is seen; :meth:`for_pool` adds the checks
    that need the pool's size."""

    budget: int
    k1: int = 10000
    k2: int = 200
    k3: int = 100
    codec: Codec = "zlib"
    level: int = ZLIB_LEVEL
    threads: int = 1

    @classmethod
    def build(cls, budget: Any, *, k1: Any = 10000, k2: Any = 200, k3: Any = 100,
              codec: Any = "zlib", level: Any = None, threads: Any = None) -> "ZipParams":
        """Checks every parameter (raising TypeError or ValueError naming it) and resolves the
        defaults of ``level`` and ``threads``."""
        budget, k1, k2, k3 = (integer(n, v) for n, v in
                              (("budget", budget), ("k1", k1), ("k2", k2), ("k3", k3)))
        if not k1 >= k2 >= k3:
            raise ValueError(f"ZIP needs k1 >= k2 >= k3, got k1={k1} k2={k2} k3={k3}")
        codec, level = codec_level(codec, level)
        return cls(budget, k1, k2, k3, codec, level, thread_count(threads))

    def for_pool(self, size: int) -> "ZipParams":
        """These parameters for a pool of ``size`` samples: the budget must fit, and the k's are
        clamped to the pool (every round clamps them to what is left anyway; clamping here keeps
        huge values, a way to say "no limit", inside the engine's integer range)."""
        check_budget_fits(self.budget, size)
        return dataclasses.replace(self, k1=min(self.k1, size), k2=min(self.k2, size),
                                   k3=min(self.k3, size))

    def identity(self) -> dict[str, Any]:
        """What a resumed run must share with the checkpoint (not ``threads``: results never
        depend on it)."""
        return {"budget": self.budget, "k1": self.k1, "k2": self.k2, "k3": self.k3,
                "codec": self.codec, "level": self.level}
