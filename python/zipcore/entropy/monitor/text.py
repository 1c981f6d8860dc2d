"""The monitor's report as text: the table of versions, every flag in words, the quality fit
(what ``zipcore monitor`` prints)."""

from __future__ import annotations

from typing import Optional

from .flags import MonitorResult, VersionReport


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
