#!/usr/bin/env bash
# libFuzzer on the loaders of everything a user can hand us: image files (fuzz_imageio), model
# files (fuzz_model) and studio projects (fuzz_project). Builds build-fuzz/ with clang, ASan,
# UBSan and coverage, makes the seed corpora with the project's own tools, runs each fuzzer and
# prints executions, coverage and crashes.
#   packaging/fuzz.sh [SECONDS] [TARGET...]    default: 300 seconds each, all three targets
# Crash inputs land in build-fuzz/fuzz-run/artifacts/TARGET/; once fixed, copy them to
# tests/fuzz/regressions/TARGET/ (replayed at the start of every run, and by the unit tests).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(imageio model project)
build=${BUILD_DIR:-build-fuzz}
work=$build/fuzz-run

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DPATCHGENCN_FUZZ=ON -DPATCHGENCN_GUI=OFF \
      -DPATCHGENCN_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target patchgencn fuzz_imageio fuzz_model fuzz_project make_project_seed

export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1

# Seeds, made by the project itself: a 16x12 PPM, a tiny model trained on it with the CLI, the
# model's reconstruction in every format the CLI writes, and a project holding both.
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{imageio,model,project}
{ printf 'P6\n16 12\n255\n'; head -c $((16 * 12 * 3)) /dev/urandom; } >"$seeds/imageio/seed.ppm"
cli=$build/app/patchgencn
ASAN_OPTIONS=detect_leaks=0 "$cli" train "$seeds/imageio/seed.ppm" -o "$seeds/model/tiny.pgcn" --max-size 16 \
    --min-size 12 --scales 2 --iters 2 --langevin-steps 2 --threads 1 2>/dev/null
for ext in png jpg webp tif bmp; do
    ASAN_OPTIONS=detect_leaks=0 "$cli" reconstruct "$seeds/model/tiny.pgcn" -o "$seeds/imageio/seed.$ext" --threads 1 >/dev/null
done
"$build/tests/fuzz/make_project_seed" "$seeds/project/seed.pgcnproj" "$seeds/imageio/seed.png" "$seeds/model/tiny.pgcn"

summary=()
for t in "${targets[@]}"; do
    corpus=$work/corpus/$t artifacts=$work/artifacts/$t regressions=tests/fuzz/regressions/$t
    mkdir -p "$corpus" "$artifacts" "$regressions"
    echo "== fuzz_$t: $secs s"
    set +e
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=4096 -malloc_limit_mb=4096 -timeout=60 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds/$t" "$regressions" >"$work/$t.log" 2>&1
    rc=$?
    set -e
    last=$(grep -E '^#[0-9]+' "$work/$t.log" | tail -1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    crashes=$(find "$artifacts" -type f | wc -l)
    summary+=("fuzz_$t: exit $rc, ${runs:-?} executions in $secs s, last status: ${last:-none}, $crashes crash/leak/timeout inputs")
    ((rc == 0)) || tail -40 "$work/$t.log"
done
printf '%s\n' "${summary[@]}"
