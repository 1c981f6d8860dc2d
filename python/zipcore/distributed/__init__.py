"""Sharded ZIP selection on a Ray cluster: a partition-and-merge (GreeDi-style) over shards.

For pools that outgrow one machine. Needs Ray (``pip install 'zipcore[ray]'``); ``import zipcore``
never imports it. A run has three steps, all on the cluster:

1. **Stage-1 scoring, a Ray Data map.** Every input file is read by one task with zipcore's own
   reader (:func:`zipcore.read_pool`: the same records, formats, pairs and sample bytes as
   ``zipcore select``), or a Ray Dataset is mapped batch by batch; the map computes each
   sample's ZIP stage-1 score ``ratio([s])``, which depends on the sample alone. Samples and
   scores stay in the object store. A sample's **global index** is its position in the inputs
   concatenated in the given order (a Ray Dataset: its row order, read with ``preserve_order``).
2. **Shards.** Sample ``i`` goes to shard :func:`shard_of` ``(i, seed, shards)``: a fixed
   64-bit hash of ``seed`` and ``i``, so the partition is uniformly random, independent of
   NumPy's or Ray's versions, and the same however Ray schedules the work. Each shard's samples
   move once, from the blocks that hold them to the shard's task, which runs ZIP locally
   (OpenMP on ``cpus_per_task`` cores) over its samples in global-index order, starting from
   their stage-1 scores, and keeps ``per_shard`` candidates (by default enough for the merge
   to have room to choose: :func:`default_per_shard`).
3. **Merge.** One more task runs ZIP over the union of the candidates (ordered by global index)
   and picks ``budget``. Only the candidates' bytes move here, and only indices to the driver.

The result depends only on the inputs, the parameters, ``seed`` and ``shards``. With one shard
the shard's selection of ``budget`` is the answer (there is nothing to merge): it equals
``zipcore.select`` on the same pool. With ``per_shard`` at least every shard's size, every
sample reaches the merge and the result again equals ``zipcore.select``. Otherwise ZIP's
objective is not known to be submodular, so the merge has no guarantee: see
``docs/distributed.md`` for the measured gap. Tasks are pure functions of their inputs, so a task
that Ray retries after a worker dies returns the same result.
"""

from __future__ import annotations

import contextlib
import math
import operator
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from . import _tasks as tasks
from .. import WHOLE_ROW
from .._pool import EncodedPool, index_array, is_arrow_text, plain_arrow_type
from .._stop import keep_sigterm_handler
from ._tasks import FaultHook, TaskParams, shard_of
from ..io import PathLike
from ..io.formats import resolve_format
from ..params import Codec, ZipParams, integer
from ..pool import Pool
from ..samples import as_pool

__all__ = ["DistributedResult", "connect", "default_per_shard", "require_ray", "select",
           "select_with_stats", "selection_output", "shard_of"]

INSTALL = "pip install 'zipcore[ray]'"
SHARD_SAMPLES = 1_000_000
"""Default shard size: ``shards`` defaults to ``ceil(samples / SHARD_SAMPLES)``."""

POOL_BLOCK = 1 << 16
"""Samples per block of the Ray Dataset made from an in-memory input (its stage-1 map tasks)."""



def require_ray() -> Any:
    """The ``ray`` module, or ImportError saying how to install it."""
    try:
        import ray
        import ray.data  # the extra installs ray[data]: fail now, not in a task
    except ImportError:
        raise ImportError(f"zipcore.distributed needs Ray: {INSTALL}") from None
    return ray


def connect(address: Optional[str] = None, **init_args: Any) -> None:
    """Joins a Ray cluster unless this process already has: ``None`` is Ray's default (the
    cluster in ``RAY_ADDRESS`` or the one ``ray start`` began here, else a new local one),
    ``"local"`` a new local instance, ``"auto"`` an existing cluster only, ``"ray://host:10001"``
    a remote cluster through Ray Client, ``"host:6379"`` a cluster this machine is part of."""
    ray = require_ray()
    if not ray.is_initialized():
        with keep_sigterm_handler():  # ray.init installs its own: exit(15) with no cleanup line
            ray.init(address=address or None, **init_args)


