"""Classifying data versions: each version's change in R and L from the one before, its flag
(the table in the package docstring) and the quality fit over all versions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional, Sequence

from ..quality_fit import QualityFit, fit_quality

R_PCT = 1.0
"""Default: R is up (down) when more than 1 % above (below) the previous version's."""
L_PCT = 0.5
"""Default: L is up (down) when more than 0.5 % above (below) the previous version's."""
WARNINGS = ("RISK", "R-UP", "L-UP", "MIXED")
AGAINST = ("previous", "first")

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
    format: str = ""
    """The record format its samples were made by (one for every version of a run)."""


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


def _change_pct(value: Optional[float], previous: Optional[float]) -> Optional[float]:
    if value is None or previous is None:
        return None
    return 100.0 * (value / previous - 1.0)


def _direction(change: Optional[float], threshold: float) -> Optional[int]:
    if change is None:
        return None
    return 1 if change > threshold else -1 if change < -threshold else 0


def classify(ratio_change_pct: Optional[float], loss_change_pct: Optional[float],
             r_pct: float = R_PCT, l_pct: float = L_PCT) -> str:
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


def check_against(against: str) -> None:
    if against not in AGAINST:
        raise ValueError(f"against must be one of {', '.join(AGAINST)}, got {against!r}")


def flag_versions(versions: Sequence[VersionReport], r_pct: float = R_PCT,
                  l_pct: float = L_PCT, against: str = "previous") -> None:
    """Fills in each version's change from the previous version (or from the first one, for
    candidate versions built from one base), its flag and explanation."""
    check_against(against)
    bases = versions[:-1] if against == "previous" else [versions[0]] * (len(versions) - 1)
    for before, now in zip(bases, versions[1:]):
        now.ratio_change_pct = _change_pct(now.ratio, before.ratio)
        now.loss_change_pct = _change_pct(now.loss, before.loss)
        now.flag = classify(now.ratio_change_pct, now.loss_change_pct, r_pct, l_pct)
        now.explanation = _explain(now.flag, now, before) if now.flag else ""


def analyse(versions: list[VersionReport], *, r_pct: float = R_PCT, l_pct: float = L_PCT,
            against: str = "previous") -> MonitorResult:
    """Flags and the quality fit for versions already measured (``VersionReport``s, as
    :func:`zipcore.entropy.monitor.measure` makes them, oldest first). ValueError for none."""
    if not versions:
        raise ValueError("no versions to analyse")
    codec = versions[0].codec
    flag_versions(versions, r_pct, l_pct, against)
    fit, note = fit_quality(versions)
    if fit is not None:
        for version in versions:
            if version.quality is None:
                version.predicted_quality = fit.predict(version.ratio, version.loss)
    return MonitorResult(versions, r_pct, l_pct, codec, against, fit, note,
                         [v.version for v in versions if v.flag in WARNINGS])
