#!/usr/bin/env bash
# Installs what building zipcore needs and the package itself into .venv/.
# System packages (a C++ compiler, zlib and zstd headers, venv) come from apt-get, only when missing.
# Usage: bash dev/bootstrap.sh [EXTRAS]   e.g. bash dev/bootstrap.sh "[test]"
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

python="${PYTHON:-python3}"
source dev/build_deps.sh
install_build_deps "$python"

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".${extras}"