@dataclass(frozen=True)
class DistributedResult:
    """A sharded selection and how it was made (what :func:`select_with_stats` returns)."""

    indices: np.ndarray
    """Global indices (int64) in selection order."""
    samples: int
    """Samples in the pool (records, or preference pairs)."""
    shards: int
    per_shard: int
    """Candidates each shard kept (at most its size); with one shard, the budget."""
    shard_sizes: list[int]
    candidates: int
    """Samples that reached the merge (the union of the shards' picks)."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds of ``stage1`` (read and score), ``shards`` (route and select), ``merge``
    and ``total``."""
    shard_seconds: list[float] = field(default_factory=list)
    """Each shard task's selection time (in its worker)."""
    shard_indices: list[np.ndarray] = field(default_factory=list)
    """Each shard's picks (global indices, its selection order): the merge's candidates."""


def default_per_shard(budget: int, shards: int, k2: int = 200, k3: int = 100) -> int:
    """Candidates a shard keeps by default: enough that the merge's pool holds twice the
    ``budget * k2 / k3`` samples ZIP uses up to pick ``budget`` (each round removes k2 samples
    from the pool and keeps k3 of them). From a smaller union the merge's last rounds must take
    whatever is left (measured in docs/distributed.md)."""
    return max(1, math.ceil(2 * budget * k2 / (k3 * shards)))


def _shard_sizes(samples: int, seed: int, shards: int) -> np.ndarray:
    sizes = np.zeros(shards, dtype=np.int64)
    for start in range(0, samples, 1 << 20):  # bounded memory for huge pools
        stop = min(samples, start + (1 << 20))
        sizes += np.bincount(shard_of(np.arange(start, stop), seed, shards), minlength=shards)
    return sizes


# --- step 1: stage-1 scoring, a Ray Data map -------------------------------------------------

