#pragma once

#include "generator.h"

#include <ATen/ATen.h>

namespace pgcn {

class PyramidModel;

/**
 * The applications built on a trained pyramid (algorithm.md §5). Images are
 * [1,3,H,W] in [-1,1] on any device, of any size: the pyramid is scaled to
 * the input's size, so the output has the input's size. Masks are
 * [1,1,H,W] in [0,1] (1 = re-synthesize). All run with noise 0 unless
 * options.noise says otherwise, and honour options.cancel / observer.
 */

/** Style transfer / paint-to-image: `image` injected at `startScale`, chains startScale..finest. */
at::Tensor injectImage(const PyramidModel &model, const at::Tensor &image, int startScale,
                       const GenerateOptions &options = {});

/**
 * Editing and harmonization: `image` (edited or with a pasted object) is
 * re-synthesized from `startScale`; the result replaces the image inside
 * the mask only. The mask is feathered inward by `featherRadius` pixels, so
 * every pixel outside the mask keeps its exact value.
 */
at::Tensor editImage(const PyramidModel &model, const at::Tensor &image, const at::Tensor &mask, int startScale,
                     double featherRadius, const GenerateOptions &options = {});

/** Checks a mask against its image: same size, not empty. Throws InvalidArgument with the reason. */
void validateMask(const at::Tensor &image, const at::Tensor &mask);

/**
 * Super-resolution by `factor` (> 1): repeated upsampling by about 1/r with
 * the finest net's Langevin chain (noise 0) after each step. `image`
 * defaults to the model's finest real image when undefined.
 */
at::Tensor superResolve(const PyramidModel &model, const at::Tensor &image, double factor,
                        const GenerateOptions &options = {});

/**
 * Per-patch energy of `image` under the net of `scale` (-1 = finest), as a
 * [1,1,H,W] map aligned with the image (patch centres). Higher = more
 * plausible to the model.
 */
at::Tensor energyMap(const PyramidModel &model, const at::Tensor &image, int scale = -1);

/** A heat-map rendering of an energy map: low energy (implausible) bright, [1,3,H,W] in [-1,1]. */
at::Tensor heatMap(const at::Tensor &energy);

} // namespace pgcn
