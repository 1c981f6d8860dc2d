"""The entropy law's R for whole datasets: raw bytes / compressed bytes of the group.

The group ``[s0, s1, ...]`` is framed exactly as ZIP frames it (``../shared/SPEC.md``):
``b"[" + b", ".join(r_i) + b"]"`` with a record's bytes ``repr(record)`` in UTF-8. Three ways
to compress it:

* ``exact`` zlib: one zlib-9 stream over the whole group, equal byte for byte to
  ``len(zlib.compress(group, 9))`` (and so to :func:`zipcore.compression_ratio`). One core.
* ``parallel`` zlib, for large groups: the group is cut into fixed-size chunks, each chunk is
  raw-deflated at level 9 on its own thread, primed with the 32 KB before it (deflate's whole
  window, so almost every match the single stream finds is found again), flushed to a byte
  boundary, and the sizes are summed with the zlib header and trailer. The chunks concatenate
  into a valid zlib stream of the group, so the size is that of a real compressed file. The
  chunk size is fixed, not derived from the thread count, so R does not depend on ``threads``.
  Measured within 0.016 % of the exact value on the real pools; the stated bound is 0.1 %
  (``PARALLEL_BOUND``, docs/entropy_law.md).
* ``zstd``: one zstd frame at ``level`` (default 3) with a window covering the whole group (up
  to 2 GiB) and long-distance matching, so repeats far apart count, which zlib's 32 KB window
  cannot see. Single-threaded: zstd's multithreaded mode compresses differently.

Python's ``zlib`` and ``zstandard`` release the GIL while they compress, so the chunks (and the
groups of :func:`ratio_by_source`) run in parallel on a plain thread pool.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np

from ._core import ZipcoreError
from .params import codec_level, thread_count
from ._pool import EncodedPool, sample_bytes
from .formats import json_text, json_type
from .readers import read_pool


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


WINDOW = 32 << 10  # deflate's window: what a chunk is primed with
_PIECE = 1 << 20  # the exact stream is fed in pieces, so its output never piles up in memory
_ZLIB_HEADER = b"\x78\xda"  # zlib header for window bits 15, level 9
_ZLIB_OVERHEAD = 6  # the 2-byte header and the 4-byte Adler-32 trailer
NO_SOURCE = "(no source)"
"""The label of the group of records that have no ``source`` field (and of str, bytes and pool
samples)."""

SourceKey = tuple[str, str]
"""What a record is grouped under: (``"string"``, the source) for a string source, (its JSON type,
its JSON text) for any other (``("number", "3")``, ``("null", "null")``), ``("none", "")``
without one: keys of different kinds never collide (``3`` is not ``"3"``, a source literally
``"(no source)"`` is not a missing one)."""


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


@dataclass(frozen=True)
class SourceRatio(RatioResult):
    """A :class:`RatioResult` for the records of one ``source`` value."""

    source: str = NO_SOURCE


def group_bytes(samples: Any) -> bytes:
    """The framed group ``b"[" + b", ".join(sample_bytes) + b"]"`` that ZIP compresses."""
    return _framed(samples)[0]


def _framed(samples: Any) -> tuple[Any, int]:
    """The framed group and its number of samples (``samples`` may be any iterable)."""
    if isinstance(samples, EncodedPool):
        return _pool_group_bytes(samples), len(samples)
    items = _sample_list(samples)
    return b"[" + b", ".join(items) + b"]", len(items)


def _pool_group_bytes(pool: EncodedPool) -> bytearray:
    # One allocation the size of the group: a GB-scale pool is not copied sample by sample.
    n = len(pool)
    offsets = pool.offsets
    data = memoryview(np.ascontiguousarray(pool.data)).cast("B")
    out = bytearray(int(offsets[-1]) + 2 * max(n - 1, 0) + 2)
    out[0:1] = b"["
    pos = 1
    for i, (start, end) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist())):
        if i:
            out[pos:pos + 2] = b", "
            pos += 2
        out[pos:pos + end - start] = data[start:end]
        pos += end - start
    out[pos:pos + 1] = b"]"
    return out


def _sample_list(samples: Any) -> list[bytes]:
    if isinstance(samples, EncodedPool):
        data = samples.data.tobytes()
        offsets = samples.offsets.tolist()
        return [data[offsets[i]:offsets[i + 1]] for i in range(len(samples))]
    if isinstance(samples, (str, bytes, bytearray, Mapping)):
        raise TypeError(
            f"samples must be a sequence of samples, not a single {type(samples).__name__}")
    return [sample_bytes(s, i) for i, s in enumerate(samples)]


# --- compressors: each returns a compressed size, releasing the GIL inside zlib/zstd -----------

def _exact_zlib_size(group: memoryview) -> int:
    compressor = zlib.compressobj(9)
    size = 0
    for start in range(0, len(group), _PIECE):
        size += len(compressor.compress(group[start:start + _PIECE]))
    return size + len(compressor.flush(zlib.Z_FINISH))


def _deflate_chunk(group: memoryview, start: int, end: int) -> bytes:
    """Raw deflate of ``group[start:end]`` primed with the window before it.

    Every chunk but the last ends with a sync flush (an empty stored block, byte aligned), the
    last one with the final block, so the chunks concatenate into one deflate stream.
    """
    if start == 0:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 8)
    else:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY,
                                      group[max(0, start - WINDOW):start])
    out = compressor.compress(group[start:end])
    return out + compressor.flush(zlib.Z_FINISH if end == len(group) else zlib.Z_SYNC_FLUSH)


def _chunk_bounds(size: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(s, min(s + chunk_size, size)) for s in range(0, max(size, 1), chunk_size)]


def _zstd_size(group: memoryview, level: int) -> int:
    zstandard = require_zstandard()
    window_log = min(max(math.ceil(math.log2(max(len(group), 1))), zstandard.WINDOWLOG_MIN),
                     zstandard.WINDOWLOG_MAX)
    params = zstandard.ZstdCompressionParameters.from_level(
        level, source_size=len(group), window_log=window_log, enable_ldm=True)
    return len(zstandard.ZstdCompressor(compression_params=params).compress(group))


def require_zstandard() -> Any:
    try:
        import zstandard
    except ImportError:
        raise ImportError("--codec zstd needs the zstandard package, which is not installed; "
                          "install it with: pip install zstandard") from None
    return zstandard


def parallel_zlib_stream(group: bytes, *, chunk_size: int = CHUNK_SIZE,
                         threads: Optional[int] = None) -> bytes:
    """The zlib stream whose size the parallel path reports (for checking; it keeps all output).

    ``zlib.decompress`` of it gives ``group`` back.
    """
    view = memoryview(group)
    parts = _run([lambda s=s, e=e: _deflate_chunk(view, s, e)
                  for s, e in _chunk_bounds(len(view), _check_chunk(chunk_size))],
                 thread_count(threads))
    return _ZLIB_HEADER + b"".join(parts) + zlib.adler32(group).to_bytes(4, "big")


# --- planning and running -------------------------------------------------------------------

Job = tuple[int, Callable[[], Any]]  # (bytes it compresses, the work): heaviest run first


@dataclass
class _Plan:
    """The compression jobs of one group; its size is the sum of theirs plus ``overhead``."""

    samples: int
    bytes: int
    codec: str
    method: str
    jobs: list[Job]
    overhead: int = 0


def _plan(group: bytes, samples: int, codec: str, level: int, exact: Optional[bool],
          exact_limit: int, chunk_size: int) -> _Plan:
    view = memoryview(group)
    if codec == "zstd":
        return _Plan(samples, len(group), f"zstd-{level}", "exact",
                     [(len(group), lambda: _zstd_size(view, level))])
    single = exact if exact is not None else len(group) <= exact_limit
    if single:
        return _Plan(samples, len(group), "zlib-9", "exact",
                     [(len(group), lambda: _exact_zlib_size(view))])
    jobs: list[Job] = [(e - s, lambda s=s, e=e: len(_deflate_chunk(view, s, e)))
                       for s, e in _chunk_bounds(len(view), chunk_size)]
    return _Plan(samples, len(group), "zlib-9", "parallel", jobs, _ZLIB_OVERHEAD)


def _run(jobs: Sequence[Callable[[], Any]], threads: int) -> list[Any]:
    """Runs ``jobs`` on ``threads`` threads, started in list order; results in list order."""
    if threads == 1 or len(jobs) <= 1:
        return [job() for job in jobs]
    executor = ThreadPoolExecutor(max_workers=min(threads, len(jobs)),
                                  thread_name_prefix="zipcore-ratio")
    try:
        futures: list[Future] = [executor.submit(job) for job in jobs]
        return [future.result() for future in futures]
    finally:
        # On Ctrl-C or an error, drop the queued chunks instead of compressing them all first.
        executor.shutdown(wait=True, cancel_futures=True)


def _execute(plans: Sequence[_Plan], threads: int) -> list[RatioResult]:
    flat = [(weight, i, job) for i, plan in enumerate(plans) for weight, job in plan.jobs]
    # Heaviest first, so no thread is left with a big group at the end; sums are exact
    # integers, so the order changes nothing in the result.
    flat.sort(key=lambda item: -item[0])
    sizes = _run([job for _, _, job in flat], threads)
    totals = [plan.overhead for plan in plans]
    for (_, i, _), size in zip(flat, sizes):
        totals[i] += size
    return [RatioResult(p.samples, p.bytes, total, p.codec, p.method)
            for p, total in zip(plans, totals)]


def _check_chunk(chunk_size: int) -> int:
    if (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
            or chunk_size < MIN_CHUNK_SIZE):
        raise ValueError(f"chunk_size must be an integer of at least {MIN_CHUNK_SIZE} bytes, "
                         f"got {chunk_size!r}")
    return chunk_size


# --- public API ------------------------------------------------------------------------------

def dataset_ratio(
    samples: Any,
    *,
    codec: str = "zlib",
    level: Optional[int] = None,
    exact: Optional[bool] = None,
    exact_limit: int = EXACT_LIMIT,
    chunk_size: int = CHUNK_SIZE,
    threads: Optional[int] = None,
) -> RatioResult:
    """R of a whole dataset, the group ``[s0, s1, ...]`` (see the module docstring).

    Args:
        samples: dict records (framed as ``repr``), ``str``, ``bytes`` (any iterable of them),
            or an ``EncodedPool``; at least one (ZipcoreError: R of no samples is undefined).
        codec: ``"zlib"`` (level 9, as the paper and ZIP) or ``"zstd"``.
        level: zlib: 9 only; zstd: 1..22, default 3.
        exact: zlib only. ``True`` always compresses one stream, ``False`` always takes the
            parallel path, ``None`` decides by size: exact up to ``exact_limit`` bytes.
        chunk_size: bytes per chunk of the parallel path (at least 256 KiB).
        threads: threads for the parallel path; ``None`` = every core this process may use.
            The result does not depend on it.
    """
    return dataset_ratios([samples], codec=codec, level=level, exact=exact,
                          exact_limit=exact_limit, chunk_size=chunk_size, threads=threads)[0]


def dataset_ratios(groups: Iterable[Any], **options: Any) -> list[RatioResult]:
    """:func:`dataset_ratio` of several groups at once, all their jobs on one thread pool.

    ZipcoreError for an empty group: R (bytes / compressed bytes) of no samples is undefined,
    and the 2-byte group ``[]`` would give a made-up 0.2."""
    framed = [_framed(g) for g in groups]
    if any(n == 0 for _, n in framed):
        raise ZipcoreError("there are no samples: R of an empty group is undefined")
    return _ratios_of_bytes(framed, **options)


def _ratios_of_bytes(
    groups: Sequence[tuple[bytes, int]],
    *,
    codec: str = "zlib",
    level: Optional[int] = None,
    exact: Optional[bool] = None,
    exact_limit: int = EXACT_LIMIT,
    chunk_size: int = CHUNK_SIZE,
    threads: Optional[int] = None,
) -> list[RatioResult]:
    codec, level = codec_level(codec, level)  # select's rules: zlib 9 only, zstd 1..22
    chunk_size = _check_chunk(chunk_size)
    if isinstance(exact_limit, bool) or not isinstance(exact_limit, int):
        raise TypeError(f"exact_limit must be an integer number of bytes, got {exact_limit!r}")
    if exact_limit < 0:
        raise ValueError(f"exact_limit must be a non-negative number of bytes, got {exact_limit}")
    if exact is not None and not isinstance(exact, bool):
        raise TypeError(f"exact must be True, False or None, got {exact!r}")
    plans = [_plan(data, n, codec, level, exact, exact_limit, chunk_size) for data, n in groups]
    return _execute(plans, thread_count(threads))


def source_key(sample: Any, prefix: bool = False) -> SourceKey:
    """The :data:`SourceKey` a sample is grouped under; ``prefix`` cuts a string source at its
    first ``/`` (:func:`source_prefix`)."""
    if not (isinstance(sample, Mapping) and "source" in sample):
        return ("none", "")
    value = sample["source"]
    if isinstance(value, str):
        return ("string", source_prefix(value) if prefix else value)
    return (json_type(value), json_text(value))


def source_label(key: SourceKey) -> str:
    """How a group is shown: a string source as it is, ``(no source)``, or another value's JSON
    text with its type (``3 (JSON number)``, ``null (JSON null)``)."""
    kind, text = key
    if kind == "string":
        return text
    return NO_SOURCE if kind == "none" else f"{text} (JSON {kind})"


def source_of(sample: Any) -> str:
    """The label of the ``source`` a record is grouped under (:func:`source_label`)."""
    return source_label(source_key(sample))


def source_prefix(source: str) -> str:
    """``"alpaca_eval/claude"`` -> ``"alpaca_eval"``: the origin before the first ``/``."""
    return source.split("/", 1)[0]


def ratio_by_source(samples: Iterable[Any], *, prefix: bool = False,
                    **options: Any) -> list[SourceRatio]:
    """R of each ``source``'s records, framed and compressed as a group of their own.

    Grouped by :func:`source_key`, shown by :func:`source_label`; sorted by R, most redundant
    first (ties by label). ``prefix=True`` groups string sources by the part before the first
    ``/`` (``gsm8k/train`` and ``gsm8k/test`` together). Options as :func:`dataset_ratio`; the
    groups share one thread pool.
    """
    members: dict[SourceKey, list[Any]] = {}
    for sample in samples:
        members.setdefault(source_key(sample, prefix), []).append(sample)
    return _source_rows(list(members), dataset_ratios(list(members.values()), **options))


def _source_rows(keys: list[SourceKey], results: list[RatioResult]) -> list[SourceRatio]:
    rows = [SourceRatio(r.samples, r.bytes, r.compressed, r.codec, r.method, source_label(key))
            for key, r in zip(keys, results)]
    return sorted(rows, key=lambda row: (-row.ratio, row.source))


def file_ratios(path: Any, *, by: Optional[str] = None, records_key: Optional[str] = None,
                **options: Any) -> tuple[RatioResult, Optional[list[SourceRatio]]]:
    """R of a JSON list, JSONL or Parquet file, and with ``by`` of each source's records.

    Every record is one sample, framed as ``repr(record)`` (Parquet: each row as a dict). The
    file is read as a stream (:func:`zipcore.read_pool`, ``records_key`` as there); with
    ``by="source"`` (or ``"prefix"``, as :func:`ratio_by_source`'s ``prefix=True``) it is read
    once more for the sources only (Parquet: the ``source`` column). Options as
    :func:`dataset_ratio`. Returns the file's result and the source groups (None without
    ``by``). ZipcoreError naming the file when it has no records.
    """
    if by not in (None, "source", "prefix"):
        raise ValueError(f"by must be None, 'source' or 'prefix', got {by!r}")
    source = read_pool(path, format="record", pairs=False, records_key=records_key)
    if not len(source):
        raise ZipcoreError(f"{source.path}: no records: R of an empty file is undefined")
    if by is None:
        return dataset_ratio(source.pool, **options), None
    members: dict[SourceKey, list[int]] = {}
    for i, record in enumerate(source.iter_records(columns=["source"])):
        members.setdefault(source_key(record, by == "prefix"), []).append(i)
    keys = list(members)
    results = dataset_ratios([source.pool] + [source.pool.take(members[k]) for k in keys],
                             **options)
    return results[0], _source_rows(keys, results[1:])


def running_ratios(samples: Any, order: Sequence[int], ends: Iterable[int]) -> list[float]:
    """Exact zlib-9 R of the prefixes ``order[:end]`` for each ``end`` (ascending).

    One zlib stream runs over the selection; at each end a copy of it is finished, which gives
    ``len(zlib.compress(prefix_group, 9))`` exactly (deflate's output does not depend on how
    its input is split), so the cost is one pass over the selection, not one per prefix.
    """
    items = _sample_list(samples) if isinstance(samples, EncodedPool) else samples
    compressor = zlib.compressobj(9)
    raw = 1  # the opening "["
    compressed = len(compressor.compress(b"["))
    fed = 0
    ratios = []
    for end in ends:
        if not fed <= end <= len(order):
            raise ValueError(f"prefix ends must be ascending and within 0..{len(order)}, "
                             f"got {end} after {fed}")
        for position in range(fed, end):
            index = int(order[position])
            if not 0 <= index < len(items):
                raise IndexError(f"index {index} is out of range for {len(items)} samples")
            data = sample_bytes(items[index], index)
            piece = data if position == 0 else b", " + data
            raw += len(piece)
            compressed += len(compressor.compress(piece))
        fed = end
        tail = compressor.copy()
        total = compressed + len(tail.compress(b"]")) + len(tail.flush(zlib.Z_FINISH))
        ratios.append((raw + 1) / total)
    return ratios
