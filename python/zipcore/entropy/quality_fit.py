"""Quality against the entropy law's R and L: a least-squares fit over the scored data versions.

The law says quality falls as R rises and, at equal R, as the first-epoch loss L rises; with a
few versions whose quality was measured, a linear fit ``quality ~ a + b*R (+ c*L)`` predicts the
quality of the versions not yet evaluated. The error reported with it is leave-one-out: each
scored version predicted by the fit of the others, which is what a new version can expect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

MIN_SCORED = 3
"""Scored versions needed for a fit (of quality on R alone; on R and L, one more)."""


@dataclass
class QualityFit:
    """quality ~ intercept + sum(coefficient * term), least squares over the scored versions."""

    terms: list[str]
    """``["R"]`` or ``["R", "L"]``."""
    intercept: float
    coefficients: list[float]
    versions: list[str]
    rms_error: float
    """Root mean square of the residuals (in-sample)."""
    loo_rms_error: Optional[float]
    """Root mean square error of leave-one-out predictions: the error to expect on a new
    version. None when a version cannot be left out (too few points for the terms)."""
    r_squared: Optional[float]

    def predict(self, ratio: float, loss: Optional[float]) -> Optional[float]:
        values = {"R": ratio, "L": loss}
        known = {term: value for term, value in values.items() if value is not None}
        if any(term not in known for term in self.terms):
            return None
        return float(self.intercept
                     + sum(c * known[t] for c, t in zip(self.coefficients, self.terms)))

    def formula(self) -> str:
        text = f"quality = {self.intercept:.4g}"
        for coefficient, term in zip(self.coefficients, self.terms):
            text += f" {'-' if coefficient < 0 else '+'} {abs(coefficient):.4g}*{term}"
        return text


def _design(rows: Sequence[Any], terms: Sequence[str]) -> np.ndarray:
    columns = [np.ones(len(rows))]
    for term in terms:
        columns.append(np.array([r.ratio if term == "R" else r.loss for r in rows], dtype=float))
    return np.column_stack(columns)


def _lstsq(x: np.ndarray, y: np.ndarray) -> Optional[np.ndarray]:
    if np.linalg.matrix_rank(x) < x.shape[1]:
        return None
    solution: np.ndarray = np.linalg.lstsq(x, y, rcond=None)[0]
    return solution


def _loo_rms(x: np.ndarray, y: np.ndarray) -> Optional[float]:
    errors = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        beta = _lstsq(x[keep], y[keep])
        if beta is None:
            return None
        errors.append(float(x[i] @ beta - y[i]))
    return math.sqrt(sum(e * e for e in errors) / len(errors))


def fit_quality(versions: Sequence[Any]) -> tuple[Optional[QualityFit], str]:
    """Least-squares fit of quality on R (and L); returns the fit (or None) and a note.

    ``versions`` have ``version``, ``ratio``, ``loss`` and ``quality`` (None where not measured),
    like :class:`zipcore.entropy.monitor.VersionReport`.

    R and L are both used when at least four scored versions all have L (three points would
    fit three parameters exactly, leaving no error to report); otherwise R alone.
    """
    scored = [v for v in versions if v.quality is not None]
    if len(scored) < MIN_SCORED:
        return None, (f"no quality fit: it needs at least {MIN_SCORED} versions with a quality "
                      f"score, {len(scored)} given")
    y = np.array([v.quality for v in scored], dtype=float)
    candidates = [["R"]]
    if all(v.loss is not None for v in scored) and len(scored) >= MIN_SCORED + 1:
        candidates.insert(0, ["R", "L"])
    for terms in candidates:
        x = _design(scored, terms)
        beta = _lstsq(x, y)
        if beta is None:
            continue
        residuals = x @ beta - y
        total = float(np.sum((y - y.mean()) ** 2))
        fit = QualityFit(
            terms=list(terms), intercept=float(beta[0]), coefficients=[float(b) for b in beta[1:]],
            versions=[v.version for v in scored],
            rms_error=math.sqrt(float(np.mean(residuals ** 2))),
            loo_rms_error=_loo_rms(x, y),
            r_squared=1.0 - float(np.sum(residuals ** 2)) / total if total > 0 else None)
        why = ("" if terms == ["R", "L"] else
               "; L left out: fitting it too needs 4 or more scored versions, all with L"
               if len(candidates) == 1 else "; L left out: R and L do not vary independently")
        return fit, (f"least squares on {' and '.join(terms)} over {len(scored)} scored versions "
                     f"({', '.join(fit.versions)}){why}")
    return None, "no quality fit: R does not vary across the scored versions"
