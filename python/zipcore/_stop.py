"""How the command line stops on Ctrl-C and SIGTERM: as an exception in the main thread.

SIGTERM is what ``timeout``, Slurm and Kubernetes send. Python's default for it ends the process
on the spot, leaving temporary files behind; here it raises :class:`Terminated` instead, exactly
where Ctrl-C raises ``KeyboardInterrupt``: the engine's poll hook runs Python's signal handlers
about ten times a second, so a running selection stops within about 0.1 s, every ``finally``
runs (temporary files are removed, the last complete checkpoint stays), and the command exits
with 128 + the signal's number.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Any, Iterator

EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt: ``except Exception`` must not
    swallow it."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread; the previous
    handler comes back afterwards. Elsewhere than the main thread it changes nothing (only the
    main thread may set signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def keep_sigterm_handler() -> Iterator[None]:
    """Puts zipcore's SIGTERM handler back after the block if the block replaced it (``ray.init``
    installs one that exits with status 15, skipping the command line's clean stop). Any other
    handler, or none, is left as the block set it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    ours = signal.getsignal(signal.SIGTERM) is _raise_terminated
    try:
        yield
    finally:
        if ours:
            signal.signal(signal.SIGTERM, _raise_terminated)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM wait: they are noted, and delivered to the handlers of
    before as the block ends (where it raises, its error goes on instead). For steps that must
    run whole, such as renaming a command's outputs into place or putting them back. Elsewhere
    than the main thread it changes nothing (Python runs signal handlers in the main thread
    only), nor where a handler was set outside Python (it could not be put back)."""
    signals = (signal.SIGINT, signal.SIGTERM)
    if (threading.current_thread() is not threading.main_thread()
            or any(signal.getsignal(number) is None for number in signals)):
        yield
        return
    noted: list[int] = []
    previous = {number: signal.signal(number, lambda number, frame: noted.append(number))
                for number in signals}
    try:
        yield
    finally:
        _put_back(previous)
    if noted:  # not reached where the block raised: its error is the one to report
        signal.raise_signal(noted[0])


def _put_back(handlers: "dict[signal.Signals, Any]") -> None:
    """Each handler put back, even where a signal arrives between two (it runs then, and may
    raise, but the other handler is put back all the same)."""
    (first, first_handler), (second, second_handler) = handlers.items()
    try:
        signal.signal(first, first_handler)
    finally:
        signal.signal(second, second_handler)


def stop_status(stop: BaseException) -> int:
    """Prints the one line for a Ctrl-C or SIGTERM and returns the exit status."""
    terminated = isinstance(stop, Terminated)
    print(f"zipcore: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
