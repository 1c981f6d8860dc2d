#!/usr/bin/env bash
# Type checks, after dev/test.sh has built .venv: mypy --strict over python/zipcore (the settings
# are pyproject's [tool.mypy]), then stubtest: the engine's stubs (_core.pyi) against the built
# module, so a binding change without its stub fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m mypy
.venv/bin/python -m mypy.stubtest zipcore._core --allowlist dev/stubtest_allowlist.txt
