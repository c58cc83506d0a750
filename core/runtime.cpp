#include "runtime.h"

#include "allocator.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <c10/util/Exception.h>
#include <torch/cuda.h>

#ifdef PATCHGENCN_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif


#include <mutex>
#include <new>
#include <sstream>
#include <thread>

namespace pgcn {

namespace {
std::atomic<Precision> g_precision{Precision::Auto};

void applyPrecision(Precision p)
{
    const bool tf32 = p != Precision::Fp32;
    at::globalContext().setAllowTF32CuDNN(tf32);
    at::globalContext().setAllowTF32CuBLAS(tf32);
}
} // namespace

void initRuntime(int threads)
{
    static std::once_flag once;
    std::call_once(once, [threads] {
        configureAllocator(); // already done at load time; this call keeps allocator.cpp (and its initialiser) in every link
        int n = threads > 0 ? threads : int(std::thread::hardware_concurrency());
        if (n < 1)
            n = 1;
        at::set_num_threads(n);
        // Every scale's chains run thousands of times at one shape: let cuDNN time its
        // algorithms once per shape and keep the fastest.
        at::globalContext().setBenchmarkCuDNN(true);
        setPrecision(g_precision.load());
    });
}

Precision parsePrecision(const std::string &name)
{
    if (name == "auto")
        return Precision::Auto;
    if (name == "fp32")
        return Precision::Fp32;
    if (name == "tf32")
        return Precision::Tf32;
    if (name == "bf16")
        return Precision::Bf16;
    throw InvalidArgument("unknown precision '" + name + "' (choose auto, fp32, tf32 or bf16)");
}

const char *precisionName(Precision p)
{
    switch (p) {
    case Precision::Auto: return "auto";
    case Precision::Fp32: return "fp32";
    case Precision::Tf32: return "tf32";
    case Precision::Bf16: return "bf16";
    }
    return "?";
}

void setPrecision(Precision p)
{
    g_precision = p;
    applyPrecision(p);
}

Precision precision()
{
    const Precision p = g_precision.load();
    return p == Precision::Auto ? Precision::Tf32 : p;
}

bool cpuHasBf16()
{
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512bf16") != 0;
    }();
    return has;
#else
    return false;
#endif
}

namespace {
/** The precision in force, or the one a training would compute in (Auto trains in Fp32). */
Precision effectivePrecision(bool training)
{
    const Precision p = g_precision.load();
    return training && p == Precision::Auto ? Precision::Fp32 : p;
}
} // namespace

at::ScalarType chainType(const at::Device &device, bool training)
{
    const Precision p = effectivePrecision(training);
    if (device.is_cuda())
        return p == Precision::Bf16 ? at::kBFloat16 : at::kFloat;
    // On the CPU Auto still reads as itself here: a training has turned it into Fp32 (TrainingPrecision).
    return (p == Precision::Bf16 || p == Precision::Auto) && cpuHasBf16() ? at::kBFloat16 : at::kFloat;
}

namespace {
/** A training under Auto is running (TrainingPrecision turned it into Fp32 or Bf16 for its span). */
std::atomic<bool> g_trainingFromAuto{false};
} // namespace

at::ScalarType scaleChainType(const at::Device &device, bool fp32Scale)
{
    // Inside a training under Auto too: its bank and checks draw coarser scales as the sampler does.
    const bool autoPrecision = g_precision.load() == Precision::Auto || g_trainingFromAuto.load();
    return fp32Scale && autoPrecision ? at::kFloat : chainType(device);
}

TrainingPrecision::TrainingPrecision() : m_before(g_precision.load())
{
    if (m_before == Precision::Auto) {
        g_trainingFromAuto = true;
        g_precision = Precision::Fp32;
        applyPrecision(Precision::Fp32);
    }
}

void TrainingPrecision::setBf16Chains(bool on)
{
    if (m_before == Precision::Auto) {
        const Precision p = on ? Precision::Bf16 : Precision::Fp32;
        g_precision = p;
        applyPrecision(p);
    }
}

bool autoBf16Chains(const at::Device &device, bool asked)
{
    return asked && !device.is_cuda() && g_precision.load() == Precision::Auto && cpuHasBf16();
}

TrainingPrecision::~TrainingPrecision()
{
    if (m_before == Precision::Auto)
        g_trainingFromAuto = false;
    g_precision = m_before;
    applyPrecision(m_before);
}

bool builtWithCuda()
{
#ifdef PATCHGENCN_CUDA
    return true;
#else
    return false;
#endif
}

void synchronize(const at::Device &device)
{
    if (device.is_cuda())
        torch::cuda::synchronize(device.index());
}

double peakDeviceMemoryMiB(const at::Device &device)
{
#ifdef PATCHGENCN_CUDA
    if (device.is_cuda()) {
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
        return double(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0); // [0]: all pools (StatType::AGGREGATE)
    }
#endif
    return 0.0;
}

void resetPeakDeviceMemory(const at::Device &device)
{
#ifdef PATCHGENCN_CUDA
    if (device.is_cuda())
        c10::cuda::CUDACachingAllocator::resetPeakStats(device.index() < 0 ? 0 : device.index());
#endif
}

