// patchgencn-bench: speed and quality figures for the engine.
//
//   patchgencn-bench train IMAGE [--preset P] [--iters N] [--samples N] [--json FILE] [--out DIR]
//       trains, then reports time per scale and in total, one-sample and batch-16
//       sampling time, peak RSS, patch-SWD of each sample against the real image,
//       diversity and recovery MSE.
//   patchgencn-bench langevin [--size N]
//       Langevin steps per second at each pyramid size of an N-px image (no files).
//   patchgencn-bench swd REAL_DIR FAKE_DIR [--json FILE]
//       patch-SWD of every FAKE_DIR/<stem>.* against REAL_DIR/<stem>.* (e.g. sigd16).
//
// The timing modes build with LibTorch alone; file modes need the image library.
#include "config.h"
#include "energynet.h"
#include "generator.h"
#include "langevin.h"
#include "metrics.h"
#include "model.h"
#include "runtime.h"
#include "tensorops.h"
#include "trainer.h"
#ifdef PATCHGENCN_HAVE_IMAGEIO
#include "imageio.h"
#endif

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <thread>

using namespace pgcn;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double peakRssMiB()
{
    struct rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

std::string machine()
{
    struct utsname u{};
    uname(&u);
    std::ostringstream s;
    s << u.machine << ", " << std::thread::hardware_concurrency() << " cores, " << at::get_num_threads() << " threads";
    return s.str();
}

std::string arg(int argc, char **argv, const std::string &name, const std::string &fallback)
{
    for (int i = 2; i + 1 < argc; ++i)
        if (argv[i] == "--" + name)
            return argv[i + 1];
    return fallback;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
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
    const int size = std::stoi(arg(argc, argv, "size", "250"));
    TrainConfig cfg = TrainConfig::preset(arg(argc, argv, "preset", "paper"));
    const auto geo = PyramidGeometry::compute(size, size * 3 / 4, cfg.maxSize, cfg.minSize, cfg.numScales);
    std::cout << "Langevin steps per second (" << machine() << ", preset " << cfg.presetName << ")\n";
    std::printf("%-6s %-10s %-12s %-12s %-12s\n", "scale", "size", "batch 1", "batch 16", "px*steps/s");
    Json j;
    j.str("machine", machine());
    std::string rows = "[";
    for (size_t s = 0; s < geo.scales.size(); ++s) {
        const Size2 sz = geo.scales[s];
        EnergyNet net(cfg.channelsFor(sz.longSide()), cfg.initStd);
        net->eval();
        const auto frozen = net->frozenWeights();
        double rate[2];
        int bi = 0;
        for (int b : {1, 16}) {
            Rng rng(1, at::kCPU);
            at::Tensor x = padImage(rng.uniform({b, 3, sz.height, sz.width}, -1, 1), cfg.pad);
            LangevinParams p;
            p.steps = 2;
            langevin(x, [&](const at::Tensor &t) { return energyGradient(frozen, t); }, p, &rng); // warm-up
            p.steps = b == 1 ? 20 : 4;
            const auto t0 = Clock::now();
            langevin(x, [&](const at::Tensor &t) { return energyGradient(frozen, t); }, p, &rng);
            rate[bi++] = p.steps / since(t0);
        }
        std::printf("%-6zu %4dx%-5d %-12.1f %-12.2f %-12.3g\n", s, sz.width, sz.height, rate[0], rate[1],
                    rate[0] * sz.width * sz.height);
        rows += (s ? "," : "") + std::string("{\"scale\":") + std::to_string(s) + ",\"w\":" + std::to_string(sz.width) +
                ",\"h\":" + std::to_string(sz.height) + ",\"steps_per_s_b1\":" + std::to_string(rate[0]) +
                ",\"steps_per_s_b16\":" + std::to_string(rate[1]) + "}";
    }
    j.raw("langevin", rows + "]");
    j.num("peak_rss_mib", peakRssMiB());
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

#ifdef PATCHGENCN_HAVE_IMAGEIO
int trainBench(int argc, char **argv)
{
    if (argc < 3)
        throw std::runtime_error("train needs an IMAGE");
    const std::string image = argv[2];
    TrainConfig cfg = TrainConfig::preset(arg(argc, argv, "preset", "quick"));
    if (arg(argc, argv, "iters", "") != "")
        cfg.setIterations(std::stoi(arg(argc, argv, "iters", "")));
    if (arg(argc, argv, "lr", "") != "") {
        const double ratio = cfg.lrEnd / cfg.lrStart;
        cfg.lrStart = std::stod(arg(argc, argv, "lr", ""));
        cfg.lrEnd = cfg.lrStart * ratio;
    }
    if (arg(argc, argv, "scales", "") != "")
        cfg.numScales = std::stoi(arg(argc, argv, "scales", ""));
    const int nSamples = std::stoi(arg(argc, argv, "samples", "8"));
    const std::string outDir = arg(argc, argv, "out", "");

    PyramidModel model(loadImage(image), cfg);
    std::vector<double> scaleTime(cfg.numScales, 0.0);
    auto tScale = Clock::now();
    TrainCallbacks cb;
    cb.snapshotEvery = 0;
    cb.scaleFinished = [&](int s, const PyramidModel &) { scaleTime[s] = since(tScale); tScale = Clock::now(); };
    const auto t0 = Clock::now();
    train(model, cb);
    const double trainTime = since(t0);

    GenerateOptions opt;
    opt.seed = 1;
    SampleRequest one;
    std::vector<double> oneTimes;
    for (int i = 0; i < 3; ++i) {
        const auto t = Clock::now();
        sample(model, one, opt);
        oneTimes.push_back(since(t));
    }
    SampleRequest many;
    many.count = 16;
    opt.batch = 16;
    auto t = Clock::now();
    sample(model, many, opt);
    const double batchTime = since(t);

    SampleRequest req;
    req.count = nSamples;
    opt.batch = 8;
    opt.seed = 2;
    const auto xs = sample(model, req, opt);
    const at::Tensor real = model.real(model.numScales() - 1).to(at::kCPU);
    std::vector<double> swds;
    for (const auto &x : xs)
        swds.push_back(patchSwd(x, real));
    const double div = diversity(xs, real);
    const double recMse = (reconstruct(model) - real).pow(2).mean().item<double>();
    if (!outDir.empty()) {
        fs::create_directories(outDir);
        for (size_t i = 0; i < xs.size(); ++i)
            saveImage(outDir + "/sample_" + std::to_string(i) + ".png", tensorToImage(xs[i]));
    }

    std::cout << "patchgencn-bench train " << image << "  (" << machine() << ")\n"
              << "preset " << cfg.presetName << ": " << cfg.numScales << " scales x " << cfg.iterations << " iterations\n";
    for (int s = 0; s < cfg.numScales; ++s)
        std::printf("  scale %d  %4dx%-4d  %8.1f s\n", s, model.geometry().scales[s].width,
                    model.geometry().scales[s].height, scaleTime[s]);
    std::printf("training total        %8.1f s\n", trainTime);
    std::printf("one sample (median/3) %8.3f s\n", median(oneTimes));
    std::printf("16 samples batched    %8.3f s\n", batchTime);
    std::printf("patch-SWD (median/%d) %8.1f\n", nSamples, median(swds));
    std::printf("diversity             %8.3f\n", div);
    std::printf("recovery MSE          %8.4f\n", recMse);
    std::printf("peak RSS              %8.0f MiB\n", peakRssMiB());
    Json j;
    j.str("machine", machine());
    j.str("image", image);
    j.str("preset", cfg.presetName);
    j.num("iterations", cfg.iterations);
    std::string st = "[";
    for (int s = 0; s < cfg.numScales; ++s)
        st += (s ? "," : "") + std::to_string(scaleTime[s]);
    j.raw("scale_seconds", st + "]");
    j.num("train_seconds", trainTime);
    j.num("one_sample_seconds", median(oneTimes));
    j.num("batch16_seconds", batchTime);
    j.num("swd_median", median(swds));
    j.num("diversity", div);
    j.num("recovery_mse", recMse);
    j.num("peak_rss_mib", peakRssMiB());
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}

int swdFolders(int argc, char **argv)
{
    if (argc < 4)
        throw std::runtime_error("swd needs REAL_DIR FAKE_DIR");
    std::map<std::string, std::string> reals;
    for (const auto &e : fs::directory_iterator(argv[2]))
        reals[e.path().stem().string()] = e.path().string();
    std::vector<std::pair<std::string, double>> rows;
    for (const auto &e : fs::directory_iterator(argv[3])) {
        const auto it = reals.find(e.path().stem().string());
        if (it == reals.end() || !isSupportedImageExtension(e.path().string()))
            continue;
        at::Tensor fake = imageToTensor(loadImage(e.path().string()));
        at::Tensor real = imageToTensor(loadImage(it->second));
        // Score at the fake's resolution, as the published samples are.
        real = resizeImage(real, fake.size(2), fake.size(3));
        rows.push_back({it->first, patchSwd(fake, real)});
    }
    std::sort(rows.begin(), rows.end(), [](auto &a, auto &b) {
        return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
    });
    std::vector<double> v;
    Json j;
    std::string list = "{";
    for (const auto &[k, s] : rows) {
        std::printf("%-12s %8.1f\n", k.c_str(), s);
        v.push_back(s);
        list += (list.size() > 1 ? "," : "") + std::string("\"") + k + "\":" + std::to_string(s);
    }
    double mean = 0;
    for (double x : v)
        mean += x;
    mean /= std::max<size_t>(1, v.size());
    std::printf("%-12s %8.1f\n%-12s %8.1f\n", "mean", mean, "median", median(v));
    j.raw("swd", list + "}");
    j.num("mean", mean);
    j.num("median", median(v));
    writeJson(arg(argc, argv, "json", ""), j);
    return 0;
}
#endif

} // namespace

int main(int argc, char **argv)
{
    initRuntime();
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "langevin")
            return langevinSpeed(argc, argv);
#ifdef PATCHGENCN_HAVE_IMAGEIO
        if (mode == "train")
            return trainBench(argc, argv);
        if (mode == "swd")
            return swdFolders(argc, argv);
#endif
    } catch (const std::exception &e) {
        std::cerr << "patchgencn-bench: " << e.what() << '\n';
        return 1;
    }
    std::cerr << "usage: patchgencn-bench langevin|train|swd ... (see the comment at the top of tests/benchmark.cpp)\n";
    return 2;
}
