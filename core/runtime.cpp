#include "runtime.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <torch/cuda.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <mutex>
#include <thread>

namespace pgcn {

void initRuntime(int threads)
{
    static std::once_flag once;
    std::call_once(once, [threads] {
        int n = threads > 0 ? threads : int(std::thread::hardware_concurrency());
        if (n < 1)
            n = 1;
        at::set_num_threads(n);
#if defined(__GLIBC__)
        // Every Langevin step allocates activations of tens of megabytes. glibc
        // serves those with fresh mmap()s and returns them at once, so each step
        // page-faults its memory in again (measured: 6x slower sampling). Keep
        // freed memory in the heap instead.
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
#endif
    });
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

std::string describeDevice(const at::Device &device)
{
    if (device.is_cuda())
        return "CUDA device " + std::to_string(device.index() < 0 ? 0 : device.index());
    return "CPU (" + std::to_string(at::get_num_threads()) + " threads)";
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
