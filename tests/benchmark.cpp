// patchgencn-bench: speed and quality figures for the engine.
//
// Its modes and options are in kUsage below (`patchgencn-bench --help` prints them); an option a
// mode does not take, or one without its value, is refused before anything runs.
#include "config.h"
#include "directchain.h"
#include "errors.h"
#include "fileutil.h"
#include "energynet.h"
#include "generator.h"
#include "langevin.h"
#include "metrics.h"
#include "model.h"
#include "runtime.h"
#include "tensorops.h"
#include "trainer.h"
#include "winograd.h"
#ifdef PATCHGENCN_HAVE_IMAGEIO
#include "imageio.h"
#endif

#include <ATen/Parallel.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <thread>
#include <type_traits>

using namespace pgcn;
namespace fs = std::filesystem;

namespace {

/** What `patchgencn-bench --help` prints: every mode and its options. */
const char *const kUsage = R"(patchgencn-bench: speed and quality figures for the engine.

usage:
  patchgencn-bench train IMAGE [--preset P] [--iters N] [--scales N] [--max-size N]
                   [--set key=value ...] [--runs N] [--samples N] [--json FILE] [--out DIR]
                   [--from MODEL --keep K] [--stop-after K] [--trace N] [--lr X] [--big N]
      (--out: the first run's samples and model.pgcn; --lr: the rest's learning rate, its decay's
      ratio kept; --trace N: every N-th iteration's energies and recovery MSE on stderr;
      --stop-after K: trains K scales, saves DIR/model.pgcn for --from, and stops)
      trains (N runs with seeds S..S+N-1, S = 0 or --set seed=S; medians reported), then reports time per
      scale and in total, one-sample and batch-16 sampling time, peak RSS,
      patch-SWD of each of --samples samples (default 32) against the real image
      (median, mean and its standard error), diversity, the enlargement grid
      (median over the samples, and the real image's) and recovery MSE.
      --set overrides any field of the model configuration by its name in the
      model file's text (e.g. --set coarseIterations=600 --set batchSize=8).
      --from MODEL --keep K keeps MODEL's first K trained scales and trains the
      rest (same image; the kept scales' sizes must match, the finer ones may
      differ): finer-scale changes over the same coarse scales, so `score` can
      pair their samples seed by seed.
  patchgencn-bench compare IMAGE [train's options, without --from, --keep, --stop-after, --trace, --big]
      side by side on the same image and settings: the reference schedule
      (whole images, every coarser chain re-run every iteration) and ours (the
      preset's bank of coarse samples, and its windows on the CPU); times, quality and ratio,
      and the patch-SWD difference of their samples paired by seed (the coarsest scale
      trains alike in both, so the same seeds draw the same compositions).
  Every mode takes --threads N (default: every core), --device auto|cpu|cuda
  (default auto) and --precision auto|fp32|tf32|bf16 (default auto: fp32 while
  training; while sampling tf32 on a GPU, bf16 chains on an AVX512-BF16 CPU).
  train and score take --big N: time and peak memory of one sample whose
  longer side is N px (e.g. 1024).
  patchgencn-bench langevin [--size N] [--preset P] [--json FILE]
      Langevin steps per second at each pyramid size of an N-px image (no files).
  patchgencn-bench pack IMAGE... --out DIR
      writes each image as DIR/<stem>.pt, a LibTorch archive that `train` and
      `compare` read where no image library is built (the GPU machine).
  patchgencn-bench unpack DIR
      writes the PNGs of DIR/samples.pt, which `--out DIR` leaves there in such a build.
  patchgencn-bench score MODEL [--samples N] [--seed S] [--json FILE] [--out DIR] [--per-scale]
      quality of a trained model: patch-SWD of N samples (default 64: single
      samples spread widely, so compare means with their standard errors),
      diversity, enlargement grid and recovery MSE. --per-scale adds, for each
      scale, the patch-SWD and enlargement grid of the chains' start (the
      enlarged coarser sample) and end against that scale's real image.
  patchgencn-bench swd REAL_DIR FAKE_DIR [--json FILE]
      patch-SWD of every FAKE_DIR/<stem>.* against REAL_DIR/<stem>.* (e.g. sigd16).
  patchgencn-bench suite REAL_DIR --out DIR [--against NAME=DIR ...] [--only STEM,...]
                   [compare's options]
      trains on every image of REAL_DIR and sets its samples' mean patch-SWD beside
      each --against folder's sample of the same image (e.g. sigd16's singan and gpnn),
      scored by the same code: a row per image with the ratios, then the set's means,
      the median ratio and how many images are within 1.5x. Each image's figures are
      kept as DIR/<stem>.result (its samples and model in DIR/<stem>/); a later run with
      the same settings reuses them, so a suite resumes, and --only (train just these)
      splits one between processes (e.g. two at --threads 1) over the same DIR.

The timing modes build with LibTorch alone; file modes need the image library.
)";

using Clock = std::chrono::steady_clock;

/** The device every mode runs on (--device). */
at::Device g_dev = at::kCPU;

/** Seconds since t, after the device has finished its queued work. */
double since(Clock::time_point t)
{
    synchronize(g_dev);
    return std::chrono::duration<double>(Clock::now() - t).count();
}

double peakRssMiB()
{
    struct rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/** The machine and what its chains compute in under the configuration `cfg` (its bf16 chain flags). */
std::string machine(const TrainConfig &cfg)
{
    struct utsname u{};
    uname(&u);
    std::ostringstream s;
    s << u.machine << ", " << std::thread::hardware_concurrency() << " cores, " << at::get_num_threads() << " threads";
    if (g_dev.is_cuda()) {
        s << ", " << describeDevice(g_dev);
    } else {
        const bool fine = autoBf16Chains(g_dev, cfg.bf16FineChains);
        const bool coarse = autoBf16Chains(g_dev, cfg.bf16CoarseChains);
        s << ", chains: " << at::toString(chainType(g_dev, /*training=*/true)) << " training"
          << (fine || coarse ? std::string(" (BFloat16 ") + bf16ChainScales(fine, coarse) + ")" : std::string()) << ", "
          << at::toString(chainType(g_dev)) << " sampling";
        if (directChains() && winogradAvailable())
            s << ", fp32 3x3 layers by Winograd F(4x4,3x3)";
    }
    return s.str();
}

/** What one mode takes: how many leading arguments (files, folders) and which options. */
struct ModeSyntax
{
    const char *mode;
    const char *operands;   ///< for the message, e.g. "IMAGE"
    int minOperands, maxOperands; ///< -1: any number
    std::vector<std::string> valued, flags, repeatable;
};

/**
 * Refuses what `mode` would otherwise ignore or misread: an option it does not take (a typo in
 * an hour's benchmark would run the defaults), an option without its value, one given twice that
 * is read once, and operands missing, in excess or after the options (they are read by position).
 */
void checkArguments(int argc, char **argv, const std::string &mode)
{
    const std::vector<std::string> common = {"threads", "device", "precision"};
    const std::vector<std::string> config = {"preset", "iters", "lr", "scales", "max-size", "set", "runs", "samples", "json", "out"};
    auto plus = [](std::vector<std::string> a, const std::vector<std::string> &b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    const std::vector<ModeSyntax> modes = {
        {"langevin", "", 0, 0, {"size", "preset", "json"}, {}, {}},
        {"train", "IMAGE", 1, 1, plus(config, {"from", "keep", "big", "trace", "stop-after"}), {}, {"set"}},
        {"compare", "IMAGE", 1, 1, config, {}, {"set"}},
        {"score", "MODEL", 1, 1, {"samples", "seed", "json", "out", "big"}, {"per-scale"}, {}},
        {"swd", "REAL_DIR FAKE_DIR", 2, 2, {"json"}, {}, {}},
        {"suite", "REAL_DIR", 1, 1, plus(config, {"against", "only"}), {}, {"set", "against"}},
        {"pack", "IMAGE...", 1, -1, {"out"}, {}, {}},
        {"unpack", "DIR", 1, 1, {}, {}, {}},
    };
    const auto m = std::find_if(modes.begin(), modes.end(), [&](const ModeSyntax &x) { return mode == x.mode; });
    if (m == modes.end())
        throw std::runtime_error("unknown mode '" + mode + "' (patchgencn-bench --help lists them)");
    auto has = [](const std::vector<std::string> &v, const std::string &x) { return std::find(v.begin(), v.end(), x) != v.end(); };
    int operands = 0;
    std::set<std::string> seen;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--", 0) != 0) {
            if (!seen.empty())
                throw std::runtime_error(mode + ": '" + a + "' after the options (" + m->operands + " come first)");
            ++operands;
            continue;
        }
        const std::string name = a.substr(2);
        const bool isFlag = has(m->flags, name);
        if (!isFlag && !has(m->valued, name) && !has(common, name))
            throw std::runtime_error(mode + " takes no option '" + a + "' (patchgencn-bench --help lists its options)");
        if (!seen.insert(name).second && !has(m->repeatable, name))
            throw std::runtime_error(mode + ": '" + a + "' given twice");
        if (isFlag)
            continue;
        if (i + 1 >= argc || std::string(argv[i + 1]).rfind("--", 0) == 0)
            throw std::runtime_error(mode + ": '" + a + "' needs a value");
        ++i;
    }
    if (operands < m->minOperands || (m->maxOperands >= 0 && operands > m->maxOperands))
        throw std::runtime_error(mode + " needs " + (*m->operands ? m->operands : std::string("no file or folder")) +
                                 " before its options (got " + std::to_string(operands) + ")");
}

/** Every value given to --name, in order. */
std::vector<std::string> args(int argc, char **argv, const std::string &name)
{
    std::vector<std::string> out;
    for (int i = 2; i + 1 < argc; ++i)
        if (argv[i] == "--" + name)
            out.push_back(argv[++i]);
    return out;
}

std::string arg(int argc, char **argv, const std::string &name, const std::string &fallback)
{
    const auto v = args(argc, argv, name);
    return v.empty() ? fallback : v.front();
}

/** Whether the option --name (one that takes no value) was given. */
bool flag(int argc, char **argv, const std::string &name)
{
    for (int i = 2; i < argc; ++i)
        if (argv[i] == "--" + name)
            return true;
    return false;
}

/** --name parsed whole as T (or `fallback` when absent); anything else is an error naming the option. */
template <typename T>
T numberArg(int argc, char **argv, const std::string &name, T fallback, const char *what)
{
    const std::string v = arg(argc, argv, name, "");
    if (v.empty())
        return fallback;
    size_t used = 0;
    try {
        T n;
        if constexpr (std::is_same_v<T, int>)
            n = std::stoi(v, &used);
        else
            n = std::stod(v, &used);
        if (used == v.size() && std::isfinite(double(n)))
            return n;
    } catch (const std::logic_error &) {
    }
    throw std::runtime_error("--" + name + " needs " + what + " (got '" + v + "')");
}

int intArg(int argc, char **argv, const std::string &name, int fallback)
{
    return numberArg<int>(argc, argv, name, fallback, "a whole number");
}

double doubleArg(int argc, char **argv, const std::string &name, double fallback)
{
    return numberArg<double>(argc, argv, name, fallback, "a number");
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double mean(const std::vector<double> &v)
{
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

/** The standard error of v's mean `m` (0 for fewer than two values). */
double standardError(const std::vector<double> &v, double m)
{
    const double n = double(v.size());
    double sq = 0;
    for (double x : v)
        sq += (x - m) * (x - m);
    return n > 1 ? std::sqrt(sq / (n - 1) / n) : 0.0;
}

struct Json
{
    std::ostringstream s;
    bool first = true;
    void key(const std::string &k) { s << (first ? "" : ",") << "\n  \"" << k << "\": "; first = false; }
    void num(const std::string &k, double v) { key(k); s << v; }
    void str(const std::string &k, const std::string &v) { key(k); s << '"' << v << '"'; }
    void raw(const std::string &k, const std::string &v) { key(k); s << v; }
    std::string text() const { return "{" + s.str() + "\n}\n"; }
};

void writeJson(const std::string &path, const Json &j)
{
    if (path.empty())
        return;
    std::ofstream(path) << j.text();
    std::cout << "JSON written to " << path << '\n';
}

int langevinSpeed(int argc, char **argv)
{
    const int size = intArg(argc, argv, "size", 250);
    TrainConfig cfg = TrainConfig::preset(arg(argc, argv, "preset", "paper"));
    const auto geo = PyramidGeometry::compute(size, size * 3 / 4, cfg.maxSize, cfg.minSize, cfg.numScales);
    const bool graphsBefore = cudaGraphs(), graphs = g_dev.is_cuda() && graphsBefore;
    std::cout << "Langevin steps per second (" << machine(cfg) << ", preset " << cfg.presetName << ")\n";
    std::printf("%-6s %-10s %-12s %-12s %-12s%s\n", "scale", "size", "batch 1", "batch 16", "px*steps/s",
                graphs ? "  batch 1 eager  batch 16 eager" : "");
    Json j;
    j.str("machine", machine(cfg));
    std::string rows = "[";
    for (size_t s = 0; s < geo.scales.size(); ++s) {
        const Size2 sz = geo.scales[s];
        EnergyNet net(cfg.channelsFor(sz.longSide()), cfg.initStd);
        net->to(g_dev);
        net->eval();
        const auto frozen = net->frozenWeights();
        double rate[4] = {0, 0, 0, 0};
        int bi = 0;
        // On a GPU the chains run as CUDA graphs; the same chains step by step ("eager") beside them.
        for (bool eager : {false, true}) {
            if (eager && !graphs)
                break;
            setCudaGraphs(!eager && graphs);
            for (int b : {1, 16}) {
                Rng rng(1, g_dev);
                at::Tensor x = padImage(rng.uniform({b, 3, sz.height, sz.width}, -1, 1), cfg.pad);
                LangevinParams p;
                p.steps = g_dev.is_cuda() ? 100 : b == 1 ? 20 : 6;
                LangevinParams warm = p;
                warm.steps = g_dev.is_cuda() ? p.steps : 3;
                langevinEnergy(x, frozen, {}, warm, &rng); // warm-up: cuDNN picks its algorithms, a CUDA graph is recorded
                synchronize(g_dev);
                const auto t0 = Clock::now();
                langevinEnergy(x, frozen, {}, p, &rng);
                rate[bi++] = p.steps / since(t0);
            }
        }
        setCudaGraphs(graphsBefore);
        std::printf("%-6zu %4dx%-5d %-12.1f %-12.2f %-12.3g", s, sz.width, sz.height, rate[0], rate[1],
                    rate[0] * sz.width * sz.height);
        if (graphs)
            std::printf("  %-13.1f  %-.2f", rate[2], rate[3]);
        std::printf("\n");
        rows += (s ? "," : "") + std::string("{\"scale\":") + std::to_string(s) + ",\"w\":" + std::to_string(sz.width) +
                ",\"h\":" + std::to_string(sz.height) + ",\"steps_per_s_b1\":" + std::to_string(rate[0]) +
                ",\"steps_per_s_b16\":" + std::to_string(rate[1]) +
                (graphs ? ",\"eager_steps_per_s_b1\":" + std::to_string(rate[2]) +
                              ",\"eager_steps_per_s_b16\":" + std::to_string(rate[3])
                        : std::string()) +
                "}";
    }
    j.raw("langevin", rows + "]");
    j.num("peak_rss_mib", peakRssMiB());
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

/**
 * Images in LibTorch archives (for a build without an image library: `pack`
 * writes them, `--out` there writes samples that way, `unpack` reads them):
 * the 8-bit RGB bytes as a [H, W, 3] byte tensor.
 */
void writeArchiveImage(torch::serialize::OutputArchive &ar, const std::string &key, const RgbImage &image)
{
    ar.write(key, at::from_blob(const_cast<std::uint8_t *>(image.pixels.data()), {image.height, image.width, 3}, at::kByte).clone());
}

RgbImage readArchiveImage(torch::serialize::InputArchive &ar, const std::string &key)
{
    at::Tensor t;
    ar.read(key, t);
    if (t.scalar_type() != at::kByte || t.dim() != 3 || t.size(2) != 3)
        throw std::runtime_error("'" + key + "' in the archive is not an 8-bit RGB image");
    t = t.contiguous();
    RgbImage image(int(t.size(1)), int(t.size(0)));
    std::memcpy(image.pixels.data(), t.data_ptr<std::uint8_t>(), image.pixels.size());
    return image;
}

/** An image file, or the LibTorch archive `pack` made of one (builds without an image library read only those). */
RgbImage readImage(const std::string &path)
{
    if (fs::path(path).extension() == ".pt") {
        torch::serialize::InputArchive ar;
        ar.load_from(path);
        return readArchiveImage(ar, "image");
    }
#ifdef PATCHGENCN_HAVE_IMAGEIO
    return loadImage(path);
#else
    throw std::runtime_error("this build has no image library: give a .pt archive made by `patchgencn-bench pack` "
                             "(got '" + path + "')");
#endif
}

/** Samples as DIR/sample_<i>.png, or, without an image library, as DIR/samples.pt for `unpack`. */
void writeSamples(const std::string &dir, const std::vector<at::Tensor> &xs)
{
    fs::create_directories(dir);
#ifdef PATCHGENCN_HAVE_IMAGEIO
    for (size_t i = 0; i < xs.size(); ++i)
        saveImage(dir + "/sample_" + std::to_string(i) + ".png", tensorToImage(xs[i]));
#else
    torch::serialize::OutputArchive ar;
    ar.write("count", c10::IValue(int64_t(xs.size())));
    for (size_t i = 0; i < xs.size(); ++i)
        writeArchiveImage(ar, "sample_" + std::to_string(i), tensorToImage(xs[i]));
    ar.save_to(dir + "/samples.pt");
#endif
}

/** The preset named by --preset with --iters, --lr, --scales, --max-size and every --set key=value applied. */
TrainConfig configFromArgs(int argc, char **argv)
{
    TrainConfig cfg = TrainConfig::preset(arg(argc, argv, "preset", "quick"), g_dev.is_cuda());
    if (arg(argc, argv, "iters", "") != "")
        cfg.setIterations(intArg(argc, argv, "iters", cfg.iterations));
    if (arg(argc, argv, "lr", "") != "") {
        const double ratio = cfg.lrEnd / cfg.lrStart;
        cfg.lrStart = doubleArg(argc, argv, "lr", cfg.lrStart);
        cfg.lrEnd = cfg.lrStart * ratio;
    }
    cfg.numScales = intArg(argc, argv, "scales", cfg.numScales);
    cfg.maxSize = intArg(argc, argv, "max-size", cfg.maxSize);
    const auto sets = args(argc, argv, "set");
    if (!sets.empty()) {
        std::string text = "\n" + cfg.toText(); // every known key follows a newline
        for (const auto &kv : sets) {
            const auto eq = kv.find('=');
            if (eq == std::string::npos)
                throw std::runtime_error("--set needs key=value (got '" + kv + "')");
            if (text.find("\n" + kv.substr(0, eq + 1)) == std::string::npos)
                throw std::runtime_error("--set: unknown configuration key in '" + kv + "'");
            text += kv + "\n";
        }
        const std::string preset = cfg.presetName;
        cfg = TrainConfig::fromText(text);
        cfg.presetName = preset + "+set";
    }
    cfg.validate();
    return cfg;
}

/** Element-wise mean of per-level patch-SWD lists (finest first); lists may be shorter for small images. */
std::vector<double> meanPerLevel(const std::vector<std::vector<double>> &lists)
{
    std::vector<double> sum, count;
    for (const auto &levels : lists)
        for (size_t l = 0; l < levels.size(); ++l) {
            if (sum.size() <= l) {
                sum.push_back(0.0);
                count.push_back(0.0);
            }
            sum[l] += levels[l];
            count[l] += 1.0;
        }
    for (size_t l = 0; l < sum.size(); ++l)
        sum[l] /= count[l];
    return sum;
}

/** The process's CPU time and minor page faults so far (getrusage). */
struct ProcessUsage
{
    double user = 0, system = 0; ///< seconds, all threads
    long minorFaults = 0;

    static ProcessUsage now()
    {
        struct rusage ru {};
        getrusage(RUSAGE_SELF, &ru);
        ProcessUsage u;
        u.user = double(ru.ru_utime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec);
        u.system = double(ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_stime.tv_usec);
        u.minorFaults = ru.ru_minflt;
        return u;
    }
};

struct RunResult
{
    std::vector<double> scaleSeconds;
    // Per scale, what the process did meanwhile: a wall time that grew while the CPU time did
    // not is the machine (other load, a host's contention); kernel time and page faults that
    // grew are memory going back to the system and being faulted in again.
    std::vector<double> scaleUserSeconds, scaleSystemSeconds, scaleMinorFaults;
    std::vector<double> scaleAttempts; ///< times each scale was trained: 2 or 3 where a divergence retried it (its time counts every attempt)
    std::vector<double> scaleRolledBackAt; ///< the iteration whose checkpoint a scale that drifted kept (0: none)
    std::vector<double> scaleImageCheck; ///< the kept attempt's whole-image check, end/start patch-SWD (0: not judged)
    std::vector<int> scaleRetriedRuns; ///< over runs (trainRuns' medians): in how many of `runs` each scale was retried
    int runs = 1;
    double batch16MinorFaults = 0; ///< page faults while sampling the batch of 16 (after a warm-up: 0 when memory is kept)
    double trainSeconds = 0, oneSample = 0, batch16 = 0, swd = 0, diversity = 0, recoveryMse = 0;
    double trainPeakMiB = 0, samplePeakMiB = 0, batch16PeakMiB = 0; ///< device memory (CUDA; 0 on the CPU)
    double bigSeconds = 0, bigPeakMiB = 0;                             ///< --big
    double swdMean = 0, swdSe = 0; ///< mean patch-SWD of the samples and its standard error
    std::vector<double> swds;      ///< each sample's patch-SWD, in seed order
    std::vector<double> swdLevels; ///< the samples' mean patch-SWD per Laplacian level, finest first
    std::vector<double> recoveryPerScale; ///< the recovery chain's MSE against the real image after each scale
    double grid = 0, gridReal = 0; ///< enlargementGrid: the samples' median and the real image's (0: one scale)
};

/** One scale of --per-scale: its chains' start (the enlarged coarser sample) and end against that scale's real image. */
struct ScaleTrace
{
    int width = 0, height = 0;
    double swdStart = 0, swdEnd = 0;   ///< patch-SWD, mean over the samples
    double gridStart = 0, gridEnd = 0; ///< enlargementGrid, median over the samples (0 at the coarsest scale)
    double gridReal = 0;               ///< the scale's real image
};

/**
 * --per-scale: where the samples gain and lose, scale by scale, read through the
 * sampler's observer while measureQuality draws its samples (so the finest scale's
 * end is those samples: the same mean patch-SWD).
 */
class TraceRecorder
{
public:
    explicit TraceRecorder(const PyramidModel &model)
        : m_model(model), m_swd0(model.numScales()), m_swd1(model.numScales()), m_grid0(model.numScales()),
          m_grid1(model.numScales())
    {
    }

    ChainObserver observer()
    {
        return [this](const ChainStep &c) {
            if (c.step != 0 && c.step != c.steps)
                return;
            const auto &scales = m_model.geometry().scales;
            const at::Tensor states = c.state.to(at::kCPU, at::kFloat);
            PatchSwd swd(m_model.real(c.scale).to(at::kCPU));
            for (int64_t i = 0; i < states.size(0); ++i) {
                const at::Tensor x = states.slice(0, i, i + 1);
                (c.step == 0 ? m_swd0 : m_swd1)[c.scale].push_back(swd(x));
                if (c.scale > 0)
                    (c.step == 0 ? m_grid0 : m_grid1)[c.scale].push_back(
                        enlargementGrid(x, scales[c.scale - 1].height, scales[c.scale - 1].width));
            }
        };
    }

    std::vector<ScaleTrace> result() const
    {
        const auto &scales = m_model.geometry().scales;
        std::vector<ScaleTrace> out(scales.size());
        for (size_t s = 0; s < scales.size(); ++s) {
            ScaleTrace &t = out[s];
            t.width = scales[s].width;
            t.height = scales[s].height;
            t.swdStart = mean(m_swd0[s]);
            t.swdEnd = mean(m_swd1[s]);
            if (s > 0) {
                t.gridStart = median(m_grid0[s]);
                t.gridEnd = median(m_grid1[s]);
                t.gridReal = enlargementGrid(m_model.real(int(s)).to(at::kCPU), scales[s - 1].height, scales[s - 1].width);
            }
        }
        return out;
    }

private:
    const PyramidModel &m_model;
    std::vector<std::vector<double>> m_swd0, m_swd1, m_grid0, m_grid1;
};

/**
 * Quality of a trained model: patch-SWD of `nSamples` samples (seeded) against
 * the real image (median, mean and the mean's standard error: single samples
 * spread widely, 70 to 270 on one quick colosseum model), diversity, recovery MSE.
 */
void measureQuality(const PyramidModel &model, int nSamples, std::uint64_t seed, RunResult &r, const std::string &outDir,
                    std::vector<ScaleTrace> *trace = nullptr)
{
    GenerateOptions opt;
    SampleRequest req;
    req.count = nSamples;
    opt.batch = 8;
    opt.seed = seed;
    std::optional<TraceRecorder> recorder;
    if (trace) {
        recorder.emplace(model);
        opt.observer = recorder->observer();
    }
    const auto xs = sample(model, req, opt);
    if (trace)
        *trace = recorder->result();
    const at::Tensor real = model.real(model.numScales() - 1).to(at::kCPU);
    r.swds.clear();
    std::vector<std::vector<double>> levels(xs.size());
    PatchSwd swd(real);
    for (size_t i = 0; i < xs.size(); ++i)
        r.swds.push_back(swd(xs[i], &levels[i]));
    r.swdLevels = meanPerLevel(levels);
    r.swd = median(r.swds);
    r.swdMean = mean(r.swds);
    r.swdSe = standardError(r.swds, r.swdMean);
    r.diversity = diversity(xs, real);
    // The hatching that patch-SWD barely sees: the last enlargement's phase cycle in the samples' rows and columns.
    const auto &scales = model.geometry().scales;
    r.grid = r.gridReal = 0;
    if (scales.size() >= 2) {
        const Size2 from = scales[scales.size() - 2];
        std::vector<double> grids;
        for (const auto &x : xs)
            grids.push_back(enlargementGrid(x, from.height, from.width));
        r.grid = median(grids);
        r.gridReal = enlargementGrid(real, from.height, from.width);
    }
    // The recovery chain, deterministic: its error after each scale shows where a model loses the image.
    GenerateOptions recOpt;
    r.recoveryPerScale.assign(size_t(model.numScales()), 0.0);
    recOpt.observer = [&](const ChainStep &c) {
        if (c.step == c.steps)
            r.recoveryPerScale[size_t(c.scale)] = (c.state - model.real(c.scale)).pow(2).mean().item<double>();
    };
    r.recoveryMse = (reconstruct(model, recOpt) - real).pow(2).mean().item<double>();
    if (!outDir.empty())
        writeSamples(outDir, xs);
}

void printTrace(const std::vector<ScaleTrace> &trace, int nSamples)
{
    std::printf("per scale (%d samples; start = the enlarged coarser sample, end = the scale's chain):\n", nSamples);
    std::printf("  scale  size       patch-SWD start -> end   grid start -> end (real)\n");
    for (size_t s = 0; s < trace.size(); ++s) {
        const ScaleTrace &t = trace[s];
        if (s == 0)
            std::printf("  %5zu  %4dx%-4d  %8.1f -> %-8.1f           -\n", s, t.width, t.height, t.swdStart, t.swdEnd);
        else
            std::printf("  %5zu  %4dx%-4d  %8.1f -> %-8.1f  %7.1f -> %-7.1f (%.1f)\n", s, t.width, t.height, t.swdStart,
                        t.swdEnd, t.gridStart, t.gridEnd, t.gridReal);
    }
}

std::string traceJson(const std::vector<ScaleTrace> &trace)
{
    std::ostringstream o;
    o << '[';
    for (size_t s = 0; s < trace.size(); ++s) {
        const ScaleTrace &t = trace[s];
        o << (s ? "," : "") << "{\"scale\":" << s << ",\"width\":" << t.width << ",\"height\":" << t.height
          << ",\"swd_start\":" << t.swdStart << ",\"swd_end\":" << t.swdEnd << ",\"grid_start\":" << t.gridStart
          << ",\"grid_end\":" << t.gridEnd << ",\"grid_real\":" << t.gridReal << '}';
    }
    o << ']';
    return o.str();
}

/** --big N: one sample whose longer side is N px, its time and the device's peak memory (0: not measured). */
void measureBig(const PyramidModel &model, int longSide, RunResult &r)
{
    double &seconds = r.bigSeconds, &peakMiB = r.bigPeakMiB;
    seconds = peakMiB = 0;
    if (longSide <= 0)
        return;
    const Size2 f = model.geometry().finest;
    SampleRequest req;
    const double k = double(longSide) / std::max(f.width, f.height);
    req.width = std::max(1, int(std::lround(f.width * k)));
    req.height = std::max(1, int(std::lround(f.height * k)));
    GenerateOptions opt;
    opt.seed = 5;
    sample(model, req, opt); // warm-up: cuDNN picks its algorithms for the new shapes
    resetPeakDeviceMemory(g_dev);
    const auto t = Clock::now();
    sample(model, req, opt);
    seconds = since(t);
    peakMiB = peakDeviceMemoryMiB(g_dev);
    std::fprintf(stderr, "  %dx%d sample: %.3f s, peak device memory %.0f MiB\n", req.width, req.height, seconds, peakMiB);
}

/** --from MODEL --keep K: the first K trained scales of a saved model, kept instead of trained. */
struct KeptScales
{
    std::string path;
    std::shared_ptr<PyramidModel> base;
    int keep = 0;
};

/** Puts kept.base's first kept.keep nets into `model`; refuses a base of another pyramid. */
void keepScales(PyramidModel &model, const KeptScales &kept)
{
    if (!kept.base || kept.keep == 0)
        return;
    // The kept scales must have the same sizes; the finer ones may differ (a pyramid with
    // other finer scales over the same coarsest scale, e.g. --set numScales=N).
    const auto &mine = model.geometry().scales, &theirs = kept.base->geometry().scales;
    if (mine.size() < size_t(kept.keep) || !std::equal(theirs.begin(), theirs.begin() + kept.keep, mine.begin()))
        throw std::runtime_error("--from: the kept scales' sizes differ from this image's with these settings "
                                 "(train it from the same image with the same --max-size, --scales and minSize)");
    const auto &f = kept.base->config().stepFactors;
    for (int s = 0; s < kept.keep; ++s) {
        model.addTrainedScale(kept.base->net(s));
        if (size_t(s) < f.size())
            model.setStepFactor(s, f[s]);
    }
}

/** One-sample time (median of 5 after a warm-up) and 16 samples in one batch, with the device's peak memory. */
void measureSampling(const PyramidModel &model, RunResult &r)
{
    GenerateOptions opt;
    opt.seed = 1;
    SampleRequest one;
    sample(model, one, opt); // warm-up
    resetPeakDeviceMemory(g_dev);
    std::vector<double> oneTimes;
    for (int i = 0; i < 5; ++i) {
        const auto t = Clock::now();
        sample(model, one, opt);
        oneTimes.push_back(since(t));
    }
    r.oneSample = median(oneTimes);
    r.samplePeakMiB = peakDeviceMemoryMiB(g_dev);
    SampleRequest many;
    many.count = 16;
    opt.batch = 16;
    sample(model, many, opt); // warm-up at batch 16
    resetPeakDeviceMemory(g_dev);
    const ProcessUsage u0 = ProcessUsage::now();
    auto t = Clock::now();
    sample(model, many, opt);
    r.batch16 = since(t);
    r.batch16MinorFaults = double(ProcessUsage::now().minorFaults - u0.minorFaults);
    r.batch16PeakMiB = peakDeviceMemoryMiB(g_dev);
}

/** --stop-after K (0: every scale) and --trace N (0: off) of the train mode. */
int g_stopAfter = 0, g_trace = 0;

RunResult trainOnce(const RgbImage &image, const TrainConfig &cfg, int nSamples, const std::string &outDir,
                    const KeptScales &kept = {}, int big = 0)
{
    RunResult r;
    PyramidModel model(image, cfg);
    model.to(g_dev);
    keepScales(model, kept);
    for (auto *v : {&r.scaleSeconds, &r.scaleUserSeconds, &r.scaleSystemSeconds, &r.scaleMinorFaults})
        v->assign(cfg.numScales, 0.0);
    r.scaleAttempts.assign(cfg.numScales, 1.0);
    r.scaleRolledBackAt.assign(cfg.numScales, 0.0);
    r.scaleImageCheck.assign(cfg.numScales, 0.0);
    std::map<std::pair<int, int>, double> checks; // (scale, attempt) -> end/start
    resetPeakDeviceMemory(g_dev);
    const auto t0 = Clock::now();
    auto tScale = t0;
    ProcessUsage uScale = ProcessUsage::now();
    TrainCallbacks cb;
    cb.snapshotEvery = 0;
    std::atomic<bool> stop{false};
    if (g_trace > 0)
        cb.progress = [](const TrainProgress &p) {
            if (p.iteration % g_trace == 0 || p.iteration == p.iterations)
                std::fprintf(stderr, "    scale %d try %d it %d/%d: E(real) %+.2f E(syn) %+.2f E(rec) %+.2f rec MSE %.4f sat %.3f lr %.2e\n",
                             p.scale, p.attempt, p.iteration, p.iterations, p.energyReal, p.energySyn, p.energyRec,
                             p.recoveryMse, p.saturation, p.learningRate);
        };
    cb.retrying = [&](int s, int attempt, const std::string &why) {
        r.scaleAttempts[s] = attempt + 1;
        std::fprintf(stderr, "  scale %d: %s; trained again (retry %d)\n", s, why.c_str(), attempt);
    };
    cb.rolledBack = [&](int s, int iteration, const std::string &why) {
        r.scaleRolledBackAt[s] = iteration;
        std::fprintf(stderr, "  scale %d: %s\n", s, why.c_str());
    };
    cb.imageChecked = [&](int s, int attempt, double start, double end) {
        checks[{s, attempt}] = r.scaleImageCheck[s] = end / start;
        std::fprintf(stderr, "  scale %d: whole-image check %.1f -> %.1f (x%.3f)\n", s, start, end, end / start);
    };
    cb.samplingChecked = [&](int s, int, double fp32End, double bf16End, int fp32Through) {
        std::fprintf(stderr, "  scale %d: sampled with bf16 chains %.1f (fp32 %.1f, x%.3f)", s, bf16End, fp32End, bf16End / fp32End);
        if (fp32Through >= 0)
            std::fprintf(stderr, ": scales 0 to %d sample in fp32", fp32Through);
        std::fprintf(stderr, "\n");
    };
    cb.keptBest = [&](int s, int attempt, const std::string &why) {
        r.scaleImageCheck[s] = checks[{s, attempt}];
        std::fprintf(stderr, "  scale %d: %s\n", s, why.c_str());
    };
    cb.scaleFinished = [&](int s, const PyramidModel &) {
        r.scaleSeconds[s] = since(tScale);
        tScale = Clock::now();
        const ProcessUsage u = ProcessUsage::now();
        r.scaleUserSeconds[s] = u.user - uScale.user;
        r.scaleSystemSeconds[s] = u.system - uScale.system;
        r.scaleMinorFaults[s] = double(u.minorFaults - uScale.minorFaults);
        uScale = u;
        const double cpu = std::max(1e-9, r.scaleUserSeconds[s] + r.scaleSystemSeconds[s]);
        std::fprintf(stderr, "  scale %d: %.1f s (%.1f s in all; %.2f cores busy, %.0f %% of it in the kernel, %.0fk page faults)\n", s,
                     r.scaleSeconds[s], since(t0), cpu / std::max(1e-9, r.scaleSeconds[s]),
                     100.0 * r.scaleSystemSeconds[s] / cpu, r.scaleMinorFaults[s] / 1000.0);
        if (g_stopAfter > 0 && s + 1 >= g_stopAfter)
            stop = true;
    };
    try {
        train(model, cb, &stop);
    } catch (const Cancelled &) {
        // --stop-after: the scales trained so far, saved for --from.
        r.trainSeconds = since(t0);
        model.save(outDir + "/model.pgcn");
        std::fprintf(stderr, "  stopped after %d scales: %s/model.pgcn\n", model.trainedScales(), outDir.c_str());
        return r;
    }
    r.trainSeconds = since(t0);
    r.trainPeakMiB = peakDeviceMemoryMiB(g_dev);

    measureSampling(model, r);
    measureBig(model, big, r);
    measureQuality(model, nSamples, 2 + cfg.seed, r, outDir);
    if (!outDir.empty())
        model.save(outDir + "/model.pgcn");
    return r;
}

/** Trains `runs` times (seeds s..s+runs-1, s the configuration's seed: 0 unless --set seed=) and returns the per-field medians. */
RunResult trainRuns(const RgbImage &image, TrainConfig cfg, int runs, int nSamples, const std::string &outDir,
                    std::vector<RunResult> *all = nullptr, const KeptScales &kept = {}, int big = 0)
{
    std::vector<RunResult> rs;
    const std::uint64_t firstSeed = cfg.seed;
    for (int k = 0; k < runs; ++k) {
        cfg.seed = firstSeed + std::uint64_t(k);
        rs.push_back(trainOnce(image, cfg, nSamples, k == 0 ? outDir : std::string(), kept, big));
        std::fprintf(stderr, "  run %d/%d: %.1f s, patch-SWD %.1f\n", k + 1, runs, rs.back().trainSeconds, rs.back().swd);
    }
    auto med = [&](auto field) {
        std::vector<double> v;
        for (const auto &r : rs)
            v.push_back(field(r));
        return median(v);
    };
    RunResult m;
    for (int s = 0; s < cfg.numScales; ++s) {
        m.scaleSeconds.push_back(med([s](const RunResult &r) { return r.scaleSeconds[s]; }));
        m.scaleRetriedRuns.push_back(int(std::count_if(rs.begin(), rs.end(), [s](const RunResult &r) { return r.scaleAttempts[s] > 1; })));
    }
    m.runs = runs;
    m.trainSeconds = med([](const RunResult &r) { return r.trainSeconds; });
    m.oneSample = med([](const RunResult &r) { return r.oneSample; });
    m.batch16 = med([](const RunResult &r) { return r.batch16; });
    m.batch16MinorFaults = med([](const RunResult &r) { return r.batch16MinorFaults; });
    m.trainPeakMiB = med([](const RunResult &r) { return r.trainPeakMiB; });
    m.samplePeakMiB = med([](const RunResult &r) { return r.samplePeakMiB; });
    m.batch16PeakMiB = med([](const RunResult &r) { return r.batch16PeakMiB; });
    m.bigSeconds = med([](const RunResult &r) { return r.bigSeconds; });
    m.bigPeakMiB = med([](const RunResult &r) { return r.bigPeakMiB; });
    m.swd = med([](const RunResult &r) { return r.swd; });
    m.swdMean = med([](const RunResult &r) { return r.swdMean; });
    m.swdSe = med([](const RunResult &r) { return r.swdSe; });
    m.diversity = med([](const RunResult &r) { return r.diversity; });
    m.recoveryMse = med([](const RunResult &r) { return r.recoveryMse; });
    m.grid = med([](const RunResult &r) { return r.grid; });
    m.gridReal = med([](const RunResult &r) { return r.gridReal; });
    for (size_t s = 0; s < rs.front().recoveryPerScale.size(); ++s)
        m.recoveryPerScale.push_back(med([s](const RunResult &r) { return r.recoveryPerScale[s]; }));
    for (size_t l = 0; l < rs.front().swdLevels.size(); ++l)
        m.swdLevels.push_back(med([l](const RunResult &r) { return r.swdLevels[l]; }));
    if (all)
        *all = rs;
    return m;
}

/** A JSON array of numbers. */
std::string jsonList(const std::vector<double> &v)
{
    std::ostringstream s;
    s << '[';
    for (size_t i = 0; i < v.size(); ++i)
        s << (i ? "," : "") << v[i];
    s << ']';
    return s.str();
}

/** The quality figures as JSON members (no braces): shared by `train`'s results and `score`. */
std::string qualityJsonMembers(const RunResult &r)
{
    std::ostringstream s;
    s << "\"swd_median\":" << r.swd << ",\"swd_mean\":" << r.swdMean << ",\"swd_mean_se\":" << r.swdSe
      << ",\"swd_levels_mean\":" << jsonList(r.swdLevels) << ",\"diversity\":" << r.diversity << ",\"recovery_mse\":" << r.recoveryMse
      << ",\"recovery_mse_per_scale\":" << jsonList(r.recoveryPerScale) << ",\"grid_median\":" << r.grid
      << ",\"grid_real\":" << r.gridReal;
    return s.str();
}

std::string resultJson(const RunResult &r)
{
    std::ostringstream s;
    s << "{\"scale_seconds\":" << jsonList(r.scaleSeconds);
    if (!r.scaleUserSeconds.empty()) // a run's own (a median over runs has none)
        s << ",\"scale_user_seconds\":" << jsonList(r.scaleUserSeconds) << ",\"scale_system_seconds\":" << jsonList(r.scaleSystemSeconds)
          << ",\"scale_minor_faults\":" << jsonList(r.scaleMinorFaults) << ",\"scale_attempts\":" << jsonList(r.scaleAttempts)
          << ",\"scale_rolled_back_at\":" << jsonList(r.scaleRolledBackAt)
          << ",\"scale_image_check\":" << jsonList(r.scaleImageCheck);
    s << ",\"train_seconds\":" << r.trainSeconds
      << ",\"one_sample_seconds\":" << r.oneSample << ",\"batch16_seconds\":" << r.batch16
      << ",\"batch16_minor_faults\":" << r.batch16MinorFaults
      << ",\"train_peak_device_mib\":" << r.trainPeakMiB << ",\"one_sample_peak_device_mib\":" << r.samplePeakMiB
      << ",\"batch16_peak_device_mib\":" << r.batch16PeakMiB << ",\"big_sample_seconds\":" << r.bigSeconds
      << ",\"big_sample_peak_device_mib\":" << r.bigPeakMiB << ',' << qualityJsonMembers(r);
    if (!r.swds.empty()) // a run's own samples (a median over runs has none): pairs with a score of another model
        s << ",\"swd_per_sample\":" << jsonList(r.swds);
    s << '}';
    return s.str();
}

/** Every run's own figures as a JSON list (seed order, as the runs were trained). */
std::string runsJson(const std::vector<RunResult> &runs)
{
    std::string list = "[";
    for (size_t k = 0; k < runs.size(); ++k)
        list += (k ? "," : "") + resultJson(runs[k]);
    return list + "]";
}

void printQuality(const RunResult &r, int nSamples)
{
    std::printf("patch-SWD (median/%d) %8.1f   (mean %.1f +- %.1f standard error)\n", nSamples, r.swd, r.swdMean, r.swdSe);
    std::printf("  mean per level       ");
    for (double v : r.swdLevels)
        std::printf(" %.1f", v);
    std::printf("   (fine band ... low-pass)\n");
    std::printf("diversity             %8.3f\n", r.diversity);
    std::printf("enlargement grid      %8.1f   (median; the real image %.1f; see README)\n", r.grid, r.gridReal);
    std::printf("recovery MSE          %8.4f   (after each scale:", r.recoveryMse);
    for (double v : r.recoveryPerScale)
        std::printf(" %.4f", v);
    std::printf(")\n");
}

/** The figures of measureSampling and measureBig (the big sample only when measured). */
void printSampling(const RunResult &r)
{
    std::printf("one sample (median/5) %8.3f s\n", r.oneSample);
    std::printf("16 samples batched    %8.3f s   (%.0fk page faults)\n", r.batch16, r.batch16MinorFaults / 1000.0);
    if (r.bigSeconds > 0)
        std::printf("big sample            %8.3f s, peak device memory %.0f MiB\n", r.bigSeconds, r.bigPeakMiB);
}

void printResult(const RunResult &r, const PyramidGeometry &geo, int nSamples, int kept = 0)
{
    for (size_t s = 0; s < r.scaleSeconds.size(); ++s) {
        if (int(s) < kept)
            std::printf("  scale %zu  %4dx%-4d      kept\n", s, geo.scales[s].width, geo.scales[s].height);
        else if (s < r.scaleRetriedRuns.size() && r.scaleRetriedRuns[s] > 0) // the time counts every attempt
            std::printf("  scale %zu  %4dx%-4d  %8.1f s   (trained again after a divergence in %d of %d runs)\n", s,
                        geo.scales[s].width, geo.scales[s].height, r.scaleSeconds[s], r.scaleRetriedRuns[s], r.runs);
        else
            std::printf("  scale %zu  %4dx%-4d  %8.1f s\n", s, geo.scales[s].width, geo.scales[s].height, r.scaleSeconds[s]);
    }
    std::printf("training total        %8.1f s\n", r.trainSeconds);
    printSampling(r);
    if (g_dev.is_cuda())
        std::printf("peak device memory    %8.0f MiB training, %.0f MiB one sample, %.0f MiB 16 samples\n", r.trainPeakMiB,
                    r.samplePeakMiB, r.batch16PeakMiB);
    printQuality(r, nSamples);
}

std::string configLine(const TrainConfig &c)
{
    const bool windows = c.cropSize > 0;
    std::ostringstream s;
    s << c.presetName << ": " << c.numScales << " scales, max " << c.maxSize << " px, " << c.iterations << " iterations ("
      << c.iterationsAt(0, false) << " at the coarsest";
    if (windows)
        s << ", " << c.iterationsAt(1, true) << " on windows";
    s << "), steps " << c.stepsCoarsest << "/" << c.stepsPerScale << ", batch " << c.batchSize << " (" << c.batchAt(0, false)
      << " at the coarsest";
    if (windows)
        s << ", " << c.batchAt(1, true) << " on windows";
    s << "), bank " << c.bankSize << (windows ? ", windows " + std::to_string(c.cropSize) : std::string(", whole images"));
    return s.str();
}

/** What `train` and `compare` share: the image, the configuration from the options, samples and runs. */
struct BenchSetup
{
    std::string image;
    TrainConfig cfg;
    int nSamples = 32;
    int runs = 1;
    RgbImage img;
    PyramidGeometry geo;
};

/** train's and compare's IMAGE (argv[2], there: checkArguments) and options. */
BenchSetup benchSetup(int argc, char **argv)
{
    BenchSetup b;
    b.image = argv[2];
    b.cfg = configFromArgs(argc, argv);
    b.nSamples = intArg(argc, argv, "samples", 32);
    if (b.nSamples < 1)
        throw std::runtime_error("--samples must be at least 1");
    b.runs = std::max(1, intArg(argc, argv, "runs", 1));
    b.img = readImage(b.image);
    b.geo = PyramidGeometry::compute(b.img.width, b.img.height, b.cfg.maxSize, b.cfg.minSize, b.cfg.numScales);
    return b;
}

int trainBench(int argc, char **argv)
{
    const BenchSetup b = benchSetup(argc, argv);
    const std::string &image = b.image;
    const TrainConfig &cfg = b.cfg;
    const int nSamples = b.nSamples, runs = b.runs;
    const auto &geo = b.geo;
    KeptScales kept;
    kept.path = arg(argc, argv, "from", "");
    if (!kept.path.empty()) {
        kept.base = std::make_shared<PyramidModel>(PyramidModel::load(kept.path, g_dev));
        kept.keep = intArg(argc, argv, "keep", -1);
        if (kept.keep < 1 || kept.keep > kept.base->trainedScales() || kept.keep >= cfg.numScales)
            throw std::runtime_error("--from needs --keep K with 1 <= K <= the model's trained scales (" +
                                     std::to_string(kept.base->trainedScales()) + ") and K < --scales (" +
                                     std::to_string(cfg.numScales) + ")");
    } else if (arg(argc, argv, "keep", "") != "") {
        throw std::runtime_error("--keep needs --from MODEL");
    }
    g_trace = std::max(0, intArg(argc, argv, "trace", 0));
    g_stopAfter = intArg(argc, argv, "stop-after", 0);
    if (g_stopAfter != 0) {
        if (g_stopAfter <= kept.keep || g_stopAfter >= cfg.numScales || runs != 1 || arg(argc, argv, "out", "").empty())
            throw std::runtime_error("--stop-after K needs --out DIR, one run and K between the kept scales + 1 and --scales - 1");
        fs::create_directories(arg(argc, argv, "out", ""));
        trainOnce(b.img, cfg, nSamples, arg(argc, argv, "out", ""), kept);
        return 0;
    }
    std::vector<RunResult> all;
    const RunResult r = trainRuns(b.img, cfg, runs, nSamples, arg(argc, argv, "out", ""), &all, kept, intArg(argc, argv, "big", 0));

    std::cout << "patchgencn-bench train " << image << "  (" << machine(cfg) << ")\n"
              << configLine(cfg) << (runs > 1 ? "; median of " + std::to_string(runs) + " runs" : "") << '\n';
    if (kept.base)
        std::cout << "scales 0.." << kept.keep - 1 << " kept from " << kept.path << '\n';
    printResult(r, geo, nSamples, kept.keep);
    std::printf("peak RSS              %8.0f MiB\n", peakRssMiB());
    Json j;
    j.str("machine", machine(cfg));
    j.str("image", image);
    j.str("preset", cfg.presetName);
    j.str("config", configLine(cfg));
    j.num("iterations", cfg.iterations);
    j.num("runs", runs);
    if (kept.base) {
        j.str("kept_from", kept.path);
        j.num("kept_scales", kept.keep);
    }
    j.raw("median", resultJson(r));
    j.raw("runs_detail", runsJson(all));
    j.num("peak_rss_mib", peakRssMiB());
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

/**
 * The reference training schedule with everything else of `ours` kept (batch,
 * steps, widths, warm start): whole images, and every coarser chain re-run for
 * every iteration's synthesis instead of drawn once into a bank.
 */
TrainConfig referenceSchedule(TrainConfig c)
{
    c.bankSize = 0;
    c.bankRefresh = 0;
    c.cropSize = 0;
    c.presetName += " (reference schedule)";
    return c;
}

int compareBench(int argc, char **argv)
{
    const BenchSetup setup = benchSetup(argc, argv);
    const std::string &image = setup.image;
    const TrainConfig &ours = setup.cfg;
    const TrainConfig ref = referenceSchedule(ours);
    const int nSamples = setup.nSamples, runs = setup.runs;
    const std::string outDir = arg(argc, argv, "out", "");
    const RgbImage &img = setup.img;
    const auto &geo = setup.geo;
    std::fprintf(stderr, "reference schedule\n");
    std::vector<RunResult> aRuns, bRuns;
    const RunResult a = trainRuns(img, ref, runs, nSamples, outDir.empty() ? "" : outDir + "/reference", &aRuns);
    std::fprintf(stderr, "our schedule\n");
    const RunResult b = trainRuns(img, ours, runs, nSamples, outDir.empty() ? "" : outDir + "/ours", &bRuns);
    // The coarsest scale trains alike in both (no bank, no windows there; the same seed), so
    // each run's samples pair seed by seed: ours minus the reference's, over every run's pairs.
    std::vector<double> diffs;
    for (size_t k = 0; k < aRuns.size() && k < bRuns.size(); ++k)
        for (size_t i = 0; i < aRuns[k].swds.size() && i < bRuns[k].swds.size(); ++i)
            diffs.push_back(bRuns[k].swds[i] - aRuns[k].swds[i]);
    const double diffMean = mean(diffs), diffSe = standardError(diffs, diffMean);
    const auto better = std::count_if(diffs.begin(), diffs.end(), [](double d) { return d < 0; });

    std::cout << "patchgencn-bench compare " << image << "  (" << machine(ours) << ")"
              << (runs > 1 ? "; medians of " + std::to_string(runs) + " runs" : "") << "\n\n";
    std::printf("%-22s %14s %14s %10s\n", "", "reference", "ours", "ratio");
    for (size_t s = 0; s < a.scaleSeconds.size(); ++s)
        std::printf("scale %-2zu %4dx%-4d s    %14.1f %14.1f %9.2fx\n", s, geo.scales[s].width, geo.scales[s].height,
                    a.scaleSeconds[s], b.scaleSeconds[s], a.scaleSeconds[s] / std::max(1e-9, b.scaleSeconds[s]));
    std::printf("%-22s %14.1f %14.1f %9.2fx\n", "training total s", a.trainSeconds, b.trainSeconds,
                a.trainSeconds / std::max(1e-9, b.trainSeconds));
    std::printf("%-22s %14.1f %14.1f %9.2f\n", "patch-SWD (median)", a.swd, b.swd, b.swd / std::max(1e-9, a.swd));
    std::printf("%-22s %14.1f %14.1f\n", "patch-SWD (mean)", a.swdMean, b.swdMean);
    std::printf("%-22s %14s %+14.1f   +- %.1f, %lld of %zu samples better (paired by seed)\n", "ours - reference", "", diffMean,
                diffSe, static_cast<long long>(better), diffs.size());
    std::printf("%-22s %14.3f %14.3f\n", "diversity", a.diversity, b.diversity);
    std::printf("%-22s %14.1f %14.1f\n", "enlargement grid", a.grid, b.grid);
    std::printf("%-22s %14.4f %14.4f\n", "recovery MSE", a.recoveryMse, b.recoveryMse);
    std::printf("%-22s %14.3f %14.3f\n", "one sample s", a.oneSample, b.oneSample);
    std::cout << "\nreference: " << configLine(ref) << "\nours:      " << configLine(ours) << '\n';
    Json j;
    j.str("machine", machine(ours));
    j.str("image", image);
    j.str("reference_config", configLine(ref));
    j.str("our_config", configLine(ours));
    j.num("runs", runs);
    j.raw("reference", resultJson(a));
    j.raw("ours", resultJson(b));
    j.raw("reference_runs", runsJson(aRuns)); // each run's figures, its samples' patch-SWD in seed order
    j.raw("our_runs", runsJson(bRuns));
    j.num("speedup", a.trainSeconds / std::max(1e-9, b.trainSeconds));
    j.num("swd_ratio", b.swd / std::max(1e-9, a.swd));
    j.num("swd_paired_difference", diffMean); // ours minus the reference's, samples paired by seed
    j.num("swd_paired_se", diffSe);
    j.num("swd_paired_better", double(better));
    j.num("swd_pairs", double(diffs.size()));
    j.num("peak_rss_mib", peakRssMiB());
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

int scoreModel(int argc, char **argv)
{
    const PyramidModel model = PyramidModel::load(argv[2], g_dev);
    if (!model.isComplete())
        throw std::runtime_error("the model is not fully trained");
    const int nSamples = intArg(argc, argv, "samples", 64);
    if (nSamples < 2)
        throw std::runtime_error("--samples must be at least 2");
    const int seed = intArg(argc, argv, "seed", 2);
    RunResult r;
    measureSampling(model, r);
    measureBig(model, intArg(argc, argv, "big", 0), r);
    std::vector<ScaleTrace> trace;
    measureQuality(model, nSamples, std::uint64_t(seed), r, arg(argc, argv, "out", ""),
                   flag(argc, argv, "per-scale") ? &trace : nullptr);
    std::cout << "patchgencn-bench score " << argv[2] << "  (" << machine(model.config()) << ")\n" << configLine(model.config())
              << "; samples seeded from " << seed << '\n';
    printSampling(r);
    printQuality(r, nSamples);
    if (!trace.empty())
        printTrace(trace, nSamples);
    Json j;
    j.str("machine", machine(model.config()));
    j.str("model", argv[2]);
    j.str("config", configLine(model.config()));
    j.num("samples", nSamples);
    j.raw("quality", "{" + qualityJsonMembers(r) + "}");
    j.num("one_sample_seconds", r.oneSample);
    j.num("batch16_seconds", r.batch16);
    j.num("batch16_minor_faults", r.batch16MinorFaults);
    j.num("big_sample_seconds", r.bigSeconds);
    j.num("big_sample_peak_device_mib", r.bigPeakMiB);
    j.raw("swd_per_sample", jsonList(r.swds)); // same seeds, same order: pairs with another model's score
    if (!trace.empty())
        j.raw("per_scale", traceJson(trace));
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

#ifdef PATCHGENCN_HAVE_IMAGEIO
/** a < b with numbers in names ordered by value where the lengths differ ("2" before "10"), as sigd16's are. */
bool naturalLess(const std::string &a, const std::string &b)
{
    return a.size() != b.size() ? a.size() < b.size() : a < b;
}

/** patch-SWD of the image file `fakePath` against the real image file, at the fake's resolution (as published samples are). */
double scoreFile(const std::string &fakePath, const std::string &realPath, std::vector<double> *levels)
{
    const at::Tensor fake = imageToTensor(loadImage(fakePath));
    const at::Tensor real = imageToTensor(loadImage(realPath));
    return patchSwd(fake, resizeImage(real, fake.size(2), fake.size(3)), {}, levels);
}

/** Every image of `dir` by stem (the first of a stem's files in directory order). */
std::map<std::string, std::string> imagesByStem(const std::string &dir)
{
    if (!fs::is_directory(dir))
        throw std::runtime_error("'" + dir + "' is not a folder");
    std::map<std::string, std::string> out;
    for (const auto &e : fs::directory_iterator(dir))
        if (e.is_regular_file() && isSupportedImageExtension(e.path().string()))
            out.emplace(e.path().stem().string(), e.path().string());
    return out;
}

/** One image of `suite`: our model's figures (from this run or an earlier one's record) and each reference's score. */
struct SuiteRow
{
    std::string name;
    bool trained = false; ///< a record for these settings exists (this run's or an earlier one's)
    double mean = 0, se = 0, med = 0, diversity = 0, recoveryMse = 0, trainSeconds = 0;
    std::vector<double> levels;
    std::map<std::string, double> refs; ///< reference name -> its sample's patch-SWD (absent: no file)

    /** The figures of a training just run. */
    void take(const RunResult &r)
    {
        trained = true;
        mean = r.swdMean, se = r.swdSe, med = r.swd, diversity = r.diversity, recoveryMse = r.recoveryMse;
        trainSeconds = r.trainSeconds;
        levels = r.swdLevels;
    }
};

/** What a suite record must match to be reused: every training setting and the sampling. */
std::string suiteSettings(const TrainConfig &cfg, int runs, int nSamples)
{
    std::string s = cfg.toText();
    std::replace(s.begin(), s.end(), '\n', ';');
    return s + "runs=" + std::to_string(runs) + ";samples=" + std::to_string(nSamples);
}

/** Reads DIR/<stem>.result into `row` when it was written under `settings`; false otherwise (absent, other settings, damaged). */
bool readSuiteRecord(const std::string &path, const std::string &settings, SuiteRow &row)
{
    std::ifstream in(path);
    if (!in)
        return false;
    std::map<std::string, std::string> kv;
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos)
            kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (kv["settings"] != settings)
        return false;
    try {
        row.mean = std::stod(kv.at("swd_mean"));
        row.se = std::stod(kv.at("swd_mean_se"));
        row.med = std::stod(kv.at("swd_median"));
        row.diversity = std::stod(kv.at("diversity"));
        row.recoveryMse = std::stod(kv.at("recovery_mse"));
        row.trainSeconds = std::stod(kv.at("train_seconds"));
        row.levels.clear();
        std::istringstream ls(kv.at("swd_levels_mean"));
        std::string item;
        while (std::getline(ls, item, ','))
            row.levels.push_back(std::stod(item));
    } catch (const std::exception &) {
        return false; // damaged: trained again
    }
    row.trained = true;
    return true;
}

void writeSuiteRecord(const std::string &path, const std::string &settings, const TrainConfig &cfg, const SuiteRow &row)
{
    std::ostringstream s;
    s.precision(17); // read back, the figures print as this run's did
    s << "settings=" << settings << "\nmachine=" << machine(cfg) << "\nswd_mean=" << row.mean
      << "\nswd_mean_se=" << row.se << "\nswd_median=" << row.med << "\ndiversity=" << row.diversity
      << "\nrecovery_mse=" << row.recoveryMse << "\ntrain_seconds=" << row.trainSeconds << "\nswd_levels_mean=";
    for (size_t i = 0; i < row.levels.size(); ++i)
        s << (i ? "," : "") << row.levels[i];
    s << '\n';
    const std::string text = s.str();
    writeFileAtomic(path, text.data(), text.size());
}

/**
 * suite REAL_DIR --out DIR [--against NAME=DIR ...] [--only a,b,...] [train options]:
 * trains the preset on every image of REAL_DIR and sets its samples' patch-SWD beside
 * each reference folder's sample of the same image (sigd16's SinGAN and GPNN outputs),
 * scored by the same code, with the ratios. Each image's figures are kept as
 * DIR/<stem>.result (samples and model under DIR/<stem>/): a later run with the same
 * settings reuses them, so a suite can be split (--only) between processes or resumed.
 */
int suiteBench(int argc, char **argv)
{
    const std::string outDir = arg(argc, argv, "out", "");
    if (outDir.empty())
        throw std::runtime_error("suite needs --out DIR");
    const std::string realDir = argv[2];
    const TrainConfig cfg = configFromArgs(argc, argv);
    const int nSamples = intArg(argc, argv, "samples", 32);
    if (nSamples < 2)
        throw std::runtime_error("--samples must be at least 2");
    const int runs = std::max(1, intArg(argc, argv, "runs", 1));
    const auto reals = imagesByStem(realDir);
    if (reals.empty())
        throw std::runtime_error("no images in '" + realDir + "'");
    std::vector<std::pair<std::string, std::map<std::string, std::string>>> against;
    for (const auto &a : args(argc, argv, "against")) {
        const auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0)
            throw std::runtime_error("--against needs NAME=DIR (got '" + a + "')");
        against.emplace_back(a.substr(0, eq), imagesByStem(a.substr(eq + 1)));
    }
    std::set<std::string> only;
    {
        std::istringstream ls(arg(argc, argv, "only", ""));
        std::string item;
        while (std::getline(ls, item, ','))
            if (!item.empty()) {
                if (!reals.count(item))
                    throw std::runtime_error("--only: no image '" + item + "' in '" + realDir + "'");
                only.insert(item);
            }
    }
    std::vector<std::string> names;
    for (const auto &r : reals)
        names.push_back(r.first);
    std::sort(names.begin(), names.end(), naturalLess);
    fs::create_directories(outDir);
    const std::string settings = suiteSettings(cfg, runs, nSamples);

    std::vector<SuiteRow> rows;
    for (const auto &name : names) {
        SuiteRow row;
        row.name = name;
        const std::string record = outDir + "/" + name + ".result";
        if (readSuiteRecord(record, settings, row)) {
            std::fprintf(stderr, "%s: figures of an earlier run (%s)\n", name.c_str(), record.c_str());
        } else if (only.empty() || only.count(name)) {
            std::fprintf(stderr, "%s: training\n", name.c_str());
            row.take(trainRuns(readImage(reals.at(name)), cfg, runs, nSamples, outDir + "/" + name));
            writeSuiteRecord(record, settings, cfg, row);
        }
        for (const auto &[refName, files] : against)
            if (files.count(name))
                row.refs[refName] = scoreFile(files.at(name), reals.at(name), nullptr);
        rows.push_back(std::move(row));
    }

    std::cout << "patchgencn-bench suite " << realDir << "  (" << machine(cfg) << ")\n"
              << configLine(cfg) << "; " << nSamples << " samples" << (runs > 1 ? ", medians of " + std::to_string(runs) + " runs" : "")
              << "\n\n";
    std::printf("%-10s %18s %9s %9s", "image", "ours (mean +- se)", "diversity", "train s");
    for (const auto &a : against)
        std::printf(" %10s %7s", a.first.c_str(), "ratio");
    std::printf("\n");
    Json j;
    j.str("machine", machine(cfg));
    j.str("real_dir", realDir);
    j.str("config", configLine(cfg));
    j.num("samples", nSamples);
    j.num("runs", runs);
    std::string imagesJson = "{";
    std::vector<double> ours;
    for (const auto &row : rows) {
        if (row.trained)
            std::printf("%-10s %10.1f +- %5.1f %9.2f %9.1f", row.name.c_str(), row.mean, row.se, row.diversity, row.trainSeconds);
        else
            std::printf("%-10s %18s %9s %9s", row.name.c_str(), "not trained", "-", "-");
        for (const auto &a : against) {
            const auto it = row.refs.find(a.first);
            if (it == row.refs.end())
                std::printf(" %10s %7s", "-", "-");
            else if (!row.trained || it->second <= 1e-9)
                std::printf(" %10.1f %7s", it->second, "-");
            else
                std::printf(" %10.1f %6.2fx", it->second, row.mean / it->second);
        }
        std::printf("\n");
        imagesJson += (imagesJson.size() > 1 ? "," : "") + std::string("\"") + row.name + "\":{";
        std::ostringstream s;
        if (row.trained)
            s << "\"swd_mean\":" << row.mean << ",\"swd_mean_se\":" << row.se << ",\"swd_median\":" << row.med
              << ",\"swd_levels_mean\":" << jsonList(row.levels) << ",\"diversity\":" << row.diversity
              << ",\"recovery_mse\":" << row.recoveryMse << ",\"train_seconds\":" << row.trainSeconds << ',';
        s << "\"references\":{";
        bool first = true;
        for (const auto &[refName, v] : row.refs) {
            s << (first ? "" : ",") << '"' << refName << "\":" << v;
            first = false;
        }
        imagesJson += s.str() + "}}";
        if (row.trained)
            ours.push_back(row.mean);
    }
    j.raw("images", imagesJson + "}");
    // The set: means over the images trained, and per image ours / the reference's.
    const double oursMean = mean(ours);
    std::vector<double> diversities;
    const SuiteRow *leastDiverse = nullptr;
    for (const auto &row : rows)
        if (row.trained) {
            if (!leastDiverse || row.diversity < leastDiverse->diversity)
                leastDiverse = &row;
            diversities.push_back(row.diversity);
        }
    std::printf("%-10s %10.1f %7s %9.2f %9s", "mean", oursMean, "", mean(diversities), "");
    std::string summary = "{";
    std::vector<std::string> ratioLines;
    for (const auto &a : against) {
        std::vector<double> refs, oursWith, ratios; // over the images with both
        for (const auto &row : rows) {
            const auto it = row.refs.find(a.first);
            if (row.trained && it != row.refs.end()) {
                refs.push_back(it->second);
                oursWith.push_back(row.mean);
                if (it->second > 1e-9)
                    ratios.push_back(row.mean / it->second);
            }
        }
        const double refMean = mean(refs);
        if (refs.empty() || refMean <= 1e-9)
            std::printf(" %10s %7s", refs.empty() ? "-" : "0.0", "-");
        else
            std::printf(" %10.1f %6.2fx", refMean, mean(oursWith) / refMean);
        const auto within = std::count_if(ratios.begin(), ratios.end(), [](double r) { return r <= 1.5; });
        const auto atOrBelow = std::count_if(ratios.begin(), ratios.end(), [](double r) { return r <= 1.0; });
        char line[256];
        if (refs.empty())
            std::snprintf(line, sizeof line, "against %s: no image with both scores", a.first.c_str());
        else if (ratios.empty())
            std::snprintf(line, sizeof line, "against %s: no ratio, its samples score 0 (the real images themselves?)", a.first.c_str());
        else
            std::snprintf(line, sizeof line, "against %s: median ratio %.2fx; %lld of %zu images within 1.5x, %lld at or below",
                          a.first.c_str(), median(ratios), static_cast<long long>(within), ratios.size(),
                          static_cast<long long>(atOrBelow));
        ratioLines.push_back(line);
        std::ostringstream s;
        s << (summary.size() > 1 ? "," : "") << '"' << a.first << "\":{\"images\":" << refs.size() << ",\"mean\":" << refMean
          << ",\"ratios\":" << jsonList(ratios) << ",\"median_ratio\":" << median(ratios) << ",\"within_1_5\":" << within
          << ",\"at_or_below\":" << atOrBelow << '}';
        summary += s.str();
    }
    std::printf("\n");
    if (leastDiverse)
        std::printf("diversity: lowest %.2f (%s)\n", leastDiverse->diversity, leastDiverse->name.c_str());
    for (const auto &l : ratioLines)
        std::printf("%s\n", l.c_str());
    j.num("ours_mean", oursMean);
    j.num("diversity_mean", mean(diversities));
    j.num("images_trained", double(ours.size()));
    j.raw("against", summary + "}");
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

int swdFolders(int argc, char **argv)
{
    const auto reals = imagesByStem(argv[2]);
    struct Row
    {
        std::string name;
        double swd;
        std::vector<double> levels; ///< finest band first, low-pass last
    };
    std::vector<Row> rows;
    for (const auto &e : fs::directory_iterator(argv[3])) {
        const auto it = reals.find(e.path().stem().string());
        if (it == reals.end() || !isSupportedImageExtension(e.path().string()))
            continue;
        Row r{it->first, 0.0, {}};
        r.swd = scoreFile(e.path().string(), it->second, &r.levels);
        rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(), [](auto &a, auto &b) { return naturalLess(a.name, b.name); });
    // The levels say which band differs: fine texture (level 0) or colours and layout (the last).
    std::printf("%-12s %8s   per level: fine ... low-pass\n", "image", "patch-SWD");
    std::vector<double> v;
    std::vector<std::vector<double>> levels;
    Json j;
    std::string list = "{", levelList = "{";
    for (const auto &r : rows) {
        std::printf("%-12s %8.1f  ", r.name.c_str(), r.swd);
        for (double t : r.levels)
            std::printf(" %8.1f", t);
        std::printf("\n");
        levels.push_back(r.levels);
        v.push_back(r.swd);
        list += (list.size() > 1 ? "," : "") + std::string("\"") + r.name + "\":" + std::to_string(r.swd);
        levelList += (levelList.size() > 1 ? "," : "") + std::string("\"") + r.name + "\":" + jsonList(r.levels);
    }
    double mean = 0;
    for (double x : v)
        mean += x;
    mean /= std::max<size_t>(1, v.size());
    const std::vector<double> levelMean = meanPerLevel(levels);
    std::printf("%-12s %8.1f  ", "mean", mean);
    for (double t : levelMean)
        std::printf(" %8.1f", t);
    std::printf("\n%-12s %8.1f\n", "median", median(v));
    j.raw("swd", list + "}");
    j.raw("swd_levels", levelList + "}");
    j.raw("mean_levels", jsonList(levelMean));
    j.num("mean", mean);
    j.num("median", median(v));
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

/** pack IMAGE... --out DIR: each image as DIR/<stem>.pt for a build without an image library. */
int packImages(int argc, char **argv)
{
    const std::string dir = arg(argc, argv, "out", "");
    if (dir.empty())
        throw std::runtime_error("pack needs --out DIR");
    fs::create_directories(dir);
    for (int i = 2; i < argc && std::string(argv[i]).rfind("--", 0) != 0; ++i) { // the images come first (checkArguments)
        torch::serialize::OutputArchive ar;
        writeArchiveImage(ar, "image", loadImage(argv[i]));
        const std::string out = dir + "/" + fs::path(argv[i]).stem().string() + ".pt";
        ar.save_to(out);
        std::cout << out << '\n';
    }
    return 0;
}

/** unpack DIR: DIR/samples.pt (written by a build without an image library) as DIR/sample_<i>.png. */
int unpackSamples(int argc, char **argv)
{
    const std::string dir = argv[2];
    torch::serialize::InputArchive ar;
    ar.load_from(dir + "/samples.pt");
    c10::IValue count;
    ar.read("count", count);
    for (int64_t i = 0; i < count.toInt(); ++i) {
        const std::string key = "sample_" + std::to_string(i);
        saveImage(dir + "/" + key + ".png", readArchiveImage(ar, key));
    }
    std::cout << count.toInt() << " samples written to " << dir << '\n';
    return 0;
}
#endif

} // namespace

int main(int argc, char **argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "--help" || mode == "-h" || mode == "help" ||
        std::any_of(argv + std::min(argc, 2), argv + argc, [](const char *a) { return std::strcmp(a, "--help") == 0; })) {
        std::cout << kUsage;
        return 0;
    }
    if (mode.empty()) {
        std::cerr << kUsage;
        return 2;
    }
    try {
        checkArguments(argc, argv, mode);
        initRuntime(intArg(argc, argv, "threads", 0)); // 0 = every core
        setPrecision(parsePrecision(arg(argc, argv, "precision", "auto")));
        g_dev = parseDevice(arg(argc, argv, "device", "auto"));
        if (mode == "langevin")
            return langevinSpeed(argc, argv);
        if (mode == "train")
            return trainBench(argc, argv);
        if (mode == "score")
            return scoreModel(argc, argv);
        if (mode == "compare")
            return compareBench(argc, argv);
#ifdef PATCHGENCN_HAVE_IMAGEIO
        if (mode == "swd")
            return swdFolders(argc, argv);
        if (mode == "suite")
            return suiteBench(argc, argv);
        if (mode == "pack")
            return packImages(argc, argv);
        if (mode == "unpack")
            return unpackSamples(argc, argv);
#endif
    } catch (const std::exception &e) {
        std::cerr << "patchgencn-bench: " << e.what() << '\n';
        return 1;
    }
    std::cerr << "patchgencn-bench: " << mode << " needs a build with an image library (OpenCV)\n";
    return 2;
}
