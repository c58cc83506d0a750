#include "metrics.h"

#include "errors.h"
#include "tensorops.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>

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

namespace {

/** Phase frequency (cycles per pixel, in [0, 0.5]) of an enlargement from `from` to `to` pixels. */
double phaseFrequency(int from, int to)
{
    const double f = double(from) / double(to);
    const double frac = f - std::floor(f);
    return std::min(frac, 1.0 - frac);
}

/** The grid ratio along the rows of `a` ([H, W], double): see enlargementGrid. Negative when not measured. */
double gridAlongRows(const at::Tensor &a, double f)
{
    const int64_t h = a.size(0);
    if (h < 32 || f < 0.1)
        return -1.0;
    const at::Tensor d = a.slice(0, 2) - 2 * a.slice(0, 1, h - 1) + a.slice(0, 0, h - 2);
    at::Tensor e = d.pow(2).mean(1);
    e = (e - e.mean()).contiguous();
    const int64_t n = e.size(0);
    const double pi = 3.14159265358979323846;
    const double *v = e.data_ptr<double>();
    std::vector<double> windowed(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        windowed[size_t(i)] = v[i] * (0.5 - 0.5 * std::cos(2 * pi * double(i) / double(n - 1)));
    double peak = 0;
    std::vector<double> band;
    for (int64_t k = 0; k <= n / 2; ++k) {
        const double fk = double(k) / double(n);
        const bool atPeak = std::abs(fk - f) < 0.012, inBand = fk > 0.1 && std::abs(fk - f) > 0.04;
        if (!atPeak && !inBand)
            continue;
        double re = 0, im = 0;
        for (int64_t i = 0; i < n; ++i) {
            const double t = 2 * pi * double(k) * double(i) / double(n);
            re += windowed[size_t(i)] * std::cos(t);
            im -= windowed[size_t(i)] * std::sin(t);
        }
        const double p = re * re + im * im;
        if (atPeak)
            peak = std::max(peak, p);
        else
            band.push_back(p);
    }
    if (band.empty())
        return -1.0;
    std::nth_element(band.begin(), band.begin() + band.size() / 2, band.end());
    return peak / std::max(1e-300, band[band.size() / 2]);
}

} // namespace

double enlargementGrid(const at::Tensor &image, int fromHeight, int fromWidth)
{
    if (!image.defined() || image.dim() != 4 || image.size(0) != 1 || image.size(1) != 3)
        throw InvalidArgument("expected one RGB image of shape [1, 3, H, W]");
    if (fromHeight < 1 || fromWidth < 1)
        throw InvalidArgument("the enlargement's source size must be positive");
    at::NoGradGuard ng;
    const at::Tensor g = image.detach().to(at::kCPU, at::kDouble).mean(1)[0]; // [H, W] grey
    const double rows = gridAlongRows(g, phaseFrequency(fromHeight, int(g.size(0))));
    const double cols = gridAlongRows(g.t().contiguous(), phaseFrequency(fromWidth, int(g.size(1))));
    if (rows < 0 && cols < 0)
        return 0.0;
    if (rows < 0 || cols < 0)
        return std::max(rows, cols);
    return 0.5 * (rows + cols);
}

} // namespace pgcn
