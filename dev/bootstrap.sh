#!/usr/bin/env bash
# Installs what building zipcore needs and the package itself into .venv/.
# System packages (a C++ compiler, zlib and zstd headers, venv) come from apt-get, only when missing.
# Usage: bash dev/bootstrap.sh [EXTRAS]   e.g. bash dev/bootstrap.sh "[test]"
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

python="${PYTHON:-python3}"
missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v "$python" >/dev/null 2>&1 || missing+=(python3)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
[ -f /usr/include/zstd.h ] || missing+=(libzstd-dev)
if command -v "$python" >/dev/null 2>&1; then
  "$python" -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
  include=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
  [ -f "$include/Python.h" ] || missing+=(python3-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}"
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".${extras}"
