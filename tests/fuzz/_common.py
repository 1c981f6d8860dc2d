"""Helpers shared by the atheris harnesses (not a harness itself: dev/fuzz.sh runs fuzz_*.py).

Each harness is a plain script: ``python tests/fuzz/fuzz_NAME.py [CORPUS_DIR ...] [-runs=N]
[-max_total_time=S] ...`` takes libFuzzer's options. An input that makes a harness raise (a broken
invariant, an unexpected exception type) or kills the process is a finding; libFuzzer writes it to
``crash-*`` in the working directory for replay: ``python tests/fuzz/fuzz_NAME.py crash-...``.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import sys
import types
from pathlib import Path
from typing import Callable, Sequence

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # for tests/oracle.py


class Outcomes:
    """Counts what the inputs led to (``valid``, ``rejected``, ...), so a run can say how many
    calls really reached the engine. libFuzzer ends the process without running Python's exit
    handlers, so the counts are written to ``$ZIPCORE_FUZZ_STATS`` (when set) every 1,000 inputs.
    """

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.path = os.environ.get("ZIPCORE_FUZZ_STATS")
        self.inputs = 0

    def add(self, outcome: str) -> None:
        self.counts[outcome] += 1
        self.inputs += 1
        if self.path and self.inputs % 1000 == 0:
            Path(self.path).write_text(json.dumps({"inputs": self.inputs, **self.counts}))


OUTCOMES = Outcomes()


def instrument(prefixes: Sequence[str]) -> int:
    """Adds atheris' coverage instrumentation to every loaded function of these modules.

    ``atheris.instrument_imports`` skips zipcore when it is installed in editable mode (its
    modules come through scikit-build-core's own loader), so the functions are patched after
    import instead, the way ``atheris.instrument_all`` does, but only for the code under test.
    """
    import atheris

    count = 0
    for obj in gc.get_objects():
        if (isinstance(obj, types.FunctionType)
                and str(getattr(obj, "__module__", "")).split(".")[0] in prefixes):
            atheris.instrument_func(obj)
            count += 1
    return count


def run(test_one_input: Callable[[bytes], None], prefixes: Sequence[str]) -> None:
    """Instruments ``prefixes`` and starts libFuzzer with the command line's options."""
    import atheris

    count = instrument(prefixes)
    print(f"INFO: instrumented {count} functions of {', '.join(prefixes)}", file=sys.stderr)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
