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

/**
 * Human-readable description of the compute device, e.g. "CPU (2 threads)" or
 * "CUDA device 0 (NVIDIA H100, tf32)"; `training`: as a training computes there
 * (chainType's `training`), without setting anything; `bf16FineChains` and
 * `bf16CoarseChains`: the training's configuration (TrainConfig's flags of those
 * names), e.g. "CPU (2 threads, bf16 chains above the coarsest scale)", or "CPU (2
 * threads, bf16 chains)" where both are in force.
 */
std::string describeDevice(const at::Device &device, bool training = false, bool bf16FineChains = false,
                           bool bf16CoarseChains = false);

/**
 * Arithmetic of the chains and the GPU's convolutions:
 *  - Auto (the default): Fp32 while training (but bf16 chains above the coarsest
 *    scale on a CPU that computes bfloat16 natively when the configuration says
 *    so: TrainConfig::bf16FineChains, quick's CPU preset); for sampling and the tasks Tf32
 *    on a GPU, bf16 chains on a CPU that computes bfloat16 natively
 *    (cpuHasBf16), fp32 on other CPUs. Measured on an H100 (balanced preset,
 *    250-px colosseum, patch-SWD of 32 samples): trained in fp32 119.8 +- 6.9,
 *    in tf32 181.7 +- 8.1, with bf16 chains 222.5 +- 4.6; sampling a trained
 *    model in tf32 takes 15 ms per 250-px sample against 25 ms in fp32 (its
 *    gradients differ by 5e-4). On a 2-core AVX512-BF16 CPU, bf16 chains run
 *    1.8x as many Langevin steps per second as fp32 (README, Precision).
 *  - Fp32: IEEE single precision everywhere;
 *  - Tf32: on a GPU, convolutions and matrix products on tensor cores with
 *    TF32 inputs (10-bit mantissa), fp32 accumulation and storage; fp32 on a CPU;
 *  - Bf16: as Tf32, and the Langevin chains' energy gradients in bfloat16
 *    (the chain state and its update stay fp32), training's chains included;
 *    on a CPU without native bfloat16 the chains stay fp32.
 */
enum class Precision { Auto, Fp32, Tf32, Bf16 };

/** "auto" | "fp32" | "tf32" | "bf16"; throws InvalidArgument otherwise. */
Precision parsePrecision(const std::string &name);
const char *precisionName(Precision p);
/** Sets the process-wide precision (cuDNN/cuBLAS TF32 switches, bf16 chains). */
void setPrecision(Precision p);
/** The precision set; Auto reads as Tf32 outside a training (see TrainingPrecision). */
Precision precision();

/** True when the CPU has native bfloat16 arithmetic (x86 AVX512-BF16, which AMX CPUs have too). */
bool cpuHasBf16();

/**
 * The type the Langevin chains' energy gradients are computed in on `device`
 * under the current precision: kBFloat16 for Bf16 (on a CPU only with
 * cpuHasBf16), and on such a CPU for Auto outside a training; kFloat otherwise.
 * `training`: the type a training would use (Auto reads as Fp32, as inside
 * TrainingPrecision), a query that sets nothing.
 */
at::ScalarType chainType(const at::Device &device, bool training = false);

/**
 * The chains' type for a model's scale that asks to sample in fp32 (`fp32Scale`:
 * TrainConfig::fp32SamplingScales): kFloat under Auto (also inside a training started
 * under Auto), where chainType would pick bf16 on such a CPU; an explicit precision
 * decides alone, as chainType.
 */
at::ScalarType scaleChainType(const at::Device &device, bool fp32Scale);

/**
 * True when a training on `device` under the current precision runs chains in bf16
 * because its configuration asks for them (`asked`: TrainConfig's bf16FineChains for the
 * scales above the coarsest, or its bf16CoarseChains for the coarsest): Auto, a CPU with
 * cpuHasBf16. An explicit precision decides alone.
 */
bool autoBf16Chains(const at::Device &device, bool asked);

/**
 * Where a training's bf16 chains are, in words, from its two flags (the scales above the
 * coarsest, the coarsest): "at every scale", "above the coarsest scale", "at the coarsest
 * scale", or "" for neither. The CLI's training line, the benchmark's header and `info` say it.
 */
const char *bf16ChainScales(bool fine, bool coarse);

/** While alive, a training's precision: Auto becomes Fp32; restores the previous setting. */
class TrainingPrecision
{
public:
    TrainingPrecision();
    ~TrainingPrecision();
    /**
     * Under Auto, the chains from now on in bf16 (`on`) or fp32: for the scales
     * TrainConfig's bf16FineChains and bf16CoarseChains name (autoBf16Chains). No effect otherwise.
     */
    void setBf16Chains(bool on);
    TrainingPrecision(const TrainingPrecision &) = delete;
    TrainingPrecision &operator=(const TrainingPrecision &) = delete;

private:
    Precision m_before;
};

/** True when this build was compiled against a CUDA LibTorch (PATCHGENCN_CUDA). */
bool builtWithCuda();
/** Waits for the device's queued work (no-op on the CPU): needed before reading a clock. */
void synchronize(const at::Device &device);
/** Peak bytes allocated on a CUDA device since the last reset, in MiB (0 on the CPU). */
double peakDeviceMemoryMiB(const at::Device &device);
void resetPeakDeviceMemory(const at::Device &device);
/** Returns the allocator's cached, unused blocks to the driver (after an out-of-memory error). */
void releaseCachedMemory(const at::Device &device);

/**
 * True for LibTorch's out-of-memory errors (c10::OutOfMemoryError, the CPU
 * allocator's "not enough memory"); `advice` then gets a message that says
 * how much was asked for where, and what to try: a smaller image or output,
 * fewer samples at once, or the CPU.
 */
bool isOutOfMemory(const std::exception &e, const at::Device &device, bool training, std::string *advice = nullptr);

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
