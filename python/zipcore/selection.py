"""The public selection API: argument checks and encoding here, all the work in the engine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import _core, checkpoint as _checkpoint
from .io import atomic
from ._pool import as_pool
from .params import ZipParams, codec_level, thread_count

ProgressCallback = Callable[[int, int, int, int], Any]
"""Called as ``progress(stage, round, done, total)`` about ten times a second during a run.

``stage`` is 1 (global scores), 2 (coarse local) or 3 (fine local); ``round`` is 0 during stage 1;
``done`` and ``total`` count compressor evaluations over the whole run, so ``done / total`` is
the run's progress. An exception raised by the callback stops the run and propagates.
"""


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
    rounds: list[dict[str, Any]] = field(default_factory=list)
    """One dict per round: candidates, shortlisted, picked, selected, pool_restored, ``ratio``
    (R of the selection after the round, as the run's codec measures it: exact for zlib),
    ``work_seconds`` and ``span_seconds`` of the round, and ``stage2``/``stage3`` dicts of
    ``seconds``, ``evaluations``, ``work_seconds`` and ``span_seconds``."""
    work_seconds: float = 0.0
    """Work W of the run: every evaluation's time plus the serial time around the parallel
    passes (ranking, preparing the selection, checkpoints), on any number of threads."""
    span_seconds: float = 0.0
    """Span S: the serial time plus each parallel pass's longest evaluation. Stages and rounds
    carry their own ``work_seconds`` and ``span_seconds``."""
    codec: str = "zlib"
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

    def projected_seconds(self, threads: int) -> float:
        """Brent's bound on the run's time on ``threads`` cores: W / threads + S."""
        return self.work_seconds / threads + self.span_seconds


def select_with_stats(
    samples: Sequence[Any],
    budget: int,
    *,
    k1: int = 10000,
    k2: int = 200,
    k3: int = 100,
    threads: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    codec: str = "zlib",
    level: Optional[int] = None,
    checkpoint: Optional[Union[str, "os.PathLike[str]"]] = None,
    report: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> SelectionResult:
    """Like :func:`select`, but also returns per-stage and per-round timings.

    ``rounds`` covers the rounds this call ran (after a resume, the ones after the checkpoint).
    """
    params = ZipParams.build(budget, k1=k1, k2=k2, k3=k3, codec=codec, level=level,
                             threads=threads)
    if report is not None:  # fail before the run, not after it
        from .entropy.plotting import require_matplotlib

        require_matplotlib("report=")
    outputs = atomic.plan({"checkpoint=": checkpoint, "report=": report},
                          regular_only=["checkpoint="])
    pool = as_pool(samples)
    params = params.for_pool(len(pool))
    resume = on_round = None
    if checkpoint is not None:
        identity = _checkpoint.run_identity(pool, params.identity(),
                                            _core.build_info()["version"])
        resume = _checkpoint.load(checkpoint, identity, pool_size=len(pool),
                                  budget=params.budget)

        def on_round(state: _core.ResumeState) -> None:
            _checkpoint.save(outputs["checkpoint="], identity, state)

    raw = _core.select(pool.data, pool.offsets, params.budget, params.k1, params.k2, params.k3,
                       params.threads, params.codec, params.level, progress, resume, on_round)
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
    )
    if report is not None:
        from .entropy.report import write_selection_report

        # The records themselves when we still have them: their `source` fields give the mix.
        write_selection_report(outputs["report="], result,
                               samples if hasattr(samples, "__len__") else pool,
                               threads=params.threads)
    return result


def select(
    samples: Sequence[Any],
    budget: int,
    *,
    k1: int = 10000,
    k2: int = 200,
    k3: int = 100,
    threads: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    codec: str = "zlib",
    level: Optional[int] = None,
    checkpoint: Optional[Union[str, "os.PathLike[str]"]] = None,
    report: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> np.ndarray:
    """Selects ``budget`` samples by ZIP, the reference's three-stage greedy compression selector.

    Returns the chosen indices into ``samples`` (int64), in selection order. The result equals
    the reference script's (with stable tie-breaking) and does not depend on ``threads``.

    Args:
        samples: dict records (compressed as ``repr(record)``, like the reference), ``str``
            (UTF-8) or ``bytes``.
        budget: how many samples to return, 1..len(samples).
        k1, k2, k3: the stage sizes, ``k1 >= k2 >= k3 >= 1``; clamped to what is left in the
            pool (paper defaults 10000, 200, 100).
        threads: worker threads; ``None`` uses every core this process may run on.
        progress: optional ``progress(stage, round, done, total)``, see ``ProgressCallback``.
        codec: ``"zlib"`` (default; exact, the reference's scores) or ``"zstd"`` (sees
            redundancy across the whole selection instead of zlib's last 32 KB, and is faster;
            see the README's "Choosing a codec").
        level: compression level; zlib is always 9, zstd defaults to 3 (1..22).
        checkpoint: a file path. The run's state is written there atomically after every round;
            if the file exists, the run resumes from it and returns exactly what an uninterrupted
            run returns. A checkpoint from another pool, parameters, codec or version is an error.
        report: a PNG path: a picture of the run (R of the selection per round, time per stage,
            source mix against the pool). Needs matplotlib (``pip install 'zipcore[plot]'``).

    The GIL is released for the whole run; Ctrl-C raises KeyboardInterrupt within about 0.1 s
    of the current evaluation finishing.
    """
    return select_with_stats(samples, budget, k1=k1, k2=k2, k3=k3, threads=threads,
                             progress=progress, codec=codec, level=level,
                             checkpoint=checkpoint, report=report).indices


def candidate_ratios(
    selected: Sequence[Any],
    candidates: Sequence[Any],
    *,
    threads: Optional[int] = None,
    codec: str = "zlib",
    level: Optional[int] = None,
) -> np.ndarray:
    """For each candidate c, the ratio of the group ``selected + [c]`` (float64).

    This is ZIP's stage-2 score, computed the way the engine does it: the selection is
    prepared once, and each candidate is scored from that state (zlib: exactly
    ``len(b) / len(zlib.compress(b, 9))``, from a copy of a deflate state that resumes the
    selection's parse, see the README's Exactness section; zstd: the candidate compressed with
    the selection as dictionary).
    """
    codec, level = codec_level(codec, level)
    selected_pool = as_pool(selected)
    candidate_pool = as_pool(candidates)
    data = np.concatenate([selected_pool.data, candidate_pool.data])
    offsets = np.concatenate([selected_pool.offsets,
                              candidate_pool.offsets[1:] + selected_pool.offsets[-1]])
    n_sel = len(selected_pool)
    anchor = np.arange(n_sel, dtype=np.int64)
    cands = np.arange(n_sel, n_sel + len(candidate_pool), dtype=np.int64)
    return _core.candidate_ratios(data, offsets, anchor, cands, thread_count(threads), codec,
                                  level)
