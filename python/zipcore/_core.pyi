"""Type stubs for zipcore's compiled engine (private; use the zipcore package)."""

from typing import Any, Callable, Optional

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
def group_sizes(data: Any, offsets: npt.NDArray[np.int64]) -> tuple[int, int]: ...
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
