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

class ResumeState:
    """The selection loop's state after a completed round: what a checkpoint holds and
    ``select(resume=...)`` continues from. Built from arrays (copied); read through read-only
    views. The engine checks that a state belongs to the pool and parameters when it resumes."""

    def __init__(
        self,
        order: npt.ArrayLike,
        global_: npt.ArrayLike,
        alone: npt.ArrayLike,
        eligible: npt.ArrayLike,
        available: int,
        rounds: int,
    ) -> None: ...
    @property
    def order(self) -> npt.NDArray[np.int64]:
        """Pool indices selected so far, in selection order."""
    @property
    def global_(self) -> npt.NDArray[np.float32]:
        """Every sample's latest score g: stage 1's, overwritten by stage 2's."""
    @property
    def alone(self) -> npt.NDArray[np.float32]:
        """Every sample's ratio alone, ratio([i])."""
    @property
    def eligible(self) -> npt.NDArray[np.uint8]:
        """1 where a sample may still be a candidate."""
    @property
    def available(self) -> int:
        """Number of eligible samples."""
    @property
    def rounds(self) -> int:
        """Rounds completed."""

def select(
    data: Any,
    offsets: npt.ArrayLike,
    budget: int,
    k1: int,
    k2: int,
    k3: int,
    threads: int,
    codec: str,
    level: int,
    progress: Optional[Callable[[int, int, int, int], Any]],
    resume: Optional[ResumeState] = None,
    on_round: Optional[Callable[[ResumeState], Any]] = None,
) -> dict[str, Any]:
    """The ZIP selection (zip_select.hpp), with the GIL released. ``progress(stage, round, done,
    total)`` in evaluations; ``resume``: continue from a state ``on_round`` was given (after
    every round, a copy the callback may keep)."""
    ...

def group_sizes(
    data: Any,
    offsets: npt.ArrayLike,
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
    offsets: npt.ArrayLike,
    anchor: npt.ArrayLike,
    candidates: npt.ArrayLike,
    threads: int,
    codec: str,
    level: int,
) -> npt.NDArray[np.float64]: ...
def build_info() -> dict[str, Any]: ...
def json_object_repr(text: bytes) -> Optional[bytes]: ...
def zipfit_alignment(data: Any, offsets: npt.ArrayLike, target_data: Any,
                     target_offsets: npt.ArrayLike, level: int, threads: int,
                     progress: Optional[Callable[[int, int], Any]] = None
                     ) -> npt.NDArray[np.float64]: ...
def dictionary_sizes(data: Any, offsets: npt.ArrayLike, target_data: Any,
                     target_offsets: npt.ArrayLike, level: int, threads: int,
                     progress: Optional[Callable[[int, int], Any]] = None
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def gzip_size(a: bytes, b: bytes = b"", level: int = 9) -> int: ...
def _set_shortcut_verification(on: bool) -> None:
    """Tests only: recompute every shortcut zlib evaluation the plain way; raise on a difference."""
    ...
def _shortcut_counts() -> tuple[int, int]:
    """zlib candidate evaluations so far: (by the shortcut, by a plain state copy)."""
    ...
