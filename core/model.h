#pragma once

#include "config.h"
#include "fileutil.h"
#include "energynet.h"
#include "image.h"
#include "pyramid.h"
#include "trainlog.h"

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <vector>

namespace torch::serialize {
class InputArchive;
class OutputArchive;
} // namespace torch::serialize

namespace pgcn {

/**
 * A trained (or partly trained) pyramid: the configuration, the geometry,
 * the real image at every scale and one energy net per trained scale.
 * Saved as one file (a LibTorch archive) holding all of it plus a format
 * version and each trained scale's training log (files written before the
 * log was kept load with empty logs); saving is atomic, loading checks
 * everything it reads.
 */
class PyramidModel
{
public:
    static constexpr int kFormatVersion = 1;
    static constexpr const char *kMagic = "patchgencn-model";

    PyramidModel() = default;
    /** A model ready to train on `image` (any size; resized per config). */
    PyramidModel(const RgbImage &image, const TrainConfig &config);

    const TrainConfig &config() const { return m_config; }
    const PyramidGeometry &geometry() const { return m_geometry; }
    int numScales() const { return int(m_reals.size()); }
    int trainedScales() const { return int(m_nets.size()); }
    bool isComplete() const { return !m_reals.empty() && trainedScales() == numScales(); }

    const at::Tensor &real(int scale) const { return m_reals.at(scale); }
    EnergyNet net(int scale) const { return m_nets.at(scale); }

    /** Normalised weights of a trained scale for sampling (cached; eval mode). */
    const std::vector<at::Tensor> &frozen(int scale) const;

    /** Multiplier of the Langevin step at `scale` (set by the trainer when it retried a diverging scale). */
    void setStepFactor(int scale, double factor);
    /** Scale `scale` samples with fp32 chains under the precision Auto (TrainConfig::fp32SamplingScales). */
    void setFp32Sampling(int scale, bool on);
    /** Appends a trained net (the next scale) and the log of its training (may be empty). */
    void addTrainedScale(EnergyNet net, std::vector<TrainLogPoint> log = {});
    /** The measured iterations of a trained scale's training, in order (empty when not recorded). */
    const std::vector<TrainLogPoint> &trainingLog(int scale) const { return m_logs.at(scale); }
    /** Every trained scale's log (trainingLogCsv writes it out). */
    const std::vector<std::vector<TrainLogPoint>> &trainingLogs() const { return m_logs; }
    /** Drops trained scales from `scale` on (to retrain them). */
    void truncate(int scale);

    at::Device device() const { return m_device; }
    void to(const at::Device &device);

    /** Atomic: writes a temporary file beside `path`, then renames it. Throws Error on I/O failure. */
    void save(const std::string &path) const;
    /** The bytes save() writes, in memory (no temporary file). */
    std::string toBytes() const;
    /** Throws FileFormatError with a clear message for foreign, damaged or mismatched files. */
    static PyramidModel load(const std::string &path, const at::Device &device = at::kCPU);
    /** load() for a model file's bytes in memory; `name` stands for the file in messages. */
    static PyramidModel fromBytes(const char *data, size_t size, const std::string &name,
                                  const at::Device &device = at::kCPU);

    /** Short multi-line description (scales, sizes, config). */
    std::string describe() const;

private:
    void writeTo(torch::serialize::OutputArchive &ar) const;
    static PyramidModel readFrom(torch::serialize::InputArchive &ar, const std::string &name, const at::Device &device);

    TrainConfig m_config;
    PyramidGeometry m_geometry;
    std::vector<at::Tensor> m_reals;
    std::vector<EnergyNet> m_nets;
    std::vector<std::vector<TrainLogPoint>> m_logs; ///< one per trained scale
    mutable std::vector<std::vector<at::Tensor>> m_frozen;
    at::Device m_device = at::kCPU;
};

} // namespace pgcn
