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

from .io import atomic
from ._core import ResumeState, ZipcoreError
from ._pool import EncodedPool

FORMAT = 1
_STATE_ARRAYS = ("order", "global", "alone", "eligible")
_STATE_COUNTS = ("available", "rounds")
_STATE_PROPERTY = {"global": "global_"}  # ResumeState's name where the key is a Python keyword


def _pool_fingerprint(pool: EncodedPool) -> str:
    """A checksum of the pool's samples and their boundaries (CRC-32 over data and offsets)."""
    data_crc = zlib.crc32(np.ascontiguousarray(pool.data).view(np.uint8).data)
    offsets_crc = zlib.crc32(np.ascontiguousarray(pool.offsets, dtype=np.int64).tobytes())
    return f"n={len(pool)}:bytes={int(pool.offsets[-1])}:{data_crc:08x}:{offsets_crc:08x}"


def run_identity(pool: EncodedPool, params: dict[str, Any], version: str) -> dict[str, str]:
    """What a checkpoint must match to be resumed: pool, parameters (codec and level included),
    version."""
    identity = {"pool": _pool_fingerprint(pool), "version": version, "format": str(FORMAT)}
    identity.update({name: str(value) for name, value in sorted(params.items())})
    return identity


def save(path: atomic.Destination, identity: dict[str, str], state: ResumeState) -> None:
    """Writes ``state`` (the engine's, after a round) and ``identity`` to ``path``, atomically."""
    buffer = io.BytesIO()
    members: dict[str, Any] = {f"meta_{k}": np.array(v) for k, v in identity.items()}
    members.update({name: getattr(state, _STATE_PROPERTY.get(name, name))
                    for name in _STATE_ARRAYS})
    members.update({name: np.array(int(getattr(state, name)), dtype=np.int64)
                    for name in _STATE_COUNTS})
    np.savez(buffer, **members)
    atomic.write_file(path, buffer.getvalue())


_NPZ_MAGIC = b"PK\x03\x04"  # an .npz is a zip archive


def load(path: str | os.PathLike[str], identity: dict[str, str], *, pool_size: int,
         budget: int) -> Optional[ResumeState]:
    """The saved state, or None when there is no checkpoint yet. Raises ZipcoreError naming the
    file when it is not a zipcore checkpoint, is damaged, or belongs to another pool, parameters
    or version."""
    name = os.fspath(path)
    saved = _read(name)
    if saved is None:
        return None
    stored, state = saved
    differences = _differences(stored, identity)
    if stored.get("pool") != identity["pool"]:
        # Another pool: the k's, clamped to its size, may differ too, which says nothing more.
        differences = [d for d in differences if d.startswith("pool ")]
    _refuse(name, differences)
    problem = _state_problem(state, pool_size, budget)
    if problem is not None:
        raise ZipcoreError(f"{name}: damaged checkpoint ({problem}): delete it or pass another "
                           "checkpoint path")
    return ResumeState(*(state[key] for key in _STATE_ARRAYS + _STATE_COUNTS))


def check_before_reading(path: str | os.PathLike[str], params: dict[str, Any],
                         version: str) -> None:
    """What :func:`load` would refuse whatever the pool holds, said before the pool is read (a
    large input takes minutes): not a checkpoint, damaged, another version, budget, codec or
    level. The pool and the k's (clamped to the pool's size) are checked by :func:`load`."""
    name = os.fspath(path)
    saved = _read(name, with_state=False)  # the identity only: the arrays are the pool's size
    if saved is not None:
        known = {"version": version, "format": str(FORMAT),
                 **{key: str(params[key]) for key in ("budget", "codec", "level")}}
        _refuse(name, _differences(saved[0], known))


def _read(name: str, *, with_state: bool = True
          ) -> Optional[tuple[dict[str, str], dict[str, Any]]]:
    """A checkpoint's identity and (``with_state``) its state as stored, or None where there is
    no file."""
    if not os.path.exists(name):
        return None
    try:
        handle = open(name, "rb")  # ours to close: np.load leaks its own on a damaged archive
    except OSError as exc:
        raise ZipcoreError(f"{name}: cannot read the checkpoint ({exc.strerror})") from None
    with handle:
        if handle.read(len(_NPZ_MAGIC)) != _NPZ_MAGIC:
            raise ZipcoreError(f"{name}: not a zipcore checkpoint (not an .npz file): delete it "
                               "or pass another checkpoint path")
        handle.seek(0)
        try:
            with np.load(handle, allow_pickle=False) as saved:
                stored = {k[len("meta_"):]: str(saved[k])
                          for k in saved.files if k.startswith("meta_")}
                state: dict[str, Any] = {}
                if with_state:
                    state = {key: saved[key] for key in _STATE_ARRAYS}
                    state.update({key: int(saved[key]) for key in _STATE_COUNTS})
        except Exception as exc:  # noqa: BLE001
            # A damaged archive fails inside zipfile, zlib or numpy's header parser with whatever
            # those raise (BadZipFile, zlib.error, EOFError, KeyError, ValueError, struct.error,
            # ...): each one means the same thing here.
            raise ZipcoreError(f"{name}: damaged or not a zipcore checkpoint "
                               f"({type(exc).__name__}: {exc}): delete it or pass another "
                               "checkpoint path") from None
    if "format" not in stored:  # another program's .npz: not "another run" of zipcore
        raise ZipcoreError(f"{name}: not a zipcore checkpoint (an .npz file without zipcore's "
                           "fields): delete it or pass another checkpoint path")
    return stored, state


def _differences(stored: dict[str, str], expected: dict[str, str]) -> list[str]:
    return [f"{key} is {stored.get(key, '(missing)')!r} in the checkpoint, {value!r} now"
            for key, value in expected.items() if stored.get(key) != value]


def _refuse(name: str, differences: list[str]) -> None:
    if differences:
        raise ZipcoreError(
            f"{name}: checkpoint belongs to another run: " + "; ".join(differences)
            + ". Delete it or pass another checkpoint path to start over.")


def _state_problem(state: dict[str, Any], n: int, budget: int) -> Optional[str]:
    """What is inconsistent in a loaded state, or None. The engine checks the same before it
    resumes (its guard); here the message can name the file."""
    for key, kind in (("order", "i"), ("global", "f"), ("alone", "f"), ("eligible", "ui")):
        array = state[key]
        if not isinstance(array, np.ndarray):  # an archive member that is no .npy: raw bytes
            return f"'{key}' is not an array"
        if array.ndim != 1 or array.dtype.kind not in kind:
            return f"'{key}' is a {array.ndim}-D {array.dtype} array"
    if not (len(state["global"]) == len(state["alone"]) == len(state["eligible"]) == n):
        return "its scores are for a pool of another size"
    order, eligible = state["order"], state["eligible"]
    if len(order) > budget or (len(order) and not (0 <= order.min() and order.max() < n)):
        return "its selection is not a set of pool indices within the budget"
    if len(np.unique(order)) != len(order) or not np.isin(eligible, (0, 1)).all():
        return "its selection repeats a sample or its eligibility is not 0/1"
    if eligible[order].any():
        return "a selected sample is still eligible"
    if int(eligible.sum()) != state["available"] or state["rounds"] < 0:
        return "its counters are inconsistent"
    if not (np.isfinite(state["global"]).all() and np.isfinite(state["alone"]).all()):
        return "it holds scores that are not finite"
    return None
