"""Pools built once and reused: the engine's input, one byte buffer plus N+1 int64 offsets.

``select``, ``select_with_stats``, ``compression_ratio`` and ``candidate_ratios`` take a
:class:`Pool` as they take a list of samples, but without encoding anything: the engine reads the
pool's buffers in place. Build a pool once when the same samples are selected from several times
(other budgets, other k's), or to hand over memory that already holds the samples back to back:

- :meth:`Pool.from_buffers`: a numpy ``uint8`` buffer and its offsets, used as they are;
- :meth:`Pool.from_arrow`: a pyarrow string or binary array, whose value buffer and offsets are
  exactly this layout (32-bit offsets are widened, which copies the offsets only);
- :meth:`Pool.from_dataset`: a column of a Hugging Face ``datasets.Dataset``, through its Arrow
  table;
- :meth:`Pool.from_samples`: records, ``str`` or ``bytes`` framed as by ``select`` (this one
  copies: every sample is encoded once into one buffer);
- :meth:`Pool.concat`: the samples of several pools, in order, in one new buffer.
"""

from __future__ import annotations

from array import array
from itertools import accumulate
from typing import Any, Iterable, Iterator

import numpy as np

from ._pool import EncodedPool, arrow_buffers, checked_indices, encode_pool, require_pyarrow
from .params import integer


def _read_only(values: np.ndarray) -> np.ndarray:
    """A read-only view: the pool cannot be changed through it, and the caller's array keeps
    its own flags."""
    view = values.view()
    view.flags.writeable = False
    return view


def _as_byte_buffer(data: Any) -> np.ndarray:
    if isinstance(data, np.ndarray):
        if data.ndim != 1 or data.dtype.itemsize != 1 or data.dtype.kind not in "uib":
            raise ValueError(f"pool data must be a 1-D uint8 array, got a {data.ndim}-D "
                             f"{data.dtype} array")
        if not data.flags.c_contiguous:
            raise ValueError("pool data must be contiguous; try numpy.ascontiguousarray(data)")
        return data.view(np.uint8)
    try:
        return np.frombuffer(data, dtype=np.uint8)  # bytes, bytearray, memoryview, mmap, ...
    except (TypeError, ValueError, BufferError) as exc:
        raise TypeError(f"pool data must be a uint8 numpy array or a contiguous bytes-like "
                        f"object, got {type(data).__name__} ({exc})") from None


def _as_offsets(offsets: Any) -> np.ndarray:
    """Int64 C-contiguous offsets the pool alone can change (that is, nobody): a caller's
    writeable array is copied (8 bytes a sample), so rewriting it later cannot move the pool's
    sample boundaries after they were checked; read-only memory (Arrow's) is viewed in place."""
    values = np.asarray(offsets)
    if values.ndim != 1 or len(values) < 1:
        raise ValueError(f"offsets must be a 1-D array of N+1 entries, got shape {values.shape}")
    if values.dtype.kind not in "iu":
        raise TypeError(f"offsets must be integers, got {values.dtype}")
    if values.dtype == np.uint64 and len(values) and int(values.max()) > np.iinfo(np.int64).max:
        raise ValueError("offsets are too large for int64")
    if values.dtype == np.int64 and values.flags.c_contiguous and not values.flags.writeable:
        return values
    return np.array(values, dtype=np.int64, order="C")  # a copy of the offsets, never the data


def _check_offsets(offsets: np.ndarray, size: int) -> None:
    if offsets[0] < 0:
        raise ValueError(f"offsets must not be negative, got offsets[0] = {offsets[0]}")
    steps = offsets[1:] < offsets[:-1]
    if steps.any():
        i = int(np.argmax(steps)) + 1
        raise ValueError(f"offsets must never decrease: offsets[{i}] = {offsets[i]} < "
                         f"offsets[{i - 1}] = {offsets[i - 1]}")
    if offsets[-1] > size:
        raise ValueError(f"offsets point past the end of the data: offsets[-1] = {offsets[-1]} "
                         f"> {size} bytes")


