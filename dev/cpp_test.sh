#!/usr/bin/env bash
# Builds the engine's own C++ tests (cpp/tests: deflate_block_cost, resumed_parse and group_measure
# against zlib itself, zstd_group_dictionary against libzstd) without Python, and runs them.
# Non-zero on any failure.
# Extra arguments go to CMake and override the defaults below, e.g. -DZIPCORE_SANITIZE=ON (with
# ZIPCORE_CPP_TEST_BUILD=build/cpp-tests-asan to keep that build apart).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ZIPCORE_CPP_TEST_BUILD:-build/cpp-tests}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DZIPCORE_BUILD_TESTS=ON -DZIPCORE_BUILD_PYTHON=OFF \
  -DZIPCORE_WERROR=ON -DZIPCORE_SANITIZE=OFF "$@" > /dev/null
cmake --build "$build" -j2
cd "$build"
ctest --output-on-failure
