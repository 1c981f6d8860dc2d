# What building zipcore needs from the system: a C++ compiler, zlib and zstd headers, Python's
# venv and headers. Sourced by dev/bootstrap.sh and dev/wheel.sh; install_build_deps PYTHON
# installs the missing ones through apt-get (as root, or with sudo).
install_build_deps() {
  local python="$1"
  local missing=()
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v "$python" >/dev/null 2>&1 || missing+=(python3)
  [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
  [ -f /usr/include/zstd.h ] || missing+=(libzstd-dev)
  if command -v "$python" >/dev/null 2>&1; then
    "$python" -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
    local include
    include=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
    [ -f "$include/Python.h" ] || missing+=(python3-dev)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}" >&2
    local sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}"
  fi
}
