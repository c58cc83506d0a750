#include "generator.h"

#include "errors.h"
#include "langevin.h"
#include "model.h"
#include "runtime.h"
#include "tensorops.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

namespace pgcn {

at::Tensor blurredCopy(const at::Tensor &x, double factor)
{
    const int64_t h = x.size(2), w = x.size(3);
    const int64_t sh = std::max<int64_t>(1, std::lround(h * factor));
    const int64_t sw = std::max<int64_t>(1, std::lround(w * factor));
    return resizeImage(resizeImage(x, sh, sw), h, w);
}

at::Tensor noiseStart(Rng &rng, int batch, const Size2 &size)
{
    return rng.uniform({batch, 1, size.height, size.width}, -1.0, 1.0).repeat({1, 3, 1, 1});
}

at::Tensor runPyramid(const PyramidModel &model, at::Tensor x, int from, int to, const std::vector<Size2> &sizes,
                      double noise, int steps, Rng &rng, const std::atomic<bool> *cancel, const ChainObserver &observer)
{
    if (from < 0 || to >= model.trainedScales() || from > to)
        throw InvalidArgument("scales " + std::to_string(from) + ".." + std::to_string(to) + " are not trained");
    at::NoGradGuard noGrad;
    const TrainConfig &cfg = model.config();
    for (int s = from; s <= to; ++s) {
        if (s > from || x.size(2) != sizes[s].height || x.size(3) != sizes[s].width)
            x = resizeImage(x, sizes[s].height, sizes[s].width);
        const int n = steps >= 0 ? steps : cfg.stepsAt(s);
        if (observer)
            observer({s, 0, n, x});
        const auto &frozen = model.frozen(s);
        LangevinParams p;
        p.steps = n;
        p.stepSize = cfg.stepSizeAt(s);
        p.noise = noise;
        p.maxMove = cfg.langevinMoveMax;
        StepFn onStep;
        if (observer)
            onStep = [&](int step, const at::Tensor &xp) { observer({s, step, n, cropPad(xp, cfg.pad)}); };
        at::Tensor xp = langevinEnergy(padImage(x, cfg.pad), frozen, {}, p, &rng, cancel, onStep);
        x = cropPad(xp, cfg.pad).contiguous();
    }
    return x;
}

std::vector<at::Tensor> sample(const PyramidModel &model, const SampleRequest &req, const GenerateOptions &opt)
{
    if (model.trainedScales() < 1)
        throw InvalidArgument("the model has no trained scale");
    if (req.count < 1 || req.count > 100000)
        throw InvalidArgument("number of samples must be between 1 and 100000 (got " + std::to_string(req.count) + ")");
    const int last = model.trainedScales() - 1;
    if (req.startScale < 0 || req.startScale > last)
        throw InvalidArgument("start scale must be between 0 and " + std::to_string(last) + " (got " +
                              std::to_string(req.startScale) + ")");
    const PyramidGeometry &g = model.geometry();
    double fx = req.scaleW, fy = req.scaleH;
    if (req.width > 0 || req.height > 0) {
        if (req.width <= 0 || req.height <= 0)
            throw InvalidArgument("output size needs both width and height");
        fx = double(req.width) / g.finest.width;
        fy = double(req.height) / g.finest.height;
    }
    if (!(fx > 0.01 && fx <= 64) || !(fy > 0.01 && fy <= 64))
        throw InvalidArgument("output scale factors must be between 0.01 and 64");
    std::vector<Size2> sizes = g.scaled(fx, fy);
    if (req.width > 0 && model.isComplete())
        sizes.back() = {req.width, req.height};
    const int64_t pixels = int64_t(sizes.back().width) * sizes.back().height;
    if (pixels > int64_t(16384) * 16384)
        throw InvalidArgument("output of " + std::to_string(sizes.back().width) + "x" + std::to_string(sizes.back().height) +
                              " is too large");

    Rng rng(opt.seed, model.device());
    const int k = req.startScale;
    std::vector<at::Tensor> out;
    const int batch = std::max(1, opt.batch);
    for (int done = 0; done < req.count; done += batch) {
        const int b = std::min(batch, req.count - done);
        at::Tensor init;
        if (k == 0) {
            init = noiseStart(rng, b, sizes[0]);
        } else {
            // The real image's structure from scale k-1, brought to scale k's size.
            at::Tensor coarse = resizeImage(model.real(k - 1), sizes[k - 1].height, sizes[k - 1].width);
            init = resizeImage(coarse, sizes[k].height, sizes[k].width).repeat({b, 1, 1, 1});
            if (opt.injectNoise > 0)
                init = (init + rng.normal(init.sizes()) * opt.injectNoise).clamp(-1.0, 1.0);
        }
        at::Tensor x = runPyramid(model, init, k, last, sizes, opt.noise, opt.stepsScale, rng, opt.cancel, opt.observer);
        for (int i = 0; i < b; ++i)
            out.push_back(x.slice(0, i, i + 1).to(at::kCPU).contiguous());
    }
    return out;
}

at::Tensor reconstruct(const PyramidModel &model, const GenerateOptions &opt)
{
    if (model.trainedScales() < 1)
        throw InvalidArgument("the model has no trained scale");
    Rng rng(opt.seed, model.device());
    const TrainConfig &cfg = model.config();
    at::Tensor z = blurredCopy(model.real(0), cfg.recoveryDownscale);
    return runPyramid(model, z, 0, model.trainedScales() - 1, model.geometry().scales, 0.0, cfg.recoverySteps, rng,
                      opt.cancel, opt.observer)
        .to(at::kCPU);
}

} // namespace pgcn
