#!/usr/bin/env bash
# Builds zipcore with its test extras into .venv/ and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/bootstrap.sh "[test]"
.venv/bin/python -m pytest "$@"
