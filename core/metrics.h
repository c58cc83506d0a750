#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace pgcn {

/** Settings of the patch sliced Wasserstein distance (Karras et al. 2018). */
struct SwdOptions
{
    int levels = 3;          ///< Laplacian pyramid levels
    int patch = 7;           ///< patch side
    int projections = 256;   ///< random unit directions
    int maxPatches = 8192;   ///< patches drawn per image and level
    std::uint64_t seed = 0;
};

/**
 * Patch SWD between two images ([1,3,H,W] in [-1,1], sizes may differ):
 * for each Laplacian level, 7x7 RGB patches of both images are normalised
 * by the reference's per-channel statistics, projected on random unit
 * directions, sorted and quantile-matched; the mean absolute difference of
 * the sorted projections, averaged over levels, times 1000. Lower = closer.
 * perLevel, when given, receives each level's term (times 1000), finest
 * band first and the low-pass image (colours, layout) last; their mean is
 * the result.
 */
double patchSwd(const at::Tensor &image, const at::Tensor &reference, const SwdOptions &options = {},
                std::vector<double> *perLevel = nullptr);

/**
 * SinGAN's diversity: per-pixel standard deviation across samples
 * (same size, [1,3,H,W] each), averaged, divided by the reference's std.
 */
double diversity(const std::vector<at::Tensor> &samples, const at::Tensor &reference);

} // namespace pgcn
