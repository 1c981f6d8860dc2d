"""The ``zipcore`` command: select a subset, keep what is like a target, measure compression
ratios, monitor data versions.

``main(argv)`` returns the exit status instead of exiting, so tests call it directly.
Exit status: 0 ok; 1 ``monitor --strict`` flagged a version; 2 bad usage, bad input or an output
that cannot be written (one ``zipcore: error:`` line, no traceback); 70 a bug (its traceback);
130 interrupted (Ctrl-C); 143 terminated (SIGTERM). A failed run leaves no output file behind.

All argparse code lives in this package: ``parser`` builds the command tree from the commands'
modules (``select`` with ``select_ray``, ``align``, ``ratio``, ``monitor``), ``arguments``
holds the flag types; this module is the one error boundary.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from typing import Any, Optional, Sequence

from .._stop import Terminated, sigterm_raises, stop_status
from .arguments import UsageError
from .parser import build_parser

__all__ = ["EXIT_SOFTWARE", "EXIT_USAGE", "UsageError", "main"]

EXIT_USAGE = 2
"""Bad usage, bad input, or an output or resource the run cannot have (disk full, no memory)."""
EXIT_SOFTWARE = 70
"""A bug in zipcore (sysexits' EX_SOFTWARE): the traceback is printed, please report it."""


def _describe(exc: BaseException) -> str:
    # OSError's str() starts with "[Errno 2]"; users want the file and the reason.
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror
    if isinstance(exc, MemoryError):
        return "out of memory"
    return str(exc)


def _show_warning(message: Any, category: Any, filename: str, lineno: int,
                  file: Any = None, line: Optional[str] = None) -> None:
    print(f"zipcore: warning: {message}", file=sys.stderr)


class _Messages:
    """Standard error for a run: what cannot be written there (a full disk behind ``2>``, a
    reader gone from ``2>&1 | head``) is dropped, so the run goes on and its exit status tells
    (a failed write of the progress bar or of a message would end the run, exit status 1)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:  # what the stream returns is not kept: a file-like object's write may return None
            self._stream.write(text)
        except (OSError, ValueError):  # ValueError: a closed file
            pass
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding: tqdm's questions
        return getattr(self._stream, name)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    The one error boundary of the command line: an expected failure is one line
    ``zipcore: error: ...`` and exit status 2; Ctrl-C and SIGTERM exit with 130 and 143 after
    removing temporary files; anything else is a bug, shown with its traceback, exit status 70.
    """
    stderr = sys.stderr
    # started with 2>&-: print(file=None) would write to stdout, the data
    sys.stderr = _Messages(open(os.devnull, "w") if stderr is None else stderr)
    try:
        return _run(argv)
    finally:
        sys.stderr = stderr


def _run(argv: Optional[Sequence[str]]) -> int:
    with sigterm_raises(), warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = _show_warning
        try:
            args = build_parser().parse_args(argv)
            status: int = args.run(args)
            return status
        except SystemExit as exc:  # --help and --version exit through argparse
            return exc.code if isinstance(exc.code, int) else 0
        except (KeyboardInterrupt, Terminated) as stop:
            return stop_status(stop)
        except (UsageError, ValueError, OSError, MemoryError) as exc:  # ZipcoreError: ValueError
            print(f"zipcore: error: {_describe(exc)}", file=sys.stderr)
            return EXIT_USAGE
        except Exception:  # noqa: BLE001 - the boundary: a bug must stay visible
            traceback.print_exc()
            print("zipcore: internal error (a bug in zipcore: please report it with the "
                  "traceback above)", file=sys.stderr)
            return EXIT_SOFTWARE
