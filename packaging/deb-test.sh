#!/usr/bin/env bash
# The .deb, built and proven: CPack (Release, studio included) in build-deb/, its control data
# and contents, the desktop entry and AppStream metainfo validated, then installed with apt on
# this machine, every installed program run, and removed again. Run as root.
#   packaging/deb-test.sh            build, inspect, install here, run, remove
#   packaging/deb-test.sh --chroot   also install it into a fresh minimal Debian 12 (debootstrap
#                                    from this machine's apt mirror) and train and sample there
set -euo pipefail
cd "$(dirname "$0")/.."
tools=(desktop-file-utils appstream man-db)
[[ "${1:-}" == "--chroot" ]] && tools+=(debootstrap)
missing=()
for p in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
build=${BUILD_DIR:-build-deb}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPATCHGENCN_TESTS=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-2}"
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(realpath "$(ls -t "$build"/patchgencn_*.deb | head -1)")
echo "== $deb"
dpkg-deb -I "$deb"
dpkg-deb -c "$deb"

echo "== contents and metadata"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dpkg-deb -x "$deb" "$stage"
for f in usr/bin/patchgencn usr/bin/patchgencn-studio usr/share/man/man1/patchgencn.1.gz \
         usr/share/applications/org.patchgencn.Studio.desktop usr/share/metainfo/org.patchgencn.Studio.metainfo.xml \
         usr/share/icons/hicolor/scalable/apps/org.patchgencn.Studio.svg \
         usr/share/icons/hicolor/48x48/apps/org.patchgencn.Studio.png \
         usr/share/icons/hicolor/256x256/apps/org.patchgencn.Studio.png; do
    [[ -e "$stage/$f" ]] || { echo "missing from the package: /$f" >&2; exit 1; }
done
desktop-file-validate "$stage/usr/share/applications/org.patchgencn.Studio.desktop"
appstreamcli validate --no-net "$stage/usr/share/metainfo/org.patchgencn.Studio.metainfo.xml"

# A tiny training image (PPM needs no encoder) and a train/sample round in folder $2 by command $1.
smoke() {
    local run=$1 dir=$2
    $run sh -c "{ printf 'P6\n24 20\n255\n'; head -c 1440 /dev/urandom; } > $dir/tiny.ppm"
    $run patchgencn train "$dir/tiny.ppm" -o "$dir/tiny.pgcn" --max-size 24 --min-size 12 --scales 2 --iters 3 --langevin-steps 2
    $run patchgencn sample "$dir/tiny.pgcn" -n 1 -o "$dir/out"
    $run test -s "$dir/out/sample_000.png"
    $run patchgencn --help >/dev/null
    $run env QT_QPA_PLATFORM=offscreen patchgencn-studio --smoke-test
    $run man -w patchgencn
}

echo "== install on this machine"
apt-get install -y -q "$deb"
command -v patchgencn
work=$(mktemp -d)
smoke "" "$work"
rm -rf "$work"
apt-get remove -y -q patchgencn
if [[ -e /usr/bin/patchgencn ]] || dpkg-query -W -f='${Status}' patchgencn 2>/dev/null | grep -q "install ok installed"; then
    echo "patchgencn is still installed" >&2
    exit 1
fi

if [[ "${1:-}" == "--chroot" ]]; then
    echo "== install into a fresh Debian 12 (debootstrap --variant=minbase)"
    root=${CHROOT_DIR:-/var/tmp/patchgencn-chroot}
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    mirror=${mirror:-http://deb.debian.org/debian}
    [[ -x "$root/usr/bin/apt-get" ]] || debootstrap --variant=minbase bookworm "$root" "$mirror"
    cp "$deb" "$root/tmp/patchgencn.deb"
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
    trap 'umount "$root/proc" 2>/dev/null; rm -rf "$stage"' EXIT
    in_root() { chroot "$root" "$@"; }
    in_root apt-get update -q
    # man-db only to check the man page; everything else comes from the package's Depends.
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/patchgencn.deb man-db
    in_root mkdir -p /tmp/smoke
    smoke in_root /tmp/smoke
    echo "chroot: installed and ran in $root"
fi
echo "deb-test: passed"
