#include "tasks.h"

#include "config.h"
#include "energynet.h"
#include "errors.h"
#include "langevin.h"
#include "model.h"
#include "runtime.h"
#include "tensorops.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

namespace pgcn {

namespace {

void requireImage(const at::Tensor &image)
{
    if (!image.defined() || image.dim() != 4 || image.size(0) != 1 || image.size(1) != 3)
        throw InvalidArgument("expected one RGB image of shape [1, 3, H, W] (got " +
                              (image.defined() ? c10::str(image.sizes()) : std::string("none")) + ")");
    if (image.size(2) < 1 || image.size(3) < 1)
        throw InvalidArgument("the image is empty");
}

void requireTrained(const PyramidModel &model)
{
    if (!model.isComplete())
        throw InvalidArgument("the model is not fully trained (" + std::to_string(model.trainedScales()) + " of " +
                              std::to_string(model.numScales()) + " scales)");
}

void requireStartScale(const PyramidModel &model, int k)
{
    if (k < 0 || k >= model.numScales())
        throw InvalidArgument("start scale must be between 0 and " + std::to_string(model.numScales() - 1) +
                              " (got " + std::to_string(k) + ")");
}

/** The pyramid's sizes scaled so that the finest scale is exactly the image's size. */
std::vector<Size2> sizesFor(const PyramidModel &model, const at::Tensor &image)
{
    const Size2 finest = model.geometry().finest;
    const int w = int(image.size(3)), h = int(image.size(2));
    auto sizes = model.geometry().scaled(double(w) / finest.width, double(h) / finest.height);
    sizes.back() = {w, h};
    return sizes;
}

} // namespace

int superResolutionSteps(const TrainConfig &config)
{
    return std::max(1, int(std::lround(config.stepsPerScale / 4.0)));
}

at::Tensor backProject(const at::Tensor &image, const at::Tensor &low, int passes)
{
    at::Tensor x = image;
    const int64_t h = x.size(2), w = x.size(3), lh = low.size(2), lw = low.size(3);
    for (int i = 0; i < passes; ++i)
        x = (x + resizeImage(low - resizeImage(x, lh, lw), h, w)).clamp(-1.0, 1.0);
    return x;
}

at::Tensor injectImage(const PyramidModel &model, const at::Tensor &image, int k, const GenerateOptions &opt)
{
    requireTrained(model);
    requireImage(image);
    requireStartScale(model, k);
    at::NoGradGuard ng;
    const at::Tensor x = image.to(model.device(), at::kFloat);
    const auto sizes = sizesFor(model, x);
    // The image's structure at scale k-1 (scale 0 for k = 0), brought to scale k.
    const Size2 from = sizes[std::max(0, k - 1)];
    at::Tensor init = resizeImage(resizeImage(x, from.height, from.width), sizes[k].height, sizes[k].width);
    Rng rng(opt.seed, model.device());
    if (opt.injectNoise > 0)
        init = (init + rng.normal(init.sizes()) * opt.injectNoise).clamp(-1.0, 1.0);
    return runPyramid(model, init, k, model.numScales() - 1, sizes, opt.noise, opt.stepsScale, rng, opt.cancel,
                      opt.observer);
}

void validateMask(const at::Tensor &image, const at::Tensor &mask)
{
    if (!mask.defined() || mask.dim() != 4 || mask.size(0) != 1 || mask.size(1) != 1)
        throw InvalidArgument("expected a one-channel mask of shape [1, 1, H, W] (got " +
                              (mask.defined() ? c10::str(mask.sizes()) : std::string("none")) + ")");
    if (mask.size(2) != image.size(2) || mask.size(3) != image.size(3))
        throw InvalidArgument("mask is " + std::to_string(mask.size(3)) + "x" + std::to_string(mask.size(2)) +
                              " but the image is " + std::to_string(image.size(3)) + "x" + std::to_string(image.size(2)));
    if (mask.max().item<double>() < 0.5)
        throw InvalidArgument("the mask is empty: mark the region to change (white = change)");
}

at::Tensor editImage(const PyramidModel &model, const at::Tensor &image, const at::Tensor &mask, int k, double feather,
                     const GenerateOptions &opt)
{
    requireImage(image);
    validateMask(image, mask);
    if (!(feather >= 0 && feather <= 200))
        throw InvalidArgument("feather radius must be between 0 and 200 pixels (got " + std::to_string(feather) + ")");
    const at::Tensor x = image.to(model.device(), at::kFloat);
    // Binarise soft masks at 1/2; feather inward so the outside stays exact.
    const at::Tensor m = mask.to(model.device(), at::kFloat).ge(0.5).to(at::kFloat);
    const at::Tensor weight = at::minimum(m, featherMask(m, feather));
    const at::Tensor synth = injectImage(model, x, k, opt);
    at::NoGradGuard ng;
    return synth * weight + x * (1 - weight);
}

at::Tensor superResolve(const PyramidModel &model, const at::Tensor &imageIn, double factor, const GenerateOptions &opt)
{
    requireTrained(model);
    if (!(factor > 1.0 && factor <= 16.0))
        throw InvalidArgument("super-resolution factor must be in (1, 16] (got " + std::to_string(factor) + ")");
    at::NoGradGuard ng;
    at::Tensor x = imageIn.defined() ? imageIn.to(model.device(), at::kFloat) : model.real(model.numScales() - 1);
    requireImage(x);
    const at::Tensor input = x;
    const int64_t targetH = std::lround(x.size(2) * factor), targetW = std::lround(x.size(3) * factor);
    if (targetH * targetW > int64_t(8192) * 8192)
        throw InvalidArgument("the super-resolved image would be too large (" + std::to_string(targetW) + "x" +
                              std::to_string(targetH) + ", more than 8192x8192 pixels)");
    const double perStep = model.geometry().ratio < 1.0 ? 1.0 / model.geometry().ratio : 2.0;
    const int steps = std::max(1, int(std::ceil(std::log(factor) / std::log(perStep) - 1e-9)));
    const double f = std::pow(factor, 1.0 / steps);
    const int last = model.numScales() - 1;
    const int chainSteps = opt.stepsScale > 0 ? opt.stepsScale : superResolutionSteps(model.config());
    Rng rng(opt.seed, model.device());
    const double h0 = double(x.size(2)), w0 = double(x.size(3));
    for (int i = 1; i <= steps; ++i) {
        const int64_t h = i == steps ? targetH : std::lround(h0 * std::pow(f, i));
        const int64_t w = i == steps ? targetW : std::lround(w0 * std::pow(f, i));
        std::vector<Size2> sizes(model.numScales());
        sizes[last] = {int(w), int(h)};
        x = runPyramid(model, resizeImage(x, h, w), last, last, sizes, opt.noise, chainSteps, rng, opt.cancel,
                       opt.observer);
        x = backProject(x, input, kBackProjections);
    }
    return x;
}

at::Tensor energyMap(const PyramidModel &model, const at::Tensor &image, int scale)
{
    requireImage(image);
    if (scale < 0)
        scale = model.trainedScales() - 1;
    if (scale < 0 || scale >= model.trainedScales())
        throw InvalidArgument("scale " + std::to_string(scale) + " is not trained");
    at::NoGradGuard ng;
    const at::Tensor x = padImage(image.to(model.device(), at::kFloat), model.config().pad);
    return EnergyNetImpl::energyMap(x, model.frozen(scale)).to(at::kCPU); // [1,1,H,W]: one per patch centre
}

at::Tensor heatMap(const at::Tensor &energy)
{
    // Robust range: 2nd..98th percentile; implausible (low energy) = hot.
    const at::Tensor e = energy.to(at::kCPU, at::kFloat).flatten();
    const at::Tensor sorted = std::get<0>(e.sort());
    const int64_t n = sorted.numel();
    const float lo = sorted[std::min<int64_t>(n - 1, n / 50)].item<float>();
    const float hi = sorted[std::max<int64_t>(0, n - 1 - n / 50)].item<float>();
    at::Tensor t = ((energy.to(at::kCPU, at::kFloat) - lo) / std::max(1e-6f, hi - lo)).clamp(0, 1);
    t = 1 - t; // 1 = implausible
    // black -> red -> yellow -> white
    const at::Tensor r = (t * 3).clamp(0, 1), g = (t * 3 - 1).clamp(0, 1), b = (t * 3 - 2).clamp(0, 1);
    return at::cat({r, g, b}, 1) * 2 - 1;
}

} // namespace pgcn
