// test_device: the engine on a CUDA device, against the CPU.
//
// Builds with LibTorch alone (no Qt: the GPU machine has none), so it checks
// with its own small harness. Without a CUDA device it reports "skipped"
// and exits 77, which CTest shows as skipped, not passed.
#include "config.h"
#include "energynet.h"
#include "generator.h"
#include "langevin.h"
#include "model.h"
#include "runtime.h"
#include "tasks.h"
#include "tensorops.h"
#include "trainer.h"
#include "testutil.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace pgcn;

namespace {

int g_failures = 0;

#define EXPECT(cond, ...)                                                                                       \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            std::fprintf(stderr, "  FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond);                           \
            std::fprintf(stderr, __VA_ARGS__);                                                                 \
            std::fprintf(stderr, "\n");                                                                        \
            ++g_failures;                                                                                      \
        }                                                                                                      \
    } while (0)

const at::Device kCuda(at::kCUDA, 0);

double relativeError(const at::Tensor &a, const at::Tensor &b)
{
    const at::Tensor x = a.to(at::kCPU, at::kDouble), y = b.to(at::kCPU, at::kDouble);
    return ((x - y).norm() / (y.norm() + 1e-30)).item<double>();
}

/** The Langevin gradient of one net on both devices, at each precision; fp32 must agree closely. */
void gradientMatchesCpu()
{
    EnergyNet net(std::vector<int>{128, 64, 64, 64, 1}, 0.005);
    net->eval();
    Rng rng(3, at::kCPU);
    const at::Tensor x = padImage(rng.uniform({2, 3, 37, 53}, -1, 1), 5);
    setPrecision(Precision::Fp32);
    const at::Tensor ref = energyGradient(net->frozenWeights(), x);
    net->to(kCuda);
    for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16}) {
        setPrecision(p);
        const auto frozen = net->frozenWeights();
        const at::Tensor g = energyGradient(frozen, x.to(kCuda));
        const double err = relativeError(g, ref);
        std::printf("  gradient %s: relative error against the CPU %.2e (dtype of the chain weights %s)\n",
                    precisionName(p), err, c10::toString(frozen.front().scalar_type()));
        EXPECT(g.scalar_type() == at::kFloat && g.sizes() == ref.sizes(), "the gradient comes back as fp32, same shape");
        const double limit = p == Precision::Fp32 ? 1e-4 : p == Precision::Tf32 ? 1e-2 : 5e-2;
        EXPECT(err < limit, "%s error %.3g >= %.3g", precisionName(p), err, limit);
        if (p == Precision::Bf16)
            EXPECT(frozen.front().scalar_type() == at::kBFloat16, "bf16 chains get bf16 weights");
    }
    setPrecision(Precision::Auto);
}

PyramidModel trainTiny(const at::Device &dev, std::vector<double> *mse = nullptr)
{
    TrainConfig c = test::tinyConfig(60);
    PyramidModel model(test::patternImage(30, 22), c);
    model.to(dev);
    TrainCallbacks cb;
    cb.snapshotEvery = 0;
    cb.progress = [&](const TrainProgress &p) {
        if (mse && p.scale == 0)
            mse->push_back(p.recoveryMse);
    };
    train(model, cb);
    return model;
}

/** A model trains on the GPU, reports progress, and fits the image about as well as the same training on the CPU. */
void trainsOnCuda()
{
    std::vector<double> mse;
    const PyramidModel model = trainTiny(kCuda, &mse);
    EXPECT(model.isComplete(), "training finished");
    EXPECT(model.device().is_cuda() && model.net(0)->parameters().front().is_cuda(), "the nets live on the GPU");
    EXPECT(mse.size() >= 6, "progress reported every 10th iteration (%zu reports)", mse.size());
    const PyramidModel cpu = trainTiny(at::kCPU);
    const at::Tensor real = model.real(model.numScales() - 1).to(at::kCPU);
    const double gpuMse = (reconstruct(model) - real).pow(2).mean().item<double>();
    const double cpuMse = (reconstruct(cpu) - real).pow(2).mean().item<double>();
    std::printf("  reconstruction MSE after training: GPU %.4f, CPU %.4f\n", gpuMse, cpuMse);
    EXPECT(std::isfinite(gpuMse) && gpuMse < 2 * cpuMse + 0.01, "the GPU fits the image like the CPU (%.4f vs %.4f)",
           gpuMse, cpuMse);
}

