"""``python -m zipcore``: the same command line as the ``zipcore`` script."""

from .cli import main

raise SystemExit(main())
