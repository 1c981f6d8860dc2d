"""Turning user samples into the engine's pool: one contiguous byte buffer plus N+1 offsets.

A sample's bytes follow ../shared/SPEC.md: a record (dict) is ``repr(record)`` encoded as UTF-8,
exactly what the reference ZIP script compresses; ``str`` is its UTF-8 bytes; ``bytes``-like
objects are used as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterable, NamedTuple

import numpy as np

from ._core import ZipcoreError


class EncodedPool(NamedTuple):
    data: np.ndarray  # uint8, all samples back to back
    offsets: np.ndarray  # int64, N+1 entries, sample i is data[offsets[i]:offsets[i+1]]

    def __len__(self) -> int:
        return len(self.offsets) - 1


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
        return repr(sample).encode("utf-8")
    raise TypeError(
        f"sample {index} is a {type(sample).__name__}; zipcore takes dict records, str or bytes"
    )


def encode_pool(samples: Iterable[Any]) -> EncodedPool:
    """Encodes every sample once into one buffer (the only per-sample Python work of a run)."""
    if isinstance(samples, (str, bytes, bytearray, Mapping)):
        raise TypeError(
            f"samples must be a sequence of samples, not a single {type(samples).__name__}"
        )
    chunks = [sample_bytes(s, i) for i, s in enumerate(samples)]
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    if chunks:
        np.cumsum(np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks)),
                  out=offsets[1:])
    data = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    return EncodedPool(data, offsets)
