#include "winogradlayer.h"

#include "elu.h"
#include "winograd.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <vector>

namespace pgcn {

namespace {

/** w's transformed weights (winogradWeights) as a float tensor. */
at::Tensor transformed(const at::Tensor &w, bool backwardData)
{
    const at::Tensor dense = w.detach().contiguous();
    const std::int64_t out = w.size(0), in = w.size(1);
    at::Tensor u = at::empty({backwardData ? winogradWeightFloats(out, in) : winogradWeightFloats(in, out)}, dense.options());
    winogradWeights(dense.data_ptr<float>(), out, in, backwardData, u.data_ptr<float>());
    return u;
}

struct ConvElu : public torch::autograd::Function<ConvElu>
{
    static at::Tensor forward(torch::autograd::AutogradContext *ctx, const at::Tensor &x, const at::Tensor &w, const at::Tensor &b)
    {
        at::NoGradGuard noGrad;
        const at::Tensor xc = x.contiguous(at::MemoryFormat::ChannelsLast);
        const std::int64_t n = xc.size(0), c = xc.size(1), h = xc.size(2), wd = xc.size(3), o = w.size(0);
        at::Tensor y = at::empty({n, o, h - 2, wd - 2}, xc.options().memory_format(at::MemoryFormat::ChannelsLast));
        const at::Tensor u = transformed(w, false), bias = b.detach().contiguous();
        winogradConv3x3(xc.data_ptr<float>(), nullptr, n, h, wd, c, 0, u.data_ptr<float>(), bias.data_ptr<float>(), o, true,
                        y.data_ptr<float>());
        ctx->save_for_backward({xc, w, y});
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &w = saved[1], &y = saved[2];
        const at::Tensor g = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
        at::Tensor gx, gw, gb;
        if (ctx->needs_input_grad(0)) {
            // Back through the ELU (read from its output) and the convolution at once: pad 2, the kernel rotated.
            const std::int64_t n = g.size(0), o = g.size(1), h = g.size(2), wd = g.size(3), c = w.size(1);
            gx = at::empty({n, c, h + 2, wd + 2}, g.options().memory_format(at::MemoryFormat::ChannelsLast));
            const at::Tensor u = transformed(w, true);
            winogradConv3x3(g.data_ptr<float>(), y.data_ptr<float>(), n, h, wd, o, 2, u.data_ptr<float>(), nullptr, c, false,
                            gx.data_ptr<float>());
        }
        if (ctx->needs_input_grad(1)) {
            gw = at::empty(w.sizes(), w.options());
            winogradWeightGradient(x.data_ptr<float>(), g.data_ptr<float>(), y.data_ptr<float>(), x.size(0), x.size(2), x.size(3),
                                   x.size(1), w.size(0), gw.data_ptr<float>());
        }
        if (ctx->needs_input_grad(2))
            gb = eluBackwardFromResult(g, y).sum({0, 2, 3});
        return {gx, gw, gb};
    }
};

} // namespace

bool winogradLayerFits(const at::Tensor &x, const at::Tensor &w)
{
    return x.defined() && w.defined() && x.device().is_cpu() && w.device().is_cpu() && x.scalar_type() == at::kFloat
           && w.scalar_type() == at::kFloat && x.dim() == 4 && w.dim() == 4 && w.size(2) == 3 && w.size(3) == 3
           && x.size(1) == w.size(1) && x.size(2) >= 3 && x.size(3) >= 3 && winogradFits(w.size(1), w.size(0));
}

at::Tensor winogradConvElu(const at::Tensor &x, const at::Tensor &w, const at::Tensor &b)
{
    return ConvElu::apply(x, w, b);
}

} // namespace pgcn
