#include "config.h"

#include "errors.h"
#include "runtime.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

namespace pgcn {

const std::vector<int> &TrainConfig::channelsFor(int longSide) const
{
    return longSide < wideThreshold ? narrowChannels : wideChannels;
}

double TrainConfig::windowPixels(int width, int height) const
{
    const double h = height + 2.0 * pad, w = width + 2.0 * pad;
    const double ring = 2.0 * (receptiveField(std::max(width, height)) - 1);
    return (std::min<double>(h, cropSize) + ring) * (std::min<double>(w, cropSize) + ring);
}

bool TrainConfig::windowedAt(int width, int height) const
{
    const double h = height + 2.0 * pad, w = width + 2.0 * pad;
    return cropSize > 0 && windowPixels(width, height) <= 0.5 * h * w;
}

double TrainConfig::stepSizeAt(int scale) const
{
    return scale >= 0 && scale < int(stepFactors.size()) ? stepSize * stepFactors[scale] : stepSize;
}

double TrainConfig::learningRate(int it) const
{
    if (lrDecayIters <= 0)
        return lrEnd;
    const double t = std::min(1.0, double(it) / lrDecayIters);
    return (lrStart - lrEnd) * (1.0 - t) + lrEnd;
}

bool TrainConfig::fp32SamplingAt(int scale) const
{
    return std::find(fp32SamplingScales.begin(), fp32SamplingScales.end(), scale) != fp32SamplingScales.end();
}

int TrainConfig::batchAt(int scale, bool windowed) const
{
    if (scale == 0 && coarseBatch > 0)
        return coarseBatch;
    return windowed && windowBatch > 0 && scale != 0 ? windowBatch : batchSize;
}

int TrainConfig::iterationsAt(int scale, bool windowed) const
{
    if (scale == 0 && coarseIterations > 0)
        return coarseIterations;
    return windowed && windowIterations > 0 && scale != 0 ? windowIterations : iterations;
}

namespace {
/** Iteration `it` of scale s mapped onto the schedule of `iterations` (a scale may have more or fewer). */
int scheduleIteration(const TrainConfig &c, int scale, bool windowed, int it)
{
    return int(std::lround(double(it) * c.iterations / c.iterationsAt(scale, windowed)));
}
} // namespace

double TrainConfig::learningRateAt(int scale, bool windowed, int it) const
{
    const double lr = learningRate(scheduleIteration(*this, scale, windowed, it));
    if (scale == 0)
        return coarseLr > 0 ? lr * (coarseLr / lrStart) : lr;
    return windowed && windowLr > 0 ? lr * (windowLr / lrStart) : lr;
}

double TrainConfig::trainingNoiseAt(int scale, bool windowed, int it) const
{
    return trainingNoise(scheduleIteration(*this, scale, windowed, it));
}

double TrainConfig::trainingNoise(int it) const
{
    if (noiseDecayIters <= 0)
        return 0.0;
    const double t = std::min(1.0, double(it) / noiseDecayIters);
    return noiseStart * (1.0 - t);
}

void TrainConfig::setLangevinSteps(int steps)
{
    if (steps <= 0 || stepsPerScale <= 0)
        return;
    stepsCoarsest = std::max(1, int(std::lround(double(stepsCoarsest) * steps / stepsPerScale)));
    stepsPerScale = steps;
    recoverySteps = steps;
}

void TrainConfig::setIterations(int iters)
{
    if (iterations > 0 && iters > 0) {
        const double f = double(iters) / iterations;
        noiseDecayIters = int(std::lround(noiseDecayIters * f));
        lrDecayIters = int(std::lround(lrDecayIters * f));
        if (coarseIterations > 0)
            coarseIterations = std::max(1, int(std::lround(coarseIterations * f)));
        if (windowIterations > 0)
            windowIterations = std::max(1, int(std::lround(windowIterations * f)));
        if (bankRefresh > 0)
            bankRefresh = std::max(1, int(std::lround(bankRefresh * f)));
    }
    iterations = iters;
}

namespace {
void require(bool ok, const std::string &what)
{
    if (!ok)
        throw InvalidArgument(what);
}
std::string num(double v)
{
    std::ostringstream s;
    s.precision(17);
    s << v;
    return s.str();
}
} // namespace

void TrainConfig::validate() const
{
    require(maxSize >= 8 && maxSize <= 4096, "max size must be between 8 and 4096 pixels (got " + std::to_string(maxSize) + ")");
    require(minSize >= 4 && minSize <= maxSize, "min size must be between 4 and max size (got " + std::to_string(minSize) + ")");
    require(numScales >= 1 && numScales <= 20, "number of scales must be between 1 and 20 (got " + std::to_string(numScales) + ")");
    require(iterations >= 1 && iterations <= 1000000, "iterations must be between 1 and 1000000 (got " + std::to_string(iterations) + ")");
    require(coarseIterations >= 0 && coarseIterations <= 1000000, "coarsest-scale iterations must be between 0 and 1000000 (got " + std::to_string(coarseIterations) + ")");
    require(stepsCoarsest >= 1 && stepsCoarsest <= 10000, "Langevin steps at the coarsest scale must be between 1 and 10000 (got " + std::to_string(stepsCoarsest) + ")");
    require(stepsPerScale >= 1 && stepsPerScale <= 10000, "Langevin steps must be between 1 and 10000 (got " + std::to_string(stepsPerScale) + ")");
    require(recoverySteps >= 0 && recoverySteps <= 10000, "recovery steps must be between 0 and 10000 (got " + std::to_string(recoverySteps) + ")");
    require(stepSize > 0 && stepSize < 10 && std::isfinite(stepSize), "Langevin step size must be in (0, 10) (got " + num(stepSize) + ")");
    require(noiseStart >= 0 && noiseStart < 10, "Langevin noise must be in [0, 10) (got " + num(noiseStart) + ")");
    require(lrStart > 0 && lrStart < 1 && lrEnd > 0 && lrEnd <= lrStart, "learning rates must satisfy 0 < end <= start < 1");
    require(coarseLr == 0 || (coarseLr > 0 && coarseLr < 1), "coarsest-scale learning rate must be 0 (as the others) or in (0, 1) (got " + num(coarseLr) + ")");
    require(windowIterations >= 0 && windowIterations <= 1000000, "windowed-scale iterations must be between 0 and 1000000 (got " + std::to_string(windowIterations) + ")");
    require(windowLr == 0 || (windowLr > 0 && windowLr < 1), "windowed-scale learning rate must be 0 (as the others) or in (0, 1) (got " + num(windowLr) + ")");
    require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must be in [0, 1)");
    require(recoveryWeight >= 0 && recoveryWeight <= 100, "recovery weight must be in [0, 100] (got " + num(recoveryWeight) + ")");
    require(langevinMoveMax >= 0 && langevinMoveMax <= 2,
            "the Langevin step's largest move must be in [0, 2], 0 for none (got " + num(langevinMoveMax) + ")");
    require(lastLayerNormMax >= 0 && lastLayerNormMax <= 1000,
            "the last layer's norm limit must be in [0, 1000], 0 for none (got " + num(lastLayerNormMax) + ")");
    require(bf16SamplingLimit >= 0 && bf16SamplingLimit <= 100,
            "bf16 sampling limit must be in [0, 100], 0 for no check (got " + num(bf16SamplingLimit) + ")");
    for (int s : fp32SamplingScales)
        require(s >= 0 && s < numScales, "fp32 sampling scale " + std::to_string(s) + " is not a scale");
    require(imageCheckLimit >= 0 && imageCheckLimit <= 100,
            "image check limit must be in [0, 100], 0 for no check (got " + num(imageCheckLimit) + ")");
    require(recoveryDownscale > 0 && recoveryDownscale <= 1, "recovery downscale must be in (0, 1] (got " + num(recoveryDownscale) + ")");
    require(initStd > 0 && initStd < 1, "init std must be in (0, 1)");
    require(pad >= 0 && pad <= 32, "pad must be in [0, 32]");
    require(batchSize >= 1 && batchSize <= 256, "batch size must be between 1 and 256 (got " + std::to_string(batchSize) + ")");
    require(coarseBatch >= 0 && coarseBatch <= 256, "coarsest-scale batch must be between 0 (as the others) and 256 (got " + std::to_string(coarseBatch) + ")");
    require(recoveryBatch >= 1 && recoveryBatch <= 256, "recovery batch must be between 1 and 256 (got " + std::to_string(recoveryBatch) + ")");
    require(windowBatch >= 0 && windowBatch <= 256, "windowed-scale batch must be between 0 (as the others) and 256 (got " + std::to_string(windowBatch) + ")");
    require(bankSize >= 0 && bankSize <= 4096, "bank size must be between 0 and 4096 (got " + std::to_string(bankSize) + ")");
    require(bankRefresh >= 0, "bank refresh must be >= 0");
    require(cropSize == 0 || (cropSize >= 2 * pad + 1 && cropSize <= 4096),
            "crop size must be 0 or at least " + std::to_string(2 * pad + 1) + " (got " + std::to_string(cropSize) + ")");
    require(stepFactors.size() <= size_t(numScales), "more step factors than scales");
    for (double f : stepFactors)
        require(f > 0 && f <= 1, "step factors must be in (0, 1] (got " + num(f) + ")");
    for (const auto *c : {&narrowChannels, &wideChannels}) {
        require(c->size() == 5 && c->back() == 1, "channel tables need five layers ending in 1");
        for (int v : *c)
            require(v >= 1 && v <= 1024, "channel widths must be between 1 and 1024");
    }
}

std::string TrainConfig::toText() const
{
    std::ostringstream s;
    auto list = [](const auto &v) {
        std::string r;
        for (size_t i = 0; i < v.size(); ++i)
            r += (i ? "," : "") + num(double(v[i]));
        return r;
    };
    s << "preset=" << presetName << '\n'
      << "maxSize=" << maxSize << '\n' << "minSize=" << minSize << '\n' << "numScales=" << numScales << '\n'
      << "initStd=" << num(initStd) << '\n' << "pad=" << pad << '\n' << "wideThreshold=" << wideThreshold << '\n'
      << "narrowChannels=" << list(narrowChannels) << '\n' << "wideChannels=" << list(wideChannels) << '\n'
      << "stepSize=" << num(stepSize) << '\n' << "stepsCoarsest=" << stepsCoarsest << '\n'
      << "stepsPerScale=" << stepsPerScale << '\n' << "recoverySteps=" << recoverySteps << '\n'
      << "noiseStart=" << num(noiseStart) << '\n' << "noiseDecayIters=" << noiseDecayIters << '\n'
      << "iterations=" << iterations << '\n' << "coarseIterations=" << coarseIterations << '\n' << "lrStart=" << num(lrStart) << '\n' << "lrEnd=" << num(lrEnd) << '\n'
      << "coarseLr=" << num(coarseLr) << '\n' << "lrDecayIters=" << lrDecayIters << '\n' << "beta1=" << num(beta1) << '\n' << "beta2=" << num(beta2) << '\n'
      << "recoveryWeight=" << num(recoveryWeight) << '\n' << "lastLayerNormMax=" << num(lastLayerNormMax) << '\n' << "langevinMoveMax=" << num(langevinMoveMax) << '\n' << "recoveryDownscale=" << num(recoveryDownscale) << '\n'
      << "failureMse=" << num(failureMse) << '\n' << "imageCheckLimit=" << num(imageCheckLimit) << '\n' << "batchSize=" << batchSize << '\n' << "coarseBatch=" << coarseBatch << '\n' << "recoveryBatch=" << recoveryBatch << '\n'
      << "windowIterations=" << windowIterations << '\n' << "windowBatch=" << windowBatch << '\n' << "windowLr=" << num(windowLr) << '\n'
      << "bankSize=" << bankSize << '\n'
      << "bankRefresh=" << bankRefresh << '\n' << "cropSize=" << cropSize << '\n' << "warmStart=" << (warmStart ? 1 : 0) << '\n'
      << "bf16FineChains=" << (bf16FineChains ? 1 : 0) << '\n' << "bf16FineTraining=" << (bf16FineTraining ? 1 : 0) << '\n'
      << "bf16CoarseChains=" << (bf16CoarseChains ? 1 : 0) << '\n'
      << "seed=" << seed << '\n';
    if (!stepFactors.empty())
        s << "stepFactors=" << list(stepFactors) << '\n';
    s << "bf16SamplingLimit=" << num(bf16SamplingLimit) << '\n';
    if (!fp32SamplingScales.empty())
        s << "fp32SamplingScales=" << list(fp32SamplingScales) << '\n';
    return s.str();
}

TrainConfig TrainConfig::fromText(const std::string &text)
{
    std::map<std::string, std::string> kv;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos)
            throw FileFormatError("model configuration is damaged (line without '=')");
        kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    TrainConfig c;
    try {
        auto geti = [&](const char *k, int &v) { if (kv.count(k)) v = std::stoi(kv[k]); };
        auto getd = [&](const char *k, double &v) { if (kv.count(k)) v = std::stod(kv[k]); };
        auto getl = [&](const char *k, auto &v) {
            if (!kv.count(k))
                return;
            v.clear();
            std::istringstream ls(kv[k]);
            std::string item;
            while (std::getline(ls, item, ',')) {
                if constexpr (std::is_same_v<typename std::decay_t<decltype(v)>::value_type, int>)
                    v.push_back(std::stoi(item));
                else
                    v.push_back(std::stod(item));
            }
        };
        if (kv.count("preset"))
            c.presetName = kv["preset"];
        geti("maxSize", c.maxSize); geti("minSize", c.minSize); geti("numScales", c.numScales);
        getd("initStd", c.initStd); geti("pad", c.pad); geti("wideThreshold", c.wideThreshold);
        getl("narrowChannels", c.narrowChannels); getl("wideChannels", c.wideChannels);
        getd("stepSize", c.stepSize); geti("stepsCoarsest", c.stepsCoarsest); geti("stepsPerScale", c.stepsPerScale);
        geti("recoverySteps", c.recoverySteps); getd("noiseStart", c.noiseStart); geti("noiseDecayIters", c.noiseDecayIters);
        geti("iterations", c.iterations); geti("coarseIterations", c.coarseIterations); getd("lrStart", c.lrStart); getd("lrEnd", c.lrEnd); geti("lrDecayIters", c.lrDecayIters);
        getd("coarseLr", c.coarseLr);
        getd("beta1", c.beta1); getd("beta2", c.beta2); getd("recoveryWeight", c.recoveryWeight); getd("lastLayerNormMax", c.lastLayerNormMax);
        getd("langevinMoveMax", c.langevinMoveMax);
        getd("recoveryDownscale", c.recoveryDownscale); getd("failureMse", c.failureMse);
        getd("imageCheckLimit", c.imageCheckLimit);
        geti("batchSize", c.batchSize); geti("coarseBatch", c.coarseBatch); geti("recoveryBatch", c.recoveryBatch); geti("bankSize", c.bankSize);
        geti("windowIterations", c.windowIterations); geti("windowBatch", c.windowBatch); getd("windowLr", c.windowLr); geti("bankRefresh", c.bankRefresh);
        geti("cropSize", c.cropSize);
        int warm = 0; geti("warmStart", warm); c.warmStart = warm != 0;
        int bf16 = 0; geti("bf16FineChains", bf16); c.bf16FineChains = bf16 != 0; // older models: fp32
        int bf16Step = 0; geti("bf16FineTraining", bf16Step); c.bf16FineTraining = bf16Step != 0;
        int bf16Coarse = 0; geti("bf16CoarseChains", bf16Coarse); c.bf16CoarseChains = bf16Coarse != 0;
        getl("stepFactors", c.stepFactors);
        getd("bf16SamplingLimit", c.bf16SamplingLimit);
        getl("fp32SamplingScales", c.fp32SamplingScales);
        if (kv.count("seed"))
            c.seed = std::stoull(kv["seed"]);
    } catch (const std::logic_error &) {
        throw FileFormatError("model configuration is damaged (a value is not a number)");
    }
    try {
        c.validate();
    } catch (const InvalidArgument &e) {
        throw FileFormatError(std::string("model configuration is invalid: ") + e.what());
    }
    return c;
}

