// patchgencn: the command-line tool. Parses arguments and drives core/.
#include "cli_args.h"

#include "config.h"
#include "errors.h"
#include "fileutil.h"
#include "generator.h"
#include "gif.h"
#include "imageio.h"
#include "model.h"
#include "runtime.h"
#include "tasks.h"
#include "tensorops.h"
#include "trainer.h"

#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace pgcn;
using pgcn::cli::Args;
using pgcn::cli::UsageError;

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void onSignal(int)
{
    if (g_cancel.exchange(true))
        std::_Exit(130); // second Ctrl-C: leave at once
    const char msg[] = "\nstopping (Ctrl-C again to force)...\n";
    (void)!::write(2, msg, sizeof msg - 1);
}

void installSignalHandlers()
{
    struct sigaction sa{};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

const char *kMainHelp =
    "patchgencn " PATCHGENCN_VERSION " - learn one image's patch statistics and create from them\n"
    "\n"
    "usage: patchgencn COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  train        train a model on an image\n"
    "  sample       random samples of any size\n"
    "  reconstruct  the model's recovery of its training image\n"
    "  info         describe a model file (and write its training log as CSV)\n"
    "  edit         re-synthesize a masked, edited region of an image\n"
    "  harmonize    blend a pasted object into the image's colours and texture\n"
    "  inject       style transfer / paint-to-image from a start scale\n"
    "  sr           super-resolution by any factor\n"
    "  energy       heat map of where the model finds an image implausible\n"
    "\n"
    "'patchgencn COMMAND --help' describes a command's options.\n";

const char *kTrainHelp =
    "usage: patchgencn train IMAGE -o MODEL [options]\n"
    "\n"
    "  -o, --output FILE      model file to write (.pgcn)\n"
    "  --preset NAME          quick | balanced | paper (default quick)\n"
    "  --max-size N           longer side of the finest scale (preset: 250)\n"
    "  --min-size N           shorter side of the coarsest scale (quick, balanced: 16; paper: 25)\n"
    "  --scales N             number of scales (quick, balanced: 7; paper: 8)\n"
    "  --iters N              iterations per scale (lr and noise schedules follow)\n"
    "  --coarse-iters N       iterations at the coarsest scale (0 = as --iters)\n"
    "  --window-iters N       iterations at the scales trained on windows (0 = as --iters)\n"
    "  --langevin-steps N     Langevin steps per scale (the coarsest keeps the preset's ratio: paper 2x, quick 40/12)\n"
    "  --step-size F          Langevin step size (default 0.01)\n"
    "  --batch N              synthesis chains per iteration\n"
    "  --coarse-batch N       synthesis chains per iteration at the coarsest scale (0 = as --batch)\n"
    "  --window-batch N       synthesis windows per iteration at the windowed scales (0 = as --batch)\n"
    "  --crop N               train on N-pixel windows at larger scales (0 = whole image;\n"
    "                         quick and balanced: 40 on the CPU, whole images on a GPU)\n"
    "  --bank N               coarse samples drawn once per scale (0 = reference schedule)\n"
    "  --lr F                 initial learning rate (the decay keeps the preset's end/start ratio)\n"
    "  --coarse-lr F          initial learning rate at the coarsest scale (0 = as --lr)\n"
    "  --window-lr F          initial learning rate at the windowed scales (0 = as --lr)\n"
    "  --last-layer-norm F    keep each net's last-layer weight norm at or under F, which\n"
    "                         bounds how steep the energy gets (0 = unbounded, the presets)\n"
    "  --max-move F           clip each Langevin step's move to F per value, in training\n"
    "                         and in sampling (0 = unclipped, the presets)\n"
    "  --device NAME          auto | cpu | cuda (default auto)\n"
    "  --precision P          auto (default: fp32 training; on a CPU with AVX512-BF16\n"
    "                         quick's chains in bf16, and its training steps above the\n"
    "                         coarsest scale;\n"
    "                         sampling with tf32 on a GPU, bf16 chains on such a CPU),\n"
    "                         fp32, tf32, or bf16 chains\n"
    "  --threads N            CPU threads (default: all cores)\n"
    "  --seed N               random seed (default 0)\n"
    "  --snapshots DIR        write synthesis/recovery PNGs while training\n"
    "\n"
    "Ctrl-C stops cleanly; nothing is written unless training completes.\n";

const char *kSampleHelp =
    "usage: patchgencn sample MODEL -o DIR [options]\n"
    "\n"
    "  -o, --output DIR       folder for sample_000.png, sample_001.png, ...\n"
    "  -n, --count N          number of samples (default 8)\n"
    "  --size WxH             output size in pixels\n"
    "  --scale-w F            output width relative to the training image (default 1)\n"
    "  --scale-h F            output height relative to the training image (default 1)\n"
    "  --start-scale K        keep the real image's structure up to scale K-1 (default 0: all random)\n"
    "  --inject-noise F       noise added to the injected image (default 0.1)\n"
    "  --noise F              Langevin noise while sampling (default 0, as in the paper)\n"
    "  --batch N              chains run together (default 8)\n"
    "  --device NAME          auto | cpu | cuda (default auto)\n"
    "  --precision P          auto (default: fp32 training; sampling with tf32 on a GPU,\n"
    "                         bf16 chains on a CPU with AVX512-BF16), fp32, tf32,\n"
    "                         or bf16 chains\n"
    "  --seed N               random seed (default 0)\n"
    "  --chain FILE.gif       the first sample's Langevin chain, every step, as an animation\n";

const char *kReconstructHelp =
    "usage: patchgencn reconstruct MODEL -o FILE [--device NAME] [--precision P]\n"
    "\n"
    "Runs the recovery chain from the blurred coarsest image through every scale\n"
    "and writes the result; prints the per-pixel MSE against the training image.\n";

const char *kInfoHelp =
    "usage: patchgencn info MODEL [--log FILE.csv]\n"
    "\n"
    "  --log FILE.csv         also write the training log the model keeps, one row per measured\n"
    "                         iteration: scale,iteration,energy_real,energy_synthesis,recovery_mse\n";

const char *kEditHelp =
    "usage: patchgencn edit MODEL --image EDITED --mask MASK -o OUT [options]\n"
    "       patchgencn harmonize MODEL --image NAIVE --mask MASK -o OUT [options]\n"
    "\n"
    "  --image FILE           the edited image (or the image with a pasted object)\n"
    "  --mask FILE            white = re-synthesize; same size as the image (alpha or luminance)\n"
    "  -o, --output FILE      result image; pixels outside the mask keep their values\n"
    "  --start-scale K        scale where the image is injected (default: the first scale at least\n"
    "                         34 px on its shorter side, 52 px to harmonize: 2 and 3 for quick on a 250-px image)\n"
    "  --feather F            inward feather radius of the mask in pixels (default 4)\n"
    "  --inject-noise F       noise added to the injected image (default 0)\n"
    "  --chain FILE.gif       the Langevin chain, every step, as an animation\n"
    "  --device NAME, --precision P, --seed N, --threads N\n";

const char *kInjectHelp =
    "usage: patchgencn inject MODEL --image IN --start-scale K -o OUT [options]\n"
    "\n"
    "Style transfer and paint-to-image: the content image (or a rough painting)\n"
    "is injected at scale K of a model trained on the style (or on a photo);\n"
    "scales K.. re-synthesize it with the model's patches. Lower K = more change.\n"
    "  --inject-noise F       noise added to the injected image (default 0)\n"
    "  --chain FILE.gif       the Langevin chain, every step, as an animation\n"
    "  --device NAME, --precision P, --seed N, --threads N\n";

const char *kSrHelp =
    "usage: patchgencn sr MODEL --factor F -o OUT [--image IN] [--bicubic FILE] [--steps N]\n"
    "\n"
    "Upsamples the training image (or IN, another image of the same scene) by F,\n"
    "in steps of about 1/r, running a short Langevin chain of the finest scale\n"
    "after each and keeping the result consistent with the input.\n"
    "  --steps N              Langevin steps per upsampling (default: a quarter of\n"
    "                         the training's; more sharpens more, then rings)\n"
    "  --bicubic FILE         also write plain bicubic upsampling, for comparison\n"
    "  --device NAME, --precision P, --threads N\n";

const char *kEnergyHelp =
    "usage: patchgencn energy MODEL --image IN -o HEATMAP [--scale S] [--raw FILE]\n"
    "\n"
    "Per-patch energy of IN under the model: bright = implausible to the model.\n"
    "  --scale S              which scale's net (default: the finest)\n";


bool stderrIsTerminal()
{
    return ::isatty(2) == 1;
}

std::string formatDuration(double seconds)
{
    if (!(seconds >= 0) || seconds > 1e7)
        return "--:--";
    const long s = long(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    return buf;
}

void requireOutputDir(const std::string &file)
{
    namespace fs = std::filesystem;
    fs::path dir = fs::path(file).parent_path();
    if (dir.empty())
        dir = ".";
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw Error("output folder '" + dir.string() + "' does not exist");
    if (::access(dir.c_str(), W_OK) != 0)
        throw Error("output folder '" + dir.string() + "' is not writable: " + std::strerror(errno));
}


/** Records the first chain of a task, step by step, and writes it as an animated GIF. */
class ChainRecorder
{
public:
    explicit ChainRecorder(std::string path) : m_path(std::move(path))
    {
        if (!m_path.empty()) {
            if (m_path.size() < 4 || m_path.substr(m_path.size() - 4) != ".gif")
                throw UsageError{"--chain expects a .gif file (got '" + m_path + "')"};
            requireOutputDir(m_path);
        }
    }
    ChainObserver observer()
    {
        if (m_path.empty())
            return {};
        return [this](const ChainStep &c) {
            if (m_done)
                return;
            m_frames.push_back(c.state.slice(0, 0, 1).detach().to(at::kCPU).clone());
            if (c.step == c.steps && c.scale == m_lastScale)
                m_done = true;
        };
    }
    void setLastScale(int s) { m_lastScale = s; }
    void write(int64_t width, int64_t height) const
    {
        if (m_path.empty() || m_frames.empty())
            return;
        std::vector<RgbImage> images;
        for (const auto &f : m_frames)
            images.push_back(tensorToImage(at::upsample_nearest2d(f, at::IntArrayRef{height, width})));
        images.insert(images.end(), 12, images.back()); // hold the result a moment
        writeFileAtomic(m_path, encodeGif(images, 6));
        std::cerr << "chain (" << m_frames.size() << " steps) written to " << m_path << '\n';
    }

private:
    std::string m_path;
    std::vector<at::Tensor> m_frames;
    int m_lastScale = -1;
    bool m_done = false;
};

/** The device of the command's work (set by deviceFor; out-of-memory advice names it). */
at::Device g_device = at::kCPU;

/** --device and --precision: the device the command computes on. */
at::Device deviceFor(const Args &a)
{
    setPrecision(parsePrecision(a.str("precision", "auto")));
    g_device = parseDevice(a.str("device", "auto"));
    return g_device;
}

PyramidModel loadModelFor(const Args &a, const std::string &path)
{
    return PyramidModel::load(path, deviceFor(a));
}

/**
 * Saves a finished training. When `out` cannot be written (the disk filled up or the folder
 * became read-only while training ran), the model goes to the temporary folder instead, so
 * hours of training are not lost; the error says where it is.
 */
void saveTrainedModel(const PyramidModel &model, const std::string &out)
{
    try {
        model.save(out);
    } catch (const Error &e) {
        std::error_code ec;
        const auto tmp = std::filesystem::temp_directory_path(ec);
        const std::string rescue = (ec ? std::filesystem::path("/tmp") : tmp) /
                                   ("patchgencn-rescued-" + std::to_string(::getpid()) + ".pgcn");
        try {
            model.save(rescue);
        } catch (const Error &again) {
            throw Error(std::string(e.what()) + "; saving it to '" + rescue + "' instead failed too (" + again.what() +
                        "): the trained model is lost");
        }
        throw Error(std::string(e.what()) + "; the trained model was saved to '" + rescue + "' instead");
    }
}

int cmdTrain(int argc, char **argv)
{
    Args a(argc, argv, 2,
           {"output", "preset", "max-size", "min-size", "scales", "iters", "coarse-iters", "window-iters", "langevin-steps", "step-size", "batch",
            "coarse-batch", "window-batch", "crop", "bank", "lr", "coarse-lr", "window-lr", "last-layer-norm", "max-move", "device", "precision", "threads", "seed", "snapshots"},
           {}, {{'o', "output"}});
    if (a.help()) {
        std::cout << kTrainHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{"train needs exactly one IMAGE"};
    const std::string imagePath = a.positionals()[0];
    const std::string out = a.str("output");
    if (out.empty())
        throw UsageError{"train needs -o MODEL"};

    initRuntime(a.integer("threads", 0, 0, 1024));
    const at::Device dev = deviceFor(a); // the preset depends on it: whole images on a GPU
    TrainConfig cfg = TrainConfig::preset(a.str("preset", "quick"), dev.is_cuda());
    cfg.maxSize = a.integer("max-size", cfg.maxSize, 8, 4096);
    cfg.minSize = a.integer("min-size", cfg.minSize, 4, 4096);
    cfg.numScales = a.integer("scales", cfg.numScales, 1, 20);
    if (a.has("iters"))
        cfg.setIterations(a.integer("iters", cfg.iterations, 1, 1000000));
    if (a.has("coarse-iters"))
        cfg.coarseIterations = a.integer("coarse-iters", cfg.coarseIterations, 0, 1000000);
    if (a.has("window-iters"))
        cfg.windowIterations = a.integer("window-iters", cfg.windowIterations, 0, 1000000);
    if (a.has("langevin-steps")) {
        cfg.setLangevinSteps(a.integer("langevin-steps", cfg.stepsPerScale, 1, 10000));
    }
    cfg.stepSize = a.real("step-size", cfg.stepSize, 1e-6, 10);
    cfg.batchSize = a.integer("batch", cfg.batchSize, 1, 256);
    cfg.coarseBatch = a.integer("coarse-batch", cfg.coarseBatch, 0, 256);
    cfg.windowBatch = a.integer("window-batch", cfg.windowBatch, 0, 256);
    cfg.cropSize = a.integer("crop", cfg.cropSize, 0, 4096);
    cfg.bankSize = a.integer("bank", cfg.bankSize, 0, 4096);
    if (a.has("lr")) {
        const double ratio = cfg.lrEnd / cfg.lrStart;
        cfg.lrStart = a.real("lr", cfg.lrStart, 1e-7, 0.1);
        cfg.lrEnd = cfg.lrStart * ratio;
    }
    cfg.coarseLr = a.real("coarse-lr", cfg.coarseLr, 0, 0.1);
    cfg.windowLr = a.real("window-lr", cfg.windowLr, 0, 0.1);
    cfg.lastLayerNormMax = a.real("last-layer-norm", cfg.lastLayerNormMax, 0, 1000);
    cfg.langevinMoveMax = a.real("max-move", cfg.langevinMoveMax, 0, 2);
    cfg.seed = std::uint64_t(a.int64("seed", 0, 0, (1LL << 62)));
    cfg.validate();

    requireOutputDir(out);
    const std::string snapDir = a.str("snapshots");
    if (!snapDir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(snapDir, ec);
        if (ec)
            throw Error("cannot create snapshot folder '" + snapDir + "': " + ec.message());
    }

    const RgbImage image = loadImage(imagePath);
    PyramidModel model(image, cfg);
    model.to(dev);
    const std::string onDevice = describeDevice(dev, /*training=*/true, cfg.bf16FineChains, cfg.bf16CoarseChains); // Auto: fp32 (quick: bf16)
    std::cerr << "training " << imagePath << " (" << image.width << "x" << image.height << " -> "
              << model.geometry().finest.width << "x" << model.geometry().finest.height << "), preset " << cfg.presetName
              << ", " << cfg.numScales << " scales x " << cfg.iterations << " iterations on " << onDevice << '\n';
    const PyramidGeometry &geo = model.geometry();
    if (cfg.numScales > 1 && geo.scales.front() == geo.scales.back())
        std::cerr << "note: the image's shorter side (" << geo.finest.shortSide() << " px) is not above --min-size ("
                  << cfg.minSize << "), so all " << cfg.numScales
                  << " scales have the image's size: they add training, not a pyramid (--scales 1, or a smaller --min-size)\n";

    const bool tty = stderrIsTerminal();
    TrainCallbacks cb;
    cb.snapshotEvery = std::max(1, cfg.iterations / 10);
    int lastPlainDecile = -1, lastScale = -1;
    auto lastDraw = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    cb.progress = [&](const TrainProgress &p) {
        if (!snapDir.empty() && p.synthesis.defined()) {
            char name[64];
            std::snprintf(name, sizeof name, "/scale%02d_iter%06d_", p.scale, p.iteration);
            saveImage(snapDir + name + "syn.png", tensorToImage(p.synthesis));
            saveImage(snapDir + name + "rec.png", tensorToImage(p.recovery));
        }
        char line[256];
        std::snprintf(line, sizeof line,
                      "scale %d/%d  iter %5d/%d  E(real) %+9.4f  E(syn) %+9.4f  rec.MSE %.4f  elapsed %s  ETA %s%s",
                      p.scale + 1, p.numScales, p.iteration, p.iterations, p.energyReal, p.energySyn, p.recoveryMse,
                      formatDuration(p.elapsedSeconds).c_str(), formatDuration(p.etaSeconds).c_str(),
                      p.recoveryFailing ? "  [recovery failing]" : "");
        if (tty) {
            const auto now = std::chrono::steady_clock::now();
            if (now - lastDraw > std::chrono::milliseconds(100) || p.iteration == p.iterations) {
                lastDraw = now;
                std::fprintf(stderr, "\r\033[K%s", line);
                if (p.iteration == p.iterations)
                    std::fputc('\n', stderr);
            }
        } else {
            const int decile = p.iteration * 10 / p.iterations;
            if (p.scale != lastScale || decile != lastPlainDecile) {
                lastScale = p.scale;
                lastPlainDecile = decile;
                std::fprintf(stderr, "%s\n", line);
            }
        }
    };
    cb.retrying = [&](int s, int attempt, const std::string &why) {
        std::fprintf(stderr, "%s%s; retrying it with half the learning rate and Langevin step (retry %d of %d)\n",
                     tty ? "\n" : "", why.c_str(), attempt, TrainConfig::kDivergenceRetries);
    };
    cb.rolledBack = [&](int, int, const std::string &why) { std::fprintf(stderr, "%s%s\n", tty ? "\n" : "", why.c_str()); };
    cb.keptBest = [&](int, int, const std::string &why) { std::fprintf(stderr, "%s%s\n", tty ? "\n" : "", why.c_str()); };
    cb.samplingChecked = [&](int scale, int, double fp32End, double bf16End, int fp32Through) {
        if (fp32Through >= 0)
            std::fprintf(stderr, "%s%s%d sample%s with fp32 chains: with bf16 ones the samples of scale %d end farther from "
                                 "the image (patch-SWD %.1f against %.1f)\n",
                         tty ? "\n" : "", fp32Through > 0 ? "scales 1-" : "scale ", fp32Through + 1, fp32Through > 0 ? "" : "s",
                         scale + 1, bf16End, fp32End);
    };
    cb.scaleFinished = [&](int s, const PyramidModel &m) {
        if (snapDir.empty())
            return;
        SampleRequest req;
        GenerateOptions opt;
        opt.seed = cfg.seed;
        const auto xs = sample(m, req, opt);
        char name[64];
        std::snprintf(name, sizeof name, "/scale%02d_sample.png", s);
        saveImage(snapDir + name, tensorToImage(xs[0]));
    };

    const auto t0 = std::chrono::steady_clock::now();
    try {
        train(model, cb, &g_cancel);
    } catch (const Cancelled &) {
        std::cerr << "\ntraining cancelled; nothing was written\n";
        return 130;
    } catch (const std::exception &e) {
        std::string message;
        if (dynamic_cast<const TrainingDiverged *>(&e))
            message = e.what();
        else if (!isOutOfMemory(e, dev, true, &message))
            throw;
        std::cerr << "\nerror: " << message << '\n';
        if (dynamic_cast<const TrainingDiverged *>(&e))
            std::cerr << "try a smaller --lr or --step-size, fewer --langevin-steps, or another --seed\n";
        if (model.trainedScales() > 0) {
            // Keep what was trained, under a name that cannot pass for the finished model.
            const std::string partial = out + ".partial";
            saveTrainedModel(model, partial);
            std::cerr << "the " << model.trainedScales() << " scale(s) trained before it were saved to " << partial
                      << " (it samples at scale " << model.trainedScales() << "'s size)\n";
        }
        return 1;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    saveTrainedModel(model, out);
    std::cerr << "trained in " << formatDuration(secs) << " (" << secs << " s); model written to " << out << '\n';
    return 0;
}

void parseSize(const std::string &s, int &w, int &h)
{
    const auto x = s.find_first_of("xX");
    try {
        if (x == std::string::npos)
            throw std::invalid_argument("no x");
        size_t p1 = 0, p2 = 0;
        w = std::stoi(s.substr(0, x), &p1);
        h = std::stoi(s.substr(x + 1), &p2);
        if (p1 != x || p2 != s.size() - x - 1)
            throw std::invalid_argument("junk");
    } catch (const std::exception &) {
        throw UsageError{"--size expects WIDTHxHEIGHT, e.g. 400x200 (got '" + s + "')"};
    }
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
        throw UsageError{"--size must be between 1x1 and 16384x16384 (got '" + s + "')"};
}

int cmdSample(int argc, char **argv)
{
    Args a(argc, argv, 2,
           {"output", "count", "size", "scale-w", "scale-h", "start-scale", "inject-noise", "noise", "batch", "device", "precision",
            "seed", "threads", "chain"},
           {}, {{'o', "output"}, {'n', "count"}});
    if (a.help()) {
        std::cout << kSampleHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{"sample needs exactly one MODEL"};
    const std::string dir = a.str("output");
    if (dir.empty())
        throw UsageError{"sample needs -o DIR"};
    SampleRequest req;
    req.count = a.integer("count", 8, 1, 100000);
    if (a.has("size"))
        parseSize(a.str("size"), req.width, req.height);
    req.scaleW = a.real("scale-w", 1.0, 0.05, 64);
    req.scaleH = a.real("scale-h", 1.0, 0.05, 64);
    req.startScale = a.integer("start-scale", 0, 0, 100);
    GenerateOptions opt;
    opt.seed = std::uint64_t(a.int64("seed", 0, 0, (1LL << 62)));
    opt.injectNoise = a.real("inject-noise", opt.injectNoise, 0, 10);
    opt.noise = a.real("noise", 0.0, 0, 10);
    opt.batch = a.integer("batch", 8, 1, 1024);
    opt.cancel = &g_cancel;
    initRuntime(a.integer("threads", 0, 0, 1024));

    PyramidModel model = loadModelFor(a, a.positionals()[0]);
    if (!model.isComplete())
        throw Error("model is only partly trained (" + std::to_string(model.trainedScales()) + " of " +
                    std::to_string(model.numScales()) + " scales)");
    if (req.startScale >= model.numScales())
        throw UsageError{"--start-scale must be between 0 and " + std::to_string(model.numScales() - 1)};
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw Error("cannot create output folder '" + dir + "'" + (ec ? ": " + ec.message() : std::string()));
    requireOutputDir(dir + "/sample_000.png"); // before the work, not after it
    ChainRecorder chain(a.str("chain"));
    chain.setLastScale(model.numScales() - 1);
    opt.observer = chain.observer();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<at::Tensor> xs;
    try {
        xs = sample(model, req, opt);
    } catch (const Cancelled &) {
        std::cerr << "cancelled; nothing was written\n";
        return 130;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (size_t i = 0; i < xs.size(); ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "/sample_%03zu.png", i);
        saveImage(dir + name, tensorToImage(xs[i]));
    }
    chain.write(xs[0].size(3), xs[0].size(2));
    std::cerr << "wrote " << xs.size() << " samples of " << xs[0].size(3) << "x" << xs[0].size(2) << " to " << dir
              << " in " << secs << " s\n";
    return 0;
}

int cmdReconstruct(int argc, char **argv)
{
    Args a(argc, argv, 2, {"output", "device", "precision", "threads"}, {}, {{'o', "output"}});
    if (a.help()) {
        std::cout << kReconstructHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{"reconstruct needs exactly one MODEL"};
    const std::string out = a.str("output");
    if (out.empty())
        throw UsageError{"reconstruct needs -o FILE"};
    if (!isSupportedImageExtension(out))
        throw UsageError{"output '" + out + "' needs an image extension (.png, .jpg, .webp, .tif, .bmp)"};
    requireOutputDir(out);
    initRuntime(a.integer("threads", 0, 0, 1024));
    PyramidModel model = loadModelFor(a, a.positionals()[0]);
    GenerateOptions opt;
    opt.cancel = &g_cancel;
    at::Tensor rec;
    try {
        rec = reconstruct(model, opt);
    } catch (const Cancelled &) {
        std::cerr << "cancelled; nothing was written\n";
        return 130;
    }
    const at::Tensor real = model.real(model.trainedScales() - 1).to(at::kCPU);
    const double mse = (rec - real).pow(2).mean().item<double>();
    saveImage(out, tensorToImage(rec));
    std::cout << "recovery MSE per pixel: " << mse << '\n';
    return 0;
}

int cmdInfo(int argc, char **argv)
{
    Args a(argc, argv, 2, {"log"}, {});
    if (a.help()) {
        std::cout << kInfoHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{"info needs exactly one MODEL"};
    const std::string logPath = a.str("log");
    if (a.has("log") && logPath.empty())
        throw UsageError{"--log needs a file name"};
    PyramidModel model = PyramidModel::load(a.positionals()[0], at::kCPU);
    std::cout << model.describe();
    if (!logPath.empty()) {
        size_t rows = 0;
        for (const auto &scale : model.trainingLogs())
            rows += scale.size();
        if (rows == 0)
            throw Error("'" + a.positionals()[0] + "' keeps no training log (written before models kept one); " + logPath +
                        " not written");
        const std::string csv = trainingLogCsv(model.trainingLogs());
        writeFileAtomic(logPath, csv.data(), csv.size());
        std::cout << "training log: " << rows << " iterations written to " << logPath << '\n';
    }
    return 0;
}


at::Tensor loadImageTensor(const std::string &path)
{
    return imageToTensor(loadImage(path));
}

void requireImageOutput(const std::string &out, const std::string &cmd)
{
    if (out.empty())
        throw UsageError{cmd + " needs -o FILE"};
    if (!isSupportedImageExtension(out))
        throw UsageError{"output '" + out + "' needs an image extension (.png, .jpg, .webp, .tif, .bmp)"};
    requireOutputDir(out);
}

int runGuarded(const std::function<void()> &job)
{
    try {
        job();
    } catch (const Cancelled &) {
        std::cerr << "cancelled; nothing was written\n";
        return 130;
    }
    return 0;
}

int cmdEdit(int argc, char **argv, bool harmonize)
{
    const std::string cmd = harmonize ? "harmonize" : "edit";
    Args a(argc, argv, 2, {"image", "mask", "output", "start-scale", "feather", "inject-noise", "device", "precision", "seed", "threads", "chain"},
           {}, {{'o', "output"}});
    if (a.help()) {
        std::cout << kEditHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{cmd + " needs exactly one MODEL"};
    if (a.str("image").empty() || a.str("mask").empty())
        throw UsageError{cmd + " needs --image FILE and --mask FILE"};
    const std::string out = a.str("output");
    requireImageOutput(out, cmd);
    GenerateOptions opt;
    opt.seed = std::uint64_t(a.int64("seed", 0, 0, (1LL << 62)));
    opt.injectNoise = a.real("inject-noise", 0.0, 0, 10);
    opt.cancel = &g_cancel;
    const double feather = a.real("feather", 4.0, 0, 200);
    initRuntime(a.integer("threads", 0, 0, 1024));
    PyramidModel model = loadModelFor(a, a.positionals()[0]);
    const int k = a.integer("start-scale", defaultStartScale(model.geometry().shorterSides(), harmonize), -1000000, 1000000);
    const at::Tensor image = loadImageTensor(a.str("image"));
    const at::Tensor mask = maskToTensor(loadMask(a.str("mask")));
    validateMask(image, mask);
    ChainRecorder chain(a.str("chain"));
    chain.setLastScale(model.numScales() - 1);
    opt.observer = chain.observer();
    return runGuarded([&] {
        const at::Tensor result = editImage(model, image, mask, k, feather, opt);
        saveImage(out, tensorToImage(result));
        chain.write(result.size(3), result.size(2));
        std::cerr << cmd << ": wrote " << out << '\n';
    });
}

int cmdInject(int argc, char **argv)
{
    Args a(argc, argv, 2, {"image", "output", "start-scale", "inject-noise", "device", "precision", "seed", "threads", "chain"}, {},
           {{'o', "output"}});
    if (a.help()) {
        std::cout << kInjectHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{"inject needs exactly one MODEL"};
    if (a.str("image").empty())
        throw UsageError{"inject needs --image FILE"};
    if (!a.has("start-scale"))
        throw UsageError{"inject needs --start-scale K"};
    const std::string out = a.str("output");
    requireImageOutput(out, "inject");
    GenerateOptions opt;
    opt.seed = std::uint64_t(a.int64("seed", 0, 0, (1LL << 62)));
    opt.injectNoise = a.real("inject-noise", 0.0, 0, 10);
    opt.cancel = &g_cancel;
    initRuntime(a.integer("threads", 0, 0, 1024));
    PyramidModel model = loadModelFor(a, a.positionals()[0]);
    const int k = a.integer("start-scale", 1, -1000000, 1000000);
    const at::Tensor image = loadImageTensor(a.str("image"));
    ChainRecorder chain(a.str("chain"));
    chain.setLastScale(model.numScales() - 1);
    opt.observer = chain.observer();
    return runGuarded([&] {
        const at::Tensor result = injectImage(model, image, k, opt);
        saveImage(out, tensorToImage(result));
        chain.write(result.size(3), result.size(2));
        std::cerr << "inject: wrote " << out << '\n';
    });
}

int cmdSr(int argc, char **argv)
{
    Args a(argc, argv, 2, {"image", "output", "factor", "bicubic", "steps", "device", "precision", "threads"}, {}, {{'o', "output"}});
    if (a.help()) {
        std::cout << kSrHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{"sr needs exactly one MODEL"};
    if (!a.has("factor"))
        throw UsageError{"sr needs --factor F"};
    const double factor = a.real("factor", 2.0, 1.0001, 16);
    const std::string out = a.str("output");
    requireImageOutput(out, "sr");
    const std::string bicubic = a.str("bicubic");
    if (!bicubic.empty())
        requireImageOutput(bicubic, "sr");
    GenerateOptions opt;
    opt.cancel = &g_cancel;
    opt.stepsScale = a.integer("steps", -1, 1, 10000);
    initRuntime(a.integer("threads", 0, 0, 1024));
    PyramidModel model = loadModelFor(a, a.positionals()[0]);
    at::Tensor image;
    if (!a.str("image").empty())
        image = loadImageTensor(a.str("image"));
    return runGuarded([&] {
        const at::Tensor result = superResolve(model, image, factor, opt);
        saveImage(out, tensorToImage(result));
        if (!bicubic.empty()) {
            const at::Tensor src = image.defined() ? image : model.real(model.numScales() - 1);
            saveImage(bicubic, tensorToImage(resizeImage(src.to(at::kCPU), result.size(2), result.size(3))));
        }
        std::cerr << "sr: wrote " << out << " (" << result.size(3) << "x" << result.size(2) << ")\n";
    });
}

int cmdEnergy(int argc, char **argv)
{
    Args a(argc, argv, 2, {"image", "output", "scale", "device", "precision", "threads"}, {}, {{'o', "output"}});
    if (a.help()) {
        std::cout << kEnergyHelp;
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError{"energy needs exactly one MODEL"};
    if (a.str("image").empty())
        throw UsageError{"energy needs --image FILE"};
    const std::string out = a.str("output");
    requireImageOutput(out, "energy");
    initRuntime(a.integer("threads", 0, 0, 1024));
    PyramidModel model = loadModelFor(a, a.positionals()[0]);
    const int scale = a.integer("scale", -1, -1, 100);
    if (scale >= model.trainedScales())
        throw UsageError{"--scale must be between 0 and " + std::to_string(model.trainedScales() - 1)};
    const at::Tensor image = loadImageTensor(a.str("image"));
    const at::Tensor e = energyMap(model, image, scale);
    saveImage(out, tensorToImage(heatMap(e)));
    std::cout << "mean energy per patch: " << e.mean().item<double>() << '\n';
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::cerr << kMainHelp;
        return 2;
    }
    const std::string cmd = argv[1];
    installSignalHandlers();
    try {
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            std::cout << kMainHelp;
            return 0;
        }
        if (cmd == "--version") {
            std::cout << "patchgencn " PATCHGENCN_VERSION "\n";
            return 0;
        }
        if (cmd == "train")
            return cmdTrain(argc, argv);
        if (cmd == "sample")
            return cmdSample(argc, argv);
        if (cmd == "reconstruct")
            return cmdReconstruct(argc, argv);
        if (cmd == "info")
            return cmdInfo(argc, argv);
        if (cmd == "edit" || cmd == "harmonize")
            return cmdEdit(argc, argv, cmd == "harmonize");
        if (cmd == "inject")
            return cmdInject(argc, argv);
        if (cmd == "sr")
            return cmdSr(argc, argv);
        if (cmd == "energy")
            return cmdEnergy(argc, argv);
        std::cerr << "patchgencn: unknown command '" << cmd << "'\n\n" << kMainHelp;
        return 2;
    } catch (const UsageError &e) {
        std::cerr << "patchgencn " << cmd << ": " << e.message << "\n(see 'patchgencn " << cmd << " --help')\n";
        return 2;
    } catch (const Cancelled &) {
        std::cerr << "patchgencn: cancelled\n";
        return 130;
    } catch (const std::exception &e) {
        std::string advice;
        const bool oom = isOutOfMemory(e, g_device, cmd == "train", &advice);
        std::cerr << "patchgencn " << cmd << ": error: " << (oom ? advice : std::string(e.what())) << '\n';
        return 1;
    }
}
