#include "metrics.h"

#include "errors.h"
#include "tensorops.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

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


/** The patch subset of an image with n patches: maxPatches of them drawn at random, or all (undefined). */
at::Tensor pickPatches(int64_t n, int maxPatches, at::Generator &gen)
{
    return n > maxPatches ? at::randperm(n, gen, at::kLong).slice(0, 0, maxPatches) : at::Tensor();
}

/**
 * Each row of a contiguous float [R, N] tensor sorted ascending: an LSD radix
 * sort on the floats' order-preserving integer keys, rows in parallel. The
 * values of at::sort (it orders -0 before +0, which compare equal), about
 * twenty times faster here (8192 values a row: at::sort takes ~0.1 s for 256 rows
 * at one thread, most of a patch-SWD).
 */
at::Tensor sortRows(const at::Tensor &x)
{
    const at::Tensor in = x.contiguous();
    const int64_t rows = in.size(0), n = in.size(1);
    at::Tensor out = at::empty_like(in);
    const float *src = in.data_ptr<float>();
    float *dst = out.data_ptr<float>();
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
        std::vector<std::uint32_t> keys(static_cast<size_t>(n)), spare(static_cast<size_t>(n));
        for (int64_t r = begin; r < end; ++r) {
            for (int64_t i = 0; i < n; ++i) {
                std::uint32_t u;
                std::memcpy(&u, src + r * n + i, sizeof u);
                keys[size_t(i)] = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
            }
            for (int shift = 0; shift < 32; shift += 8) {
                std::array<std::uint32_t, 257> start{};
                for (const std::uint32_t k : keys)
                    ++start[((k >> shift) & 0xffu) + 1];
                for (size_t b = 1; b < start.size(); ++b)
                    start[b] += start[b - 1];
                for (const std::uint32_t k : keys)
                    spare[start[(k >> shift) & 0xffu]++] = k;
                keys.swap(spare);
            }
            for (int64_t i = 0; i < n; ++i) {
                const std::uint32_t k = keys[size_t(i)];
                const std::uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
                std::memcpy(dst + r * n + i, &u, sizeof u);
            }
        }
    });
    return out;
}

/**
 * Where the picked patches of a band of height x width lie: for each patch
 * (of side p) and each of its pixels, the pixel's index in the band's rows
 * laid end to end: [n * p * p]. `pick` as pickPatches drew it (undefined: all
 * patches, in im2col's order).
 */
at::Tensor patchPixels(int64_t height, int64_t width, int p, const at::Tensor &pick)
{
    const int64_t cols = width - p + 1, n = (height - p + 1) * cols;
    const at::Tensor at0 = pick.defined() ? pick : at::arange(n, at::kLong);
    const at::Tensor y = at0.div(cols, "floor"), x = at0.remainder(cols);
    const at::Tensor d = at::arange(p, at::kLong);
    const at::Tensor offsets = (d.view({p, 1}) * width + d.view({1, p})).view({1, p * p});
    return ((y * width + x).view({-1, 1}) + offsets).reshape({-1});
}

/**
 * The sorted projections of a band's picked patches: the patches gathered as
 * n small images [n, 3, p, p], normalised per colour channel, and convolved
 * with the directions as filters (through the convolution library: LibTorch's
 * matrix products go to the system BLAS, Debian's reference one, 20x slower
 * here), each direction's values sorted: [P, n].
 */
at::Tensor sortedProjections(const at::Tensor &band, const at::Tensor &pixels, const at::Tensor &mu, const at::Tensor &sd,
                             const at::Tensor &filters)
{
    const int64_t p = filters.size(2);
    at::Tensor x = band.reshape({3, -1}).index_select(1, pixels).view({3, -1, p, p}).permute({1, 0, 2, 3});
    x = ((x - mu.view({1, 3, 1, 1})) / sd.view({1, 3, 1, 1})).contiguous();
    const at::Tensor proj = at::conv2d(x, filters).view({x.size(0), filters.size(0)});
    return sortRows(proj.t());
}

