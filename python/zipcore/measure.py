"""R, the entropy law's compression ratio, measured by the engine: the package's one answer.

R of a group of samples is raw bytes / compressed bytes of the group ``[s0, s1, ...]``, framed
exactly as ZIP frames it (``../shared/SPEC.md``; the bytes are the engine's, exposed as
``_core.GROUP_OPEN``, ``GROUP_SEPARATOR`` and ``GROUP_CLOSE``). The engine compresses the group
from the pool's buffer, never building it (zstd's compressor keeps its window, up to the group's
size), with the GIL released, in one of three ways:

* ``exact`` zlib: one zlib-9 stream over the whole group, equal byte for byte to
  ``len(zlib.compress(group, 9))``. One core per group.
* ``parallel`` zlib, for large groups: the group is cut into fixed-size chunks, each chunk is
  raw-deflated at level 9 on its own thread, primed with the 32 KB before it (deflate's whole
  window, so almost every match the single stream finds is found again), flushed to a byte
  boundary, and the sizes are summed with the zlib header and trailer. The chunks concatenate
  into a valid zlib stream of the group, so the size is that of a real compressed file. The
  chunk size is fixed, not derived from the thread count, so R does not depend on ``threads``.
  Measured within 0.016 % of the exact value on the real pools; the stated bound is 0.1 %
  (``PARALLEL_BOUND``, docs/entropy_law.md).
* ``zstd``: one zstd frame at ``level`` (default 3) from the engine's libzstd, with a window
  covering the whole group (up to 2 GiB) and long-distance matching, so repeats far apart count,
  which zlib's 32 KB window cannot see. One core per group.

Several groups (``dataset_ratios``, R per source) share one pass of the engine's thread pool.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np

from . import _core
from ._core import ZipcoreError
from ._log import log
from ._pool import EncodedPool, checked_indices
from .params import codec_level, flag, integer, thread_count
from .pool import Pool
from .samples import Samples, as_pool

EXACT_LIMIT = 32 << 20
"""Groups up to this many bytes get the exact single-stream zlib value by default (about 1.5 s
at zlib-9's 22 MB/s on the real pools); larger ones the parallel path."""

CHUNK_SIZE = 1 << 20
"""Bytes per chunk of the parallel path: 64 chunks for a 64 MB pool, enough to keep 16 cores
busy, and each adds only a flush and a restart of the block statistics."""

MIN_CHUNK_SIZE = 256 << 10
"""Smaller chunks would cost more than the stated bound (about 0.3 % at 64 KB)."""

PARALLEL_BOUND = 0.001
"""Stated bound on ``|parallel / exact - 1|`` of the compressed size (so of R) for chunks of at
least ``MIN_CHUNK_SIZE``. Measured on the seven real files in ../shared/data: at most 0.016 %
with the default 1 MiB chunks, 0.053 % with 256 KiB chunks."""

_FRAMING = len(_core.GROUP_OPEN) + len(_core.GROUP_CLOSE)


@dataclass(frozen=True)
class RatioResult:
    """One group's sizes and how they were measured."""

    samples: int
    bytes: int
    """Bytes of the framed group ``[s0, s1, ...]``."""
    compressed: int
    codec: str
    """``zlib-9`` or ``zstd-<level>``."""
    method: str
    """``exact`` (one stream over the whole group) or ``parallel`` (chunked zlib)."""

    @property
    def ratio(self) -> float:
        """R = bytes / compressed bytes (higher = more redundant)."""
        return self.bytes / self.compressed

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["ratio"] = self.ratio
        return row


def compression_ratio(samples: Samples, *, column: Optional[str] = None) -> float:
    """The entropy law's R: raw bytes / zlib-9 bytes of the whole group ``[s0, s1, ...]``.

    ``samples`` and ``column`` as in :func:`zipcore.select` (a DataFrame, Arrow table or
    ``datasets.Dataset`` needs ``column=``). Byte framing as in :func:`zipcore.select`. Equals
    ``len(b) / len(zlib.compress(b, 9))`` for ``b = b"[" + b", ".join(sample_bytes) + b"]"``
    (a double, not rounded to float32).
    """
    return dataset_ratio(samples, column=column, exact=True).ratio


def dataset_ratio(samples: Samples, *, column: Optional[str] = None,
                  **options: Any) -> RatioResult:
    """R of a whole dataset, the group ``[s0, s1, ...]`` (see the module docstring).

    Args:
        samples: dict records (framed as ``repr``), ``str``, ``bytes`` (any iterable of them),
            a pool, or what :func:`zipcore.select` takes (a DataFrame, Arrow data, a
            ``datasets.Dataset``); at least one (ZipcoreError: R of no samples is undefined).
        column: the text column of a table, as in :func:`zipcore.select`.
        codec: ``"zlib"`` (level 9, as the paper and ZIP) or ``"zstd"``.
        level: zlib: 9 only; zstd: 1..22, default 3.
        exact: zlib only (ValueError with zstd). ``True`` always compresses one stream,
            ``False`` always takes the parallel path, ``None`` (default) decides by size: exact
            up to ``exact_limit`` bytes.
        exact_limit: see ``exact`` (default ``EXACT_LIMIT``).
        chunk_size: bytes per chunk of the parallel path (at least ``MIN_CHUNK_SIZE``).
        threads: threads for the engine; ``None`` = every core this process may use. The
            result does not depend on it.
    """
    check_options(options, "dataset_ratio")
    return pool_ratios(as_pool(samples, column), None, **options)[0]


def dataset_ratios(groups: Iterable[Any], *, column: Optional[str] = None,
                   **options: Any) -> list[RatioResult]:
    """:func:`dataset_ratio` of several groups at once, all on one pass of the thread pool."""
    check_options(options, "dataset_ratios")
    pools = [as_pool(group, column) for group in groups]
    if not pools:
        return []
    bounds = np.cumsum([0] + [len(p) for p in pools])
    members = [np.arange(lo, hi, dtype=np.int64) for lo, hi in zip(bounds[:-1], bounds[1:])]
    return pool_ratios(Pool.concat(pools), members, **options)  # windows of larger buffers too


def check_options(options: dict[str, Any], caller: str, *takers: Callable[..., Any]) -> None:
    """TypeError naming ``caller`` (what the user called) for an option that neither
    :func:`pool_ratios` nor one of ``takers`` has as a keyword-only parameter, before any
    work."""
    known = {name for taker in (pool_ratios, *takers)
             for name, parameter in inspect.signature(taker).parameters.items()
             if parameter.kind is parameter.KEYWORD_ONLY}
    for name in options:
        if name not in known:
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}")


