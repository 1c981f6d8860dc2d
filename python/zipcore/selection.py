"""The public selection API: argument checks and encoding here, all the work in the engine."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar, Union, overload

import numpy as np

from . import _core, checkpoint as _checkpoint
from ._log import log
from .io import PathLike, atomic
from .params import Codec, ZipParams, check_progress, codec_level, thread_count
from .samples import Samples, as_pool, describe, named_pool, row_taker
from .pool import Pool
from .progress import progress_callback

__all__ = ["Progress", "ProgressCallback", "SelectionResult", "candidate_ratios", "select",
           "select_rows", "select_with_stats"]

ProgressCallback = Callable[[int, int, int, int], Any]
"""Called as ``progress(stage, round, done, total)`` about ten times a second during a run.

``stage`` is 1 (global scores), 2 (coarse local) or 3 (fine local); ``round`` is 0 during stage 1;
``done`` and ``total`` count compressor evaluations over the whole run, so ``done / total`` is
the run's progress. An exception raised by the callback stops the run and propagates.
"""

Progress = Union[bool, ProgressCallback, None]
"""What ``progress=`` takes: ``True`` (a tqdm bar on stderr: :class:`zipcore.progress.ProgressBar`),
``False`` or ``None`` (none), or a :data:`ProgressCallback`."""

_T = TypeVar("_T")
_Data = TypeVar("_Data")


@dataclass(frozen=True)
class SelectionResult:
    """A selection and how it was made (what :func:`select_with_stats` returns)."""

    indices: np.ndarray
    """Pool indices (int64) in selection order."""
    threads: int
    wall_seconds: float
    eval_seconds: float
    """Seconds all threads spent inside compressor evaluations, summed."""
    stage1: dict[str, float] = field(default_factory=dict)
    """Stage 1's ``seconds``, ``evaluations``, ``evaluated_bytes``, ``work_seconds``,
    ``span_seconds`` and ``serial_seconds`` (as a round's stages below)."""
    rounds: list[dict[str, Any]] = field(default_factory=list)
    """One dict per round: ``round`` (its number: 1 for the first, counting on after a
    resume), candidates, shortlisted, picked, selected, pool_restored, ``ratio`` (R of the
    selection after the round, as the run's codec measures it: exact for zlib),
    ``work_seconds``, ``span_seconds`` and ``serial_seconds`` of the round, and
    ``stage2``/``stage3`` dicts of ``seconds``, ``evaluations``, ``evaluated_bytes`` (the
    evaluated candidates' bytes, summed), ``work_seconds``, ``span_seconds`` and
    ``serial_seconds``."""
    work_seconds: float = 0.0
    """Work W of the run: every evaluation's time plus the serial time around the parallel
    passes (ranking, preparing the selection, checkpoints), on any number of threads."""
    span_seconds: float = 0.0
    """Span S: the serial time plus each parallel pass's longest evaluation. Stages and rounds
    carry their own ``work_seconds`` and ``span_seconds``."""
    serial_seconds: float = 0.0
    """The serial time inside W and S (no thread count shortens it)."""
    codec: Codec = "zlib"
    level: int = 9
    """The codec and level that scored the run (zlib's is always 9)."""

    @property
    def overhead_fraction(self) -> float:
        """Share of thread time spent outside evaluations (scheduling, sorting, idle at joins)."""
        capacity = self.wall_seconds * self.threads
        return 1.0 - self.eval_seconds / capacity if capacity > 0 else 0.0

    @property
    def parallelism(self) -> float:
        """W / S: the most threads this run could keep busy (Cilk's parallelism)."""
        return self.work_seconds / self.span_seconds if self.span_seconds > 0 else float("inf")

    @property
    def pass_parallelism(self) -> float:
        """(W - serial) / (S - serial): the parallelism if the serial time were zero, the
        ceiling that the passes' own sizes and longest evaluations set."""
        passes = self.span_seconds - self.serial_seconds
        return (self.work_seconds - self.serial_seconds) / passes if passes > 0 else float("inf")

    def projected_seconds(self, threads: int) -> float:
        """Brent's bound on the run's time on ``threads`` cores: W / threads + S."""
        return self.work_seconds / threads + self.span_seconds


def select_with_stats(
    samples: Samples,
    budget: int,
    *,
    column: Optional[str] = None,
    k1: int = 10000,
    k2: int = 200,
    k3: int = 100,
    threads: Optional[int] = None,
    progress: Progress = None,
    codec: Codec = "zlib",
    level: Optional[int] = None,
    checkpoint: Optional[PathLike] = None,
    report: Optional[PathLike] = None,
) -> SelectionResult:
    """Like :func:`select`, but also returns per-stage and per-round timings.

    ``rounds`` covers the rounds this call ran (after a resume, the ones after the checkpoint).
    """
    params = ZipParams.build(budget, k1=k1, k2=k2, k3=k3, codec=codec, level=level,
                             threads=threads)
    progress = check_progress(progress)
    outputs = atomic.plan({"checkpoint=": checkpoint, "report=": report},
                          regular_only=["checkpoint="])
    if report is not None:  # fail before the run, not after it
        from .entropy.plotting import check_picture

        check_picture("report=", outputs["report="])
    version = _core.build_info()["version"]
    saved = None if checkpoint is None else outputs["checkpoint="].path  # file://PATH is PATH
    if saved is not None:  # what no pool could make right, before the samples are read
        _checkpoint.check_before_reading(saved, params.identity(), version)
    started = time.perf_counter()
    pool = as_pool(samples, column)
    pool_seconds = time.perf_counter() - started
    params = params.for_pool(len(pool))
    resume = on_round = None
    if saved is not None:
        identity = _checkpoint.run_identity(pool, params.identity(), version)
        resume = _checkpoint.load(saved, identity, pool_size=len(pool),
                                  budget=params.budget)

        def on_round(state: _core.ResumeState) -> None:
            _checkpoint.save(outputs["checkpoint="], identity, state)

    with progress_callback(progress) as callback:
        raw = _core.select(pool.data, pool.offsets, params.budget, params.k1, params.k2,
                           params.k3, params.threads, params.codec, params.level, callback,
                           resume, on_round)
    result = SelectionResult(
        indices=raw["indices"],
        codec=params.codec,
        level=params.level,
        threads=raw["threads"],
        wall_seconds=raw["wall_seconds"],
        eval_seconds=raw["task_seconds"],
        stage1=dict(raw["stage1"]),
        rounds=[dict(r) for r in raw["rounds"]],
        work_seconds=raw["work_seconds"],
        span_seconds=raw["span_seconds"],
        serial_seconds=raw["serial_seconds"],
    )
    log.debug("selected %d of %d samples (%d bytes, %s, pool in %.3f s) by %s-%d on %d "
             "threads in %.3f s", params.budget, len(pool),
             int(pool.offsets[-1]) - int(pool.offsets[0]), describe(samples),
             pool_seconds, params.codec, params.level, result.threads, result.wall_seconds)
    if report is not None:
        from .entropy.report import sample_sources, write_selection_report

        # R of the pool the run selected from (not encoded again); the source mix from the
        # records' `source` fields where they can be read again (none from a spent generator).
        write_selection_report(outputs["report="], result, pool,
                               sources=sample_sources(samples, len(pool)),
                               threads=params.threads)
    return result


def select(
    samples: Samples,
    budget: int,
    *,
    column: Optional[str] = None,
    k1: int = 10000,
    k2: int = 200,
    k3: int = 100,
    threads: Optional[int] = None,
    progress: Progress = None,
    codec: Codec = "zlib",
    level: Optional[int] = None,
    checkpoint: Optional[PathLike] = None,
    report: Optional[PathLike] = None,
) -> np.ndarray:
    """Selects ``budget`` samples by ZIP, the reference's three-stage greedy compression selector.

    Returns the chosen indices into ``samples`` (int64), in selection order. The result equals
    the reference script's (with stable tie-breaking) and does not depend on ``threads``.

    Args:
        samples: dict records (compressed as ``repr(record)``, like the reference), ``str``
            (UTF-8) or ``bytes``, in a list or any iterable; a :class:`zipcore.Pool`; or what a
            data pipeline holds: a pyarrow Array, ChunkedArray, Table or RecordBatch, a pandas
            or polars DataFrame or Series, a Hugging Face ``datasets.Dataset`` (or a column of
            one) or ``IterableDataset``. String and binary Arrow data is read in place.
        budget: how many samples to return, 1..len(samples).
        column: the text column whose values are the samples. Required for a table (a
            DataFrame, Table, RecordBatch or Dataset, even with one column): without it the
            call is a TypeError naming the columns. ``zipcore.WHOLE_ROW`` (``"__row__"``)
            compresses each row as a record instead (``repr`` of its dict). For dict records,
            a field name. An input without columns (``str`` samples, a Series, an array, a Pool)
            refuses it. A missing column, a column of non-text values or a null value is an
            error naming the columns, the type or the row.
        k1, k2, k3: the stage sizes, ``k1 >= k2 >= k3 >= 1``; clamped to what is left in the
            pool (paper defaults 10000, 200, 100).
        threads: worker threads; ``None`` uses every core this process may run on.
        progress: ``True`` for a tqdm bar on stderr; or a callable
            ``progress(stage, round, done, total)``, see ``ProgressCallback``; ``None`` or
            ``False`` for none.
        codec: ``"zlib"`` (default; exact, the reference's scores) or ``"zstd"`` (sees
            redundancy across the selection's last 16 MiB at levels 1-4, all of it from level
            5, instead of zlib's last 32 KB, and is faster;
            see the README's "Choosing a codec").
        level: compression level; zlib is always 9, zstd defaults to 3 (1..22).
        checkpoint: a file path. The run's state is written there atomically after every round;
            if the file exists, the run resumes from it and returns exactly what an uninterrupted
            run returns; it is kept when the run returns. A checkpoint from another pool,
            parameters, codec or version is an error.
        report: a PNG path: a picture of the run (R of the selection per round, time per stage,
            source mix against the pool). Needs matplotlib (``pip install 'zipcore[plot]'``).

    The GIL is released for the whole run; Ctrl-C raises KeyboardInterrupt within about 0.1 s
    of the current evaluation finishing. Each run logs one DEBUG line to the ``zipcore`` logger.
    """
    return select_with_stats(samples, budget, column=column, k1=k1, k2=k2, k3=k3,
                             threads=threads, progress=progress, codec=codec, level=level,
                             checkpoint=checkpoint, report=report).indices


@overload
def select_rows(data: tuple[_T, ...], budget: int, *, column: Optional[str] = None,
                k1: int = 10000, k2: int = 200, k3: int = 100, threads: Optional[int] = None,
                progress: Progress = None, codec: Codec = "zlib", level: Optional[int] = None,
                checkpoint: Optional[PathLike] = None, report: Optional[PathLike] = None,
                ) -> list[_T]: ...


@overload
def select_rows(data: _Data, budget: int, *, column: Optional[str] = None, k1: int = 10000,
                k2: int = 200, k3: int = 100, threads: Optional[int] = None,
                progress: Progress = None, codec: Codec = "zlib", level: Optional[int] = None,
                checkpoint: Optional[PathLike] = None, report: Optional[PathLike] = None,
                ) -> _Data: ...


def select_rows(
    data: Any,
    budget: int,
    *,
    column: Optional[str] = None,
    k1: int = 10000,
    k2: int = 200,
    k3: int = 100,
    threads: Optional[int] = None,
    progress: Progress = None,
    codec: Codec = "zlib",
    level: Optional[int] = None,
    checkpoint: Optional[PathLike] = None,
    report: Optional[PathLike] = None,
) -> Any:
    """:func:`select`, returning the selected rows of ``data`` in its own type, in selection
    order (the same arguments as :func:`select`).

    A ``datasets.Dataset`` gives ``data.select(indices)``; a pyarrow Table, RecordBatch, Array or
    ChunkedArray ``data.take(indices)``; a pandas DataFrame or Series ``data.iloc[indices]``
    (its index labels kept); a polars DataFrame or Series ``data[indices]``; a numpy array
    ``data[indices]``; a Pool ``data.take(indices)``; a list, or any other sequence, a list.
    Data that cannot be read twice (a generator, an ``IterableDataset``) is a TypeError before
    the run: use :func:`select` for the indices.
    """
    take = row_taker(data)
    indices = select(data, budget, column=column, k1=k1, k2=k2, k3=k3, threads=threads,
                     progress=progress, codec=codec, level=level, checkpoint=checkpoint,
                     report=report)
    return take(indices)


def candidate_ratios(
    selected: Samples,
    candidates: Samples,
    *,
    column: Optional[str] = None,
    threads: Optional[int] = None,
    codec: Codec = "zlib",
    level: Optional[int] = None,
) -> np.ndarray:
    """For each candidate c, the ratio of the group ``selected + [c]`` (float64).

    This is ZIP's stage-2 score, computed the way the engine does it: the selection is
    prepared once, and each candidate is scored from that state (zlib: exactly
    ``len(b) / len(zlib.compress(b, 9))``, from a copy of a deflate state that resumes the
    selection's parse, see the README's Exactness section; zstd: the candidate compressed with
    the selection as dictionary). ``selected`` and ``candidates`` take what :func:`select`
    takes, ``column`` applying to both; ``threads``, ``codec`` and ``level`` are
    :func:`select`'s. The result does not depend on ``threads``.
    """
    codec, level = codec_level(codec, level)
    selected_pool = named_pool("selected", selected, column)  # "sample 0": of which?
    candidate_pool = named_pool("candidates", candidates, column)
    joined = Pool.concat([selected_pool, candidate_pool])  # windows of larger buffers too
    n_sel = len(selected_pool)
    anchor = np.arange(n_sel, dtype=np.int64)
    cands = np.arange(n_sel, n_sel + len(candidate_pool), dtype=np.int64)
    count = thread_count(threads)
    log.debug("candidate ratios of %d candidates against %d selected by %s-%d on %d threads",
              len(candidate_pool), n_sel, codec, level, count)
    return _core.candidate_ratios(joined.data, joined.offsets, anchor, cands, count, codec,
                                  level)