class Pool(EncodedPool):
    """N samples back to back in ``data`` (uint8); sample i is ``data[offsets[i]:offsets[i+1]]``.

    Both arrays are read-only views; the memory they view (a numpy array, an Arrow buffer, a
    ``bytes``) is kept alive by the pool. A pool is an ``EncodedPool``, so every zipcore function
    that takes samples takes it as it is. ``Pool(data, offsets)`` is ``Pool.from_buffers``.
    It is a sequence of its samples' bytes: ``pool[i]`` is ``pool.sample(i)`` (no wrapping),
    ``list(pool)`` every sample.
    """

    __slots__ = ()

    def __init__(self, data: Any, offsets: Any) -> None:
        data = _as_byte_buffer(data)
        offsets = _as_offsets(offsets)
        _check_offsets(offsets, len(data))
        if offsets[0] != 0:  # a window of a larger buffer: view its bytes, rebase the offsets
            data = data[offsets[0]:offsets[-1]]
            offsets = offsets - offsets[0]
        super().__init__(_read_only(data), _read_only(offsets))

    @classmethod
    def _trusted(cls, data: np.ndarray, offsets: np.ndarray) -> "Pool":
        """Wraps arrays already known to be valid (uint8 data, int64 offsets from 0)."""
        pool = cls.__new__(cls)
        EncodedPool.__init__(pool, _read_only(data), _read_only(offsets))
        return pool

    # --- building ----------------------------------------------------------------------------

    @classmethod
    def from_buffers(cls, data: Any, offsets: Any) -> "Pool":
        """A pool over ``data`` (a 1-D uint8 array or any contiguous bytes-like object) and
        ``offsets`` (N+1 non-decreasing integers), without copying ``data``.

        Zero-copy means ``data`` is read in place for as long as the pool lives: change its
        bytes and the pool's samples change with them (a ``select`` running meanwhile then scores
        some old and some new bytes; it never reads outside the buffer). ``offsets`` are copied
        (8 bytes a sample) unless they are a read-only int64 array, so the sample boundaries,
        checked here, cannot change afterwards. Offsets need not start at 0:
        a window ``offsets[i:j+1]`` of a larger pool views that part of ``data``.
        Raises ValueError for offsets that decrease or point past the end of ``data``.
        """
        return cls(data, offsets)

    @classmethod
    def from_samples(cls, samples: Iterable[Any]) -> "Pool":
        """Encodes records (``repr`` in UTF-8, the reference's bytes), ``str`` (UTF-8) or
        ``bytes`` once into one buffer: what ``select(samples, ...)`` would compress."""
        encoded = encode_pool(samples)
        return cls._trusted(encoded.data, encoded.offsets)

    @classmethod
    def from_arrow(cls, array: Any) -> "Pool":
        """A pool over a pyarrow ``string``, ``large_string``, ``binary`` or ``large_binary``
        array (or a ``ChunkedArray`` of one), each value one sample, its bytes as stored.

        Zero-copy where Arrow's layout is the engine's: the value buffer is viewed in place
        (also for a sliced array, whose values start at a non-zero offset). The offsets are
        viewed as they are for a ``large_*`` array that starts at value byte 0; 32-bit offsets
        (``string``, ``binary``) are widened to int64, and a slice's offsets rebased, which copies
        the offsets only (8 bytes a sample). A ``ChunkedArray`` of several chunks is concatenated
        once into a new buffer (a copy of the values), since the engine needs one buffer.
        Null values raise ValueError naming the first one.
        """
        pa = require_pyarrow()
        if isinstance(array, pa.ChunkedArray):
            starts = accumulate((len(chunk) for chunk in array.chunks), initial=0)
            chunks = [cls._trusted(*arrow_buffers(pa, chunk, start))
                      for chunk, start in zip(array.chunks, starts)]
            return cls.concat(chunks)
        if isinstance(array, pa.Array):
            return cls._trusted(*arrow_buffers(pa, array, 0))
        raise TypeError(f"from_arrow takes a pyarrow Array or ChunkedArray, "
                        f"got {type(array).__name__}")

    @classmethod
    def from_dataset(cls, dataset: Any, *, column: str) -> "Pool":
        """A pool over one string or binary column of a Hugging Face ``datasets.Dataset``.

        Reads the dataset's Arrow table (``dataset.data.column(column)``) through
        :meth:`from_arrow`: zero-copy for a single-chunk column. A dataset with an indices
        mapping (after ``select``, ``shuffle``, ``filter``, ...) is taken in that order, which
        copies the column's values once. Needs the ``datasets`` package.
        """
        try:
            import datasets  # only for the type check: a Dataset is used through Arrow
        except ImportError:
            raise ImportError("Pool.from_dataset needs the 'datasets' package: "
                              "pip install datasets") from None
        if isinstance(dataset, datasets.DatasetDict):
            raise TypeError(f"from_dataset takes one split, e.g. dataset['train']; this "
                            f"DatasetDict has {sorted(dataset)}")
        if not isinstance(dataset, datasets.Dataset):
            raise TypeError(f"from_dataset takes a datasets.Dataset, got "
                            f"{type(dataset).__name__}")
        if column not in dataset.column_names:
            raise ValueError(f"the dataset has no column {column!r}; its columns: "
                             f"{dataset.column_names}")
        return cls.from_arrow(hf_column(dataset, column))

    @classmethod
    def concat(cls, pools: Iterable[EncodedPool]) -> "Pool":
        """One pool of the samples of ``pools``, in order: a new buffer (a copy of the bytes),
        except for a single pool, returned as a Pool without copying; none gives an empty
        pool. Pools may view windows of larger buffers (offsets not starting at 0)."""
        parts = list(pools)
        for part in parts:
            if not isinstance(part, EncodedPool):
                raise TypeError(f"Pool.concat takes pools, got {type(part).__name__}: make one "
                                "with zipcore.Pool.from_samples")
        if len(parts) == 1:
            only = parts[0]
            return only if type(only) is cls else cls(only.data, only.offsets)
        data = np.concatenate([np.empty(0, dtype=np.uint8)]
                              + [p.data[p.offsets[0]:p.offsets[-1]] for p in parts])
        offsets, base = [np.zeros(1, dtype=np.int64)], 0
        for p in parts:
            offsets.append(p.offsets[1:] - p.offsets[0] + base)
            base += int(p.offsets[-1] - p.offsets[0])
        return cls._trusted(data, np.concatenate(offsets).astype(np.int64, copy=False))

    # --- using -------------------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        """Bytes of all samples (the buffer may be larger)."""
        return int(self.offsets[-1])

    def lengths(self) -> np.ndarray:
        """Each sample's length in bytes (int64)."""
        return np.diff(self.offsets)

    def sample(self, index: int) -> bytes:
        """A copy of sample ``index``'s bytes (an integer in ``0..len-1``: no wrapping, as
        :meth:`take`)."""
        i = integer("index", index, minimum=None)  # int() made 1.7 sample 1, True sample 1
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} is out of range for a pool of {len(self)}")
        return self.data[self.offsets[i]:self.offsets[i + 1]].tobytes()

    def __getitem__(self, index: Any) -> bytes:
        if isinstance(index, slice):
            raise TypeError("a Pool is not sliced: pool.take(range(i, j)) copies samples i..j-1")
        return self.sample(index)

    def __iter__(self) -> Iterator[bytes]:
        return (self.sample(i) for i in range(len(self)))

    def take(self, indices: Iterable[Any]) -> "Pool":
        """A new pool of the samples at ``indices``, in that order (copies their bytes):
        e.g. ``compression_ratio(pool.take(select(pool, ...)))``."""
        order = checked_indices(indices, len(self))
        starts, ends = self.offsets[order], self.offsets[order + 1]
        offsets = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(ends - starts, out=offsets[1:])
        data = np.empty(int(offsets[-1]), dtype=np.uint8)
        for start, end, at in zip(starts.tolist(), ends.tolist(), offsets.tolist()):
            data[at:at + end - start] = self.data[start:end]
        return type(self)._trusted(data, offsets)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EncodedPool):
            return NotImplemented
        return (len(self) == len(other)
                and np.array_equal(self.offsets, other.offsets)
                and np.array_equal(self.data[:self.nbytes], other.data[:int(other.offsets[-1])]))

    __hash__ = None  # type: ignore[assignment]  # equal by content, and not immutable content

    def __repr__(self) -> str:
        n = len(self)
        return f"Pool({n} sample{'s' if n != 1 else ''}, {self.nbytes} bytes)"


