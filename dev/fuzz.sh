#!/usr/bin/env bash
# Runs every atheris harness tests/fuzz/fuzz_*.py for a while, starting from its checked-in corpus
# tests/fuzz/corpus/<harness>/, and fails on the first crash, hang or broken invariant.
# New interesting inputs go to a scratch folder, so the tree stays clean unless asked otherwise.
#
# Usage: bash dev/fuzz.sh [SECONDS_PER_HARNESS]           (default 10: CI's short run)
#        ZIPCORE_FUZZ_UPDATE=1 bash dev/fuzz.sh 600      then merges the new inputs, minimized
#                                                        (libFuzzer -merge=1), into the corpus
#        ZIPCORE_FUZZ_ONLY="fuzz_select" bash dev/fuzz.sh        only these harnesses
#        ZIPCORE_FUZZ_PYTHON=path/to/python bash dev/fuzz.sh     an interpreter that already has
#                                                zipcore and atheris (dev/sanitize.sh's ASan venv)
# A finding is kept as build/fuzz/crash-*; replay it with
#        .venv/bin/python tests/fuzz/fuzz_NAME.py build/fuzz/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
python="${ZIPCORE_FUZZ_PYTHON:-}"
if [ -z "$python" ]; then
  # atheris ships manylinux wheels; never fall back to its sdist (it needs clang and libFuzzer).
  PIP_ONLY_BINARY=atheris bash dev/bootstrap.sh "[test,fuzz]"
  python=.venv/bin/python
fi
if ! "$python" -c "import atheris" 2>/dev/null; then
  echo "fuzz: atheris is not installed (pyproject.toml's 'fuzz' extra; a wheel for this Python)" >&2
  exit 1
fi

out=build/fuzz
mkdir -p "$out"
scratch=$(mktemp -d)
# The reader harnesses write each input to a file: on tmpfs that is 25 times faster than on disk.
files=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch" "$files"' EXIT
export ZIPCORE_FUZZ_TMP="$files"
# libgomp's idle workers spin for a while after each parallel region; with thousands of tiny
# calls a second they would take the CPU from the harness itself (8,000 vs 650 runs/s here).
export OMP_WAIT_POLICY=passive

total=0
for harness in tests/fuzz/fuzz_*.py; do
  name=$(basename "$harness" .py)
  if [ -n "${ZIPCORE_FUZZ_ONLY:-}" ] && [[ " $ZIPCORE_FUZZ_ONLY " != *" $name "* ]]; then
    continue
  fi
  corpus=tests/fuzz/corpus/$name
  mkdir -p "$corpus" "$scratch/$name"
  # Room above libFuzzer's 2 GB default: zstd's highest levels and ASan's quarantine.
  options=(-max_total_time="$seconds" -timeout=120 -rss_limit_mb=6144 -print_final_stats=1
           -artifact_prefix="$out/")
  case $name in fuzz_json*) options+=(-dict=tests/fuzz/json.dict) ;; esac
  status=0
  "$python" "$harness" "$scratch/$name" "$corpus" "${options[@]}" >"$scratch/$name.log" 2>&1 \
    || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$name.log")
  if [ "$status" != 0 ]; then
    tail -n 60 "$scratch/$name.log" >&2
    echo "fuzz: $name FAILED (exit $status); the input is under $out/" >&2
    exit 1
  fi
  echo "fuzz: $name: ${runs:-?} runs in ${seconds} s, no finding"
  total=$((total + ${runs:-0}))
  if [ "${ZIPCORE_FUZZ_UPDATE:-0}" = 1 ]; then
    # -merge=1 starts the harness again as a command (./fuzz_*.py, #!/usr/bin/env python3):
    # the interpreter's folder goes first on PATH so that command finds the same interpreter.
    PATH="$(dirname "$python"):$PATH" "$python" "$harness" -merge=1 "$corpus" "$scratch/$name" \
      >"$scratch/$name.merge.log" 2>&1
    echo "fuzz: $name: corpus now $(find "$corpus" -type f | wc -l) files"
  fi
done
echo "fuzz: $total runs in total, no finding"
