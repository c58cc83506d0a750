#pragma once

#include "image.h"
#include "pyramid.h"

#include <ATen/ATen.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace pgcn {

class PyramidModel;

/** Where the chain is and what it holds; sent to an observer of a chain. */
struct ChainStep
{
    int scale = 0;
    int step = 0;        ///< 0 = the chain's initial state
    int steps = 0;
    at::Tensor state;    ///< [B,3,h,w] unpadded, on the model's device
};
using ChainObserver = std::function<void(const ChainStep &)>;

/** Options shared by every generating task. */
struct GenerateOptions
{
    std::uint64_t seed = 0;
    double noise = 0.0;          ///< Langevin noise during sampling (paper: 0)
    double injectNoise = 0.1;    ///< std of noise added to an injected image at the start scale
    int stepsScale = -1;         ///< Langevin steps per scale (-1: the training counts)
    int batch = 8;               ///< chains run together
    const std::atomic<bool> *cancel = nullptr;
    ChainObserver observer;      ///< optional, every step
};

/** Random samples: N images of the given output size. */
struct SampleRequest
{
    int count = 1;
    double scaleW = 1.0, scaleH = 1.0; ///< relative to the training image
    int width = 0, height = 0;         ///< absolute output size; overrides the factors when > 0
    int startScale = 0;                ///< > 0: the real image injected at this scale
};

class Rng;

/**
 * Runs the chains of scales [from, to] starting from `init` (unpadded, at
 * scale `from`'s size in `sizes`), upsampling between scales. `steps` < 0
 * uses the training step counts. Returns the unpadded state at scale `to`.
 */
at::Tensor runPyramid(const PyramidModel &model, at::Tensor init, int from, int to,
                      const std::vector<Size2> &sizes, double noise, int steps, Rng &rng,
                      const std::atomic<bool> *cancel = nullptr, const ChainObserver &observer = {});

/** The recovery task's corrupted input: x shrunk by `factor` and enlarged back. */
at::Tensor blurredCopy(const at::Tensor &x, double factor);

/** Uniform noise U(-1,1), one channel repeated on RGB: the coarsest chain's start. */
at::Tensor noiseStart(Rng &rng, int batch, const Size2 &size);

std::vector<at::Tensor> sample(const PyramidModel &model, const SampleRequest &request,
                               const GenerateOptions &options = {});

/** The recovery chain from the blurred coarsest real image through every scale. */
at::Tensor reconstruct(const PyramidModel &model, const GenerateOptions &options = {});

} // namespace pgcn
