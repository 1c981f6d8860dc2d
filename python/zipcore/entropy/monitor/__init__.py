"""Data-version monitoring by the entropy law: R and first-epoch loss L per version, with flags.

The entropy law (arXiv 2407.06645): model quality falls as the training data's compression
ratio R rises, and at about equal R a higher first-epoch training loss L signals less consistent
data. So when a training set is updated version by version, each version is compared with the
one before it in the CSV (or with the first, ``against="first"``):

========  ==========================  =====================================================
flag      when                        meaning
========  ==========================  =====================================================
RISK      R up and L up               more redundant and less consistent: the pattern the
                                      paper's incremental-update study saw before a drop
R-UP      R up, L not up (or no L)    more redundant (duplicates, templates, near-copies)
L-UP      R steady, L up              less consistent at about equal redundancy
MIXED     R down, L up                denser but less consistent: the net effect is unclear
GAIN      R down, L steady or down    denser at no cost in consistency: expected gain
R-DOWN    R down, L not given         denser; give L to check consistency
========  ==========================  =====================================================

"Up" means more than ``r_pct`` (default 1 %) above the compared version's value for R,
``l_pct`` (default 0.5 %) for L; "down" as much below; anything in between is steady.
RISK, R-UP, L-UP and MIXED are warnings.

Where at least three versions carry a measured quality score, quality is fitted against R (and
L, when four or more scored versions all have it) by least squares, and the fit predicts the
quality of the versions without a score.

The steps live in their own modules: ``read`` (the versions CSV), ``flags`` (changes, flags and
the fit), ``text`` (the printed report) and ``plot`` (the picture); this module measures each
version's R and runs them in order.
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import Any, Iterator, Optional

from ..._core import ZipcoreError
from ...io import PathLike
from ...io.jsonstream import require_regular_file
from ..quality_fit import QualityFit, fit_quality
from ...measure import check_options, dataset_ratio
from ..ratio import file_samples
from .flags import (AGAINST, L_PCT, R_PCT, WARNINGS, MonitorResult, VersionReport, analyse,
                    check_against, classify, flag_versions)
from .plot import plot_bytes, write_plot
from .read import COLUMNS, VersionSpec, read_versions
from .text import format_report

__all__ = ["AGAINST", "COLUMNS", "L_PCT", "R_PCT", "WARNINGS", "MonitorResult", "QualityFit",
           "VersionReport", "VersionSpec", "analyse", "classify", "fit_quality", "flag_versions",
           "format_report", "measure", "monitor", "plot_bytes", "read_versions", "write_plot"]


@contextlib.contextmanager
def _naming(spec: VersionSpec) -> Iterator[None]:
    """Errors about a version's dataset name the CSV line, the version and the path."""
    where = f"{spec.where}: " if spec.where else ""
    try:
        yield
    except OSError as exc:
        raise ZipcoreError(f"{where}version {spec.version!r}: {os.fspath(spec.path)}: "
                           f"{exc.strerror or exc}") from None
    except ZipcoreError as exc:  # names the dataset's path (and line) already
        raise ZipcoreError(f"{where}version {spec.version!r}: {exc}") from None


def measure(spec: VersionSpec, *, records_key: Optional[str] = None, format: str = "auto",
            text_field: Optional[str] = None, column: Optional[str] = None,
            template: Optional[str] = None, **ratio_options: Any) -> VersionReport:
    """Reads one version's dataset, streamed, and computes its R: samples made as
    :func:`zipcore.entropy.ratio.file_samples` makes them (``format`` ... ``template``), R as
    :func:`zipcore.measure.dataset_ratio` measures it (``ratio_options``: ``codec``,
    ``level``, ``exact``, ``threads``, ...). A missing, unreadable or empty dataset is a
    ZipcoreError naming the CSV line, the version and the dataset's path."""
    with _naming(spec):
        source = file_samples(spec.path, records_key=records_key, format=format,
                              text_field=text_field, column=column, template=template,
                              threads=ratio_options.get("threads"))
        result = dataset_ratio(source.pool, **ratio_options)
    return VersionReport(version=spec.version, path=os.fspath(spec.path), samples=result.samples,
                         bytes=result.bytes, compressed=result.compressed, ratio=result.ratio,
                         codec=result.codec, method=result.method, loss=spec.loss,
                         quality=spec.quality, format=source.format)


def _check_pct(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative percentage, got {value!r}")
    return float(value)


def monitor(csv_path: PathLike, *, r_pct: float = R_PCT, l_pct: float = L_PCT,
            against: str = "previous", codec: str = "zlib",
            **ratio_options: Any) -> MonitorResult:
    """Reads the versions CSV, measures every version, flags changes and fits quality.

    ``ratio_options`` go to :func:`measure` (the sample options ``format`` ... ``template``,
    and :func:`zipcore.measure.dataset_ratio`'s ``level``, ``exact``, ``threads``, ...).
    Versions are loaded one at a time. With ``format="auto"`` (and no template) the format
    detected in the first version is used for every version: R of versions measured on
    different bytes would not compare (a version whose records do not fit it is an error
    naming the record).
    """
    r_pct, l_pct = _check_pct("r_pct", r_pct), _check_pct("l_pct", l_pct)
    check_against(against)  # before the slow part
    check_options(ratio_options, "monitor", measure)
    specs = read_versions(csv_path)
    for spec in specs:  # every dataset is there before the first one is measured
        with _naming(spec):
            require_regular_file(spec.path)
    versions: list[VersionReport] = []
    for spec in specs:
        versions.append(measure(spec, codec=codec, **ratio_options))
        if ratio_options.get("format", "auto") == "auto" and ratio_options.get("template") is None:
            ratio_options = {**ratio_options, "format": versions[0].format}
    return analyse(versions, r_pct=r_pct, l_pct=l_pct, against=against)