class PoolBuilder:
    """Appends samples into one growing buffer; :meth:`finish` hands it to a Pool uncopied.

    The buffer is a ``bytearray`` and the offsets an ``array('q')``: both grow in place
    (realloc, by about 1/8 each time), so building holds the samples once, never a list of
    per-sample objects.
    """

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("q", [0])

    def __len__(self) -> int:
        return len(self._ends) - 1

    @property
    def nbytes(self) -> int:
        return len(self._data)

    def append(self, sample: bytes) -> None:
        """Adds one sample."""
        self._data += sample
        self._ends.append(len(self._data))

    def extend_last(self, more: bytes) -> None:
        """Appends ``more`` to the last sample (a preference pair's second member)."""
        if len(self) == 0:
            raise IndexError("extend_last needs a sample to extend")
        self._data += more
        self._ends[-1] = len(self._data)

    def append_many(self, data: Any, offsets: np.ndarray) -> None:
        """Adds the samples ``data[offsets[i]:offsets[i+1]]`` at once (an Arrow batch)."""
        offsets = np.asarray(offsets, dtype=np.int64)
        if len(offsets) < 2:
            return
        base = len(self._data) - int(offsets[0])
        self._data += memoryview(data)[int(offsets[0]):int(offsets[-1])]
        self._ends.frombytes((offsets[1:] + base).astype(np.int64).tobytes())

    def finish(self) -> Pool:
        """The pool; the builder must not be used afterwards (its buffer is now the pool's)."""
        data = np.frombuffer(self._data, dtype=np.uint8)
        offsets = np.frombuffer(self._ends, dtype=np.int64)
        self._data, self._ends = bytearray(), array("q", [0])
        return Pool._trusted(data, offsets)


def hf_column(dataset: Any, name: str) -> Any:
    """A ``datasets.Dataset``'s column as a pyarrow ChunkedArray, in the dataset's row order
    (a dataset with an indices mapping, after ``select``, ``shuffle``, ``filter``..., is taken
    in that order, which copies the column once)."""
    values = dataset.data.column(name)
    mapping = getattr(dataset, "_indices", None)  # set by select/shuffle/filter/...
    if mapping is not None:
        values = values.take(mapping.column(0))
    return values

