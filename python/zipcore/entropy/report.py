"""Selection report: how a ZIP run went, as data and as one PNG.

Three panels: the selection's R after each round, as the engine measured it during the run (the
run's codec: exact zlib-9, or zstd's), against the pool's R in the same codec; the time each
round spent in stage 2 and stage 3 (stage 1 once, before round 1); and the source mix of the
selection against the pool's.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from ..io import atomic
from .plotting import check_picture, picture, require_matplotlib
from .._pool import EncodedPool
from ..measure import dataset_ratio
from ..samples import as_pool, library_of
from .ratio import NO_SOURCE, OTHER, label_prefix, printable, source_of

if TYPE_CHECKING:  # the selection imports this module for report=, never the other way
    from ..selection import SelectionResult

MAX_SOURCES = 12
"""Sources shown in the mix; with more, sources are merged by prefix, then the rest as other."""


@dataclass
class SelectionReport:
    """What the report shows (also usable without matplotlib)."""

    samples: int
    """The selection's size."""
    rounds: list[int]
    """The rounds this run ran: after a resume, those after the checkpoint (none where it had
    finished)."""
    selected: list[int]
    """Samples selected after each round."""
    running_ratio: list[float]
    """R of the selection after each round, in the run's codec, as the engine recorded it: for
    zlib exact; for zstd the scorer's running measure (within 1 % of one frame, which is how
    ``pool_ratio`` is measured)."""
    pool_ratio: float
    codec: str
    """``zlib-9`` or ``zstd-<level>``: what both R are measured with."""
    stage1_seconds: float
    stage2_seconds: list[float]
    stage3_seconds: list[float]
    sources: list[str]
    """Source groups, largest share of the pool first."""
    pool_share: list[float]
    selection_share: list[float]


def _source_groups(names: Sequence[str], chosen: Sequence[int]) -> tuple[list[str], list[float],
                                                                          list[float]]:
    """Source groups (at most MAX_SOURCES), largest first; their shares of the pool and of the
    selection."""
    names = list(names)
    if len(set(names)) > MAX_SOURCES:
        names = [label_prefix(n) for n in names]
    pool = Counter(names)
    if len(pool) > MAX_SOURCES:  # keep the biggest, merge the rest
        keep = {name for name, _ in pool.most_common(MAX_SOURCES - 1)}
        names = [n if n in keep else OTHER for n in names]
        pool = Counter(names)
    picked = Counter(names[i] for i in chosen)
    order = sorted(pool, key=lambda n: (n == OTHER, -pool[n], n))
    total = max(len(names), 1)
    return (order, [pool[n] / total for n in order],
            [picked[n] / max(len(chosen), 1) for n in order])


def sample_sources(samples: Any, count: int) -> list[str]:
    """Each of ``count`` samples' ``source``: a sequence (or numpy array) of records' ``source``
    fields (``(no source)`` for records without one, str and bytes); ``(no source)`` for
    anything else (a pool holds bytes only; a table would iterate its column names)."""
    if (isinstance(samples, EncodedPool) or library_of(samples) is not None
            or not isinstance(samples, (Sequence, np.ndarray))):
        return [NO_SOURCE] * count
    return [source_of(s) for s in samples]


def file_sources(pool_file: Any) -> list[str]:
    """Each sample's ``source`` for a pool read by :func:`zipcore.io.readers.read_pool`.

    The pool keeps only sample bytes, so the file is read once more, streaming, keeping only
    the source of each record (Parquet: only the ``source`` column); a preference pair takes
    its first record's.
    """
    per_record = [sys.intern(source_of(record))
                  for record in pool_file.iter_records(columns=["source"])]
    if pool_file.groups is None:
        return per_record
    return [per_record[int(first)] for first in pool_file.groups[:-1]]


def selection_report(result: SelectionResult, samples: Any, *, column: Optional[str] = None,
                     sources: Optional[Sequence[str]] = None,
                     threads: Optional[int] = None) -> SelectionReport:
    """The report's numbers for ``result``, a selection from ``samples`` with ``column``
    (what ``select_with_stats`` was given: the pool's R is measured on the same bytes).

    ``sources``: each sample's source label, for the source mix (default: the records'
    ``source`` fields, :func:`sample_sources`). ``threads`` is for the pool's own R (default:
    the selection's count), measured in the run's codec and level.
    """
    encoded = as_pool(samples, column)
    count = len(encoded)
    indices = [int(i) for i in result.indices]
    if len(indices) and not 0 <= min(indices) <= max(indices) < count:
        raise ValueError(f"the selection has indices outside the {count} samples given: "
                         "pass the samples the selection was made from")
    if sources is None:
        sources = sample_sources(samples, count)
    elif len(sources) != count:
        raise ValueError(f"sources has {len(sources)} labels for {count} samples")
    elif not all(isinstance(label, str) for label in sources):
        raise TypeError("sources must be str labels, one a sample (e.g. "
                        "zipcore.entropy.ratio.source_of of each record)")
    sources, pool_share, selection_share = _source_groups(sources, indices)
    pool = dataset_ratio(encoded, codec=result.codec, level=result.level,
                         threads=threads or result.threads)
    return SelectionReport(
        samples=len(indices),
        rounds=[int(r["round"]) for r in result.rounds],
        selected=[int(r["selected"]) for r in result.rounds],
        running_ratio=[float(r["ratio"]) for r in result.rounds],
        pool_ratio=pool.ratio,
        codec=pool.codec,
        stage1_seconds=float(result.stage1.get("seconds", 0.0)),
        stage2_seconds=[float(r["stage2"]["seconds"]) for r in result.rounds],
        stage3_seconds=[float(r["stage3"]["seconds"]) for r in result.rounds],
        sources=sources, pool_share=pool_share, selection_share=selection_share)


