#include "langevin.h"

#include "energynet.h"
#include "runtime.h"

#include <torch/csrc/autograd/autograd.h>
#include <ATen/core/grad_mode.h>

namespace pgcn {

at::Tensor langevin(at::Tensor x, const GradientFn &grad, const LangevinParams &p, Rng *rng,
                    const std::atomic<bool> *cancel, const StepFn &onStep)
{
    x = x.detach().clone();
    const double half = p.stepSize / 2.0;
    for (int step = 1; step <= p.steps; ++step) {
        checkCancel(cancel);
        at::Tensor g = grad(x);
        x.add_(g, half);
        if (p.noise > 0 && rng && p.noisyRows != 0) {
            at::Tensor noisy = p.noisyRows >= 0 && p.noisyRows < x.size(0) ? x.narrow(0, 0, p.noisyRows) : x;
            noisy.add_(rng->normal(noisy.sizes()), p.noise);
        }
        if (p.clamp)
            x.clamp_(p.clampMin, p.clampMax);
        if (onStep)
            onStep(step, x);
    }
    return x;
}

at::Tensor energyGradient(const std::vector<at::Tensor> &frozen, const at::Tensor &xPadded, const at::Tensor &mapWeight)
{
    at::AutoGradMode enable(true);
    // Channels-last: oneDNN's NHWC convolutions, measured 10-30 % more Langevin
    // steps per second on CPU at every pyramid size (patchgencn-bench langevin).
    at::Tensor x = xPadded.detach().contiguous(at::MemoryFormat::ChannelsLast).requires_grad_(true);
    at::Tensor map = EnergyNetImpl::energyMap(x, frozen);
    at::Tensor f = (mapWeight.defined() ? map * mapWeight : map).sum();
    auto grads = torch::autograd::grad({f}, {x}, /*grad_outputs=*/{}, /*retain_graph=*/false, /*create_graph=*/false);
    return grads[0].detach();
}

} // namespace pgcn