def pool_ratios(
    pool: EncodedPool,
    groups: Optional[Sequence[Any]],
    *,
    codec: str = "zlib",
    level: Optional[int] = None,
    exact: Optional[bool] = None,
    exact_limit: int = EXACT_LIMIT,
    chunk_size: int = CHUNK_SIZE,
    threads: Optional[int] = None,
) -> list[RatioResult]:
    """R of groups of ``pool``'s samples: each group a sequence of sample indices, in the order
    they are framed (``None``: one group, the whole pool in order). Options as
    :func:`dataset_ratio`. ZipcoreError for an empty group: R (bytes / compressed bytes) of no
    samples is undefined, and the 2-byte group ``[]`` would give a made-up 0.2."""
    codec, level = codec_level(codec, level)  # select's rules: zlib 9 only, zstd 1..22
    chunk_size = integer("chunk_size", chunk_size, minimum=MIN_CHUNK_SIZE)
    exact_limit = integer("exact_limit", exact_limit, minimum=0)
    exact = flag("exact", exact, none=True)
    if codec == "zstd" and exact is not None:
        raise ValueError("exact chooses how zlib's R is computed; zstd's is always one stream "
                         "over the whole group: leave exact out")
    members = None if groups is None else [checked_indices(g, len(pool)) for g in groups]
    lengths = np.diff(pool.offsets)
    group_lengths = [lengths] if members is None else [lengths[m] for m in members]
    counts = [len(group) for group in group_lengths]
    sizes = [int(group.sum()) + _FRAMING + len(_core.GROUP_SEPARATOR) * max(len(group) - 1, 0)
             for group in group_lengths]
    if 0 in counts:
        raise ZipcoreError("there are no samples: R of an empty group is undefined")
    chunked = [codec == "zlib" and (exact is False or (exact is None and size > exact_limit))
               for size in sizes]
    count = thread_count(threads)
    started = time.perf_counter()
    measured = _core.group_sizes(pool.data, pool.offsets, members, codec, level,
                                 [chunk_size if c else 0 for c in chunked], count)
    log.debug("measured %d group(s) of %d samples (%d bytes) by %s-%d on %d threads in %.3f s",
              len(sizes), sum(counts), sum(sizes), codec, level, count,
              time.perf_counter() - started)
    name = "zlib-9" if codec == "zlib" else f"zstd-{level}"
    return [RatioResult(n, raw, compressed, name, "parallel" if c else "exact")
            for n, (raw, compressed), c in zip(counts, measured, chunked)]
