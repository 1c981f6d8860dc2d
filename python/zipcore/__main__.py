"""The ``zipcore`` command (``python -m zipcore`` and the ``zipcore`` script).

Ctrl-C or SIGTERM while the command line is still being imported ends the command like one
during a run: one line, exit status 130 or 143, no traceback.
"""

from __future__ import annotations

from ._stop import Terminated, sigterm_raises, stop_status


def main() -> int:
    with sigterm_raises():
        try:
            from .cli import main as run
        except (KeyboardInterrupt, Terminated) as stop:
            return stop_status(stop)
        return run()


if __name__ == "__main__":
    raise SystemExit(main())
