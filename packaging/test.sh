#!/usr/bin/env bash
# Fresh machine -> dependencies, a Release build and the whole test suite (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/setup-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
ctest --test-dir build --output-on-failure