/** Sorted projections ([P, n]) resampled to k quantiles: [P, k]. */
at::Tensor quantiles(const at::Tensor &sorted, int64_t k)
{
    const int64_t n = sorted.size(1);
    if (n == k)
        return sorted;
    const at::Tensor pos = at::linspace(0, double(n - 1), k, at::kDouble);
    const at::Tensor lo = pos.floor().to(at::kLong), hi = pos.ceil().to(at::kLong);
    const at::Tensor w = (pos - lo.to(at::kDouble)).to(sorted.scalar_type()).unsqueeze(0);
    return sorted.index_select(1, lo) * (1 - w) + sorted.index_select(1, hi) * w;
}

} // namespace

std::vector<at::Tensor> laplacianBands(const at::Tensor &x, int levels)
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

namespace {

void checkSwdImage(const at::Tensor &x, const SwdOptions &o)
{
    if (x.dim() != 4 || x.size(0) != 1 || x.size(1) != 3)
        throw InvalidArgument("patchSwd expects [1,3,H,W] images");
    if (std::min(x.size(2), x.size(3)) < o.patch)
        throw InvalidArgument("images are smaller than the SWD patch");
}

} // namespace

PatchSwd::PatchSwd(const at::Tensor &reference, const SwdOptions &options) : m_options(options)
{
    checkSwdImage(reference, options);
    at::NoGradGuard ng;
    m_reference = laplacianBands(reference.detach().to(at::kCPU, at::kFloat), options.levels);
}

void PatchSwd::plan(const std::vector<at::Tensor> &bands)
{
    // The draws in patchSwd's order, level by level: the image's patch subset, the
    // reference's, the directions.
    const SwdOptions &o = m_options;
    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    const size_t levels = std::min(bands.size(), m_reference.size());
    const int dim = 3 * o.patch * o.patch;
    m_levels.clear();
    for (size_t l = 0; l < levels; ++l) {
        Level L;
        const int64_t h = bands[l].size(2), w = bands[l].size(3);
        L.pixels = patchPixels(h, w, o.patch, pickPatches((h - o.patch + 1) * (w - o.patch + 1), o.maxPatches, gen));
        const at::Tensor &ref = m_reference[l];
        const at::Tensor refPixels = patchPixels(ref.size(2), ref.size(3), o.patch,
                                                 pickPatches((ref.size(2) - o.patch + 1) * (ref.size(3) - o.patch + 1), o.maxPatches, gen));
        // Each colour channel normalised by the statistics of the reference's picked patches at this level.
        const at::Tensor perChannel = ref.reshape({3, -1}).index_select(1, refPixels);
        L.mu = perChannel.mean(at::IntArrayRef{1});
        L.sd = perChannel.std(at::IntArrayRef{1}).clamp_min(kMinChannelStd);
        at::Tensor dirs = at::randn({dim, o.projections}, gen, at::kFloat);
        dirs = dirs / dirs.norm(2, 0, true);
        // Direction j as filter j: a patch's values in im2col's order (channel, row, column).
        L.filters = dirs.t().reshape({o.projections, 3, o.patch, o.patch}).contiguous();
        L.sortedRef = sortedProjections(ref, refPixels, L.mu, L.sd, L.filters);
        m_levels.push_back(std::move(L));
    }
    m_height = bands.front().size(2);
    m_width = bands.front().size(3);
}

double PatchSwd::operator()(const at::Tensor &image, std::vector<double> *perLevel)
{
    checkSwdImage(image, m_options);
    at::NoGradGuard ng;
    const auto la = laplacianBands(image.detach().to(at::kCPU, at::kFloat), m_options.levels);
    if (image.size(2) != m_height || image.size(3) != m_width)
        plan(la);
    double total = 0;
    if (perLevel)
        perLevel->clear();
    for (size_t l = 0; l < m_levels.size(); ++l) {
        const Level &L = m_levels[l];
        const at::Tensor sa = sortedProjections(la[l], L.pixels, L.mu, L.sd, L.filters);
        const int64_t k = std::min(sa.size(1), L.sortedRef.size(1));
        const double term = (quantiles(sa, k) - quantiles(L.sortedRef, k)).abs().mean().item<double>();
        total += term;
        if (perLevel)
            perLevel->push_back(1000.0 * term);
    }
    return 1000.0 * total / double(m_levels.size());
}

double patchSwd(const at::Tensor &image, const at::Tensor &reference, const SwdOptions &o, std::vector<double> *perLevel)
{
    return PatchSwd(reference, o)(image, perLevel);
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
