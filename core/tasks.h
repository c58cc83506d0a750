#pragma once

#include "generator.h"

#include <ATen/ATen.h>

namespace pgcn {

class PyramidModel;
struct TrainConfig;

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
 * a short run of the finest net's Langevin chain (noise 0) after each step
 * (options.stepsScale steps, or superResolutionSteps), each result
 * back-projected onto the input (kBackProjections passes) so that it stays
 * consistent with it. `image` defaults to the model's finest real image.
 */
at::Tensor superResolve(const PyramidModel &model, const at::Tensor &image, double factor,
                        const GenerateOptions &options = {});

/**
 * Iterative back-projection: `passes` times, the difference between `low`
 * and `image` shrunk to low's size is enlarged and added back, so that the
 * result, shrunk, matches `low` (the low-resolution input of super-resolution)
 * while keeping the detail the chains added. Result clamped to [-1, 1].
 */
at::Tensor backProject(const at::Tensor &image, const at::Tensor &low, int passes);
constexpr int kBackProjections = 3;

/**
 * Default chain length of super-resolution: a quarter of the training's
 * per-scale steps (at least 1). The nets' drift at a real image sharpens
 * edges; run longer it draws ringing. Measured (x2 from a half-size copy of
 * five quick models' training images, PSNR): a quarter beats bicubic on all
 * five, the full training count loses to it on three.
 */
int superResolutionSteps(const TrainConfig &config);

/**
 * Per-patch energy of `image` under the net of `scale` (-1 = finest), as a
 * [1,1,H,W] map aligned with the image (patch centres). Higher = more
 * plausible to the model.
 */
at::Tensor energyMap(const PyramidModel &model, const at::Tensor &image, int scale = -1);

/** A heat-map rendering of an energy map: low energy (implausible) bright, [1,3,H,W] in [-1,1]. */
at::Tensor heatMap(const at::Tensor &energy);

} // namespace pgcn
