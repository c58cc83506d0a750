#!/usr/bin/env bash
# Fresh machine -> dependencies, a Release build, then the demo: train the
# quick preset on OpenCV's fruits.jpg (installed by opencv-doc) and write
# eight random samples, one twice as wide, and the reconstruction to demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/setup-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
image=/usr/share/doc/opencv-doc/examples/data/fruits.jpg
mkdir -p demo
./build/app/patchgencn train "$image" -o demo/fruits.pgcn --preset quick
./build/app/patchgencn sample demo/fruits.pgcn -n 8 -o demo/samples
./build/app/patchgencn sample demo/fruits.pgcn -n 2 --scale-w 2 -o demo/wide
./build/app/patchgencn reconstruct demo/fruits.pgcn -o demo/reconstruction.png
echo "demo written to $(pwd)/demo"
