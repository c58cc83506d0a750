#!/bin/sh
# Builds the engine, the benchmark and the device test against the LibTorch of
# this machine's PyTorch (a CUDA machine with no Qt and no OpenCV), in
# build-gpu/, then runs the device test. Usage, from the repository root:
#
#   sh packaging/gpu-build.sh            # configure, build, run test_device
#   build-gpu/tests/patchgencn-bench langevin --preset paper
#   build-gpu/tests/patchgencn-bench train IMAGE.pt --preset balanced --big 1024 --out DIR
#
# IMAGE.pt is an image packed where an image library exists
# (`patchgencn-bench pack IMAGE --out DIR`); `patchgencn-bench unpack DIR`
# there turns DIR/samples.pt back into PNGs.
set -eu
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())'
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
mkdir -p build-gpu
generator=""
command -v ninja >/dev/null && generator="-G Ninja"
# shellcheck disable=SC2086
cmake -S . -B build-gpu $generator -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DPATCHGENCN_GUI=OFF -DPATCHGENCN_OPENCV=OFF -Wno-dev >build-gpu/build.log 2>&1 || { tail -40 build-gpu/build.log; exit 1; }
cmake --build build-gpu --target patchgencn-bench test_device -j "$(nproc)" -- -k 0 >>build-gpu/build.log 2>&1 || { grep -E "error|Error" build-gpu/build.log | head -60; exit 1; }
grep -E "LibTorch has CUDA" build-gpu/build.log || echo "warning: this LibTorch has no CUDA"
build-gpu/tests/test_device
