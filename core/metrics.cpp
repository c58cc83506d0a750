#include "metrics.h"

#include "errors.h"
#include "tensorops.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>

namespace pgcn {

namespace {

/**
 * Floor of the per-channel spread that patches are normalised by: a channel
 * with (almost) no spread in the reference, as in a flat or two-colour image,
 * would otherwise turn rounding differences into scores of 1e9. A quarter of
 * one 8-bit level in [-1, 1] units; photographs' Laplacian bands spread far
 * more (the SIGD16 scores are unchanged by it).
 */
constexpr double kMinChannelStd = 2e-3;

std::vector<at::Tensor> laplacian(const at::Tensor &x, int levels)
{
    std::vector<at::Tensor> out;
    at::Tensor g = x;
    for (int l = 0; l < levels; ++l) {
        const bool last = l + 1 == levels || g.size(2) < 16 || g.size(3) < 16;
        if (last) {
            out.push_back(g);
            break;
        }
        const at::Tensor small = resizeImage(g, (g.size(2) + 1) / 2, (g.size(3) + 1) / 2);
        out.push_back(g - resizeImage(small, g.size(2), g.size(3)));
        g = small;
    }
    return out;
}

at::Tensor patches(const at::Tensor &x, int patch, int maxPatches, at::Generator &gen)
{
    at::Tensor cols = at::im2col(x, {patch, patch}, {1, 1}, {0, 0}, {1, 1})[0].t(); // [N, C*p*p]
    if (cols.size(0) > maxPatches) {
        const at::Tensor idx = at::randperm(cols.size(0), gen, at::kLong).slice(0, 0, maxPatches);
        cols = cols.index_select(0, idx);
    }
    return cols.contiguous();
}

/** Sorted projections resampled to k quantiles: [k, P]. */
at::Tensor quantiles(const at::Tensor &sorted, int64_t k)
{
    const int64_t n = sorted.size(0);
    if (n == k)
        return sorted;
    const at::Tensor pos = at::linspace(0, double(n - 1), k, at::kDouble);
    const at::Tensor lo = pos.floor().to(at::kLong), hi = pos.ceil().to(at::kLong);
    const at::Tensor w = (pos - lo.to(at::kDouble)).to(sorted.scalar_type()).unsqueeze(1);
    return sorted.index_select(0, lo) * (1 - w) + sorted.index_select(0, hi) * w;
}

} // namespace

double patchSwd(const at::Tensor &image, const at::Tensor &reference, const SwdOptions &o, std::vector<double> *perLevel)
{
    if (image.dim() != 4 || reference.dim() != 4 || image.size(1) != 3 || reference.size(1) != 3)
        throw InvalidArgument("patchSwd expects [1,3,H,W] images");
    if (std::min({image.size(2), image.size(3), reference.size(2), reference.size(3)}) < o.patch)
        throw InvalidArgument("images are smaller than the SWD patch");
    at::NoGradGuard ng;
    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    const auto la = laplacian(image.detach().to(at::kCPU, at::kFloat), o.levels);
    const auto lb = laplacian(reference.detach().to(at::kCPU, at::kFloat), o.levels);
    const size_t levels = std::min(la.size(), lb.size());
    const int dim = 3 * o.patch * o.patch;
    double total = 0;
    if (perLevel)
        perLevel->clear();
    for (size_t l = 0; l < levels; ++l) {
        at::Tensor pa = patches(la[l], o.patch, o.maxPatches, gen);
        at::Tensor pb = patches(lb[l], o.patch, o.maxPatches, gen);
        // Normalise each colour channel by the reference's statistics at this level.
        const at::Tensor perChannel = pb.view({pb.size(0), 3, -1}).transpose(0, 1).reshape({3, -1});
        const at::Tensor mu = perChannel.mean(at::IntArrayRef{1}).view({1, 3, 1});
        const at::Tensor sd = perChannel.std(at::IntArrayRef{1}).clamp_min(kMinChannelStd).view({1, 3, 1});
        pa = ((pa.view({pa.size(0), 3, -1}) - mu) / sd).view({pa.size(0), dim});
        pb = ((pb.view({pb.size(0), 3, -1}) - mu) / sd).view({pb.size(0), dim});
        at::Tensor dirs = at::randn({dim, o.projections}, gen, at::kFloat);
        dirs = dirs / dirs.norm(2, 0, true);
        const at::Tensor sa = std::get<0>(at::matmul(pa, dirs).sort(0));
        const at::Tensor sb = std::get<0>(at::matmul(pb, dirs).sort(0));
        const int64_t k = std::min(sa.size(0), sb.size(0));
        const double term = (quantiles(sa, k) - quantiles(sb, k)).abs().mean().item<double>();
        total += term;
        if (perLevel)
            perLevel->push_back(1000.0 * term);
    }
    return 1000.0 * total / double(levels);
}

double diversity(const std::vector<at::Tensor> &samples, const at::Tensor &reference)
{
    if (samples.size() < 2)
        throw InvalidArgument("diversity needs at least two samples");
    const at::Tensor s = at::cat(samples).to(at::kCPU, at::kFloat);
    const double refStd = reference.to(at::kCPU, at::kFloat).std().item<double>();
    return s.std(0).mean().item<double>() / std::max(1e-8, refStd);
}

} // namespace pgcn
