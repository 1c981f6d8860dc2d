"""matplotlib, optional: imported only when a picture is asked for, never through pyplot.

Figures are built with the object-oriented API and rendered by Agg straight to PNG bytes, so
zipcore neither changes the user's pyplot backend nor keeps figures alive in pyplot's registry.
"""

from __future__ import annotations

import io
import os
from typing import Any, Callable

INSTALL = "pip install 'zipcore[plot]'"

FLAG_COLORS = {"RISK": "#c62828", "R-UP": "#ef6c00", "L-UP": "#ef6c00", "MIXED": "#8e24aa",
               "GAIN": "#2e7d32", "R-DOWN": "#2e7d32"}


def require_matplotlib(what: str) -> None:
    """Fails early (before a long run) with how to install matplotlib if it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(f"{what} needs matplotlib, which is not installed; "
                          f"install it with: {INSTALL}") from None


def picture(width: float, height: float, draw: Callable[[Any], None]) -> bytes:
    """A PNG of a ``width`` x ``height`` inch figure that ``draw(figure)`` fills. Its labels are
    drawn as they are: a version or source name with ``$`` in it is not read as mathtext
    (which fails on ``$5_to_$10``, after all the work is done)."""
    import matplotlib
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
        draw(figure)
        # Without the Software key the bytes do not depend on the matplotlib version.
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def check_picture(label: str, path: Any) -> None:
    """Before any work, that the picture ``label`` asks for can be drawn and written: ImportError
    without matplotlib; ValueError where ``path`` is not named ``*.png`` (``-``, standard
    output, aside): the bytes are PNG whatever the name says, and a mistyped name (``--plot
    versions.csv``) must not replace another file with a picture."""
    name = os.fsdecode(getattr(path, "path", path))  # a path, or an Output planned for one
    if name != "-" and not name.lower().endswith(".png"):
        raise ValueError(f"{label} {name}: the picture is written as PNG: name it *.png")
    require_matplotlib(label)
