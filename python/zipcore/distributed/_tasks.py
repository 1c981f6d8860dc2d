"""What runs inside Ray workers for :mod:`zipcore.distributed` (the driver side is there).

Every function here is a pure function of its arguments: reading a file, scoring, routing and
selecting give the same output on every attempt, so a task Ray reruns after its worker died
returns what the first attempt would have. No module-level Ray import: the functions are
wrapped with ``ray.remote`` (or handed to ``map_batches``) by the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .. import _core
from .._core import ZipcoreError
from ..pool import Pool
from ..params import Codec, ZipParams

FaultHook = Callable[[str, int], None]


@dataclass(frozen=True)
class TaskParams:
    """What every task needs: the ZIP parameters and the cores it reserved."""

    k1: int
    k2: int
    k3: int
    codec: Codec
    level: int
    cpus: int
    hook: Optional[FaultHook] = None
    """Tests only: called as ``hook(stage, shard)`` when a shard or merge task starts."""


# --- shard assignment ------------------------------------------------------------------------

_GOLDEN = 0x9E3779B97F4A7C15
_SEED_MIX = 0xD1B54A32D192ED03


def shard_of(indices: Any, seed: int, shards: int) -> np.ndarray:
    """The shard (int64, ``0..shards-1``) of each global index: the splitmix64 output
    ``mix((index + 1) * 0x9E3779B97F4A7C15 + seed * 0xD1B54A32D192ED03)`` (mod 2**64) mod
    ``shards``: a uniformly random partition, fixed by ``seed``, computed alike everywhere."""
    x = np.asarray(indices, dtype=np.uint64).reshape(-1)
    if shards == 1:
        return np.zeros(len(x), dtype=np.int64)
    seed_array = np.array([seed % (1 << 64)], dtype=np.uint64)  # arrays wrap without warnings
    x = (x + np.uint64(1)) * np.uint64(_GOLDEN) + seed_array * np.uint64(_SEED_MIX)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x % np.uint64(shards)).astype(np.int64)


# --- engine calls ----------------------------------------------------------------------------

def _select_scored(table: Any, budget: int, p: TaskParams) -> dict[str, Any]:
    """``zipcore.select(pool, budget, ...)`` over a table's ``sample`` column given its
    stage-1 ``score``s: the engine starts at round 1 from the loop state it would have reached
    itself (the state a checkpoint holds), so the selection is the same, without scoring every
    sample again."""
    pool, scores = Pool.from_arrow(table.column("sample")), table.column("score").to_numpy()
    params = ZipParams(budget, p.k1, p.k2, p.k3, p.codec, p.level, p.cpus).for_pool(len(pool))
    n = len(pool)
    start = _core.ResumeState(order=np.empty(0, dtype=np.int64), global_=scores, alone=scores,
                              eligible=np.ones(n, dtype=np.uint8), available=n, rounds=0)
    return _core.select(pool.data, pool.offsets, params.budget, params.k1, params.k2, params.k3,
                        params.threads, params.codec, params.level, None, start, None)


def _scored_table(pool: Pool, p: TaskParams) -> Any:
    """The pool's samples and ZIP's stage-1 scores ``ratio([s])`` exactly as the engine keeps
    them (float32): a candidate scored against an empty selection is scored alone."""
    import pyarrow as pa

    scores = np.asarray(_core.candidate_ratios(
        pool.data, pool.offsets, np.empty(0, dtype=np.int64), np.arange(len(pool), dtype=np.int64),
        p.cpus, p.codec, p.level), dtype=np.float32)
    return pa.table({"sample": arrow_samples(pool),
                     "score": pa.array(scores, type=pa.float32())})


def arrow_samples(pool: Pool) -> Any:
    """The pool's samples as a pyarrow ``large_binary`` array over its buffers, not copied
    (only the bytes up to its last sample: a block of a larger buffer carries no more)."""
    import pyarrow as pa

    values = pa.py_buffer(pool.data[:int(pool.offsets[-1])])
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(pool), [None, pa.py_buffer(pool.offsets), values])


# --- step 1: the Ray Data map ----------------------------------------------------------------

def score_files(batch: Any, *, options: dict[str, Any], p: TaskParams,
                layout: Optional[tuple[str, bool]] = None) -> Any:
    """A batch of ``path`` rows -> each file's samples (zipcore's reader) and their scores.
    ``layout``: the first input's name and whether it holds preference pairs, which every
    file must match (:func:`~zipcore.io.readers.check_pair_layout`)."""
    import pyarrow as pa

    from ..io.readers import check_pair_layout, read_pool

    tables = []
    for path in batch.column("path").to_pylist():
        try:  # with the cores this task reserved, never more (read_pool's default is all)
            source = read_pool(path, threads=p.cpus, **options)
        except OSError as exc:  # Ray's wrapper loses the file's name
            raise ZipcoreError(f"{path}: {exc.strerror or exc}") from None
        if layout is not None and source.records:
            check_pair_layout(path, source.pairs, *layout)
        tables.append(_scored_table(source.pool, p))
    return pa.concat_tables(tables)


def score_rows(batch: Any, *, column: Optional[str], options: dict[str, Any],
               p: TaskParams) -> Any:
    """A batch of a Ray Dataset -> its samples (a text column's bytes, or each row as a
    record) and their scores."""
    from ..io.encoder import PoolEncoder
    from ..io.formats import RecordError

    if column is not None:
        if column not in batch.column_names:
            raise ValueError(f"the dataset has no column {column!r}; its columns: "
                             f"{batch.column_names}")
        return _scored_table(Pool.from_arrow(batch.column(column)), p)
    encoder = PoolEncoder(options["format"], text_field=options["text_field"] or "text",
                          template=options["template"], pairs=False)
    try:
        for record in batch.to_pylist():
            encoder.add(record)
    except RecordError as exc:
        raise RecordError(exc.index, f"of a batch {exc.problem}") from None
    return _scored_table(encoder.finish()[0], p)


# --- step 2: route, select per shard, merge --------------------------------------------------

def rows(table: Any) -> int:
    return int(table.num_rows)


def route(table: Any, start: int, seed: int, shards: int) -> Any:
    """One block (its first global index is ``start``) split by shard, each part with an
    ``index`` column; a tuple of ``shards`` tables (one table for one shard)."""
    import pyarrow as pa

    indices = np.arange(start, start + table.num_rows, dtype=np.int64)
    table = table.append_column("index", pa.array(indices))
    owner = shard_of(indices, seed, shards)
    parts = tuple(table.take(pa.array(np.flatnonzero(owner == s))) for s in range(shards))
    return parts if shards > 1 else parts[0]


def select_shard(shard: int, budget: int, p: TaskParams, *parts: Any
                 ) -> tuple[Any, dict[str, Any]]:
    """ZIP over one shard (its parts, in block order, are in global-index order): the picks
    (``sample``, ``score``, ``index``) in selection order, and their indices and time."""
    import pyarrow as pa

    if p.hook is not None:
        p.hook("shard", shard)
    table = pa.concat_tables(parts)
    raw = _select_scored(table, budget, p)
    picks = table.take(pa.array(raw["indices"]))
    return picks, {"indices": picks.column("index").to_numpy(), "seconds": raw["wall_seconds"]}


def merge(budget: int, p: TaskParams, *picks: Any) -> np.ndarray:
    """ZIP over the union of the shards' picks, ordered by global index: global indices."""
    import pyarrow as pa

    if p.hook is not None:
        p.hook("merge", 0)
    union = pa.concat_tables(picks).sort_by("index")
    raw = _select_scored(union, budget, p)
    chosen: np.ndarray = union.column("index").to_numpy()[raw["indices"]]
    return chosen


def selection_output(path: str, indices: np.ndarray, options: dict[str, Any],
                     compress: bool) -> dict[str, Any]:
    """What ``zipcore select`` writes for ``indices`` of one file (see the driver's
    :func:`zipcore.distributed.selection_output`)."""
    from ..io.readers import read_pool
    from ..measure import compression_ratio

    source = read_pool(path, threads=1, **options)  # the task reserved one core
    chunks = source.selection_chunks(indices, compression="gzip" if compress else None)
    return {"data": b"".join(chunks),
            "records": source.record_indices(indices),
            "ratio": compression_ratio(source.pool.take(indices)),
            "samples": len(source), "pairs": source.pairs}
