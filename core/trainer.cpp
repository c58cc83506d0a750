#include "trainer.h"

#include "driftguard.h"
#include "energynet.h"
#include "errors.h"
#include "generator.h"
#include "langevin.h"
#include "metrics.h"
#include "model.h"
#include "runtime.h"
#include "tensorops.h"
#include "windows.h"

#include <torch/optim/adam.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <sstream>

namespace pgcn {

namespace {

using Clock = std::chrono::steady_clock;

/** Relative cost of one scale, to turn elapsed time into an ETA. */
double scaleCost(const TrainConfig &cfg, const Size2 &sz, int scale)
{
    const double h = sz.height + 2.0 * cfg.pad, w = sz.width + 2.0 * cfg.pad;
    double pixels = h * w;
    int chains = 1;
    const bool windowed = cfg.windowedAt(sz.width, sz.height);
    if (windowed) {
        pixels = cfg.windowPixels(sz.width, sz.height);
        chains = cfg.recoveryBatch;
    }
    const int batch = cfg.batchAt(scale, windowed);
    const double perIt = pixels * (cfg.stepsAt(scale) * batch + cfg.recoverySteps * chains + 2.0 * (batch + 2 * chains));
    return perIt * cfg.iterationsAt(scale, windowed);
}

/**
 * The synthesis chains (noisy) and the recovery chains (noise 0) of one
 * iteration. While both run they are one batch: one gradient call per step
 * instead of two, which keeps small images' convolutions busier (at 75x56 a
 * lone chain reaches under half the pixel throughput of a 250-px one). The
 * synthesis rows come first, so they draw the same noise as a chain of their
 * own would; rows are independent, so each group's result is the same as
 * when run alone (up to the convolutions' summation order).
 */
std::pair<at::Tensor, at::Tensor> runChains(const WindowBatch &win, const std::vector<at::Tensor> &frozen,
                                            const LangevinParams &synP, const LangevinParams &recP, Rng &rng,
                                            const std::atomic<bool> *cancel)
{
    const int common = std::min(synP.steps, recP.steps);
    const bool joint = common > 0 && win.init.sizes().slice(1).equals(win.z.sizes().slice(1)) &&
                       win.synWeight.defined() == win.recWeight.defined();
    if (!joint) {
        at::Tensor syn = langevinEnergy(win.init, frozen, win.synWeight, synP, &rng, cancel);
        at::Tensor rec = recP.steps > 0 ? langevinEnergy(win.z, frozen, win.recWeight, recP, &rng, cancel) : win.z;
        return {syn, rec};
    }
    const int64_t nSyn = win.init.size(0);
    LangevinParams both = synP;
    both.steps = common;
    both.noisyRows = nSyn;
    const at::Tensor weight = win.synWeight.defined() ? at::cat({win.synWeight, win.recWeight}) : at::Tensor();
    const at::Tensor x = langevinEnergy(at::cat({win.init, win.z}), frozen, weight, both, &rng, cancel);
    at::Tensor syn = x.narrow(0, 0, nSyn), rec = x.narrow(0, nSyn, x.size(0) - nSyn);
    // The longer group goes on alone with its own parameters.
    auto remaining = [common](LangevinParams p) {
        p.steps -= common;
        return p;
    };
    if (synP.steps > common)
        syn = langevinEnergy(syn, frozen, win.synWeight, remaining(synP), &rng, cancel);
    else if (recP.steps > common)
        rec = langevinEnergy(rec, frozen, win.recWeight, remaining(recP), &rng, cancel);
    return {syn.contiguous(), rec.contiguous()};
}

/** Share of the values of x at the clamp bounds of [-1, 1]: a chain that collapsed onto them. */
double saturation(const at::Tensor &x)
{
    return (x.abs() >= TrainConfig::kSaturatedAbove).to(at::kFloat).mean().item<double>();
}

/** Mean patch-SWD of the rows of x against swd's reference. */
double meanPatchSwd(PatchSwd &swd, const at::Tensor &x)
{
    const at::Tensor xs = x.to(at::kCPU, at::kFloat);
    double sum = 0;
    for (int64_t i = 0; i < xs.size(0); ++i)
        sum += swd(xs.slice(0, i, i + 1));
    return sum / double(xs.size(0));
}

/** One attempt at a scale that passed the checks on its last iterations. */
struct Attempt
{
    EnergyNet net{nullptr};
    int attempt = 0;
    double factor = 1.0;
    /** The whole-image check (TrainConfig::imageCheckLimit): the samples' mean patch-SWD
     *  before and after the scale's chain; 0 where the scale is not judged. */
    double swdStart = 0, swdEnd = 0;
    std::string failure; ///< why the whole-image check failed; empty: it passed or did not apply
    /** The sampling-precision check (TrainConfig::bf16SamplingLimit): scales 0 to this one
     *  sample in fp32 (-1: none). */
    int fp32Through = -1;
    std::vector<TrainLogPoint> log; ///< the attempt's measured iterations (up to a rolled-back net's)