int defaultStartScale(const std::vector<int> &shorterSides, bool harmonize)
{
    const int n = int(shorterSides.size());
    if (n == 0)
        return 0;
    const int side = harmonize ? kHarmonizeStartSide : kEditStartSide;
    for (int s = 0; s < n; ++s)
        if (shorterSides[s] >= side)
            return s;
    return std::min(harmonize ? 2 : 1, n - 1);
}

std::vector<std::string> TrainConfig::presetNames()
{
    return {"quick", "balanced", "paper"};
}

TrainConfig TrainConfig::preset(const std::string &name, bool forGpu)
{
    TrainConfig c; // the reference defaults
    c.presetName = name;
    if (name == "paper")
        return c;
    if (name == "quick") {
        // A coarsest scale of 16 px (shorter side) instead of the paper's 25, and one scale
        // more to keep the ratio near 1.5: the 11x11 patches and the 5-px zero pad then cover
        // most of the coarsest image, so the samples keep the image's layout (sky above,
        // ground below), and the costliest scale has half the pixels. Measured on the 250-px
        // colosseum, whole trainings at one thread, 32 samples, seeds 0/1/2: patch-SWD
        // 76.7 / 89.1 / 84.9 against 108.0 / 131.5 / 114.3 (the low-pass band 110.5 / 112.6 /
        // 99.5 against 162.2 / 184.6 / 190.9), 523-532 s against 701 s, recovery MSE
        // 0.077 / 0.088 / 0.085 against 0.078 / 0.085 / 0.077 (README, Presets).
        c.numScales = 7;
        c.minSize = 16;
        c.setIterations(300);
        c.coarseIterations = 1200; // the layout: measured, 300 iterations there give shapeless blobs
        c.stepsCoarsest = 40;
        c.stepsPerScale = 12;
        c.recoverySteps = 12;
        c.lrStart = 1e-3;
        c.lrEnd = 1.25e-4;
        c.narrowChannels = {32, 32, 32, 32, 1};
        c.wideChannels = {32, 32, 32, 32, 1};
        c.batchSize = 4;
        c.recoveryBatch = 2;
        c.bankSize = 8;
        c.bankRefresh = 0;
        // Windows make the finer scales cheap on a CPU (the finest scale of the 250-px
        // colosseum: 16 s against 274 s at 100 iterations). A GPU trains whole images
        // at little cost and they sample better: on an H100 (2026-11-24), scales 3-5
        // retrained on whole images over the same coarse scales, 32 samples paired by
        // seed, patch-SWD quick -7.3 +- 2.0 (colosseum), -22.5 +- 5.5 and -38.3 +- 4.5
        // (SIGD16 1, 2), balanced -6.6 +- 2.1, -5.8 +- 2.5, -5.8 +- 3.1; quick's
        // training 39.0 s against 26.6 s there.
        c.cropSize = forGpu ? 0 : 40;
        // The windowed scales learn better at a quarter of the rate: scales 3-5 of the
        // 250-px colosseum retrained over the same coarse scales, 32 samples paired by
        // seed, patch-SWD against lr 1e-3: 5e-4 -5.8 +- 0.6, 3.5e-4 -10.4 +- 2.2,
        // 2.5e-4 -11.4 +- 2.9 (fine band 117.4 -> 93.7, recovery MSE 0.079 -> 0.077),
        // 1.5e-4 -11.9 +- 3.7 (fine band 96.3). Same cost.
        c.windowLr = 2.5e-4;
        c.warmStart = true;
        // On a CPU with native bfloat16 (AVX512-BF16) the finer scales train with bf16
        // chains: 37 % less time there (the 250-px colosseum's scales 1-5: 181.8 s against
        // 288.1 s, same day); retrained so over the same fp32 coarsest scale, 32 samples
        // paired by seed, patch-SWD +0.5 +- 0.6 (colosseum) and +1.3 +- 0.8 (SIGD16 2),
        // recovery MSE 0.0771 / 0.0409 against 0.0773 / 0.0414. The coarsest scale, which
        // sets the layout, takes bf16 chains only with the schedule below: with quick's own
        // schedule whole trainings with bf16 there ranged from better (colosseum, two seeds)
        // to worse (SIGD16 2: 163.3 against 129.1) on an AMD EPYC. A GPU trains in fp32
        // (bf16 chains lost quality on an H100: runtime.h).
        c.bf16FineChains = !forGpu;
        // Their training step (the net's forward and backward) in bf16 too, parameters and Adam
        // fp32: the colosseum's scales 1-6 in 74.7 s against 106.0 s (an AMX Xeon, 2026-12-06),
        // retrained over the same coarsest scale and paired by seed, patch-SWD +0.2 +- 1.0
        // (colosseum) and -4.7 +- 1.6 (SIGD16 2) against the fp32 step.
        c.bf16FineTraining = !forGpu;
        if (!forGpu) {
            // A CPU trains the coarsest scale with balanced's coarsest schedule: 2500 iterations
            // at 4e-4 -> 5e-5 instead of 1200 at 1e-3. The layout is where quick lost most;
            // SIGD16 1 / 2, seeds 0-2, 32 samples each, on an AMX Xeon: patch-SWD means 96.7 /
            // 78.7 / 113.5 and 97.5 / 73.6 / 93.2 against 147.4 / 99.8 / 129.6 and 106.4 / 126.5
            // / 112.0 (better with every seed). Where the CPU computes bf16 natively (AMX,
            // AVX512-BF16) the scale's chains run in bf16, twice as fast, and the schedule costs
            // about the time of the 1200 fp32 iterations (the colosseum in 147.7 s against 159.7 s,
            // the same quality). Elsewhere it runs in fp32 and doubles that scale's time (about
            // two minutes more for a 250-px image on two Zen 3 cores), and pays for itself there:
            // on an AMD EPYC (Zen 3, AVX2), the sixteen SIGD16 images, seed 0, 32 samples each,
            // patch-SWD mean 82.9 against 93.9 (lower on 13 of 16, the low-pass band most), 13
            // against 10 images within 1.5x of SinGAN's; the colosseum 460.2 s against 353.6 s
            // the same hour (README, Benchmark).
            c.bf16CoarseChains = cpuHasBf16();
            c.coarseIterations = 2500;
            c.coarseLr = 4e-4;
        }
        return c;
    }
    if (name == "balanced") {
        // quick's pyramid, nets and Langevin steps with the paper's learning rate and more
        // iterations: 2500 at the coarsest scale (which sets the layout; 4000 with the 25-px
        // pyramid, see below) and 1000 at the finer ones, where two synthesis windows and one recovery window per
        // iteration keep the cost of an iteration half of quick's. Measured on the 250-px
        // colosseum (GPU sweep, 16 samples each): quick's fine scales (300 iterations at
        // lr 1e-3) leave a grid of horizontal and vertical hatching and broken arcades,
        // patch-SWD 128.5; 1000 iterations at 4e-4 with four windows 123.8; this schedule
        // 105.1 with regular arches. Two chains at the coarsest scale are fragile (one of
        // two such runs collapsed there), so it keeps four.
        c = preset("quick", forGpu);
        c.presetName = name;
        c.setIterations(1000); // the noise and learning-rate decays follow
        // quick's 16-px pyramid with 2500 iterations at its coarsest scale, not 4000: the small
        // coarsest image does not take 4000 at 4e-4 (seed 0's recovery drifted to MSE 0.82 and the
        // drift checkpoint kept iteration 2201; seed 1's failed and was trained again). With 2500
        // the colosseum (one thread, 32 samples) scored 61.5 +- 4.8 (seed 0) and 64.2 +- 3.7 (seed 1)
        // against 86.9 +- 5.7 with the 25-px pyramid and 4000; the preset at two threads, seed 0:
        // 782.9 s, 64.0 +- 3.8 (README, Presets).
        c.coarseIterations = 2500;
        c.lrStart = 4e-4;
        c.lrEnd = 5e-5;
        c.windowLr = 0; // one rate at every finer scale (quick's quarter rate is for its 1e-3)
        if (!forGpu) {
            // On a CPU the finer scales learn at half the paper's rate; the coarsest keeps
            // 4e-4 -> 5e-5. At 4e-4 a finer scale can end inert (its chains hardly move the
            // enlarged coarser sample) or run away. Measured over the same coarsest scale, 32
            // samples paired by seed, patch-SWD against 4e-4: the colosseum's whole training
            // (seed 0) -1.7 +- 1.6 (86.9 against 88.6); scales 1-5 retrained over a GPU model's
            // coarsest scale: colosseum -24.5 +- 3.2 (at 4e-4 its scale 2 ended inert), SIGD16 2
            // -1.2 +- 1.1; SIGD16 2's scales 3-5 alone over a GPU model +4.1 +- 0.7 (one training
            // draw; its scale 3 varies by ~20 between draws). The same time. A GPU (whole images)
            // keeps 4e-4, as measured there.
            c.coarseLr = c.lrStart;
            c.lrStart /= 2;
            c.lrEnd /= 2;
        }
        c.batchSize = 2;
        c.coarseBatch = 4;
        c.recoveryBatch = 1;
        c.bf16FineChains = false; // paired, its finer scales lost with bf16 chains (+2.6 / +5.4 patch-SWD, README)
        c.bf16FineTraining = false;
        c.bf16CoarseChains = false;
        return c;
    }
    throw InvalidArgument("unknown preset '" + name + "' (choose quick, balanced or paper)");
}

} // namespace pgcn
