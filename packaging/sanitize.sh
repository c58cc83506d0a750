#!/usr/bin/env bash
# The engine, the CLI and their tests built with AddressSanitizer + UndefinedBehaviorSanitizer
# (and LeakSanitizer, part of ASan) in build-asan/, then run under CTest. Any report fails the run.
#   packaging/sanitize.sh                 build and run every core and CLI test
#   packaging/sanitize.sh -R test_cli     extra arguments go to ctest
# JOBS (default 2) sets the build's parallelism; BUILD_DIR (default build-asan) its folder.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-asan}
cmake -S . -B "$build" -DPATCHGENCN_SANITIZE=ON -DPATCHGENCN_GUI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"${JOBS:-2}"
# LibTorch, OpenCV and Qt are not instrumented; tests/sanitizers/lsan.supp names the one-time
# allocations of theirs that LeakSanitizer reports (each with its reason). Nothing of ours is suppressed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0}
# Instrumented training runs a few times slower than Qt Test's 5-minute watchdog allows for one function.
export QTEST_FUNCTION_TIMEOUT=${QTEST_FUNCTION_TIMEOUT:-3600000}
# CTest passes the environment on to the tests, and test_cli to the patchgencn processes it starts.
ctest --test-dir "$build" --output-on-failure "$@"
