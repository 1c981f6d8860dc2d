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
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, Union

import numpy as np

from . import atomic
from ._core import ZipcoreError
from .quality_fit import QualityFit, fit_quality
from .jsonstream import utf8_error
from .jsonstream import require_regular_file
from .ratio import file_ratios

PathLike = Union[str, "os.PathLike[str]"]

COLUMNS = ("version", "path", "loss", "quality")
R_PCT = 1.0
"""Default: R is up (down) when more than 1 % above (below) the previous version's."""
L_PCT = 0.5
"""Default: L is up (down) when more than 0.5 % above (below) the previous version's."""
WARNINGS = ("RISK", "R-UP", "L-UP", "MIXED")

_MEANING = {
    "RISK": "rose together: the data got more redundant and less consistent, the pattern "
            "that preceded a quality drop in the paper's incremental-update study; check the "
            "new data before a full training run",
    "R-UP": "the data got more redundant (duplicates, templates, near-copies): expect less "
            "gain per sample, or a drop",
    "L-UP": "less consistent data (noise, contradictions, a new format): at about equal R, a "
            "higher first-epoch loss signals inconsistency",
    "MIXED": "denser but less consistent data: the net effect is unclear; evaluate before "
             "training further",
    "GAIN": "denser data at no cost in consistency: expected gain",
    "R-DOWN": "denser data: expected gain; give the first-epoch loss to check consistency",
}


@dataclass(frozen=True)
class VersionSpec:
    """One row of the versions CSV."""

    version: str
    path: Path
    loss: Optional[float] = None
    quality: Optional[float] = None
    where: str = ""
    """The CSV file and line it came from (``versions.csv:3``), for messages."""


@dataclass
class VersionReport:
    """A version's measurements, its change from the previous version and its flag."""

    version: str
    path: str
    samples: int
    bytes: int
    compressed: int
    ratio: float
    codec: str
    method: str
    loss: Optional[float]
    quality: Optional[float]
    ratio_change_pct: Optional[float] = None
    """100 * (R / R before - 1), "before" being the previous version (or the first, with
    ``against="first"``); None for the first version."""
    loss_change_pct: Optional[float] = None
    """100 * (L / L before - 1); None where either L is missing."""
    flag: str = ""
    explanation: str = ""
    predicted_quality: Optional[float] = None


@dataclass
class MonitorResult:
    versions: list[VersionReport]
    r_pct: float
    l_pct: float
    codec: str
    against: str = "previous"
    """Changes are from the ``previous`` version or from the ``first``."""
    fit: Optional[QualityFit] = None
    fit_note: str = ""
    """Why there is no fit, or which terms it uses and why."""
    warnings: list[str] = field(default_factory=list)
    """Versions with a warning flag."""

    def as_dict(self) -> dict[str, Any]:
        return {"codec": self.codec,
                "thresholds_pct": {"R": self.r_pct, "L": self.l_pct},
                "against": self.against,
                "versions": [asdict(v) for v in self.versions],
                "fit": None if self.fit is None else {**asdict(self.fit),
                                                      "formula": self.fit.formula()},
                "fit_note": self.fit_note,
                "warnings": self.warnings}


# --- reading the CSV ------------------------------------------------------------------------

def _number(text: str, what: str, where: str, positive: bool = False) -> Optional[float]:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ZipcoreError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value) or (positive and value <= 0):
        raise ZipcoreError(f"{where}: {what} must be a {'positive' if positive else 'finite'} "
                           f"number, got {text!r}")
    return value


def _header(row: list[str], where: str) -> list[str]:
    names = [name.strip().lower() for name in row]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or len(set(names)) != len(names) or not {"version", "path"} <= set(names):
        raise ZipcoreError(f"{where}: the header must name the columns version,path and "
                           f"optionally loss,quality (each once); found {','.join(row)!r}")
    return names


