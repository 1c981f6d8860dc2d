"""The progress bar of ``zipcore select`` and of ``progress=True`` in the API."""

from __future__ import annotations

import sys
from typing import Optional

from tqdm import tqdm


class ProgressBar:
    """Drives a tqdm bar from select's ``progress(stage, round, done, total)`` callback.

    The bar is created on the first call, when the run's total evaluation count is known,
    so tqdm's rate and ETA cover the whole run rather than one stage.
    """

    def __init__(self, label: Optional[str] = None) -> None:
        self._bar: Optional[tqdm] = None
        self._label = ""
        self._fixed = label  # one label for the whole run (alignment), or stage and round

    def __call__(self, stage: int, round_: int, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(total=total, unit="eval", unit_scale=True, dynamic_ncols=True,
                             file=sys.stderr, leave=False)
        label = (self._fixed if self._fixed is not None
                 else "stage 1" if stage == 1 else f"stage {stage} round {round_}")
        if label != self._label:  # shown at once: a stage can be shorter than tqdm's interval
            self._bar.set_description_str(label)
            self._label = label
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