def report_png(report: SelectionReport, *, title: str = "ZIP selection") -> bytes:
    """The report as a PNG image (needs matplotlib)."""
    require_matplotlib("the selection report")
    return picture(8.0, 7.5, lambda figure: _draw(figure, report, printable(title)))


def _rounds_shown(report: SelectionReport) -> str:
    """How many rounds the picture shows, and that a resumed run's earlier ones are not in it."""
    if not report.rounds:
        return ("resumed from a finished checkpoint: no round ran in this run" if report.samples
                else _count(0, "round"))
    if report.rounds[0] > 1:
        return (f"rounds {report.rounds[0]}-{report.rounds[-1]} (resumed from a checkpoint: "
                "stage 1 and the rounds before ran earlier)")
    return _count(len(report.rounds), "round")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _draw(figure: Any, report: SelectionReport, title: str) -> None:
    from matplotlib.ticker import MaxNLocator

    top, middle, bottom = figure.subplots(3, 1, height_ratios=[1.0, 0.8, 1.1])
    figure.suptitle(f"{title}: {_count(report.samples, 'sample')}, {_rounds_shown(report)}",
                    fontsize=11)

    top.plot(report.selected, report.running_ratio, "o-", color="#1565c0", markersize=3,
             label="selection so far")
    top.axhline(report.pool_ratio, color="#9e9e9e", linestyle="--",
                label=f"whole pool ({report.pool_ratio:.3f})")
    top.set_title("R of the selection after each round", fontsize=9)
    top.set_xlabel("samples selected (end of each round)")
    top.set_ylabel(f"R ({report.codec})")
    top.legend(fontsize=8, loc="best")

    rounds = report.rounds
    middle.bar([0], [report.stage1_seconds], color="#757575", label="stage 1 (global)")
    middle.bar(rounds, report.stage2_seconds, color="#64b5f6", label="stage 2 (coarse)")
    middle.bar(rounds, report.stage3_seconds, bottom=report.stage2_seconds, color="#1565c0",
               label="stage 3 (fine)")
    middle.set_title("time per round and stage", fontsize=9)
    middle.set_xlabel("round (0 = stage 1)")
    middle.xaxis.set_major_locator(MaxNLocator(integer=True))
    middle.set_ylabel("seconds")
    middle.legend(fontsize=8, loc="best")

    if report.sources == [NO_SOURCE]:
        bottom.set_axis_off()
        bottom.text(0.5, 0.5, "no source mix: the samples carry no source field",
                    ha="center", va="center", fontsize=9, transform=bottom.transAxes)
        return
    y = list(range(len(report.sources)))
    bottom.barh([i - 0.2 for i in y], [100 * s for s in report.pool_share], height=0.4,
                color="#9e9e9e", label="pool")
    bottom.barh([i + 0.2 for i in y], [100 * s for s in report.selection_share], height=0.4,
                color="#1565c0", label="selection")
    bottom.set_yticks(y, [printable(label) for label in report.sources], fontsize=8)
    bottom.invert_yaxis()
    bottom.set_title("source mix: selection against pool", fontsize=9)
    bottom.set_xlabel("share of samples (%)")
    bottom.legend(fontsize=8, loc="best")


def write_selection_report(path: atomic.Destination, result: SelectionResult,
                           samples: Any, *, column: Optional[str] = None,
                           sources: Optional[Sequence[str]] = None,
                           title: str = "ZIP selection", threads: Optional[int] = None) -> None:
    """Writes the selection report PNG for ``result`` (from ``select_with_stats(samples, ...,
    column=column)``). Atomic, like every zipcore output. Needs matplotlib
    (``pip install 'zipcore[plot]'``).
    """
    check_picture("the selection report", path)
    summary = selection_report(result, samples, column=column, sources=sources,
                               threads=threads)
    atomic.write_file(path, report_png(summary, title=title))