def read_versions(csv_path: PathLike) -> list[VersionSpec]:
    """Reads ``version,path[,loss][,quality]`` rows (header first, any column order).

    Paths are relative to the CSV's folder. Empty loss or quality cells mean "not measured".
    """
    csv_path = Path(csv_path)
    data = csv_path.read_bytes()  # a few lines: read at once, decoded with the error positioned
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise utf8_error(csv_path, exc.start, exc) from None
    rows = [(number, row) for number, row in enumerate(
                csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")), start=1)
            if any(cell.strip() for cell in row)]
    if not rows:
        raise ZipcoreError(f"{csv_path}: empty; expected a header row version,path[,loss]"
                           "[,quality] and one row per version")
    names = _header(rows[0][1], f"{csv_path}:{rows[0][0]}")
    specs: list[VersionSpec] = []
    for number, row in rows[1:]:
        where = f"{csv_path}:{number}"
        if len(row) != len(names):
            raise ZipcoreError(f"{where}: {len(row)} fields, the header has {len(names)}")
        cells = dict(zip(names, row))
        version, path = cells["version"].strip(), cells["path"].strip()
        if not version or not path:
            raise ZipcoreError(f"{where}: version and path must not be empty")
        if any(spec.version == version for spec in specs):
            raise ZipcoreError(f"{where}: version {version!r} appears twice")
        specs.append(VersionSpec(version, csv_path.parent / path,
                                 _number(cells.get("loss", ""), "loss", where, positive=True),
                                 _number(cells.get("quality", ""), "quality", where), where))
    if not specs:
        raise ZipcoreError(f"{csv_path}: no versions after the header row")
    return specs


# --- flags ----------------------------------------------------------------------------------

def _change_pct(value: Optional[float], previous: Optional[float]) -> Optional[float]:
    if value is None or previous is None:
        return None
    return 100.0 * (value / previous - 1.0)


def _direction(change: Optional[float], threshold: float) -> Optional[int]:
    if change is None:
        return None
    return 1 if change > threshold else -1 if change < -threshold else 0


def classify(ratio_change_pct: float, loss_change_pct: Optional[float], r_pct: float = R_PCT,
             l_pct: float = L_PCT) -> str:
    """The flag for a version whose R and L moved by these percentages ('' for none)."""
    r = _direction(ratio_change_pct, r_pct)
    l_ = _direction(loss_change_pct, l_pct)
    if r == 1:
        return "RISK" if l_ == 1 else "R-UP"
    if r == -1:
        return "R-DOWN" if l_ is None else "MIXED" if l_ == 1 else "GAIN"
    return "L-UP" if l_ == 1 else ""


def _explain(flag: str, now: VersionReport, before: VersionReport) -> str:
    r_part = f"R {before.ratio:.4f} -> {now.ratio:.4f} ({now.ratio_change_pct:+.1f}%)"
    l_part = ("" if now.loss_change_pct is None else
              f"L {before.loss:.4g} -> {now.loss:.4g} ({now.loss_change_pct:+.1f}%)")
    if flag == "RISK":
        return f"{r_part} and {l_part} {_MEANING[flag]}."
    if flag == "L-UP":
        return (f"{l_part} while R held steady ({before.ratio:.4f} -> {now.ratio:.4f}): "
                f"{_MEANING[flag]}.")
    parts = r_part + (f", {l_part}" if l_part else ", no L given" if flag == "R-UP" else "")
    return f"{parts}: {_MEANING[flag]}."


AGAINST = ("previous", "first")


def flag_versions(versions: Sequence[VersionReport], r_pct: float = R_PCT,
                  l_pct: float = L_PCT, against: str = "previous") -> None:
    """Fills in each version's change from the previous version (or from the first one, for
    candidate versions built from one base), its flag and explanation."""
    if against not in AGAINST:
        raise ValueError(f"against must be one of {', '.join(AGAINST)}, got {against!r}")
    bases = versions[:-1] if against == "previous" else [versions[0]] * (len(versions) - 1)
    for before, now in zip(bases, versions[1:]):
        now.ratio_change_pct = _change_pct(now.ratio, before.ratio)
        now.loss_change_pct = _change_pct(now.loss, before.loss)
        now.flag = classify(now.ratio_change_pct, now.loss_change_pct, r_pct, l_pct)
        now.explanation = _explain(now.flag, now, before) if now.flag else ""


# --- the whole run --------------------------------------------------------------------------

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


def measure(spec: VersionSpec, **ratio_options: Any) -> VersionReport:
    """Reads one version's dataset, streamed, and computes its R (options as
    ``dataset_ratio``). A missing, unreadable or empty dataset is a ZipcoreError naming the
    CSV line, the version and the dataset's path."""
    with _naming(spec):
        result, _ = file_ratios(spec.path, **ratio_options)
    return VersionReport(version=spec.version, path=os.fspath(spec.path), samples=result.samples,
                         bytes=result.bytes, compressed=result.compressed, ratio=result.ratio,
                         codec=result.codec, method=result.method, loss=spec.loss,
                         quality=spec.quality)


def _check_pct(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative percentage, got {value!r}")
    return float(value)


def monitor(csv_path: PathLike, *, r_pct: float = R_PCT, l_pct: float = L_PCT,
            against: str = "previous", codec: str = "zlib",
            **ratio_options: Any) -> MonitorResult:
    """Reads the versions CSV, measures every version, flags changes and fits quality.

    ``ratio_options`` go to :func:`zipcore.ratio.dataset_ratio` (``level``, ``exact``,
    ``threads``, ...). Versions are loaded one at a time.
    """
    r_pct, l_pct = _check_pct("r_pct", r_pct), _check_pct("l_pct", l_pct)
    if against not in AGAINST:  # checked before the slow part
        raise ValueError(f"against must be one of {', '.join(AGAINST)}, got {against!r}")
    specs = read_versions(csv_path)
    for spec in specs:  # every dataset is there before the first one is measured
        with _naming(spec):
            require_regular_file(spec.path)
    versions = [measure(spec, codec=codec, **ratio_options) for spec in specs]
    return analyse(versions, r_pct=r_pct, l_pct=l_pct, against=against)


def analyse(versions: list[VersionReport], *, r_pct: float = R_PCT, l_pct: float = L_PCT,
            against: str = "previous") -> MonitorResult:
    """Flags and the quality fit for versions already measured."""
    codec = versions[0].codec if versions else "zlib-9"
    flag_versions(versions, r_pct, l_pct, against)
    fit, note = fit_quality(versions)
    if fit is not None:
        for version in versions:
            if version.quality is None:
                version.predicted_quality = fit.predict(version.ratio, version.loss)
    return MonitorResult(versions, r_pct, l_pct, codec, against, fit, note,
                         [v.version for v in versions if v.flag in WARNINGS])


# --- output ---------------------------------------------------------------------------------

def _cell(value: Optional[float], spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:+.1f}%"


def _quality_cell(v: VersionReport) -> str:
    if v.quality is not None:
        return f"{v.quality:.4g}"
    if v.predicted_quality is not None:
        return f"~{v.predicted_quality:.4g}"  # predicted by the fit
    return "-"


def format_report(result: MonitorResult) -> str:
    """The table, every flag in words, and the quality fit, as printed by ``zipcore monitor``."""
    versions = result.versions
    quality = any(v.quality is not None for v in versions)
    width = max([7] + [len(v.version) for v in versions])
    lines = [f"{'version':<{width}} {'samples':>9} {'bytes':>13} {'R':>7} {'dR':>7} {'L':>8} "
             f"{'dL':>7}" + (f" {'quality':>8}" if quality else "") + "  flag"]
    for v in versions:
        row = (f"{v.version:<{width}} {v.samples:>9} {v.bytes:>13} {v.ratio:>7.4f} "
               f"{_pct(v.ratio_change_pct):>7} {_cell(v.loss, '.4g'):>8} "
               f"{_pct(v.loss_change_pct):>7}")
        if quality:
            row += f" {_quality_cell(v):>8}"
        lines.append(f"{row}  {v.flag}".rstrip())
    lines += ["", f"R: {result.codec}. Versus the {result.against} version, R counts as up or "
                  f"down beyond {result.r_pct:g}%, L beyond {result.l_pct:g}% (--r-tol, --l-tol)."]
    flagged = [v for v in versions if v.flag]
    for v in flagged:
        lines.append(f"  {v.version}: {v.flag}: {v.explanation}")
    if not flagged:
        lines.append("  No flags: no version moved R or L beyond the thresholds.")
    if quality:
        lines.append("")
        lines.append(_format_fit(result) if result.fit is not None
                     else f"Quality: {result.fit_note}.")
    return "\n".join(lines) + "\n"


def _format_fit(result: MonitorResult) -> str:
    fit = result.fit
    assert fit is not None
    error = ("" if fit.loo_rms_error is None else
             f", leave-one-out RMS error {fit.loo_rms_error:.4g}")
    r2 = "" if fit.r_squared is None else f", R^2 {fit.r_squared:.3f}"
    lines = [f"Quality fit: {result.fit_note}.",
             f"  {fit.formula()}",
             f"  residual RMS {fit.rms_error:.4g}{error}{r2}"]
    for v in result.versions:
        if v.quality is None:
            if v.predicted_quality is None:
                lines.append(f"  {v.version}: no prediction (the fit uses L, which is not given)")
            else:
                spread = "" if fit.loo_rms_error is None else f" +- {fit.loo_rms_error:.2g}"
                lines.append(f"  {v.version}: predicted quality {v.predicted_quality:.4g}{spread}")
    return "\n".join(lines)


def plot_bytes(result: MonitorResult) -> bytes:
    """The monitor picture as PNG: R and L per version with flags; measured vs fitted quality."""
    from ._plot import FLAG_COLORS, new_figure, png_bytes

    versions = result.versions
    has_fit = result.fit is not None
    figure = new_figure(7.5, 6.0 if has_fit else 3.8)
    axes = figure.subplots(2 if has_fit else 1, 1, squeeze=False)[:, 0]
    x = np.arange(len(versions))
    names = [v.version for v in versions]
    ax = axes[0]
    ax.plot(x, [v.ratio for v in versions], "o-", color="#1565c0", label=f"R ({result.codec})")
    ax.set_ylabel("compression ratio R", color="#1565c0")
    ax.set_xticks(x, names)
    ax.margins(x=0.08, y=0.2)
    for i, v in enumerate(versions):
        if v.flag:
            ax.annotate(v.flag, (i, v.ratio), textcoords="offset points", xytext=(0, 9),
                        ha="center", fontsize=8, fontweight="bold",
                        color=FLAG_COLORS.get(v.flag, "black"))
    if any(v.loss is not None for v in versions):
        loss_ax = ax.twinx()
        points = [(i, v.loss) for i, v in enumerate(versions) if v.loss is not None]
        loss_ax.plot([p[0] for p in points], [p[1] for p in points], "s--", color="#6d4c41",
                     label="L (first epoch)")
        loss_ax.set_ylabel("first-epoch loss L", color="#6d4c41")
        loss_ax.margins(y=0.2)
    ax.set_title(f"Data versions: R and first-epoch loss L (flags: R beyond {result.r_pct:g}%, "
                 f"L beyond {result.l_pct:g}% vs the {result.against} version)", fontsize=9)
    if has_fit:
        _plot_quality(axes[1], result, x, names)
    return png_bytes(figure)


def _plot_quality(ax: Any, result: MonitorResult, x: np.ndarray, names: list[str]) -> None:
    fit = result.fit
    assert fit is not None
    versions = result.versions
    scored = [i for i, v in enumerate(versions) if v.quality is not None]
    ax.plot(scored, [versions[i].quality for i in scored], "o", color="black",
            label="measured")
    ax.plot(scored, [fit.predict(versions[i].ratio, versions[i].loss) for i in scored], "x",
            color="#1565c0", label=f"fit: {fit.formula()}")
    predicted = [i for i, v in enumerate(versions) if v.predicted_quality is not None]
    if predicted:
        error = fit.loo_rms_error
        ax.errorbar(predicted, [versions[i].predicted_quality for i in predicted],
                    yerr=error, fmt="D", color="#1565c0", capsize=3,
                    label="predicted" + ("" if error is None else " +- leave-one-out RMS error"))
    ax.set_xticks(x, names)
    ax.set_ylabel("quality")
    ax.margins(x=0.08, y=0.2)
    ax.legend(fontsize=8, loc="best")


def write_plot(path: PathLike, result: MonitorResult) -> None:
    """Writes :func:`plot_bytes` to ``path`` atomically."""
    atomic.write_file(path, plot_bytes(result))
