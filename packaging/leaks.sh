#!/usr/bin/env bash
# No leaks in a command-line train-and-sample run of a tiny image (quick preset, 24 px, 2 scales,
# 5 iterations, then 2 samples). Fails on any leak (and, with valgrind, on any memory error).
#   packaging/leaks.sh [CLI]              LeakSanitizer: the sanitizer build's CLI (default
#                                         build-asan/app/patchgencn; packaging/sanitize.sh builds it)
#   packaging/leaks.sh --valgrind [CLI]   valgrind memcheck on a non-sanitized CLI (default
#                                         build/app/patchgencn): definitely and indirectly lost must be 0;
#                                         one-time allocations still reachable at exit are listed, not leaks
# Valgrind 3.19 needs a CPU that advertises RDTSCP: libhwy (LibTorch -> libavcodec -> libjxl -> libhwy)
# executes it in a static initializer, and valgrind stops with SIGILL before main where CPUID lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=lsan
if [[ "${1:-}" == "--valgrind" ]]; then
    mode=valgrind
    shift
fi
if [[ $mode == lsan ]]; then cli=${1:-build-asan/app/patchgencn}; else cli=${1:-build/app/patchgencn}; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ printf 'P6\n24 20\n255\n'; head -c $((24 * 20 * 3)) /dev/urandom; } >"$tmp/tiny.ppm"
export OMP_NUM_THREADS=2
runs=(
    "train $tmp/tiny.ppm -o $tmp/m.pgcn --preset quick --max-size 24 --min-size 12 --scales 2 --iters 5"
    "sample $tmp/m.pgcn -n 2 -o $tmp/out"
)
status=0
for run in "${runs[@]}"; do
    name=${run%% *}
    echo "== patchgencn $name ($mode)"
    if [[ $mode == lsan ]]; then
        # exitcode 23: LeakSanitizer found leaks; the report goes to the log
        ASAN_OPTIONS=detect_leaks=1:exitcode=23 \
        LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0 \
            "$cli" $run >"$tmp/$name.log" 2>&1 || status=$?
        if grep -q "LeakSanitizer" "$tmp/$name.log"; then
            grep -E "^(Direct|Indirect) leak|^SUMMARY" "$tmp/$name.log"
        else
            echo "LeakSanitizer: no leaks (exit $status)"
        fi
    else
        valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
            --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=40 \
            --log-file="$tmp/$name.log" "$cli" $run || status=$?
        grep -E 'definitely lost|indirectly lost|possibly lost|still reachable|ERROR SUMMARY|Illegal opcode' \
            "$tmp/$name.log" | sed 's/^==[0-9]*== *//'
    fi
    if ((status)); then
        cat "$tmp/$name.log" >&2
        echo "leaks.sh: patchgencn $name failed or leaked (exit $status)" >&2
        exit "$status"
    fi
done
echo "leaks.sh: no leaks"
