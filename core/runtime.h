#pragma once

#include "errors.h"

#include <ATen/ATen.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>

namespace pgcn {

/** Sets LibTorch's intra-op thread count to the hardware's (or `threads` if > 0). Idempotent. */
void initRuntime(int threads = 0);

/** True when LibTorch was built with CUDA and a device is present. */
bool cudaAvailable();

/** "auto" | "cpu" | "cuda" | "cuda:N" -> a device; throws InvalidArgument for unknown names or missing CUDA. */
at::Device parseDevice(const std::string &name);

/** Human-readable description of the compute device, e.g. "CPU (2 threads)". */
std::string describeDevice(const at::Device &device);

/** Throws Cancelled when the flag is set. */
inline void checkCancel(const std::atomic<bool> *cancel)
{
    if (cancel && cancel->load(std::memory_order_relaxed))
        throw Cancelled();
}

/**
 * Random numbers for one job: tensors on the job's device from an explicit
 * generator (deterministic for a seed on CPU), host-side choices (crops, bank
 * indices) from a std::mt19937_64 so they never sync with the device.
 */
class Rng
{
public:
    Rng(std::uint64_t seed, at::Device device);

    at::Tensor normal(at::IntArrayRef sizes);
    at::Tensor uniform(at::IntArrayRef sizes, double lo, double hi);
    /** Uniform integer in [0, n). */
    std::int64_t index(std::int64_t n);
    std::uint64_t seed() const { return m_seed; }

private:
    std::uint64_t m_seed;
    at::Device m_device;
    at::Generator m_gen;
    std::mt19937_64 m_host;
};

} // namespace pgcn
