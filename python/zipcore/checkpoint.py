"""Checkpoints: a selection run's state after each round, so a killed run loses one round at most.

A checkpoint is a NumPy ``.npz`` written atomically after every round (temporary file, fsync,
rename; see ``atomic``). It stores the engine's loop state (selection so far, every score, which
samples are still eligible) and what it belongs to: a fingerprint of the pool's bytes, the
parameters, the codec and level, and the zipcore version. Resuming with anything different is
an error, never a silently different selection.
"""

from __future__ import annotations

import io
import os
import zlib
from typing import Any, Optional

import numpy as np

from . import atomic
from ._core import ZipcoreError
from ._pool import EncodedPool

FORMAT = 1
_STATE_ARRAYS = ("order", "global", "alone", "eligible")
_STATE_COUNTS = ("available", "rounds")


def pool_fingerprint(pool: EncodedPool) -> str:
    """A checksum of the pool's samples and their boundaries (CRC-32 over data and offsets)."""
    data_crc = zlib.crc32(memoryview(np.ascontiguousarray(pool.data)).cast("B"))
    offsets_crc = zlib.crc32(np.ascontiguousarray(pool.offsets, dtype=np.int64).tobytes())
    return f"n={len(pool)}:bytes={int(pool.offsets[-1])}:{data_crc:08x}:{offsets_crc:08x}"


def run_identity(pool: EncodedPool, params: dict[str, Any], version: str) -> dict[str, str]:
    """What a checkpoint must match to be resumed: pool, parameters (codec and level included),
    version."""
    identity = {"pool": pool_fingerprint(pool), "version": version, "format": str(FORMAT)}
    identity.update({name: str(value) for name, value in sorted(params.items())})
    return identity


def save(path: str | os.PathLike[str], identity: dict[str, str], state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    meta = {f"meta_{k}": np.array(v) for k, v in identity.items()}
    arrays = {name: state[name] for name in _STATE_ARRAYS}
    counts = {name: np.array(int(state[name]), dtype=np.int64) for name in _STATE_COUNTS}
    np.savez(buffer, **meta, **arrays, **counts)
    atomic.write_file(path, buffer.getvalue())


def load(path: str | os.PathLike[str], identity: dict[str, str]) -> Optional[dict[str, Any]]:
    """The saved state, or None when there is no checkpoint yet. Raises ZipcoreError when the
    file is not a zipcore checkpoint or belongs to another pool, parameters or version."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            stored = {k[len("meta_"):]: str(saved[k]) for k in saved.files if k.startswith("meta_")}
            state = {name: saved[name] for name in _STATE_ARRAYS}
            state.update({name: int(saved[name]) for name in _STATE_COUNTS})
    except (OSError, ValueError, KeyError, EOFError, zlib.error) as exc:
        raise ZipcoreError(f"{os.fspath(path)}: not a readable zipcore checkpoint ({exc})") from None
    differences = [f"{key} is {stored.get(key, '(missing)')!r} in the checkpoint, {value!r} now"
                   for key, value in identity.items() if stored.get(key) != value]
    if differences:
        raise ZipcoreError(
            f"{os.fspath(path)}: checkpoint belongs to another run: " + "; ".join(differences)
            + ". Delete it or pass another checkpoint path to start over.")
    return state
