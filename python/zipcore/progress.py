"""The progress bar of ``progress=True`` in the API and of the command line (``-q``: none)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Iterator, Optional


class ProgressBar:
    """Drives a tqdm bar from select's ``progress(stage, round, done, total)`` callback.

    The bar is created on the first call, when the run's total evaluation count is known,
    so tqdm's rate and ETA cover the whole run rather than one stage. A standard error that
    cannot be written (a full disk, a reader gone) ends the bar, not the run.
    """

    def __init__(self, label: Optional[str] = None) -> None:
        self._bar: Any = None
        self._label = ""
        self._fixed = label  # one label for the whole run (alignment), or stage and round
        self._failed = False

    def __call__(self, stage: int, round_: int, done: int, total: int) -> None:
        if self._failed:
            return
        try:
            self._show(stage, round_, done, total)
        except (OSError, ValueError):  # ValueError: a closed file
            self._failed = True

    def _show(self, stage: int, round_: int, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm  # on a run's first report: importing zipcore stays light

            self._bar = tqdm(total=total, unit="eval", unit_scale=True, dynamic_ncols=True,
                             file=sys.stderr, leave=False)
        label = (self._fixed if self._fixed is not None
                 else "stage 1" if stage == 1 else f"stage {stage} round {round_}")
        if label != self._label:  # shown at once: a stage can be shorter than tqdm's interval
            self._bar.set_description_str(label)
            self._label = label
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None and not self._failed:
            try:
                self._bar.close()
            except (OSError, ValueError):
                pass


@contextmanager
def progress_callback(progress: Any, label: Optional[str] = None) -> Iterator[Any]:
    """What a run hands the engine for ``progress=`` (checked by ``params.check_progress``): a
    callable as it is, None for None or False, and for True a bar, closed when the run ends,
    failed or not. With a ``label`` (alignment) the bar is called as ``(done, total)``."""
    if progress is not True:
        yield progress if callable(progress) else None
        return
    bar = ProgressBar(label)
    try:
        yield bar if label is None else (lambda done, total: bar(1, 0, done, total))
    finally:
        bar.close()