/** A chain recorded as a CUDA graph gives the eager chain's result; replays take new noise and new weights. */
void graphChainsMatchEager()
{
    EnergyNet net(std::vector<int>{64, 32, 32, 32, 1}, 0.005);
    net->to(kCuda);
    net->eval();
    setPrecision(Precision::Fp32);
    const auto frozen = net->frozenWeights();
    Rng rng(4, kCuda);
    const at::Tensor x = padImage(rng.uniform({3, 3, 30, 41}, -1, 1), 5);
    at::Tensor weight = at::ones({3, 1, 30, 41}, x.options());
    weight.slice(3, 0, 7).zero_();
    LangevinParams p;
    p.steps = 12;
    setCudaGraphs(false);
    const at::Tensor eager = langevinEnergy(x, frozen, weight, p, &rng);
    setCudaGraphs(true);
    const at::Tensor first = langevinEnergy(x, frozen, weight, p, &rng);  // records
    const at::Tensor second = langevinEnergy(x, frozen, weight, p, &rng); // replays
    const double e1 = relativeError(first - x, eager - x), e2 = relativeError(second - x, eager - x);
    std::printf("  noiseless chain, graph vs eager: relative error of the change %.2e (recording), %.2e (replay)\n", e1, e2);
    EXPECT(cudaGraphs(), "graphs stayed on (the recording worked)");
    EXPECT(e1 < 1e-4 && e2 < 1e-4, "graph and eager agree (%.3g, %.3g)", e1, e2);
    EXPECT((eager - x).abs().max().item<double>() > 1e-4, "the chain moved");
    // New weights and a new start go through the same recording.
    for (auto &w : net->parameters())
        w.data().mul_(1.5);
    const auto frozen2 = net->frozenWeights();
    const at::Tensor x2 = x.flip({3}).contiguous();
    setCudaGraphs(false);
    const at::Tensor eager2 = langevinEnergy(x2, frozen2, weight, p, &rng);
    setCudaGraphs(true);
    const double e3 = relativeError(langevinEnergy(x2, frozen2, weight, p, &rng) - x2, eager2 - x2);
    EXPECT(e3 < 1e-4, "replay with new weights and start agrees (%.3g)", e3);
    // Noise: two replays draw different noise of the asked-for size.
    p.noise = 0.05;
    p.steps = 2; // two steps of two independent chains: their difference has std 0.05 * sqrt(2 * 2)
    const at::Tensor a = langevinEnergy(x, frozen, {}, p, &rng), b = langevinEnergy(x, frozen, {}, p, &rng);
    const double spread = (a - b).std().item<double>();
    std::printf("  noisy replays differ by std %.4f (expected about 0.1, less where the clamp holds)\n", spread);
    EXPECT(spread > 0.05 && spread < 0.2, "replays draw fresh noise (std of the difference %.4f)", spread);
    setPrecision(Precision::Auto);
}

/** Trained on the GPU, saved, loaded on the CPU (and back): the deterministic recovery chain agrees. */
void modelsMoveBetweenDevices()
{
    const PyramidModel gpu = trainTiny(kCuda);
    const std::string path = (std::filesystem::temp_directory_path() / "patchgencn-test-device.pgcn").string();
    gpu.save(path);
    PyramidModel cpu = PyramidModel::load(path, at::kCPU);
    std::filesystem::remove(path);
    EXPECT(!cpu.device().is_cuda() && !cpu.real(0).is_cuda(), "loaded on the CPU");
    setPrecision(Precision::Fp32);
    const at::Tensor a = reconstruct(gpu), b = reconstruct(cpu);
    const double mse = (a - b).pow(2).mean().item<double>();
    std::printf("  reconstruction GPU vs CPU: MSE %.2e\n", mse);
    EXPECT(mse < 1e-6, "same chain on both devices (MSE %.3g)", mse);
    cpu.to(kCuda);
    const double back = (reconstruct(cpu) - a).pow(2).mean().item<double>();
    EXPECT(back < 1e-10, "moved back to the GPU, the same result (MSE %.3g)", back);
    setPrecision(Precision::Auto);
}

/** A [1,3,h,w] image in [-1, 1] with finite values (tasks return it on the model's device, samples on the CPU). */
bool finiteImage(const at::Tensor &image, int64_t h, int64_t w)
{
    const at::Tensor t = image.defined() ? image.to(at::kCPU) : image;
    return t.defined() && t.dim() == 4 && t.size(1) == 3 && t.size(2) == h && t.size(3) == w &&
           t.isfinite().all().item<bool>() && t.abs().max().item<double>() <= 1.0;
}

