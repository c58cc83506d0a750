#include "directchain.h"

#include "elu.h"
#include "winograd.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <atomic>
#include <cstdlib>

#ifdef PATCHGENCN_DNNL
#include <oneapi/dnnl/dnnl.hpp>

#include <list>
#include <map>
#include <memory>
#include <string>
#endif

namespace pgcn {

namespace {
std::atomic<bool> g_directChains{std::getenv("PATCHGENCN_NO_DIRECT_CHAINS") == nullptr};
} // namespace

bool directChains()
{
#ifdef PATCHGENCN_DNNL
    return g_directChains.load();
#else
    return false;
#endif
}

void setDirectChains(bool on)
{
    g_directChains = on;
}

#ifdef PATCHGENCN_DNNL

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

/** One layer's primitives for one input shape: the forward convolution (ELU fused but at the last layer) and its backward-data. */
struct Layer
{
    dnnl::memory::desc src, dst, userWeights, bias;
    dnnl::convolution_forward fwd;          // not made for the last layer (the map itself is never needed)
    dnnl::convolution_backward_data bwd;
    dnnl::memory::desc fwdWeights, bwdWeights;
    dnnl::reorder toFwd, toBwd;             // the user's weights into fwdWeights (not at the last layer) and bwdWeights
};

struct Primitives
{
    std::vector<Layer> layers;
};

/** oneDNN's CPU engine and a stream, per thread (the primitives below are this thread's too). */
struct Engine
{
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream strm{eng};
};

Engine &threadEngine()
{
    thread_local Engine e;
    return e;
}

struct Shape
{
    dt type;
    int64_t n, h, w;
    std::vector<std::array<int64_t, 4>> layers; // out, in, kh, kw
};

std::string keyOf(const Shape &s)
{
    std::string k = std::to_string(int(s.type)) + ':' + std::to_string(s.n) + 'x' + std::to_string(s.h) + 'x' + std::to_string(s.w);
    for (const auto &l : s.layers)
        k += '|' + std::to_string(l[0]) + ',' + std::to_string(l[1]) + ',' + std::to_string(l[2]) + ',' + std::to_string(l[3]);
    return k;
}

std::shared_ptr<const Primitives> build(const Shape &s, Engine &e)
{
    auto p = std::make_shared<Primitives>();
    int64_t h = s.h, w = s.w;
    const size_t n = s.layers.size();
    for (size_t i = 0; i < n; ++i) {
        const auto [out, in, kh, kw] = s.layers[i];
        Layer l;
        l.src = dnnl::memory::desc(dims{s.n, in, h, w}, s.type, tag::nhwc);
        h -= kh - 1;
        w -= kw - 1;
        l.dst = dnnl::memory::desc(dims{s.n, out, h, w}, s.type, tag::nhwc);
        l.userWeights = dnnl::memory::desc(dims{out, in, kh, kw}, s.type, tag::ohwi); // channels-last OIHW
        l.bias = dnnl::memory::desc(dims{out}, s.type, tag::a);
        const dnnl::memory::desc anyWeights(dims{out, in, kh, kw}, s.type, tag::any);
        dnnl::primitive_attr attr;
        if (i + 1 < n) {
            dnnl::post_ops ops;
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_elu, 1.0f, 0.0f);
            attr.set_post_ops(ops);
        }
        const dims one{1, 1}, zero{0, 0};
        const dnnl::convolution_forward::primitive_desc fpd(
            dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, l.src,
                                            anyWeights, l.bias, l.dst, one, zero, zero),
            attr, e.eng);
        const dnnl::convolution_backward_data::primitive_desc bpd(
            dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, l.src, anyWeights, l.dst, one, zero,
                                                  zero),
            e.eng, fpd);
        if (i + 1 < n)
            l.fwd = dnnl::convolution_forward(fpd);
        l.bwd = dnnl::convolution_backward_data(bpd);
        l.fwdWeights = fpd.weights_desc();
        l.bwdWeights = bpd.weights_desc();
        if (i + 1 < n)
            l.toFwd = dnnl::reorder(dnnl::reorder::primitive_desc(e.eng, l.userWeights, e.eng, l.fwdWeights));
        l.toBwd = dnnl::reorder(dnnl::reorder::primitive_desc(e.eng, l.userWeights, e.eng, l.bwdWeights));
        p->layers.push_back(std::move(l));
    }
    return p;
}

/** This thread's primitives for a shape, made on first use (the last 32 shapes kept). */
std::shared_ptr<const Primitives> primitivesFor(const Shape &s, Engine &e)
{
    thread_local std::map<std::string, std::shared_ptr<const Primitives>> cache;
    thread_local std::list<std::string> order; // most recent first
    const std::string key = keyOf(s);
    auto it = cache.find(key);
    if (it != cache.end()) {
        order.remove(key);
        order.push_front(key);
        return it->second;
    }
    auto p = build(s, e);
    cache.emplace(key, p);
    order.push_front(key);
    while (order.size() > 32) {
        cache.erase(order.back());
        order.pop_back();
    }
    return p;
}

