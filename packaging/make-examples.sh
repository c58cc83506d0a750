#!/usr/bin/env bash
# Regenerates README's worked examples (resources/examples/*.png) from the
# shared test images: trains quick models (and one balanced), runs each task, and lays the
# before/after pictures side by side. Needs ../shared, a build in build/ and
# ImageMagick's montage. Takes a few minutes per model on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
S=../shared/images
B=build/app/patchgencn
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
out=resources/examples
mkdir -p "$out"

# Editing: stone wall, a copy-moved stone, masked.
$B train $S/editing/stone.png -o "$W/stone.pgcn" --preset quick
$B edit "$W/stone.pgcn" --image $S/editing/stone_edit_1.png --mask $S/editing/stone_edit_1_mask.png \
   --start-scale 3 -o "$W/edit.png"
$B sample "$W/stone.pgcn" -n 3 -o "$W/stone-samples"
montage -label '%t' $S/editing/stone_edit_1.png $S/editing/stone_edit_1_mask.png "$W/edit.png" \
   -tile 3x -geometry +4+4 "$out/edit.png"

# Harmonization: an object pasted onto an oil painting.
$B train $S/harmonization/oil_building.jpg -o "$W/oil.pgcn" --preset quick
# work at the model's resolution (the longer side 250)
convert $S/harmonization/oil_building_naive.jpg -resize 250x250 "$W/naive.png"
convert $S/harmonization/oil_building_naive_mask.jpg -resize 250x250 "$W/naive_mask.png"
$B harmonize "$W/oil.pgcn" --image "$W/naive.png" --mask "$W/naive_mask.png" --start-scale 3 -o "$W/harm.png"
$B energy "$W/oil.pgcn" --image "$W/naive.png" -o "$W/energy.png"
montage "$W/naive.png" "$W/energy.png" "$W/harm.png" -tile 3x -geometry +4+4 "$out/harmonize.png"

# Style transfer: a photo's content injected into a model of the Starry Night.
$B train $S/style_transfer/style/starry_night.jpg -o "$W/starry.pgcn" --preset quick
convert $S/style_transfer/content/cornell.jpg -resize 250x250 "$W/content.png"
$B inject "$W/starry.pgcn" --image "$W/content.png" --start-scale 3 -o "$W/style.png"
montage "$W/content.png" "$W/style.png" -tile 2x -geometry +4+4 "$out/style.png"

# Random samples of the colosseum, one twice as wide.
$B train $S/generation/colusseum.png -o "$W/col.pgcn" --preset quick
$B sample "$W/col.pgcn" -n 3 -o "$W/col"
$B sample "$W/col.pgcn" -n 1 --scale-w 2 -o "$W/colwide"
montage $S/generation/colusseum.png "$W"/col/sample_00[0-2].png -tile 4x -geometry +4+4 "$out/samples.png"
cp "$W/colwide/sample_000.png" "$out/samples-wide.png"

# The balanced preset's samples of the colosseum (about 13 minutes of training).
$B train $S/generation/colusseum.png -o "$W/colb.pgcn" --preset balanced
$B sample "$W/colb.pgcn" -n 7 -o "$W/colb"
montage $S/generation/colusseum.png "$W"/colb/sample_00[0-6].png -tile 4x -geometry +4+4 -quality 90 "$out/samples-balanced.jpg"

# Super-resolution x2 of a half-size colosseum, against bicubic and the original.
convert $S/generation/colusseum.png -resize 50% "$W/half.png"
$B sr "$W/col.pgcn" --image "$W/half.png" --factor 2 -o "$W/sr.png" --bicubic "$W/bicubic.png"
montage "$W/bicubic.png" "$W/sr.png" $S/generation/colusseum.png -tile 3x -geometry +4+4 "$out/sr.png"
echo "examples written to $out"