void releaseCachedMemory(const at::Device &device)
{
#ifdef PATCHGENCN_CUDA
    if (device.is_cuda())
        c10::cuda::CUDACachingAllocator::emptyCache();
#endif
}

bool isOutOfMemory(const std::exception &e, const at::Device &device, bool training, std::string *advice)
{
    bool oom = dynamic_cast<const std::bad_alloc *>(&e) != nullptr || dynamic_cast<const c10::OutOfMemoryError *>(&e) != nullptr;
    std::string what;
    if (const auto *c = dynamic_cast<const c10::Error *>(&e))
        what = c->what_without_backtrace();
    else
        what = e.what();
    for (const char *sign : {"out of memory", "not enough memory", "can't allocate memory"})
        oom = oom || what.find(sign) != std::string::npos;
    if (!oom)
        return false;
    if (advice) {
        // LibTorch's first line says how much it tried to allocate and what the device holds.
        std::string first = what.substr(0, what.find('\n'));
        if (first.size() > 300)
            first = first.substr(0, 300) + "...";
        std::ostringstream s;
        s << "out of " << (device.is_cuda() ? "GPU" : "main") << " memory";
        if (!first.empty() && !dynamic_cast<const std::bad_alloc *>(&e))
            s << " (" << first << ")";
        s << ". ";
        if (training)
            s << "Train on a smaller image (--max-size) or with a smaller batch (--batch)";
        else
            s << "Ask for a smaller output (--size/--scale-w/--scale-h) or fewer samples at once (--batch)";
        if (device.is_cuda())
            s << ", or run on the CPU (--device cpu), which has more memory but is slower";
        s << '.';
        *advice = s.str();
    }
    return true;
}

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

at::Device parseDevice(const std::string &name)
{
    if (name == "auto")
        return cudaAvailable() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    if (name == "cpu")
        return at::kCPU;
    if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
        if (!cudaAvailable())
            throw InvalidArgument("device '" + name + "' requested, but no CUDA device is available "
                                  "(this build or machine has none); use --device cpu");
        int index = 0;
        if (name.size() > 5) {
            try {
                index = std::stoi(name.substr(5));
            } catch (const std::exception &) {
                throw InvalidArgument("bad device '" + name + "'");
            }
        }
        if (index < 0 || index >= int(torch::cuda::device_count()))
            throw InvalidArgument("CUDA device " + std::to_string(index) + " does not exist");
        return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    throw InvalidArgument("unknown device '" + name + "' (choose auto, cpu or cuda)");
}

std::string describeDevice(const at::Device &device, bool training, bool bf16FineChains, bool bf16CoarseChains)
{
    if (device.is_cuda()) {
        const int index = device.index() < 0 ? 0 : device.index();
        std::string name = "CUDA device " + std::to_string(index);
#ifdef PATCHGENCN_CUDA
        name += std::string(" (") + at::cuda::getDeviceProperties(index)->name + ", " + precisionName(effectivePrecision(training)) + ")";
#endif
        return name;
    }
    const bool bf16 = chainType(device, training) == at::kBFloat16;
    const bool fine = training && !bf16 && autoBf16Chains(device, bf16FineChains);
    const bool coarse = training && !bf16 && autoBf16Chains(device, bf16CoarseChains);
    // Every chain in bf16 reads "bf16 chains"; some of them name where.
    const std::string chains = bf16 || (fine && coarse) ? ", bf16 chains"
                               : fine || coarse        ? std::string(", bf16 chains ") + bf16ChainScales(fine, coarse)
                                                       : std::string();
    return "CPU (" + std::to_string(at::get_num_threads()) + " threads" + chains + ")";
}

const char *bf16ChainScales(bool fine, bool coarse)
{
    return fine && coarse ? "at every scale" : fine ? "above the coarsest scale" : coarse ? "at the coarsest scale" : "";
}

Rng::Rng(std::uint64_t seed, at::Device device)
    : m_seed(seed), m_device(device), m_gen(at::detail::createCPUGenerator(seed)), m_host(seed ^ 0x9E3779B97F4A7C15ull)
{
    if (device.is_cuda()) {
        // Chains on the GPU draw from the device's generator (no host round trip per step).
        m_gen = at::globalContext().defaultGenerator(device);
        std::lock_guard<std::mutex> lock(m_gen.mutex());
        m_gen.set_current_seed(seed);
    }
}

at::Tensor Rng::normal(at::IntArrayRef sizes)
{
    return at::randn(sizes, m_gen, at::TensorOptions().dtype(at::kFloat).device(m_device));
}

at::Tensor Rng::uniform(at::IntArrayRef sizes, double lo, double hi)
{
    auto t = at::empty(sizes, at::TensorOptions().dtype(at::kFloat).device(m_device));
    return t.uniform_(lo, hi, m_gen);
}

std::int64_t Rng::index(std::int64_t n)
{
    if (n <= 1)
        return 0;
    return std::int64_t(std::uniform_int_distribution<std::uint64_t>(0, std::uint64_t(n - 1))(m_host));
}

} // namespace pgcn
