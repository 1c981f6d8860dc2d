#!/usr/bin/env bash
# Builds the engine's own C++ tests (cpp/tests: deflate_block_cost, resumed_parse and group_measure
# against zlib itself) in build/cpp-tests, without Python, and runs them. Non-zero on any failure.
# Extra arguments go to CMake (e.g. -DZIPCORE_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/cpp-tests -DCMAKE_BUILD_TYPE=Release -DZIPCORE_BUILD_TESTS=ON \
  -DZIPCORE_BUILD_PYTHON=OFF -DZIPCORE_WERROR=ON "$@" > /dev/null
cmake --build build/cpp-tests -j2
cd build/cpp-tests
ctest --output-on-failure
