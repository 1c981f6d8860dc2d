"""Type stubs for zipcore's compiled engine (private; use the zipcore package)."""

from typing import Any, Callable, Optional, Sequence

import numpy as np
import numpy.typing as npt

class ZipcoreError(ValueError): ...

GROUP_OPEN: bytes
"""``b"["``: opens a group (the group ``[a, b]`` is ``b"[" + r_a + b", " + r_b + b"]"``)."""
GROUP_SEPARATOR: bytes
"""``b", "``: between two members of a group."""
GROUP_CLOSE: bytes
"""``b"]"``: closes a group."""

def select(
    data: Any,
    offsets: npt.NDArray[np.int64],
    budget: int,
    k1: int,
    k2: int,
    k3: int,
    threads: int,
    codec: str,
    level: int,
    progress: Optional[Callable[[int, int, int, int], Any]],
) -> dict[str, Any]: ...
def group_sizes(
    data: Any,
    offsets: npt.NDArray[np.int64],
    groups: Optional[Sequence[npt.ArrayLike]],
    codec: str,
    level: int,
    chunk_sizes: Sequence[int],
    threads: int,
    progress: Optional[Callable[[int, int], Any]] = None,
) -> list[tuple[int, int]]:
    """(raw bytes, compressed bytes) of each group ``b"[" + r_a + b", " + r_b + ... + b"]"``.

    ``groups``: integer arrays of pool indices (each a group, in that order; repeats allowed),
    or None for one group of the whole pool in pool order. ``chunk_sizes``: one per group; zlib:
    0 = one exact stream (``len(zlib.compress(group, 9))``), n > 0 = the chunked parallel path
    with chunks of n bytes; ignored for zstd (one frame, long-distance matching, the window
    covering the group). ``threads``: 0 = every core. ``progress(done, total)`` in group bytes.
    The GIL is released; the result does not depend on ``threads``.
    """
    ...
def candidate_ratios(
    data: Any,
    offsets: npt.NDArray[np.int64],
    anchor: npt.NDArray[np.int64],
    candidates: npt.NDArray[np.int64],
    threads: int,
    codec: str,
    level: int,
) -> npt.NDArray[np.float64]: ...
def build_info() -> dict[str, Any]: ...
def _set_shortcut_verification(on: bool) -> None:
    """Tests only: recompute every shortcut zlib evaluation the plain way; raise on a difference."""
    ...
def _shortcut_counts() -> tuple[int, int]:
    """zlib candidate evaluations so far: (by the shortcut, by a plain state copy)."""
    ...