/** Sampling (any size, batched), reconstruction and every task run on a GPU model and hand back CPU images. */
void everyTaskOnCuda()
{
    const PyramidModel model = trainTiny(kCuda);
    const Size2 f = model.geometry().finest;
    SampleRequest req;
    req.count = 3;
    req.width = 40;
    req.height = 17;
    GenerateOptions opt;
    opt.batch = 2;
    const auto xs = sample(model, req, opt);
    EXPECT(xs.size() == 3, "three samples");
    for (const auto &x : xs)
        EXPECT(finiteImage(x, 17, 40) && !x.is_cuda(), "a 40x17 sample, handed back on the CPU");
    EXPECT(xs[0].sub(xs[1]).abs().max().item<double>() > 1e-3, "samples differ");
    const at::Tensor real = model.real(model.numScales() - 1).to(at::kCPU);
    EXPECT(finiteImage(reconstruct(model), f.height, f.width), "reconstruction");
    EXPECT(finiteImage(injectImage(model, real.flip({3}), 1), f.height, f.width), "injection (style transfer)");
    at::Tensor mask = at::zeros({1, 1, f.height, f.width});
    mask.slice(2, 4, 14).slice(3, 6, 20).fill_(1.0);
    const at::Tensor edited = editImage(model, real, mask, 1, 2.0).to(at::kCPU);
    EXPECT(finiteImage(edited, f.height, f.width), "editing");
    EXPECT(edited.sub(real).mul(1 - mask).abs().max().item<double>() < 1e-6, "editing keeps the outside of the mask");
    EXPECT(finiteImage(superResolve(model, real, 2.0), 2 * f.height, 2 * f.width), "super-resolution x2");
    const at::Tensor e = energyMap(model, real);
    EXPECT(e.defined() && !e.is_cuda() && e.isfinite().all().item<bool>(), "energy map");
}

/** An output far beyond the GPU's memory: a clear error with a way forward, and the device still works after it. */
void outOfMemoryIsClear()
{
    const PyramidModel model = trainTiny(kCuda);
    SampleRequest huge; // 4096 chains of 1536x1088 at once: 16 channels x 6.8e9 pixels x 4 bytes, over 400 GB
    huge.width = 1536;
    huge.height = 1088;
    huge.count = 4096;
    GenerateOptions all;
    all.batch = 4096;
    bool thrown = false;
    std::string advice;
    try {
        sample(model, huge, all);
    } catch (const std::exception &e) {
        thrown = true;
        const bool oom = isOutOfMemory(e, kCuda, false, &advice);
        std::printf("  %s\n", advice.empty() ? e.what() : advice.c_str());
        EXPECT(oom, "recognised as out of memory: %s", e.what());
    }
    EXPECT(thrown, "4096 samples of 1536x1088 in one batch must not fit");
    EXPECT(advice.find("--device cpu") != std::string::npos && advice.find("smaller") != std::string::npos,
          "the message says what to do");
    releaseCachedMemory(kCuda);
    SampleRequest small;
    EXPECT(finiteImage(sample(model, small, {}).front(), model.geometry().finest.height, model.geometry().finest.width),
          "a normal sample works after it");
}

} // namespace

int main()
{
    initRuntime();
    if (!cudaAvailable()) {
        std::printf("no CUDA device (this build: %s): skipped\n", builtWithCuda() ? "CUDA" : "CPU-only LibTorch");
        return 77;
    }
    std::printf("on %s\n", describeDevice(kCuda).c_str());
    const std::vector<std::pair<const char *, std::function<void()>>> tests = {
        {"gradientMatchesCpu", gradientMatchesCpu},
        {"trainsOnCuda", trainsOnCuda},
        {"graphChainsMatchEager", graphChainsMatchEager},
        {"modelsMoveBetweenDevices", modelsMoveBetweenDevices},
        {"everyTaskOnCuda", everyTaskOnCuda},
        {"outOfMemoryIsClear", outOfMemoryIsClear},
    };
    for (const auto &[name, fn] : tests) {
        const int before = g_failures;
        std::printf("%s\n", name);
        try {
            fn();
        } catch (const std::exception &e) {
            std::fprintf(stderr, "  FAILED: exception: %s\n", e.what());
            ++g_failures;
        }
        std::printf("  %s\n", g_failures == before ? "PASS" : "FAIL");
    }
    std::printf("%d failure(s)\n", g_failures);
    return g_failures == 0 ? 0 : 1;
}