dnnl::memory wrap(const dnnl::memory::desc &md, const at::Tensor &t, Engine &e)
{
    return dnnl::memory(md, e.eng, t.data_ptr());
}

/** A chain's state: the primitives, its weights in their layouts, its buffers and the constant last-layer gradient. */
struct Chain
{
    std::shared_ptr<const Primitives> prims;
    std::vector<dnnl::memory> fwdWeights, bwdWeights, biases;
    std::vector<at::Tensor> keep;    // the tensors the bias memories point into
    std::vector<at::Tensor> acts;    // each layer's input: the chain state in the weights' type, then the ELU outputs
    std::vector<at::Tensor> grads;   // the gradient w.r.t. each inner layer's input (buffers)
    at::Tensor lastGrad;             // d(weighted map)/d(last layer's input): the map's weight back through a linear layer
    // fp32 layers whose channel counts fit winograd.h's kernels (on a CPU that runs them) go through
    // them instead of oneDNN: their transformed weights, forward and backward (empty: oneDNN).
    // (The forward's bias is keep[i].)
    std::vector<std::vector<float>> winoFwd, winoBwd;

    static int64_t dim(const dnnl::memory::desc &md, int i) { return md.dims()[size_t(i)]; }

    at::Tensor operator()(const at::Tensor &x)
    {
        at::NoGradGuard noGrad;
        Engine &e = threadEngine();
        const auto &layers = prims->layers;
        const size_t n = layers.size();
        if (n == 1)
            return lastGrad.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true).contiguous();
        acts[0].copy_(x);
        for (size_t i = 0; i + 1 < n; ++i) {
            const Layer &l = layers[i];
            if (!winoFwd[i].empty())
                winogradConv3x3(acts[i].data_ptr<float>(), nullptr, dim(l.src, 0), dim(l.src, 2), dim(l.src, 3), dim(l.src, 1), 0,
                                winoFwd[i].data(), keep[i].data_ptr<float>(), dim(l.dst, 1), true,
                                acts[i + 1].data_ptr<float>());
            else
                l.fwd.execute(e.strm, {{DNNL_ARG_SRC, wrap(l.src, acts[i], e)},
                                       {DNNL_ARG_WEIGHTS, fwdWeights[i]},
                                       {DNNL_ARG_BIAS, biases[i]},
                                       {DNNL_ARG_DST, wrap(l.dst, acts[i + 1], e)}});
        }
        at::Tensor g = lastGrad;
        at::Tensor out;
        for (size_t i = n - 1; i-- > 0;) {
            // Through the ELU whose output was layer i+1's input, then back through layer i.
            const Layer &l = layers[i];
            const at::Tensor &dst = i > 0 ? grads[i] : (out = at::empty_like(acts[0]));
            if (!winoBwd[i].empty()) {
                winogradConv3x3(g.data_ptr<float>(), acts[i + 1].data_ptr<float>(), dim(l.dst, 0), dim(l.dst, 2), dim(l.dst, 3),
                                dim(l.dst, 1), 2, winoBwd[i].data(), nullptr, dim(l.src, 1), false, dst.data_ptr<float>());
            } else {
                const at::Tensor gi = eluBackwardFromResult(g, acts[i + 1]).contiguous(at::MemoryFormat::ChannelsLast);
                l.bwd.execute(e.strm, {{DNNL_ARG_DIFF_DST, wrap(l.dst, gi, e)},
                                       {DNNL_ARG_WEIGHTS, bwdWeights[i]},
                                       {DNNL_ARG_DIFF_SRC, wrap(l.src, dst, e)}});
            }
            g = dst;
        }
        return out.scalar_type() == at::kFloat ? out : out.to(at::kFloat);
    }
};

} // namespace

