#!/usr/bin/env bash
# Builds zipcore with its test extras into .venv/ and runs the test suite.
#   bash dev/test.sh            the fast tier: every test not marked `slow` (about a minute)
#   bash dev/test.sh --all      every test (also: ZIPCORE_ALL_TESTS=1 bash dev/test.sh)
# Other arguments go to pytest (a -m of your own replaces the tier's).
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/bootstrap.sh "[test]"
tier=(-m "not slow")
if [ "${1:-}" = "--all" ]; then
  shift
  tier=()
elif [ "${ZIPCORE_ALL_TESTS:-0}" = "1" ]; then
  tier=()
fi
.venv/bin/python -m pytest ${tier[@]+"${tier[@]}"} "$@"
