#include "energynet.h"

#include "elu.h"
#include "runtime.h"
#include "winogradlayer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

namespace pgcn {

namespace {
at::Tensor l2normalize(const at::Tensor &v)
{
    return v / (v.norm() + 1e-12);
}
} // namespace

EnergyNetImpl::EnergyNetImpl(std::vector<int> channels, double initStd, int inChannels)
    : m_channels(std::move(channels))
{
    TORCH_CHECK(!m_channels.empty(), "EnergyNet needs at least one layer");
    int in = inChannels;
    for (size_t i = 0; i < m_channels.size(); ++i) {
        const int out = m_channels[i];
        const auto idx = std::to_string(i);
        m_w.push_back(register_parameter("w" + idx, at::randn({out, in, 3, 3}) * initStd));
        m_b.push_back(register_parameter("b" + idx, at::zeros({out})));
        if (int(i) < kNormalisedLayers && i + 1 < m_channels.size())
            m_u.push_back(register_buffer("u" + idx, l2normalize(at::randn({out}))));
        in = out;
    }
}

void EnergyNetImpl::initialise(const std::function<at::Tensor(at::IntArrayRef)> &normal, double initStd)
{
    at::NoGradGuard noGrad;
    for (auto &w : m_w)
        w.copy_(normal(w.sizes()) * initStd);
    for (auto &b : m_b)
        b.zero_();
    for (auto &u : m_u)
        u.copy_(l2normalize(normal(u.sizes())));
}

void EnergyNetImpl::copyFrom(EnergyNetImpl &other)
{
    TORCH_CHECK(other.m_channels == m_channels, "copyFrom needs equal widths");
    at::NoGradGuard noGrad;
    for (size_t i = 0; i < m_w.size(); ++i) {
        m_w[i].copy_(other.m_w[i]);
        m_b[i].copy_(other.m_b[i]);
    }
    for (size_t i = 0; i < m_u.size(); ++i)
        m_u[i].copy_(other.m_u[i]);
}

at::Tensor EnergyNetImpl::normalisedWeight(int layer, bool update)
{
    if (layer >= int(m_u.size()))
        return m_w[layer];
    const at::Tensor &w = m_w[layer];
    const auto mat = w.view({w.size(0), -1});
    at::Tensor u, v;
    {
        at::NoGradGuard noGrad;
        u = m_u[layer];
        v = l2normalize(at::mv(mat.t(), u));
        if (update) {
            u = l2normalize(at::mv(mat, v));
            m_u[layer].copy_(u);
        }
    }
    const auto sigma = at::dot(u, at::mv(mat, v));
    return w / sigma;
}

at::Tensor EnergyNetImpl::sigma(int layer)
{
    at::NoGradGuard noGrad;
    const at::Tensor &w = m_w[layer];
    const auto mat = w.view({w.size(0), -1});
    const auto v = l2normalize(at::mv(mat.t(), m_u.at(layer)));
    return at::dot(m_u[layer], at::mv(mat, v));
}

at::Tensor EnergyNetImpl::forward(const at::Tensor &x)
{
    // bf16: the input, each normalised weight and bias cast (autograd carries the gradients
    // back to the fp32 parameters), channels-last as the chains' convolutions.
    const bool low = m_compute != at::kFloat;
    at::Tensor h = low ? x.to(m_compute).contiguous(at::MemoryFormat::ChannelsLast) : x;
    const int n = layers();
    for (int i = 0; i < n; ++i) {
        const at::Tensor w = normalisedWeight(i, is_training());
        if (!low && i + 1 < n && winogradLayerFits(h, w)) {
            h = winogradConvElu(h, w, m_b[i]); // the inner 32-channel layers on a CPU without AVX-512 (winograd.h)
            continue;
        }
        h = low ? at::conv2d(h, w.to(m_compute), m_b[i].to(m_compute)) : at::conv2d(h, w, m_b[i]);
        if (i + 1 < n)
            h = at::elu(h);
    }
    return low ? h.to(x.scalar_type()) : h;
}

std::vector<at::Tensor> EnergyNetImpl::frozenWeights()
{
    // The chains compute in bfloat16 where the precision says so (runtime.h, chainType); training's own forward stays fp32.
    return frozenWeights(m_w.empty() ? at::kFloat : chainType(m_w.front().device()));
}

std::vector<at::Tensor> EnergyNetImpl::frozenWeights(at::ScalarType type)
{
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> out;
    for (int i = 0; i < layers(); ++i) {
        out.push_back(normalisedWeight(i, false).detach().to(type).contiguous(at::MemoryFormat::ChannelsLast));
        out.push_back(m_b[i].detach().to(type).contiguous());
    }
    return out;
}

at::Tensor EnergyNetImpl::energyMap(const at::Tensor &x, const std::vector<at::Tensor> &frozen, std::vector<at::Tensor> *inputs)
{
    // Inputs follow the weights' type (fp32, or bf16 chains); the map is handed back as fp32.
    at::Tensor h = frozen.empty() || x.scalar_type() == frozen.front().scalar_type() ? x : x.to(frozen.front().scalar_type());
    const size_t n = frozen.size() / 2;
    for (size_t i = 0; i < n; ++i) {
        if (inputs)
            inputs->push_back(h);
        h = at::conv2d(h, frozen[2 * i], frozen[2 * i + 1]);
        if (i + 1 < n)
            h = eluForward(h); // written out on the CPU (elu.h): the chains' activations
    }
    return h.scalar_type() == x.scalar_type() ? h : h.to(x.scalar_type());
}

} // namespace pgcn