def _first_record(path: str, records_key: Optional[str]) -> Any:
    from ..io.jsonstream import iter_records, sniff

    kind = sniff(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        rows = next(pq.ParquetFile(path).iter_batches(batch_size=1), None)
        return rows.to_pylist()[0] if rows is not None and rows.num_rows else None
    records = iter_records(path, kind, records_key)
    try:
        return next(iter(records), (None,))[0]
    finally:
        getattr(records, "close", lambda: None)()


def _fix_format(first: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Resolves ``format="auto"`` from the first record, as one reader of the concatenated
    inputs would, so that every file and batch is read alike."""
    from ..io.formats import detect_format

    options = dict(options)
    if first is None or options.get("column") or options.get("template"):
        return options
    if options["format"] == "auto":
        options["format"] = detect_format(first)
        if options["format"] == "text":
            options["text_field"] = "text"
    return options


def _stage1(ray: Any, inputs: Any, options: dict[str, Any], p: TaskParams) -> tuple[Any, float]:
    """The inputs read and scored, materialized: a dataset of ``sample`` and ``score``."""
    start = time.perf_counter()
    if isinstance(inputs, ray.data.Dataset):
        if options.get("pairs"):
            raise ValueError("preference pairs are read from files only; a Ray Dataset's rows "
                             "are single samples")
        column = options.pop("column")
        options.pop("pairs")
        options.pop("records_key")
        if column is None and options["template"] is None and options["format"] == "auto":
            rows = inputs.take(1)
            options = _fix_format(rows[0] if rows else None, options)
        with _ordered(inputs.context):
            scored = inputs.map_batches(tasks.score_rows, batch_format="pyarrow",
                                        num_cpus=p.cpus, fn_kwargs={"column": column,
                                                                    "options": options, "p": p})
            return scored.materialize(), time.perf_counter() - start
    paths = _paths(inputs)
    layout = None  # the first file's name and whether it holds pairs, where others follow
    if len(paths) > 1:
        from ..io.encoder import is_pair_member

        # The first record of the inputs, as one reader of them all would see it.
        name, first = next(((path, record) for path in paths
                            if (record := _first_record(path, options["records_key"]))
                            is not None), (paths[0], None))
        options = _fix_format(first, options)
        if options["pairs"] is None and first is not None:
            layout = (name, is_pair_member(first))
    files = ray.data.from_items([{"path": path} for path in paths],
                                override_num_blocks=len(paths))
    with _ordered(files.context):
        scored = files.map_batches(tasks.score_files, batch_size=1, batch_format="pyarrow",
                                   num_cpus=p.cpus,
                                   fn_kwargs={"options": options, "p": p, "layout": layout})
        return scored.materialize(), time.perf_counter() - start


@contextlib.contextmanager
def _ordered(context: Any) -> Iterator[None]:
    """Runs a dataset with its blocks in order (global indices are positions) and with the
    map's own errors (a bad record, a missing file) raised as they are; restores the
    dataset's context afterwards (a user's dataset shares it with the datasets it came from)."""
    options = context.execution_options
    raw_errors = hasattr(context, "raise_original_map_exception")  # newer Ray only
    saved = options.preserve_order, raw_errors and context.raise_original_map_exception
    options.preserve_order = True
    if raw_errors:
        context.raise_original_map_exception = True
    try:
        yield
    finally:
        options.preserve_order = saved[0]
        if raw_errors:
            context.raise_original_map_exception = saved[1]


_PATH = (str, bytes, os.PathLike)


def _is_paths(inputs: Any) -> bool:
    """One path (``str``, ``bytes`` or path-like), or a list of ``str`` or path-like ones (a
    list of ``bytes`` is samples, as :func:`zipcore.select` reads it)."""
    return isinstance(inputs, _PATH) or (
        isinstance(inputs, Sequence) and len(inputs) > 0
        and all(isinstance(item, (str, os.PathLike)) for item in inputs))


def _paths(inputs: Any) -> list[str]:
    """What :func:`_is_paths` accepts (anything else was made a pool by select_with_stats)."""
    return [os.fsdecode(item) for item in ([inputs] if isinstance(inputs, _PATH) else inputs)]


def _record_options(format: str, text_field: Optional[str], column: Optional[str],
                    template: Optional[str], pairs: Optional[bool],
                    records_key: Optional[str] = None) -> dict[str, Any]:
    """Which bytes a record of a file or a row of a Ray Dataset contributes; ``column`` means
    what it means for :func:`zipcore.select` (``WHOLE_ROW``: the whole row as a record)."""
    if column == WHOLE_ROW:
        if format not in ("auto", "record") or text_field is not None or template is not None:
            raise ValueError("column=zipcore.WHOLE_ROW compresses each whole row: leave format, "
                             "text_field and template unset")
        column, format = None, "record"
    format, text_field = resolve_format(format, text_field=text_field, column=column,
                                        template=template)
    return {"format": format, "text_field": text_field if format == "text" else None,
            "column": column, "template": template, "pairs": pairs, "records_key": records_key}


def _check_column(dataset: Any, column: str) -> None:
    """A Ray Dataset's ``column`` must exist and hold text, checked on its schema before any
    work (as :func:`zipcore.select` checks a table's)."""
    schema = dataset.schema()
    if schema is None:
        return
    names = list(schema.names)
    if column not in names:
        raise ValueError(f"the Ray Dataset has no column {column!r}; its columns: {names}")
    import pyarrow as pa

    kind = schema.types[names.index(column)]
    if isinstance(kind, pa.DataType) and not is_arrow_text(pa, kind):
        plain = plain_arrow_type(pa, kind)
        fix = (f"the Ray tasks read it as it is stored: cast it to {plain} first"
               if is_arrow_text(pa, plain) else "cast or format the column first")
        raise TypeError(f"column {column!r} holds {kind} values, not text: zipcore selects on "
                        f"string or binary values ({fix})")


def _pool_dataset(ray: Any, pool: EncodedPool) -> Any:
    """An in-memory pool as a Ray Dataset of one ``sample`` column (large binary), in blocks of
    ``POOL_BLOCK`` samples, in order: each block views the pool's bytes until Ray copies it
    into the object store."""
    import pyarrow as pa

    return ray.data.from_arrow([
        pa.table({"sample": tasks.arrow_samples(Pool(pool.data,
                                                     pool.offsets[start:start + POOL_BLOCK + 1]))})
        for start in range(0, len(pool), POOL_BLOCK)])


# --- steps 2 and 3: shards and merge, Ray tasks ----------------------------------------------

def _node_cpus(ray: Any) -> list[int]:
    return [int(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node.get("Alive")]


def _default_cpus(ray: Any, shards: int) -> int:
    nodes = _node_cpus(ray)
    largest = max(nodes, default=1) or 1
    return max(1, min(largest, sum(nodes) // shards))


def _check_cpus(ray: Any, cpus_per_task: Optional[int]) -> None:
    """ValueError where no node has ``cpus_per_task`` CPUs: Ray would wait for one forever (on
    an autoscaling cluster, start a node that large first)."""
    largest = max(_node_cpus(ray), default=0)
    if cpus_per_task is not None and cpus_per_task > largest:
        raise ValueError(f"cpus_per_task={cpus_per_task}: no node of the Ray cluster has that "
                         f"many CPUs (the largest has {largest}), and a task waits for one")


_RETRY_NOTE = re.compile(r"\nFailed to .* after \d+/\d+ attempts \(total backoff", re.DOTALL)


def _unwrap(ray: Any, exc: BaseException) -> BaseException:
    """The error a task raised (a bad record, a missing file), not Ray's wrapper around it,
    and without the retry advice Ray Data appends to its message."""
    for _ in range(8):
        if not (isinstance(exc, ray.exceptions.RayTaskError) and exc.cause is not None):
            break
        exc = exc.cause
    if exc.args and isinstance(exc.args[0], str):
        note = _RETRY_NOTE.search(exc.args[0])
        if note:
            exc.args = (exc.args[0][:note.start()],) + exc.args[1:]
    return exc


def select_with_stats(
    inputs: Any,
    budget: int,
    *,
    shards: Optional[int] = None,
    per_shard: Optional[int] = None,
    seed: int = 0,
    k1: int = 10000,
    k2: int = 200,
    k3: int = 100,
    codec: Codec = "zlib",
    level: Optional[int] = None,
    format: str = "auto",
    text_field: Optional[str] = None,
    column: Optional[str] = None,
    template: Optional[str] = None,
    pairs: Optional[bool] = None,
    records_key: Optional[str] = None,
    cpus_per_task: Optional[int] = None,
    max_retries: int = 3,
    _fault_hook: Optional[FaultHook] = None,
) -> DistributedResult:
    """Like :func:`select`, but also returns shard sizes and timings."""
    ray = require_ray()
    params = ZipParams.build(budget, k1=k1, k2=k2, k3=k3, codec=codec, level=level, threads=1)
    budget, k1, k2, k3 = params.budget, params.k1, params.k2, params.k3  # checked: ints
    codec, level = params.codec, params.level
    for name, value in (("shards", shards), ("per_shard", per_shard),
                        ("cpus_per_task", cpus_per_task)):
        if value is not None:
            integer(name, value)
    seed, max_retries = operator.index(seed), operator.index(max_retries)
    if column is not None and not isinstance(column, str):
        raise TypeError(f"column must be a column name (str), got {type(column).__name__}")
    pool = None
    if records_key is not None and not _is_paths(inputs):
        raise ValueError("records_key reads JSON files; a Ray Dataset or an in-memory input has "
                         "no top-level object")
    if _is_paths(inputs) or isinstance(inputs, ray.data.Dataset):
        options = _record_options(format, text_field, column, template, pairs, records_key)
    else:  # what zipcore.select takes, with its rules: read here, scored on the cluster
        if format != "auto" or text_field is not None or template is not None or pairs:
            raise ValueError("format, text_field, template and pairs read files and Ray "
                             f"Datasets; a {type(inputs).__name__} takes column=, as in "
                             "zipcore.select")
        pool = as_pool(inputs, column)
        params.for_pool(len(pool))  # an empty pool or too large a budget: before Ray starts
        options = _record_options("auto", None, "sample", None, None)
    connect()
    started = time.perf_counter()
    try:
        if pool is not None:
            inputs = _pool_dataset(ray, pool)
        elif isinstance(inputs, ray.data.Dataset) and options["column"] is not None:
            _check_column(inputs, options["column"])
        _check_cpus(ray, cpus_per_task)
        cpus = cpus_per_task or _default_cpus(ray, shards or 1)
        p = TaskParams(k1, k2, k3, codec, level, cpus, _fault_hook)
        scored, stage1_seconds = _stage1(ray, inputs, options, p)
        blocks = scored.to_arrow_refs()
        counts = ray.get([ray.remote(tasks.rows).options(num_cpus=0).remote(b) for b in blocks])
        samples = int(sum(counts))
        params.for_pool(samples)
        shards = shards or max(1, math.ceil(samples / SHARD_SAMPLES))
        if cpus_per_task is None:
            p = TaskParams(k1, k2, k3, codec, level, _default_cpus(ray, shards), _fault_hook)
        return _run_shards(ray, blocks, counts, budget, shards, per_shard, seed, max_retries, p,
                           stage1_seconds, started)
    except ray.exceptions.RayError as exc:
        raise _unwrap(ray, exc) from None


def _run_shards(ray: Any, blocks: list[Any], counts: list[int], budget: int, shards: int,
                per_shard: Optional[int], seed: int, max_retries: int, p: TaskParams,
                stage1_seconds: float, started: float) -> DistributedResult:
    samples = int(sum(counts))
    sizes = _shard_sizes(samples, seed, shards)
    keep = budget if shards == 1 else per_shard or default_per_shard(budget, shards, p.k2, p.k3)
    picked = np.minimum(sizes, keep)
    if int(picked.sum()) < budget:
        raise ValueError(f"{shards} shards keeping per_shard={keep} candidates each reach "
                         f"{int(picked.sum())} samples, fewer than the budget {budget}")
    t_route = time.perf_counter()
    route = ray.remote(tasks.route).options(num_cpus=1, num_returns=shards,
                                            max_retries=max_retries)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64).tolist()
    routed = [route.remote(block, start, seed, shards) for block, start in zip(blocks, starts)]
    routed = [parts if shards > 1 else [parts] for parts in routed]
    select_shard = ray.remote(tasks.select_shard).options(num_cpus=p.cpus, num_returns=2,
                                                          max_retries=max_retries)
    running = {s: select_shard.remote(s, int(picked[s]), p, *[parts[s] for parts in routed])
               for s in range(shards) if picked[s] > 0}
    stats = dict(zip(running, ray.get([stat for _, stat in running.values()])))
    t_merge = time.perf_counter()
    if shards == 1:
        indices = stats[0]["indices"]
    else:
        merge = ray.remote(tasks.merge).options(num_cpus=p.cpus, max_retries=max_retries)
        indices = ray.get(merge.remote(budget, p, *[picks for picks, _ in running.values()]))
    done = time.perf_counter()
    return DistributedResult(
        indices=np.asarray(indices, dtype=np.int64), samples=samples, shards=shards,
        per_shard=keep, shard_sizes=sizes.tolist(), candidates=int(picked.sum()),
        seconds={"stage1": stage1_seconds, "shards": t_merge - t_route, "merge": done - t_merge,
                 "total": done - started},
        shard_seconds=[stats[s]["seconds"] if s in stats else 0.0 for s in range(shards)],
        shard_indices=[stats[s]["indices"] if s in stats else np.empty(0, dtype=np.int64)
                       for s in range(shards)])


def select(inputs: Any, budget: int, *, shards: Optional[int] = None,
           per_shard: Optional[int] = None, seed: int = 0, **options: Any) -> np.ndarray:
    """Selects ``budget`` samples by ZIP on a Ray cluster, shard by shard, then a merge.

    Returns global indices (int64) in selection order: positions in ``inputs`` concatenated
    in the given order. Joins the cluster first if this process has not (:func:`connect`).

    Args:
        inputs: a path or a list of paths (JSON list, JSONL, ``.gz`` and ``.zst`` too, or
            Parquet; read on the workers, so on storage they all see), a ``ray.data.Dataset``,
            or anything :func:`zipcore.select` takes other than a list of ``str`` (which is
            paths here): a DataFrame, Arrow data, a ``datasets.Dataset``, a list of
            records..., turned into samples here with ``select``'s rules (a table needs
            ``column=``) and scored on the cluster.
        budget: how many samples to return.
        shards: how many shards (default ``ceil(samples / SHARD_SAMPLES)``). The result
            depends on it and on ``seed``, never on the cluster's size or Ray's scheduling.
        per_shard: candidates each shard keeps for the merge (default
            :func:`default_per_shard`: ``ceil(2 * budget * (k2 / k3) / shards)``, so that the
            merge has room to choose). With one shard the shard's selection is the answer.
        seed: chooses the random partition (see :func:`shard_of`).
        k1, k2, k3, codec, level: as in :func:`zipcore.select`, for the shards and the merge.
        column: the text column whose values are the samples, as in :func:`zipcore.select`:
            for a file, a field of each record (or a Parquet column); for a Ray Dataset or an
            in-memory table, a string or binary column (a missing or non-text column is an
            error before any work). ``zipcore.WHOLE_ROW`` compresses each whole row or record
            as ``repr`` (format ``record``).
        format, text_field, template, pairs: which bytes a record of a file or a row of a Ray
            Dataset contributes without ``column``, as in :func:`zipcore.read_pool`: by
            default each row is a record, its format detected (no pairs in a Ray Dataset).
            In-memory inputs take ``column`` only. Every file holds preference pairs or
            none does, as in :func:`zipcore.io.readers.read_pools` (which also refuses a
            pair id found in two files; here each file's pairs are read on their own).
        records_key: a JSON file whose top level is an object: its records are the list
            under this key (files only).
        cpus_per_task: cores each task reserves and its OpenMP threads (default: the cluster's
            CPUs divided among the shards, at most one node's).
        max_retries: how often Ray reruns a task whose worker died.
    """
    return select_with_stats(inputs, budget, shards=shards, per_shard=per_shard, seed=seed,
                             **options).indices


# --- writing a selection of one file (what zipcore select --ray writes) ---------------------

def selection_output(path: PathLike, indices: Any, *, compress: bool = False,
                     **options: Any) -> dict[str, Any]:
    """What ``zipcore select`` writes for ``indices`` of the file ``path``, made by a worker
    (which reads the file, so the driver needs neither the file nor the pool): ``data`` (the
    selected records in the file's format, in selection order, gzip-compressed with
    ``compress``), ``records`` (their record indices), ``ratio`` (the selection's R),
    ``samples`` and ``pairs``. ``options``: :func:`zipcore.read_pool`'s (``format``,
    ``column``, ...)."""
    ray = require_ray()
    task = ray.remote(tasks.selection_output).options(num_cpus=1)
    try:
        made: dict[str, Any] = ray.get(task.remote(os.fspath(path),
                                                   index_array(indices),
                                                   options, compress))
        return made
    except ray.exceptions.RayError as exc:
        raise _unwrap(ray, exc) from None