    double ratio() const { return swdStart > 0 ? swdEnd / swdStart : 0.0; }
};

/** The seed of one random stream of one attempt at one scale: the training's own
 *  (stream 17) or the whole-image check's (99991), apart for every scale and attempt. */
std::uint64_t attemptSeed(std::uint64_t seed, int scale, int attempt, std::uint64_t stream)
{
    return seed * 1000003ull + std::uint64_t(scale) * 7919ull + std::uint64_t(attempt) * 104729ull + stream;
}

std::string fixed(double v, int digits)
{
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(digits);
    o << v;
    return o.str();
}

} // namespace

void train(PyramidModel &model, const TrainCallbacks &cb, const std::atomic<bool> *cancel)
{
    initRuntime();
    // The scales above the coarsest in bf16 where the configuration asks and the CPU has it
    // (asked before the training's precision turns Auto into Fp32).
    const bool bf16Fine = autoBf16Chains(model.device(), model.config().bf16FineChains);
    // And the coarsest scale's chains where it asks for them too (quick on such a CPU).
    const bool bf16Coarse = autoBf16Chains(model.device(), model.config().bf16CoarseChains);
    // Whether sampling here would run bf16 chains (precision Auto on a CPU that computes bf16).
    const bool bf16Sampling = autoBf16Chains(model.device(), true);
    TrainingPrecision trainingPrecision; // fp32 unless asked otherwise (runtime.h)
    // The chains this training recorded as CUDA graphs hold device memory: freed however it ends.
    struct ReleaseGraphs
    {
        ~ReleaseGraphs() { releaseChainGraphs(); }
    } releaseGraphs;
    const TrainConfig &cfg = model.config();
    const at::Device dev = model.device();
    const PyramidGeometry &geo = model.geometry();
    const int S = model.numScales();
    const int start = model.trainedScales();
    if (start >= S)
        return;

    const auto t0 = Clock::now();
    double totalCost = 0, doneCost = 0;
    for (int s = start; s < S; ++s)
        totalCost += scaleCost(cfg, geo.scales[s], s);
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    // The ETA is the rate measured from the first report on: the first iteration carries
    // one-off costs (allocations, cuDNN autotuning, a scale's bank), which scaled by the
    // iteration count read as hours for a run of minutes.
    double etaFromElapsed = -1, etaFromDone = 0;

    // The recovery chain's state at the previous scale (noise 0, final nets).
    at::Tensor recPrev;
    // Scale s's chains in that scale's precision, and its recovery chain's start: the blurred
    // coarsest image, or the previous scale's recovery enlarged.
    auto enterScale = [&](int s) {
        trainingPrecision.setBf16Chains(s > 0 ? bf16Fine : bf16Coarse);
        return s == 0 ? blurredCopy(model.real(0), cfg.recoveryDownscale)
                      : resizeImage(recPrev, geo.scales[s].height, geo.scales[s].width);
    };
    // The recovery chain through scale s's final net.
    auto recoverThrough = [&](int s, const at::Tensor &z) {
        Rng r(cfg.seed, dev);
        recPrev = runPyramid(model, z, s, s, geo.scales, 0.0, cfg.recoverySteps, r, cancel);
    };
    // A resumed training: scale by scale, as a training that never stopped ran it.
    for (int s = 0; s < start; ++s)
        recoverThrough(s, enterScale(s));

    // One attempt at scale s with the learning rate and Langevin step scaled by `factor`.
    auto trainScale = [&](int s, const at::Tensor &z, int attempt, double factor) -> Attempt {
        Rng rng(attemptSeed(cfg.seed, s, attempt, 17), dev);
        const Size2 sz = geo.scales[s];
        const int pad = cfg.pad;
        // Messages count scales from 1, as every front end shows them.
        const std::string scaleName = std::to_string(s + 1) + " of " + std::to_string(S);

        EnergyNet net(cfg.channelsFor(sz.longSide()), cfg.initStd);
        net->initialise([&](at::IntArrayRef sizes) { return rng.normal(sizes).to(at::kCPU); }, cfg.initStd);
        if (cfg.warmStart && s > 0 && model.net(s - 1)->channels() == net->channels())
            net->copyFrom(*model.net(s - 1));
        net->to(dev);
        net->train();
        // The training step in bf16 where the chains are and the configuration asks (reset to fp32 below).
        net->setComputeType(bf16Fine && s > 0 && cfg.bf16FineTraining ? at::kBFloat16 : at::kFloat);
        const bool crop = cfg.windowedAt(sz.width, sz.height);
        torch::optim::Adam opt(net->parameters(),
                               torch::optim::AdamOptions(cfg.learningRateAt(s, crop, 0) * factor).betas(std::make_tuple(cfg.beta1, cfg.beta2)));

        const at::Tensor obs = model.real(s);
        const at::Tensor obsP = padImage(obs, pad), zP = padImage(z, pad);
        const int B = cfg.batchAt(s, crop);

        at::Tensor bank;
        // n samples of the trained coarser scales, enlarged to this one, drawn with `r`.
        auto drawCoarse = [&](Rng &r, int n) {
            at::Tensor x = runPyramid(model, noiseStart(r, n, geo.scales[0]), 0, s - 1, geo.scales, 0.0, -1, r, cancel);
            return resizeImage(x, sz.height, sz.width);
        };
        auto drawBank = [&] {
            std::vector<at::Tensor> parts;
            for (int done = 0; done < cfg.bankSize; done += 16)
                parts.push_back(drawCoarse(rng, std::min(16, cfg.bankSize - done)));
            bank = at::cat(parts);
        };
        if (s > 0 && cfg.bankSize > 0)
            drawBank();

        const double costHere = scaleCost(cfg, sz, s);
        const double realSat = saturation(obs);
        const double startMse = (z - obs).pow(2).mean().item<double>(); // where the recovery chain starts
        const int iters = cfg.iterationsAt(s, crop);
        // Judges the attempt at its end; its checkpoint is the net at its last healthy point
        // of the second half, for a drift at the end.
        DriftGuard guard(iters);
        EnergyNet checkpoint{nullptr};
        std::vector<TrainLogPoint> log; // the measured iterations, kept in the model with the net
        log.reserve(size_t(iters));
        int stoppedAt = 0; // the iteration (1-based) a lasting drift ended the attempt at; 0: it ran to its end
        for (int it = 0; it < iters; ++it) {
            checkCancel(cancel);
            const double lr = cfg.learningRateAt(s, crop, it) * factor;
            for (auto &group : opt.param_groups())
                static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
            const double noise = cfg.trainingNoiseAt(s, crop, it);

            if (s > 0 && cfg.bankSize > 0 && cfg.bankRefresh > 0 && it > 0 && it % cfg.bankRefresh == 0)
                drawBank();
            at::Tensor init;
            {
                at::NoGradGuard ng;
                if (s == 0) {
                    init = noiseStart(rng, B, sz);
                } else if (bank.defined()) {
                    // Rows picked on the host and cut as views: an index tensor would be a
                    // host-to-device copy, which waits for the GPU, every iteration.
                    std::vector<at::Tensor> rows;
                    for (int b = 0; b < B; ++b)
                        rows.push_back(bank.narrow(0, rng.index(bank.size(0)), 1));
                    init = at::cat(rows);
                } else {
                    init = drawCoarse(rng, B); // the reference schedule: every coarser chain, every iteration
                }
            }
            WindowBatch win;
            if (crop) {
                win = cutWindows(padImage(init, pad), obsP, zP, cfg.cropSize, cfg.recoveryBatch, cfg.receptiveField(sz.longSide()), rng);
            } else {
                win.init = padImage(init, pad);
                win.obs = obsP;
                win.z = zP;
            }

            const auto frozen = net->frozenWeights();
            auto inner = [&](const at::Tensor &x) { return win.margin > 0 ? cropPad(x, win.margin) : x; };
            LangevinParams synP;
            synP.steps = cfg.stepsAt(s);
            synP.stepSize = cfg.stepSize * factor;
            synP.noise = noise;
            synP.maxMove = cfg.langevinMoveMax;
            LangevinParams recP = synP;
            recP.steps = cfg.recoverySteps;
            recP.noise = 0.0;
            const auto [synOut, recOut] = runChains(win, frozen, synP, recP, rng, cancel);
            const at::Tensor syn = inner(synOut), rec = inner(recOut);

            // One forward for all three groups: one power iteration per training step.
            // With windows the real side is every real crop cut this iteration: where the
            // recovery windows are and where the synthesis windows are (see WindowBatch).
            std::vector<at::Tensor> groups; // (not an initializer list: GCC 12 misreads its bounds, -Warray-bounds)
            groups.reserve(4);
            groups.push_back(win.obs);
            if (win.obsAtSyn.defined())
                groups.push_back(win.obsAtSyn);
            int64_t nObs = 0;
            for (const at::Tensor &g : groups)
                nObs += g.size(0);
            const int64_t nSyn = syn.size(0);
            groups.push_back(syn);
            groups.push_back(rec);
            const at::Tensor energy = net->forward(at::cat(groups));
            const at::Tensor eObs = energy.slice(0, 0, nObs).mean();
            const at::Tensor eSyn = energy.slice(0, nObs, nObs + nSyn).mean();
            const at::Tensor eRec = energy.slice(0, nObs + nSyn).mean();
            const at::Tensor loss = (eSyn - eObs) + cfg.recoveryWeight * (eRec - eObs);
            opt.zero_grad();
            loss.backward();
            opt.step();
            if (cfg.lastLayerNormMax > 0) {
                // The energy's steepness bounded (TrainConfig::lastLayerNormMax); a tensor op, no read-back.
                at::NoGradGuard ng;
                at::Tensor w = net->rawWeight(net->layers() - 1);
                w.mul_(at::clamp_max(cfg.lastLayerNormMax / w.norm(), 1.0));
            }

            const bool snapshot = cb.snapshotEvery > 0 && ((it + 1) % cb.snapshotEvery == 0 || it + 1 == iters);
            // Reading a value back waits for the device: on a GPU the figures (and the
            // divergence checks) come every 10th iteration, the last and snapshots.
            const bool measure = !dev.is_cuda() || snapshot || it % 10 == 0 || it + 1 == iters;
            if (measure) {
                const double lossV = loss.item<double>();
                const double mse = (cropPad(rec, pad) - cropPad(win.obs, pad)).pow(2).mean().item<double>();
                if (!std::isfinite(lossV) || !std::isfinite(mse))
                    throw TrainingDiverged(s, "training diverged at scale " + scaleName + ", iteration " +
                                                  std::to_string(it + 1) + " (non-finite energy)");
                const double sat = saturation(cropPad(syn, pad));
                if (guard.observe(it, mse, sat)) {
                    if (!checkpoint) {
                        checkpoint = EnergyNet(net->channels(), cfg.initStd);
                        checkpoint->to(dev);
                    }
                    checkpoint->copyFrom(*net);
                    guard.checkpointTaken(it);
                }
                const double eReal = eObs.item<double>(), eSynV = eSyn.item<double>();
                log.push_back({it + 1, eReal, eSynV, mse});
                if (cb.progress) {
                    TrainProgress p;
                    p.scale = s;
                    p.numScales = S;
                    p.iteration = it + 1;
                    p.iterations = iters;
                    p.energyReal = eReal;
                    p.energySyn = eSynV;
                    p.energyRec = eRec.item<double>();
                    p.loss = lossV;
                    p.recoveryMse = mse;
                    p.learningRate = lr;
                    p.attempt = attempt;
                    p.noise = noise;
                    p.recoveryFailing = mse > cfg.failureMse;
                    p.saturation = sat;
                    p.elapsedSeconds = elapsed();
                    const double done = doneCost + costHere * double(it + 1) / iters;
                    if (etaFromElapsed < 0 || done <= etaFromDone) { // the first report, or a retried scale
                        etaFromElapsed = p.elapsedSeconds;
                        etaFromDone = done;
                        p.etaSeconds = done >= totalCost ? 0.0 : -1.0; // -1: not known yet
                    } else {
                        p.etaSeconds = (p.elapsedSeconds - etaFromElapsed) / (done - etaFromDone) * (totalCost - done);
                    }
                    if (snapshot) {
                        p.synthesis = cropPad(syn.slice(0, 0, 1), pad).detach().to(at::kCPU).contiguous();
                        p.recovery = cropPad(rec.slice(0, 0, 1), pad).detach().to(at::kCPU).contiguous();
                    }
                    cb.progress(p);
                }
            }
            // A drift that lasts: the rest of the attempt could only end at the same checkpoint (DriftGuard).
            if (measure && guard.sustained(it)) {
                stoppedAt = it + 1;
                break;
            }
        }
        double meanMse = guard.recentMse(), meanSat = guard.recentSaturation();
        if (guard.drifted()) {
            net->copyFrom(*checkpoint);
            // the log ends with the net kept
            const int kept = guard.checkpointIteration();
            log.erase(std::remove_if(log.begin(), log.end(), [kept](const TrainLogPoint &q) { return q.iteration > kept; }), log.end());
            const std::string where = stoppedAt > 0 ? "from iteration " + std::to_string(guard.driftStart()) + " of scale " + scaleName
                                                    : "at the end of scale " + scaleName;
            const std::string stopped = stoppedAt > 0 ? "; the scale stopped at iteration " + std::to_string(stoppedAt) + " of " +
                                                            std::to_string(iters) + " and"
                                                      : ";";
            if (cb.rolledBack)
                cb.rolledBack(s, kept,
                              "the recovery drifted " + where + " (MSE " + std::to_string(meanMse) + " over the last iterations, " +
                                  std::to_string(guard.bestMse()) + " at best)" + stopped + " its net of iteration " +
                                  std::to_string(kept) + " of " + std::to_string(iters) +
                                  " is kept (MSE " + std::to_string(guard.checkpointMse()) + ")");
            meanMse = guard.checkpointMse();
            meanSat = guard.checkpointSaturation();
        }
        if (meanMse > cfg.failureMse)
            throw TrainingDiverged(s, "recovery failed at scale " + scaleName + " (recovery MSE " +
                                          std::to_string(meanMse) + " over the last iterations, limit " +
                                          std::to_string(cfg.failureMse) + ")");
        if (meanMse > std::max(TrainConfig::kRecoveryWorseFactor * startMse, TrainConfig::kRecoveryWorseFloor))
            throw TrainingDiverged(s, "recovery failed at scale " + scaleName + " (its chain ends at MSE " +
                                          std::to_string(meanMse) + " from the image over the last iterations, " +
                                          "starting from " + std::to_string(startMse) + ")");
        if (meanSat > realSat + TrainConfig::kSaturationLimit)
            throw TrainingDiverged(s, "synthesis collapsed at scale " + scaleName + " (" +
                                          std::to_string(int(std::lround(100 * meanSat))) +
                                          " % of its values saturated at the clamp bounds over the last iterations, "
                                          "the real image " +
                                          std::to_string(int(std::lround(100 * realSat))) + " %)");
        net->setComputeType(at::kFloat); // the trained net evaluates in fp32 wherever it goes next

        Attempt a;
        a.net = net;
        a.log = std::move(log);
        a.attempt = attempt;
        a.factor = factor;
        if (s > 0 && cfg.imageCheckLimit > 0 && std::min(sz.width, sz.height) >= TrainConfig::kImageCheckMinSide) {
            // The whole-image check: the scale's chain as the sampler runs it, on fresh coarser
            // samples. Not the bank's: the scale trained on those, and judged on them a scale that
            // leaves fresh samples as they were (x1.01, balanced on SIGD16 1) scored x0.62.
            at::NoGradGuard ng;
            Rng checkRng(attemptSeed(cfg.seed, s, attempt, 99991), dev);
            const at::Tensor starts = drawCoarse(checkRng, TrainConfig::kImageCheckSamples);
            LangevinParams p;
            p.steps = cfg.stepsAt(s);
            p.stepSize = cfg.stepSize * factor;
            p.maxMove = cfg.langevinMoveMax;
            p.noise = 0.0;
            PatchSwd swd(obs.to(at::kCPU, at::kFloat)); // the scale's image prepared once for every set
            // The mean patch-SWD of coarser samples `from` after the scale's chain with `weights`.
            auto endSwd = [&](const at::Tensor &from, const std::vector<at::Tensor> &weights, Rng &r) {
                return meanPatchSwd(swd, cropPad(langevinEnergy(padImage(from, pad), weights, {}, p, &r, cancel), pad));
            };
            a.swdStart = meanPatchSwd(swd, starts);
            a.swdEnd = endSwd(starts, net->frozenWeights(), checkRng);
            if (cb.imageChecked)
                cb.imageChecked(s, attempt, a.swdStart, a.swdEnd);
            const bool trainedBf16 = s > 0 ? bf16Fine : bf16Coarse;
            if (bf16Sampling && cfg.bf16SamplingLimit > 0 && !trainedBf16) {
                // Trained with fp32 chains, sampled with bf16 ones: the check again as the sampler
                // runs it, coarser scales with bf16 chains (but where a scale keeps fp32) and this
                // scale's chain in bf16, on the same draw. The coarser scales matter: SIGD16 7's
                // finest balanced scale ends as well with bf16 chains as with fp32 ones on the
                // same starts, and draws stripes with either from starts drawn in bf16.
                Rng r16(attemptSeed(cfg.seed, s, attempt, 99991), dev);
                at::Tensor starts16;
                {
                    struct Restore
                    {
                        TrainingPrecision &tp;
                        bool on;
                        ~Restore() { tp.setBf16Chains(on); }
                    } restore{trainingPrecision, trainedBf16};
                    trainingPrecision.setBf16Chains(true);
                    starts16 = drawCoarse(r16, TrainConfig::kImageCheckSamples);
                }
                const std::vector<at::Tensor> bf16Weights = net->frozenWeights(at::kBFloat16);
                const double swd16 = endSwd(starts16, bf16Weights, r16);
                if (swd16 > cfg.bf16SamplingLimit * a.swdEnd) {
                    // Sampled so it ends farther from the image. This scale's own bf16 chain from the
                    // check's fp32 starts tells whether fp32 is needed here or only below: SIGD16 7's
                    // finest scale ends as well so (83.3 against 80.7) and it is the costliest.
                    a.fp32Through = endSwd(starts, bf16Weights, r16) > cfg.bf16SamplingLimit * a.swdEnd ? s : s - 1;
                }
                if (cb.samplingChecked)
                    cb.samplingChecked(s, attempt, a.swdEnd, swd16, a.fp32Through);
            }
            if (a.ratio() > cfg.imageCheckLimit)
                a.failure = "synthesis moves away from the image at scale " + scaleName + " (its chain raises " +
                            std::to_string(starts.size(0)) + " coarser samples' patch-SWD against the scale's image from " +
                            fixed(a.swdStart, 1) + " to " + fixed(a.swdEnd, 1) + ", x" + fixed(a.ratio(), 3) +
                            ", limit x" + fixed(cfg.imageCheckLimit, 3) + ")";
        }
        return a;
    };

    for (int s = start; s < S; ++s) {
        const at::Tensor z = enterScale(s);
        const double doneBefore = doneCost;
        std::optional<Attempt> kept, best; // best: of the attempts that failed only the whole-image check
        for (int attempt = 0; !kept; ++attempt) {
            std::string why;
            try {
                Attempt a = trainScale(s, z, attempt, std::pow(0.5, attempt));
                if (a.failure.empty()) {
                    kept = std::move(a);
                    break;
                }
                why = a.failure;
                if (!best || a.ratio() < best->ratio())
                    best = std::move(a);
            } catch (const TrainingDiverged &e) {
                why = e.what();
            }
            if (attempt >= TrainConfig::kDivergenceRetries) {
                if (!best)
                    throw TrainingDiverged(s, why + "; retried " + std::to_string(attempt) +
                                                  " times with a smaller learning rate and Langevin step");
                // Its samples are worse than the coarser scale's but not broken: the attempt that
                // spoiled them least goes on rather than the whole training failing.
                kept = std::move(best);
                if (cb.keptBest)
                    cb.keptBest(s, kept->attempt,
                                "no attempt at scale " + std::to_string(s + 1) + " of " + std::to_string(S) +
                                    " passed the whole-image check; attempt " + std::to_string(kept->attempt + 1) +
                                    "'s net, whose chain raised the samples' patch-SWD least (" + fixed(kept->swdStart, 1) +
                                    " to " + fixed(kept->swdEnd, 1) + "), is kept");
                break;
            }
            if (cb.retrying)
                cb.retrying(s, attempt + 1, why);
        }
        doneCost = doneBefore + scaleCost(cfg, geo.scales[s], s);
        model.setStepFactor(s, kept->factor);
        for (int k = 0; k <= kept->fp32Through; ++k) // the sampling-precision check's verdict
            model.setFp32Sampling(k, true);
        model.addTrainedScale(kept->net, std::move(kept->log));
        recoverThrough(s, z);
        if (cb.scaleFinished)
            cb.scaleFinished(s, model);
    }
}

} // namespace pgcn
