#!/usr/bin/env bash
# Builds zipcore with AddressSanitizer + UndefinedBehaviorSanitizer (CMake option ZIPCORE_SANITIZE)
# into its own venv, build/asan/venv, and runs
#   1. the test suite with the ASan runtime preloaded into Python (leak detection off: the
#      interpreter's own exit-time allocations would drown it), then
#   2. dev/lsan_check.py: the same workload of zipcore calls (ok and failing) at two sizes under
#      LeakSanitizer; fails on a leak that grows with the calls or comes from the engine;
#   3. the engine's fuzz harnesses (tests/fuzz/fuzz_select.py, fuzz_candidate_ratios.py,
#      fuzz_checkpoint.py: resuming from damaged states) for ZIPCORE_SANITIZE_FUZZ seconds each
#      (default 10, 0 skips), random small pools under ASan.
# Any ASan/UBSan/LSan report, in pytest or in a subprocess a test starts, fails the script.
#
# Needs what dev/bootstrap.sh installs (g++, zlib and zstd headers, python3-venv); the build
# and pytest come from PyPI into build/asan/venv, so .venv/ is left alone.
# Usage: bash dev/sanitize.sh [PYTEST ARGS]      e.g. bash dev/sanitize.sh -k exactness
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python="${PYTHON:-python3}"
venv=build/asan/venv
logs=build/asan/logs

started=$SECONDS
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# RelWithDebInfo: reports name file and line; the CMake build folder is kept between runs.
PIP_ONLY_BINARY=atheris "$venv/bin/python" -m pip install -q ".[test,fuzz]" \
  -Ccmake.define.ZIPCORE_SANITIZE=ON -Ccmake.build-type=RelWithDebInfo -Cbuild-dir=build/asan/cmake
echo "sanitize: built in $((SECONDS - started)) s"

asan_rt=$(g++ -print-file-name=libasan.so)
ubsan_rt=$(g++ -print-file-name=libubsan.so)
if [ "$asan_rt" = libasan.so ] || [ "$ubsan_rt" = libubsan.so ]; then
  echo "sanitize: g++ has no libasan.so/libubsan.so (install the compiler's libasan/libubsan)" >&2
  exit 1
fi
rm -rf "$logs"
mkdir -p "$logs"

# The runtimes must come first in the process (ASan refuses to start otherwise), so they are
# preloaded into the uninstrumented interpreter. PYTHONMALLOC=malloc gives every Python object
# (the bytes buffers the engine reads included) its own malloc block with red zones, instead of
# a slot in pymalloc's arenas where an overread would go unnoticed. Reports go to files in $logs
# (the process still stops, with exit status 86), so that one raised in a subprocess whose exit
# status a test does not look at is still found by check_logs.
export LD_PRELOAD="$asan_rt $ubsan_rt" PYTHONMALLOC=malloc
# Tests that start Ray skip themselves under this flag (see tests/test_distributed.py).
export ZIPCORE_SANITIZED=1
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:exitcode=86:log_path=$root/$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$root/$logs/ubsan"

check_logs() {
  if compgen -G "$logs/*" >/dev/null; then
    echo "sanitize: FAILED, $1 left sanitizer reports:" >&2
    for f in "$logs"/*; do
      echo "==== $f" >&2
      head -c 20000 "$f" >&2
    done
    exit 1
  fi
}

started=$SECONDS
status=0
# -p no:cacheprovider: the sanitized run leaves .pytest_cache to the ordinary one.
"$venv/bin/python" -m pytest -p no:cacheprovider -q "$@" || status=$?
check_logs "pytest"
[ "$status" = 0 ] || { echo "sanitize: FAILED, pytest exited $status" >&2; exit "$status"; }
echo "sanitize: test suite clean under ASan+UBSan in $((SECONDS - started)) s"

started=$SECONDS
status=0
# The driver runs without the runtimes and starts its workloads under LeakSanitizer itself.
env -u LD_PRELOAD "$venv/bin/python" dev/lsan_check.py --preload "$asan_rt $ubsan_rt" \
  --logs "$logs" || status=$?
check_logs "the leak check"
[ "$status" = 0 ] || { echo "sanitize: FAILED, the leak check exited $status" >&2; exit "$status"; }
echo "sanitize: leak check clean under LeakSanitizer in $((SECONDS - started)) s"

fuzz_seconds="${ZIPCORE_SANITIZE_FUZZ:-10}"
if [ "$fuzz_seconds" != 0 ]; then
  started=$SECONDS
  # gcc's ASan runtime takes over the coverage callbacks, so under it atheris mutates the
  # checked-in corpus without coverage feedback: random pools, every one checked by ASan.
  status=0
  ZIPCORE_FUZZ_PYTHON="$venv/bin/python" ZIPCORE_FUZZ_ONLY="fuzz_select fuzz_candidate_ratios fuzz_checkpoint" \
    bash dev/fuzz.sh "$fuzz_seconds" || status=$?
  check_logs "the fuzz harnesses"
  if [ "$status" != 0 ]; then
    echo "sanitize: FAILED, a fuzz harness exited $status" >&2
    exit "$status"
  fi
  echo "sanitize: fuzz harnesses clean under ASan+UBSan in $((SECONDS - started)) s"
fi
