#include "model.h"

#include "archivecheck.h"
#include "errors.h"
#include "fileutil.h"
#include "runtime.h"
#include "tensorops.h"

#include <ATen/core/grad_mode.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <sstream>

namespace pgcn {

namespace {
/** FNV-1a over a tensor's bytes: detects damage the archive format itself does not notice. */
std::uint64_t hashTensor(std::uint64_t h, const at::Tensor &t)
{
    const at::Tensor c = t.detach().to(at::kCPU).contiguous();
    const auto *p = static_cast<const unsigned char *>(c.data_ptr());
    const size_t n = size_t(c.numel()) * c.element_size();
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}
constexpr std::uint64_t kHashSeed = 14695981039346656037ull;

/** A scale's log as a [n, 4] double tensor: iteration, real energy, synthesis energy, recovery MSE. */
at::Tensor logTensor(const std::vector<TrainLogPoint> &log)
{
    at::Tensor t = at::empty({int64_t(log.size()), 4}, at::kDouble);
    double *d = t.data_ptr<double>();
    for (const TrainLogPoint &p : log) {
        *d++ = p.iteration;
        *d++ = p.energyReal;
        *d++ = p.energySyn;
        *d++ = p.recoveryMse;
    }
    return t;
}
} // namespace

PyramidModel::PyramidModel(const RgbImage &image, const TrainConfig &config)
    : m_config(config)
{
    m_config.validate();
    m_geometry = PyramidGeometry::compute(image.width, image.height, config.maxSize, config.minSize, config.numScales);
    m_reals = buildPyramid(imageToTensor(image), m_geometry);
}

const std::vector<at::Tensor> &PyramidModel::frozen(int scale) const
{
    if (scale < 0 || scale >= trainedScales())
        throw InvalidArgument("scale " + std::to_string(scale) + " is not trained");
    if (m_frozen.size() < m_nets.size())
        m_frozen.resize(m_nets.size());
    // Rebuilt when the precision has changed the chains' type since (a training turns Auto into fp32 for its span).
    // A scale the sampling-precision check found worse with bf16 chains keeps fp32 ones (TrainConfig::bf16SamplingLimit).
    const auto &cached = m_frozen[scale];
    const at::ScalarType type = scaleChainType(m_device, m_config.fp32SamplingAt(scale));
    if (cached.empty() || cached.front().scalar_type() != type) {
        EnergyNet net = m_nets[scale];
        net->eval();
        m_frozen[scale] = net->frozenWeights(type);
    }
    return m_frozen[scale];
}

void PyramidModel::addTrainedScale(EnergyNet net, std::vector<TrainLogPoint> log)
{
    if (trainedScales() >= numScales())
        throw InvalidArgument("every scale is already trained");
    net->eval();
    m_nets.push_back(net);
    m_logs.push_back(std::move(log));
    m_frozen.clear();
}

void PyramidModel::setStepFactor(int scale, double factor)
{
    if (scale < 0 || scale >= numScales() || !(factor > 0 && factor <= 1))
        throw InvalidArgument("bad step factor " + std::to_string(factor) + " for scale " + std::to_string(scale));
    auto &f = m_config.stepFactors;
    if (factor == 1.0 && scale >= int(f.size()))
        return;
    if (scale >= int(f.size()))
        f.resize(size_t(scale) + 1, 1.0);
    f[size_t(scale)] = factor;
}

void PyramidModel::setFp32Sampling(int scale, bool on)
{
    if (scale < 0 || scale >= numScales())
        throw InvalidArgument("scale " + std::to_string(scale) + " is not a scale");
    auto &v = m_config.fp32SamplingScales;
    v.erase(std::remove(v.begin(), v.end(), scale), v.end());
    if (on) {
        v.push_back(scale);
        std::sort(v.begin(), v.end());
    }
}

void PyramidModel::truncate(int scale)
{
    auto &fp32 = m_config.fp32SamplingScales;
    fp32.erase(std::remove_if(fp32.begin(), fp32.end(), [scale](int s) { return s >= scale; }), fp32.end());
    if (scale < int(m_nets.size())) {
        m_nets.erase(m_nets.begin() + std::max(0, scale), m_nets.end());
        m_logs.resize(m_nets.size());
    }
    if (scale < int(m_config.stepFactors.size()))
        m_config.stepFactors.resize(size_t(std::max(0, scale)));
    m_frozen.clear();
}

void PyramidModel::to(const at::Device &device)
{
    for (auto &r : m_reals)
        r = r.to(device);
    for (auto &n : m_nets)
        n->to(device);
    m_frozen.clear();
    m_device = device;
}

void PyramidModel::writeTo(torch::serialize::OutputArchive &ar) const
{
    if (m_reals.empty())
        throw InvalidArgument("cannot save an empty model");
    ar.write("magic", c10::IValue(std::string(kMagic)));
    ar.write("format_version", c10::IValue(int64_t(kFormatVersion)));
    ar.write("config", c10::IValue(m_config.toText()));
    auto sizes = at::empty({int64_t(m_geometry.scales.size()), 2}, at::kLong);
    for (size_t s = 0; s < m_geometry.scales.size(); ++s) {
        sizes[s][0] = m_geometry.scales[s].width;
        sizes[s][1] = m_geometry.scales[s].height;
    }
    ar.write("scale_sizes", sizes);
    ar.write("ratio", c10::IValue(m_geometry.ratio));
    ar.write("trained_scales", c10::IValue(int64_t(m_nets.size())));
    std::uint64_t hash = kHashSeed;
    for (size_t s = 0; s < m_reals.size(); ++s) {
        ar.write("real_" + std::to_string(s), m_reals[s].detach().to(at::kCPU));
        hash = hashTensor(hash, m_reals[s]);
    }
    for (size_t s = 0; s < m_nets.size(); ++s) {
        torch::serialize::OutputArchive netAr;
        for (const auto &p : m_nets[s]->named_parameters()) {
            netAr.write(p.key(), p.value().detach().to(at::kCPU));
            hash = hashTensor(hash, p.value());
        }
        for (const auto &b : m_nets[s]->named_buffers()) {
            netAr.write(b.key(), b.value().detach().to(at::kCPU), /*is_buffer=*/true);
            hash = hashTensor(hash, b.value());
        }
        ar.write("net_" + std::to_string(s), netAr);
        if (!m_logs[s].empty()) {
            const at::Tensor log = logTensor(m_logs[s]);
            ar.write("log_" + std::to_string(s), log);
            hash = hashTensor(hash, log);
        }
    }
    ar.write("checksum", c10::IValue(static_cast<int64_t>(hash)));
}

void PyramidModel::save(const std::string &path) const
{
    // Serialised in memory, then written by our own code: LibTorch's file writer can abort the
    // process when a write fails (its destructor throws while the first error unwinds).
    const std::string bytes = toBytes();
    writeFileAtomic(path, bytes.data(), bytes.size());
}

std::string PyramidModel::toBytes() const
{
    torch::serialize::OutputArchive ar;
    writeTo(ar);
    std::ostringstream out;
    ar.save_to(out);
    return out.str();
}

namespace {
template <typename T>
T readValue(torch::serialize::InputArchive &ar, const std::string &key)
{
    c10::IValue v;
    if (!ar.try_read(key, v))
        throw FileFormatError("model file lacks '" + key + "'");
    return v.to<T>();
}

/**
 * LibTorch rebuilds a tensor from the sizes, strides and offset its archive states without checking
 * them against the storage read: a damaged file yields tensors that reach past their memory (found
 * by fuzz_model as a heap overflow in hashTensor). Every element must lie inside the storage.
 */
bool fitsItsStorage(const at::Tensor &t)
{
    if (!t.defined() || !t.has_storage() || t.is_sparse() || t.storage_offset() < 0)
        return false;
    if (t.numel() == 0)
        return true;
    const std::uint64_t elements = t.storage().nbytes() / std::max<std::size_t>(1, t.element_size());
    std::uint64_t last = std::uint64_t(t.storage_offset()); // the furthest element, in storage elements
    if (last >= elements)
        return false;
    for (int64_t d = 0; d < t.dim(); ++d) {
        const std::uint64_t steps = std::uint64_t(t.size(d) - 1);
        if (t.stride(d) < 0 || (steps > 0 && std::uint64_t(t.stride(d)) > (elements - 1 - last) / steps))
            return false;
        last += steps * std::uint64_t(t.stride(d));
    }
    return true;
}

std::vector<TrainLogPoint> logFromTensor(const at::Tensor &t, int scale)
{
    const auto bad = [scale](const std::string &why) {
        return FileFormatError("model file: the training log of scale " + std::to_string(scale) + " " + why);
    };
    if (!fitsItsStorage(t) || t.dim() != 2 || t.size(1) != 4 || t.scalar_type() != at::kDouble)
        throw bad("has the wrong shape");
    const at::Tensor c = t.contiguous();
    const double *d = c.data_ptr<double>();
    std::vector<TrainLogPoint> log;
    log.reserve(size_t(c.size(0)));
    for (int64_t i = 0; i < c.size(0); ++i, d += 4) {
        const bool finite = std::isfinite(d[0]) && std::isfinite(d[1]) && std::isfinite(d[2]) && std::isfinite(d[3]);
        // iterations count up from 1, a retried scale's log is the kept attempt's alone
        if (!finite || d[0] < 1 || d[0] > 1e8 || d[0] != std::floor(d[0]) || (!log.empty() && d[0] <= log.back().iteration))
            throw bad("is damaged");
        log.push_back({int(d[0]), d[1], d[2], d[3]});
    }
    return log;
}

at::Tensor readTensor(torch::serialize::InputArchive &ar, const std::string &key, bool buffer = false)
{
    at::Tensor t;
    if (!ar.try_read(key, t, buffer))
        throw FileFormatError("model file lacks '" + key + "'");
    if (!fitsItsStorage(t))
        throw FileFormatError("model file: tensor '" + key + "' is damaged (its shape does not fit its data)");
    return t;
}
} // namespace

PyramidModel PyramidModel::load(const std::string &path, const at::Device &device)
{
    std::string bytes;
    try {
        bytes = readWholeFile(path, "model");
    } catch (const Error &e) {
        throw FileFormatError(e.what());
    }
    return fromBytes(bytes.data(), bytes.size(), path, device);
}

PyramidModel PyramidModel::fromBytes(const char *data, size_t size, const std::string &name, const at::Device &device)
{
    if (size == 0)
        throw FileFormatError("'" + name + "' is empty (0 bytes), not a patchgencn model");
    try {
        checkModelArchive(data, size); // before LibTorch, which believes the sizes it reads
    } catch (const FileFormatError &e) {
        throw FileFormatError("'" + name + "' is not a patchgencn model or is damaged: " + e.what());
    }
    torch::serialize::InputArchive ar;
    try {
        ar.load_from(data, size, at::kCPU);
    } catch (const std::exception &) {
        throw FileFormatError("'" + name + "' is not a patchgencn model (unreadable, truncated or damaged)");
    }
    return readFrom(ar, name, device);
}

PyramidModel PyramidModel::readFrom(torch::serialize::InputArchive &ar, const std::string &path, const at::Device &device)
{
    PyramidModel m;
    try {
        c10::IValue magic;
        if (!ar.try_read("magic", magic) || !magic.isString() || magic.toStringRef() != kMagic)
            throw FileFormatError("'" + path + "' is not a patchgencn model (no model signature)");
        const int64_t version = readValue<int64_t>(ar, "format_version");
        if (version != kFormatVersion)
            throw FileFormatError("model '" + path + "' has format version " + std::to_string(version) +
                                  "; this build reads version " + std::to_string(kFormatVersion));
        m.m_config = TrainConfig::fromText(readValue<std::string>(ar, "config"));

        const at::Tensor sizes = readTensor(ar, "scale_sizes");
        if (sizes.dim() != 2 || sizes.size(1) != 2 || sizes.size(0) != m.m_config.numScales || sizes.scalar_type() != at::kLong)
            throw FileFormatError("model file has inconsistent scale sizes");
        for (int64_t s = 0; s < sizes.size(0); ++s) {
            const int w = int(sizes[s][0].item<int64_t>()), h = int(sizes[s][1].item<int64_t>());
            if (w < 1 || h < 1 || w > 65536 || h > 65536)
                throw FileFormatError("model file has an invalid scale size");
            m.m_geometry.scales.push_back({w, h});
        }
        m.m_geometry.finest = m.m_geometry.scales.back();
        m.m_geometry.ratio = readValue<double>(ar, "ratio");

        const int64_t trained = readValue<int64_t>(ar, "trained_scales");
        if (trained < 0 || trained > m.m_config.numScales)
            throw FileFormatError("model file has an invalid number of trained scales");

        std::uint64_t hash = kHashSeed;
        for (int s = 0; s < m.m_config.numScales; ++s) {
            at::Tensor r = readTensor(ar, "real_" + std::to_string(s));
            const Size2 &sz = m.m_geometry.scales[s];
            if (r.dim() != 4 || r.size(0) != 1 || r.size(1) != 3 || r.size(2) != sz.height || r.size(3) != sz.width ||
                r.scalar_type() != at::kFloat)
                throw FileFormatError("model file: real image of scale " + std::to_string(s) + " has the wrong shape");
            if (!at::isfinite(r).all().item<bool>() || r.abs().max().item<double>() > 1.0 + 1e-5)
                throw FileFormatError("model file: real image of scale " + std::to_string(s) + " is damaged");
            m.m_reals.push_back(r.contiguous());
            hash = hashTensor(hash, r);
        }
        for (int s = 0; s < trained; ++s) {
            torch::serialize::InputArchive netAr;
            if (!ar.try_read("net_" + std::to_string(s), netAr))
                throw FileFormatError("model file lacks the net of scale " + std::to_string(s));
            EnergyNet net(m.m_config.channelsFor(m.m_geometry.scales[s].longSide()), m.m_config.initStd);
            for (auto &p : net->named_parameters()) {
                at::Tensor t = readTensor(netAr, p.key());
                if (t.sizes() != p.value().sizes() || t.scalar_type() != at::kFloat)
                    throw FileFormatError("model file: scale " + std::to_string(s) + " parameter '" + p.key() +
                                          "' has shape " + c10::str(t.sizes()) + ", expected " + c10::str(p.value().sizes()));
                if (!at::isfinite(t).all().item<bool>())
                    throw FileFormatError("model file: scale " + std::to_string(s) + " has non-finite weights");
                at::NoGradGuard g;
                p.value().copy_(t);
                hash = hashTensor(hash, t);
            }
            for (auto &b : net->named_buffers()) {
                at::Tensor t = readTensor(netAr, b.key(), true);
                if (t.sizes() != b.value().sizes())
                    throw FileFormatError("model file: scale " + std::to_string(s) + " buffer '" + b.key() + "' has the wrong shape");
                b.value().copy_(t);
                hash = hashTensor(hash, t);
            }
            net->eval();
            m.m_nets.push_back(net);
            // The training log: absent from files written before it was kept.
            std::vector<TrainLogPoint> log;
            at::Tensor t;
            if (ar.try_read("log_" + std::to_string(s), t)) {
                log = logFromTensor(t, s);
                hash = hashTensor(hash, t);
            }
            m.m_logs.push_back(std::move(log));
        }
        if (readValue<int64_t>(ar, "checksum") != static_cast<int64_t>(hash))
            throw FileFormatError("model '" + path + "' is damaged (checksum mismatch)");
    } catch (const FileFormatError &) {
        throw;
    } catch (const std::exception &e) {
        throw FileFormatError("'" + path + "' is not a valid patchgencn model: " + std::string(e.what()).substr(0, 300));
    }
    m.to(device);
    return m;
}

std::string PyramidModel::describe() const
{
    std::ostringstream s;
    s << "image:          " << m_geometry.finest.width << "x" << m_geometry.finest.height << '\n'
      << "preset:         " << m_config.presetName << '\n'
      << "scales:         " << numScales() << " (" << trainedScales() << " trained), ratio " << m_geometry.ratio << '\n';
    for (int i = 0; i < numScales(); ++i) {
        const auto &c = m_config.channelsFor(m_geometry.scales[i].longSide());
        s << "  scale " << i << ": " << m_geometry.scales[i].width << "x" << m_geometry.scales[i].height << "  channels ";
        for (size_t k = 0; k < c.size(); ++k)
            s << (k ? "," : "") << c[k];
        const Size2 &sz = m_geometry.scales[i];
        const bool windowed = m_config.windowedAt(sz.width, sz.height);
        s << (i < trainedScales() ? "  trained" : "  untrained") << ", " << m_config.iterationsAt(i, windowed)
          << " iterations, " << m_config.batchAt(i, windowed) << " chains, lr " << m_config.learningRateAt(i, windowed, 0)
          << (windowed ? ", " + std::to_string(m_config.cropSize) + "-px windows" : std::string(", whole image"));
        if (i < trainedScales() && !m_logs[i].empty()) {
            // how well the scale learned to recover its image: the mean over its last logged iterations
            const auto &log = m_logs[i];
            const size_t n = std::min<size_t>(log.size(), 20);
            double mse = 0;
            for (size_t k = log.size() - n; k < log.size(); ++k)
                mse += log[k].recoveryMse / double(n);
            s << ", recovery MSE " << std::setprecision(3) << mse << std::setprecision(6) << " at the end";
        }
        s << '\n';
    }
    s << "langevin steps: " << m_config.stepsCoarsest << " coarsest, " << m_config.stepsPerScale << " others, step "
      << m_config.stepSize << '\n';
    if (m_config.bf16FineChains || m_config.bf16CoarseChains) {
        // e.g. "training in bf16 on a CPU that computes it natively (precision auto): chains at every
        // scale, steps above the coarsest"
        const bool fine = m_config.bf16FineChains, coarse = m_config.bf16CoarseChains;
        const bool steps = fine && m_config.bf16FineTraining;
        s << "training in bf16 on a CPU that computes it natively (precision auto): chains " << bf16ChainScales(fine, coarse)
          << (steps ? ", steps above the coarsest" : "") << '\n';
    }
    if (!m_config.fp32SamplingScales.empty()) {
        // e.g. "sampling with fp32 chains at scale 6 (bf16 ones drew worse samples there)"
        s << "sampling with fp32 chains at scale" << (m_config.fp32SamplingScales.size() > 1 ? "s " : " ");
        for (size_t k = 0; k < m_config.fp32SamplingScales.size(); ++k)
            s << (k ? ", " : "") << m_config.fp32SamplingScales[k]; // numbered as the scale lines above
        s << " (bf16 ones drew worse samples there)\n";
    }
    return s.str();
}

} // namespace pgcn
