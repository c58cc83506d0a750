#!/usr/bin/env bash
# Installs the Debian 12 packages patchgencn needs to build, test and run.
# Idempotent and non-interactive: packages already present are skipped.
#   packaging/setup-deps.sh          build + GUI + tests
#   packaging/setup-deps.sh --core   LibTorch-only build (no Qt, no OpenCV)
set -euo pipefail

core=(build-essential cmake ninja-build pkg-config libtorch-dev libdnnl-dev)
full=(qt6-base-dev qt6-charts-dev libqt6opengl6-dev libqt6svg6 qt6-image-formats-plugins libgl-dev
      libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
      opencv-doc xvfb xauth)

want=("${core[@]}")
[[ "${1:-}" == "--core" ]] || want+=("${full[@]}")

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "setup-deps: all ${#want[@]} packages present"
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done"
