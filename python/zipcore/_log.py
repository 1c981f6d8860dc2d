"""The ``zipcore`` logger. The library never prints: it logs one DEBUG line per run (a
selection: pool size, bytes, input type, codec, threads, seconds; a measure; candidate ratios)
to ``logging.getLogger("zipcore")``, which has a ``NullHandler`` (logging's convention for
libraries: the application decides where records go, e.g.
``logging.getLogger("zipcore").setLevel(logging.DEBUG)`` and ``logging.basicConfig()``).

DEBUG, not INFO: a program may run thousands of small selections, and a handler that keeps
records (pytest's) must not grow with them.

Not imported by ``import zipcore`` (``logging`` costs start-up time): the modules that log
import it, so the handler is in place before the first record.
"""

from __future__ import annotations

import logging

log = logging.getLogger("zipcore")
log.addHandler(logging.NullHandler())
