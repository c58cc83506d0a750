#pragma once

#include <ATen/ATen.h>

#include <atomic>
#include <functional>
#include <vector>

namespace pgcn {

class Rng;

/** Parameters of one Langevin chain (algorithm.md §3). */
struct LangevinParams
{
    int steps = 30;
    double stepSize = 0.01;
    double noise = 0.0;          ///< std of the injected Gaussian noise, separate from the step
    int64_t noisyRows = -1;      ///< only the first this many batch rows get the noise (-1 = all)
    /** Each step's drift, stepSize/2 * gradient, is clipped to [-maxMove, maxMove] per value
     *  before it is added (TrainConfig::langevinMoveMax); 0: not clipped. */
    double maxMove = 0.0;
    double clampMin = -1.0;
    double clampMax = 1.0;
    bool clamp = true;
};

/** Gradient of the log-density (up to a constant) w.r.t. x; must not keep a graph. */
using GradientFn = std::function<at::Tensor(const at::Tensor &x)>;
/** Called after each step with the step index (1-based) and the current state. */
using StepFn = std::function<void(int step, const at::Tensor &x)>;

/**
 * x <- clamp(x + step/2 * grad(x) + noise * eps), the drift step/2 * grad(x)
 * clipped to +-maxMove per value where maxMove > 0. Returns the final state.
 * Checks `cancel` every step.
 */
at::Tensor langevin(at::Tensor x, const GradientFn &grad, const LangevinParams &params, Rng *rng,
                    const std::atomic<bool> *cancel = nullptr, const StepFn &onStep = {});

/**
 * A Langevin chain on the energy of frozen weights (see energyGradient):
 * langevin() with that gradient. On a CUDA device, when nothing watches the
 * steps (no onStep), the whole chain is recorded once per shape as a CUDA
 * graph and replayed: one launch instead of ~25 kernel launches per step
 * (the small scales are launch-bound). The cancel flag is checked before the
 * chain instead of every step then. PATCHGENCN_NO_CUDA_GRAPHS=1 in the
 * environment (or setCudaGraphs(false)) runs every step eagerly.
 */
at::Tensor langevinEnergy(at::Tensor x, const std::vector<at::Tensor> &frozen, const at::Tensor &mapWeight,
                          const LangevinParams &params, Rng *rng, const std::atomic<bool> *cancel = nullptr,
                          const StepFn &onStep = {});

/** Switches the CUDA-graph chains on or off for the whole process (on by default, in CUDA builds). */
void setCudaGraphs(bool on);
bool cudaGraphs();
/** Frees this thread's recorded chains (each holds its own device memory); e.g. after a training. */
void releaseChainGraphs();

/**
 * Gradient of the energy map w.r.t. a padded image, with frozen weights:
 * d(sum of the map)/dx, as TensorFlow's tf.gradients(map, x) in the
 * reference. Each pixel moves by the sum over the patches that contain it,
 * so the dynamics are the same for crops, whole images and any output size.
 * `mapWeight` ([B,1,h,w] like the map), when given, weights each patch.
 */
at::Tensor energyGradient(const std::vector<at::Tensor> &frozen, const at::Tensor &xPadded,
                          const at::Tensor &mapWeight = {});

} // namespace pgcn
