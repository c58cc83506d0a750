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
 * The Laplacian bands patchSwd compares, finest first, [1,3,h,w] each: up to
 * `levels`, the last the low-pass image; halving stops at a side under 16.
 */
std::vector<at::Tensor> laplacianBands(const at::Tensor &image, int levels);

/**
 * patchSwd against one reference for many images: the reference's patches,
 * their statistics, the projections and their sorted values are computed once
 * per image size instead of once per image. Each result equals patchSwd's for
 * the same image bit for bit: the random draws (patch subsets, directions)
 * depend only on the two sizes.
 */
class PatchSwd
{
public:
    explicit PatchSwd(const at::Tensor &reference, const SwdOptions &options = {});
    double operator()(const at::Tensor &image, std::vector<double> *perLevel = nullptr);

private:
    struct Level
    {
        at::Tensor pixels;             ///< where the image's picked patches' pixels lie (patchPixels)
        at::Tensor mu, sd;             ///< the reference's per-channel statistics: [3]
        at::Tensor filters;            ///< the projection directions as [P, 3, p, p] filters
        at::Tensor sortedRef;          ///< the reference's sorted projections: [P, k]
    };
    /** The draws and the reference's side for images with these bands (laplacianBands). */
    void plan(const std::vector<at::Tensor> &bands);

    SwdOptions m_options;
    std::vector<at::Tensor> m_reference; ///< its Laplacian bands
    int64_t m_height = -1, m_width = -1; ///< the image size m_levels is for
    std::vector<Level> m_levels;
};

/**
 * SinGAN's diversity: per-pixel standard deviation across samples
 * (same size, [1,3,H,W] each), averaged, divided by the reference's std.
 */
double diversity(const std::vector<at::Tensor> &samples, const at::Tensor &reference);

/**
 * The enlargement grid: how strongly an image repeats the phase cycle of an
 * enlargement between pyramid scales. A bicubic enlargement by 1.5 copies one
 * row (column) in three and interpolates the other two, so a sample that keeps
 * that pattern has rows of unequal sharpness with period 3 (quick's hatching).
 * For each axis: the second difference across it, its energy per row, and that
 * profile's periodogram (Hann window); the power at the phase frequency (within
 * 0.012 cycles per pixel) over the median power of the band from 0.1 to 0.5
 * cycles per pixel away from it (0.04). The result is the mean of the two axes:
 * about 1 for photographs (the colosseum 1.5), over 50 for a grid that shows.
 *
 * `from` and `to` are the sizes of the enlargement (height and width of the
 * coarser and the finer scale): its phase advances by from/to source pixels per
 * output pixel, so the pattern's frequency is that fraction folded into [0, 0.5].
 * An axis shorter than 32 pixels or whose phase frequency is under 0.1 (an
 * enlargement by 10/9 or less, or by 10 or more) is not measured;
 * the result is then the other axis, or 0 when neither is measured.
 */
double enlargementGrid(const at::Tensor &image, int fromHeight, int fromWidth);

} // namespace pgcn
