"""The engine's pool, one contiguous byte buffer plus N+1 offsets, and its encoding primitives:
a sample's bytes, Arrow's buffers viewed in place. What a user passes becomes a pool in
:func:`zipcore.samples.as_pool`; this module never imports that one.

A sample's bytes follow ../shared/SPEC.md: a record (dict) is ``repr(record)`` encoded as UTF-8,
exactly what the reference ZIP script compresses; ``str`` is its UTF-8 bytes; ``bytes``-like
objects are used as they are.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._core import ZipcoreError


@dataclass(frozen=True, eq=False)
class EncodedPool:
    """What the engine reads: N samples back to back. Not a tuple, so that a Pool is a
    sequence of its samples only."""

    # not slots=True: its __setattr__ then names the class it replaced, so pool.x = 1 on a Pool
    # was a TypeError ("super(type, obj): obj must be an instance ..."), not an AttributeError
    __slots__ = ("data", "offsets")
    data: np.ndarray  # uint8, all samples back to back
    offsets: np.ndarray  # int64, N+1 entries, sample i is data[offsets[i]:offsets[i+1]]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __reduce__(self) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
        # through __init__, every protocol (slots' state is set by setattr, which is frozen);
        # a Pool's checks and read-only views too, as unpickled arrays are writable
        return (type(self), (self.data, self.offsets))


def sample_bytes(sample: Any, index: int) -> bytes:
    """The bytes ZIP compresses for one sample (see the module docstring)."""
    if isinstance(sample, (bytes, bytearray, memoryview)):
        return bytes(sample)
    if isinstance(sample, str):
        try:
            return sample.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ZipcoreError(
                f"sample {index} is not valid Unicode ({exc.reason} at character {exc.start}); "
                "pass bytes instead to select on raw bytes"
            ) from None
    if isinstance(sample, Mapping):
        try:
            return repr(sample).encode("utf-8")
        except RecursionError:
            raise ZipcoreError(f"sample {index} is nested too deeply to encode") from None
    raise TypeError(
        f"sample {index} is a {type(sample).__name__}; zipcore takes dict records, str or bytes"
    )


def check_collection(samples: Any) -> None:
    """TypeError for what is not a collection of samples in an order: one str, bytes or dict
    (a single sample), or a set (its order, and so the result, would change from run to run
    with Python's hash seed), or None."""
    if samples is None:
        raise TypeError("samples must be a collection of samples (texts, records or a table), "
                        "not None")
    if isinstance(samples, (str, bytes, bytearray, Mapping)):
        raise TypeError(
            f"samples must be a sequence of samples, not a single {type(samples).__name__}")
    if isinstance(samples, (set, frozenset)):
        raise TypeError(f"samples must be in an order, not a {type(samples).__name__} (its "
                        "order changes from run to run): pass a list, e.g. sorted(samples)")


def encode_pool(samples: Iterable[Any]) -> EncodedPool:
    """Encodes every sample once into one buffer (the only per-sample Python work of a run).
    The buffer is a ``bytearray`` and the ends an ``array('q')``, both grown in place, so
    encoding holds the samples once, never a list of per-sample objects."""
    check_collection(samples)
    data, ends = bytearray(), array("q", [0])
    for i, sample in enumerate(samples):
        data += sample_bytes(sample, i)
        ends.append(len(data))
    return EncodedPool(np.frombuffer(data, dtype=np.uint8), np.frombuffer(ends, dtype=np.int64))


def checked_indices(indices: Any, size: int) -> np.ndarray:
    """``indices`` (:func:`index_array`) as int64 positions in ``0..size-1``; negative indices
    do not wrap."""
    values = index_array(indices)
    bad = (values < 0) | (values >= size)
    if bad.any():
        raise IndexError(f"index {values[bad][0]} is out of range for {size} samples")
    return values.astype(np.int64)


def index_array(indices: Any) -> np.ndarray:
    """``indices`` (a 1-d array, anything numpy reads as one such as an Arrow array or a
    Series, a sequence, or any iterable; not a set, which has no order) as a 1-d integer array
    (object dtype for ints past int64). Integers only: a float index such as 1.7 or a bool,
    even among ints, is refused rather than truncated or read as 0/1."""
    if isinstance(indices, (set, frozenset)):
        raise TypeError(f"indices must be in an order, not a {type(indices).__name__}: pass a "
                        "list, e.g. sorted(indices)")
    if not isinstance(indices, np.ndarray) and not hasattr(indices, "__array__"):
        if not isinstance(indices, Iterable) or isinstance(indices, (str, bytes, Mapping)):
            raise TypeError(f"indices must be a sequence of integers, not "
                            f"{type(indices).__name__}")
        indices = list(indices)  # a generator too; numpy would make it one object
        flag = next((v for v in indices if isinstance(v, (bool, np.bool_))), None)
        if flag is not None:  # numpy reads [1, True] as [1, 1]
            raise TypeError(f"indices must be integers, got a bool ({flag!r})")
    values = np.asarray(indices)
    if values.ndim != 1:
        raise ValueError(f"indices must be one-dimensional, got an array of shape "
                         f"{values.shape}")
    if values.size == 0:
        return np.empty(0, dtype=np.int64)
    if values.dtype.kind not in "iu":
        others = [v for v in values.tolist() if type(v) is not int]
        if others or values.dtype != object:
            raise TypeError(f"indices must be integers, got {values.dtype} (e.g. "
                            f"{(others or values.tolist())[0]!r})")
        # ints past int64: an object array of them, which no pool is large enough for
    return values


def require_pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ImportError("Arrow input needs pyarrow: pip install 'zipcore[arrow]' "
                          "(or pip install pyarrow)") from None
    return pyarrow


def plain_arrow_type(pa: Any, kind: Any) -> Any:
    """The type ``kind``'s values are read as: a dictionary's value type, a view's large
    type, otherwise ``kind``."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    for is_view, plain in (("is_string_view", pa.large_string()),
                           ("is_binary_view", pa.large_binary())):
        if getattr(pa.types, is_view, lambda _: False)(kind):
            return plain
    return kind


def is_arrow_text(pa: Any, kind: Any) -> bool:
    """Whether Arrow type ``kind`` is text the engine reads in place: ``string``, ``binary``,
    ``large_string`` or ``large_binary`` (the one answer; view and dictionary types are other
    layouts, which :func:`zipcore.samples.as_pool` converts first)."""
    return bool(pa.types.is_string(kind) or pa.types.is_binary(kind)
                or pa.types.is_large_string(kind) or pa.types.is_large_binary(kind))


def arrow_buffers(pa: Any, array: Any, first_index: int) -> tuple[np.ndarray, np.ndarray]:
    """(data, int64 offsets from 0) viewing one Arrow array; ``first_index`` numbers its values
    in error messages (its position in a ChunkedArray)."""
    kind = array.type
    if not is_arrow_text(pa, kind):
        hint = (" (decode it first: array.dictionary_decode())"
                if pa.types.is_dictionary(kind) else "")
        raise TypeError(f"Arrow pools are string or binary arrays (one sample per value), got "
                        f"{kind}{hint}")
    large = pa.types.is_large_string(kind) or pa.types.is_large_binary(kind)
    offset_type: Any = np.int64 if large else np.int32
    if array.null_count:
        first = int(np.argmax(array.is_null().to_numpy(zero_copy_only=False)))
        raise ValueError(f"value {first_index + first} of the Arrow array is null; drop or fill "
                         "nulls first (e.g. array.drop_null())")
    _, offsets_buffer, data_buffer = array.buffers()
    if len(array) == 0 or offsets_buffer is None:
        return np.empty(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type, count=len(array) + 1,
                            offset=array.offset * np.dtype(offset_type).itemsize)
    start, end = int(offsets[0]), int(offsets[-1])
    data = (np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None
            else np.empty(0, dtype=np.uint8))
    if end > len(data) or start < 0 or bool((offsets[1:] < offsets[:-1]).any()):
        raise ValueError("the Arrow array's offsets are invalid (array.validate(full=True) "
                         "tells more)")
    if offset_type is np.int64 and start == 0:
        return data[:end], offsets  # both viewed in place
    return data[start:end], offsets.astype(np.int64) - start
