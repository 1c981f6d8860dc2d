"""The monitor's picture (PNG): R and L per version with their flags, and measured against
fitted quality when there is a fit. matplotlib is imported (by ``..plotting``) only to draw."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from ...io import PathLike, atomic
from ..plotting import FLAG_COLORS, check_picture, picture
from .flags import MonitorResult


def plot_bytes(result: MonitorResult) -> bytes:
    """The monitor picture as PNG: R and L per version with flags; measured vs fitted quality."""
    has_fit = result.fit is not None
    return picture(7.5, 6.0 if has_fit else 3.8, lambda figure: _draw(figure, result, has_fit))


def _draw(figure: Any, result: MonitorResult, has_fit: bool) -> None:
    versions = result.versions
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


def write_plot(path: Union[atomic.Output, PathLike], result: MonitorResult) -> None:
    """Writes :func:`plot_bytes` to ``path`` atomically."""
    check_picture("the monitor picture", path)
    atomic.write_file(path, plot_bytes(result))