GradientFn directEnergyGradient(const std::vector<at::Tensor> &frozen, const at::Tensor &xPadded, const at::Tensor &mapWeight)
{
    if (!directChains() || frozen.size() < 2 || frozen.size() % 2 != 0 || !xPadded.defined() || !xPadded.device().is_cpu()
        || xPadded.dim() != 4 || xPadded.scalar_type() != at::kFloat)
        return {};
    const at::ScalarType type = frozen.front().scalar_type();
    if (type != at::kFloat && type != at::kBFloat16)
        return {};
    Shape shape{type == at::kFloat ? dt::f32 : dt::bf16, xPadded.size(0), xPadded.size(2), xPadded.size(3), {}};
    int64_t channels = xPadded.size(1), h = shape.h, w = shape.w;
    for (size_t i = 0; i < frozen.size(); i += 2) {
        const at::Tensor &wt = frozen[i], &b = frozen[i + 1];
        if (!wt.device().is_cpu() || wt.scalar_type() != type || wt.dim() != 4 || wt.size(1) != channels || !b.defined()
            || b.dim() != 1 || b.size(0) != wt.size(0) || !b.device().is_cpu())
            return {};
        h -= wt.size(2) - 1;
        w -= wt.size(3) - 1;
        if (h < 1 || w < 1)
            return {};
        shape.layers.push_back({wt.size(0), wt.size(1), wt.size(2), wt.size(3)});
        channels = wt.size(0);
    }
    if (mapWeight.defined() && (!mapWeight.device().is_cpu() || mapWeight.dim() != 4))
        return {};

    at::NoGradGuard noGrad;
    Engine &e = threadEngine();
    auto chain = std::make_shared<Chain>();
    try {
        chain->prims = primitivesFor(shape, e);
        const auto &layers = chain->prims->layers;
        const auto opts = at::TensorOptions().dtype(type);
        for (size_t i = 0; i < layers.size(); ++i) {
            const at::Tensor wt = frozen[2 * i].contiguous(at::MemoryFormat::ChannelsLast);
            dnnl::memory user(layers[i].userWeights, e.eng, wt.data_ptr());
            dnnl::memory bw(layers[i].bwdWeights, e.eng);
            layers[i].toBwd.execute(e.strm, user, bw);
            chain->bwdWeights.push_back(bw);
            if (i + 1 < layers.size()) { // the last layer runs backward only (its map is never needed)
                const at::Tensor b = frozen[2 * i + 1].to(type).contiguous();
                dnnl::memory fw(layers[i].fwdWeights, e.eng);
                layers[i].toFwd.execute(e.strm, user, fw);
                chain->fwdWeights.push_back(fw);
                chain->keep.push_back(b);
                chain->biases.push_back(wrap(layers[i].bias, b, e));
            }
            // winograd.h's kernels for this layer where they fit (fp32, 3x3, channels in multiples of 8):
            // forward for every layer but the last, backward for every layer but the last (whose part is lastGrad).
            const int64_t out = wt.size(0), in = wt.size(1);
            const bool wino = type == at::kFloat && wt.size(2) == 3 && wt.size(3) == 3 && i + 1 < layers.size();
            const at::Tensor dense = frozen[2 * i].contiguous(); // out x in x 3 x 3 (the tensor itself when it is already)
            chain->winoFwd.emplace_back();
            chain->winoBwd.emplace_back();
            if (wino && winogradFits(in, out)) {
                chain->winoFwd.back().resize(size_t(winogradWeightFloats(in, out)));
                winogradWeights(dense.data_ptr<float>(), out, in, false, chain->winoFwd.back().data());
            }
            if (wino && winogradFits(out, in)) {
                chain->winoBwd.back().resize(size_t(winogradWeightFloats(out, in)));
                winogradWeights(dense.data_ptr<float>(), out, in, true, chain->winoBwd.back().data());
            }
            chain->acts.push_back(at::empty(layers[i].src.dims(), opts, at::MemoryFormat::ChannelsLast));
            chain->grads.push_back(i > 0 ? at::empty_like(chain->acts.back()) : at::Tensor());
        }
        // d(sum of the weighted map)/d(map) is the weight (or one): back through the last layer once for the chain.
        const Layer &last = layers.back();
        const auto &md = last.dst.dims();
        at::Tensor seed = mapWeight.defined()
                              ? mapWeight.to(type).expand({md[0], md[1], md[2], md[3]}).contiguous(at::MemoryFormat::ChannelsLast)
                              : at::ones({md[0], md[1], md[2], md[3]}, opts).contiguous(at::MemoryFormat::ChannelsLast);
        chain->lastGrad = at::empty_like(chain->acts.back());
        last.bwd.execute(e.strm, {{DNNL_ARG_DIFF_DST, wrap(last.dst, seed, e)},
                                  {DNNL_ARG_WEIGHTS, chain->bwdWeights.back()},
                                  {DNNL_ARG_DIFF_SRC, wrap(last.src, chain->lastGrad, e)}});
        e.strm.wait();
    } catch (const std::exception &) {
        // A shape or type this oneDNN has no implementation for (dnnl::error), or a map weight of
        // another shape: LibTorch's path, which computes it or says what is wrong.
        return {};
    }
    return [chain](const at::Tensor &x) { return (*chain)(x); };
}

#else

GradientFn directEnergyGradient(const std::vector<at::Tensor> &, const at::Tensor &, const at::Tensor &)
{
    return {};
}

#endif

} // namespace pgcn
