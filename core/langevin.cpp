#include "langevin.h"

#include "directchain.h"
#include "elu.h"
#include "energynet.h"
#include "runtime.h"

#include <ATen/core/grad_mode.h>

#ifdef PATCHGENCN_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#endif

#include <cstdlib>

namespace pgcn {

namespace {
/** x += step/2 * g, the drift clipped to +-maxMove per value where maxMove > 0 (LangevinParams). */
void addDrift(at::Tensor &x, const at::Tensor &g, double half, double maxMove)
{
    if (maxMove > 0)
        x.add_(g.mul(half).clamp_(-maxMove, maxMove));
    else
        x.add_(g, half);
}
} // namespace

at::Tensor langevin(at::Tensor x, const GradientFn &grad, const LangevinParams &p, Rng *rng,
                    const std::atomic<bool> *cancel, const StepFn &onStep)
{
    x = x.detach().clone();
    const double half = p.stepSize / 2.0;
    for (int step = 1; step <= p.steps; ++step) {
        checkCancel(cancel);
        addDrift(x, grad(x), half, p.maxMove);
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

namespace {

std::atomic<bool> g_cudaGraphs{std::getenv("PATCHGENCN_NO_CUDA_GRAPHS") == nullptr};

#ifdef PATCHGENCN_CUDA
/** One recorded chain: its static inputs (refilled before each replay) and the graph that updates `x` in place. */
struct ChainGraph
{
    at::cuda::CUDAGraph graph;
    at::Tensor x, mapWeight, noise; ///< noise: the std as a device scalar, so it may change between replays
    std::vector<at::Tensor> weights;
};

/** Recorded chains of this thread by shape and parameters; cleared when it grows past kMaxGraphs. */
std::map<std::string, std::unique_ptr<ChainGraph>> &graphCache()
{
    thread_local std::map<std::string, std::unique_ptr<ChainGraph>> cache;
    return cache;
}
constexpr size_t kMaxGraphs = 48;

std::string graphKey(const at::Tensor &x, const std::vector<at::Tensor> &frozen, const at::Tensor &mapWeight,
                     const LangevinParams &p, int64_t noisyRows)
{
    std::ostringstream k;
    k.precision(17);
    k << x.device().index() << '|' << x.sizes() << '|' << p.steps << '|' << p.stepSize << '|' << p.maxMove << '|' << noisyRows << '|'
      << p.clamp << '|' << p.clampMin << '|' << p.clampMax << '|' << (mapWeight.defined() ? mapWeight.sizes() : at::IntArrayRef{});
    for (const auto &w : frozen)
        k << '|' << w.sizes() << w.scalar_type();
    return k.str();
}

/** The steps of a recorded chain, on g's static tensors. */
void graphSteps(ChainGraph &g, const LangevinParams &p, int64_t noisyRows, int steps, Rng &rng)
{
    const double half = p.stepSize / 2.0;
    for (int step = 0; step < steps; ++step) {
        addDrift(g.x, energyGradient(g.weights, g.x, g.mapWeight), half, p.maxMove);
        if (noisyRows > 0) {
            at::Tensor noisy = g.x.narrow(0, 0, noisyRows);
            noisy.add_(rng.normal(noisy.sizes()).mul_(g.noise));
        }
        if (p.clamp)
            g.x.clamp_(p.clampMin, p.clampMax);
    }
}

/** The chain as a replay of its recording (recorded on first use of this shape). */
at::Tensor graphChain(const at::Tensor &x0, const std::vector<at::Tensor> &frozen, const at::Tensor &mapWeight,
                      const LangevinParams &p, Rng &rng)
{
    const int64_t noisyRows = p.noise > 0 ? (p.noisyRows >= 0 ? std::min(p.noisyRows, x0.size(0)) : x0.size(0)) : 0;
    auto &cache = graphCache();
    const std::string key = graphKey(x0, frozen, mapWeight, p, noisyRows);
    auto it = cache.find(key);
    if (it == cache.end()) {
        if (cache.size() >= kMaxGraphs)
            cache.clear();
        auto g = std::make_unique<ChainGraph>();
        g->x = x0.detach().contiguous().clone();
        for (const auto &w : frozen)
            g->weights.push_back(w.detach().clone());
        if (mapWeight.defined())
            g->mapWeight = mapWeight.detach().clone();
        g->noise = at::full({}, p.noise, x0.options().dtype(at::kFloat));
        torch::cuda::synchronize(x0.device().index());
        {
            // Recording needs a stream of its own; one step first, outside the recording,
            // lets cuDNN time its algorithms for these shapes (it cannot while recording).
            c10::cuda::CUDAStreamGuard guard(c10::cuda::getStreamFromPool(false, x0.device().index()));
            graphSteps(*g, p, noisyRows, 1, rng);
            torch::cuda::synchronize(x0.device().index());
            g->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
            graphSteps(*g, p, noisyRows, p.steps, rng);
            g->graph.capture_end();
        }
        torch::cuda::synchronize(x0.device().index());
        it = cache.emplace(key, std::move(g)).first;
    }
    ChainGraph &g = *it->second;
    g.x.copy_(x0);
    for (size_t i = 0; i < frozen.size(); ++i)
        g.weights[i].copy_(frozen[i]);
    if (mapWeight.defined())
        g.mapWeight.copy_(mapWeight);
    g.noise.fill_(p.noise);
    g.graph.replay();
    return g.x.clone();
}
#endif

} // namespace

void setCudaGraphs(bool on)
{
    g_cudaGraphs = on;
}

bool cudaGraphs()
{
    return g_cudaGraphs.load();
}

void releaseChainGraphs()
{
#ifdef PATCHGENCN_CUDA
    graphCache().clear();
#endif
}

at::Tensor langevinEnergy(at::Tensor x, const std::vector<at::Tensor> &frozen, const at::Tensor &mapWeight,
                          const LangevinParams &params, Rng *rng, const std::atomic<bool> *cancel, const StepFn &onStep)
{
#ifdef PATCHGENCN_CUDA
    if (x.is_cuda() && !onStep && rng && params.steps >= 2 && g_cudaGraphs.load()) {
        checkCancel(cancel);
        try {
            at::NoGradGuard noGrad;
            return graphChain(x, frozen, mapWeight, params, *rng);
        } catch (const c10::OutOfMemoryError &) {
            graphCache().clear();
            throw;
        } catch (const c10::Error &e) {
            // A LibTorch or driver that cannot record this chain: run eagerly from now on.
            graphCache().clear();
            g_cudaGraphs = false;
            std::fprintf(stderr, "patchgencn: CUDA graphs switched off (%s)\n", e.what_without_backtrace());
        }
    }
#endif
    // On the CPU, oneDNN directly where this build has it (directchain.h): the same gradient with less per-call work.
    if (GradientFn direct = directEnergyGradient(frozen, x, mapWeight))
        return langevin(x, direct, params, rng, cancel, onStep);
    return langevin(x, [&](const at::Tensor &t) { return energyGradient(frozen, t, mapWeight); }, params, rng, cancel,
                    onStep);
}

at::Tensor energyGradient(const std::vector<at::Tensor> &frozen, const at::Tensor &xPadded, const at::Tensor &mapWeight)
{
    // The backward pass written out (five convolutions and four ELUs): the same
    // kernels autograd would call, without building and walking a graph. On a GPU
    // autograd's bookkeeping cost more than the small scales' convolutions, and a
    // chain with no autograd inside can be captured as a CUDA graph.
    at::NoGradGuard noGrad;
    // The weights' type sets the arithmetic (bfloat16 weights where the precision asks for bf16 chains, see frozenWeights);
    // the chain's state stays fp32 and so does the gradient handed back.
    const auto type = frozen.empty() ? xPadded.scalar_type() : frozen.front().scalar_type();
    // Channels-last: oneDNN's NHWC convolutions, measured 10-30 % more Langevin
    // steps per second on CPU at every pyramid size (patchgencn-bench langevin).
    const size_t n = frozen.size() / 2;
    std::vector<at::Tensor> inputs; // each convolution's input: x, then the ELU outputs
    inputs.reserve(n);
    const at::Tensor h = EnergyNetImpl::energyMap(xPadded.detach().to(type).contiguous(at::MemoryFormat::ChannelsLast),
                                                  frozen, &inputs);
    // d(sum of the weighted map)/d(map) is the weight (or one), then back through the layers.
    at::Tensor g = mapWeight.defined() ? mapWeight.to(type).expand(h.sizes()).contiguous(at::MemoryFormat::ChannelsLast)
                                       : at::ones_like(h);
    const std::vector<int64_t> one{1, 1}, zero{0, 0};
    for (size_t i = n; i-- > 0;) {
        g = std::get<0>(at::convolution_backward(g, inputs[i], frozen[2 * i], c10::nullopt, one, zero, one,
                                                 /*transposed=*/false, zero, /*groups=*/1, {true, false, false}));
        if (i > 0) // through the ELU whose output was this layer's input: d elu = 1 above 0, elu + 1 below
            g = eluBackwardFromResult(g, inputs[i]);
    }
    return g.to(xPadded.scalar_type());
}

} // namespace pgcn
