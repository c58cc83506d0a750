#include "errors.h"
#include "metrics.h"
#include "tensorops.h"

#include <QTest>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <vector>

using namespace pgcn;

namespace {

/** A 64x64 texture with structure at several scales (stripes, blobs, fine grain), in [-1, 1]. */
at::Tensor texture(std::uint64_t seed, int64_t h = 64, int64_t w = 64)
{
    at::manual_seed(seed);
    const at::Tensor y = at::arange(h, at::kFloat).view({h, 1}), x = at::arange(w, at::kFloat).view({1, w});
    at::Tensor r = 0.5 * at::sin(x * 0.45 + y * 0.1);
    at::Tensor g = 0.4 * at::sin(y * 0.3) * at::cos(x * 0.2);
    at::Tensor b = 0.3 * at::cos((x + y) * 0.15);
    at::Tensor img = at::stack({r, g, b}).unsqueeze(0);
    const at::Tensor grain = at::rand({1, 3, h / 8, w / 8}) - 0.5;
    img = img + at::upsample_bilinear2d(grain, {h, w}, false) + 0.05 * at::randn({1, 3, h, w});
    return img.clamp(-1, 1);
}

/**
 * patch-SWD as metrics.h defines it, the obvious way: every band's patches as
 * rows (im2col) of the same bands, the same random subsets and directions drawn in the same
 * order, a matrix product and at::sort. The engine's gathers, convolution and
 * radix sort must give the same numbers.
 */
double plainPatchSwd(const at::Tensor &a, const at::Tensor &b, const SwdOptions &o = {})
{
    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    const auto la = laplacianBands(a, o.levels), lb = laplacianBands(b, o.levels);
    const size_t levels = std::min(la.size(), lb.size());
    auto patchRows = [&](const at::Tensor &x) {
        at::Tensor cols = at::im2col(x, {o.patch, o.patch}, {1, 1}, {0, 0}, {1, 1})[0].t();
        if (cols.size(0) > o.maxPatches)
            cols = cols.index_select(0, at::randperm(cols.size(0), gen, at::kLong).slice(0, 0, o.maxPatches));
        return cols.contiguous();
    };
    auto quantiles = [](const at::Tensor &sorted, int64_t k) {
        const int64_t n = sorted.size(0);
        if (n == k)
            return sorted;
        const at::Tensor pos = at::linspace(0, double(n - 1), k, at::kDouble);
        const at::Tensor lo = pos.floor().to(at::kLong), hi = pos.ceil().to(at::kLong);
        const at::Tensor w = (pos - lo.to(at::kDouble)).to(at::kFloat).unsqueeze(1);
        return sorted.index_select(0, lo) * (1 - w) + sorted.index_select(0, hi) * w;
    };
    double total = 0;
    for (size_t l = 0; l < levels; ++l) {
        at::Tensor pa = patchRows(la[l]), pb = patchRows(lb[l]);
        const at::Tensor perChannel = pb.view({pb.size(0), 3, -1}).transpose(0, 1).reshape({3, -1});
        const at::Tensor mu = perChannel.mean(at::IntArrayRef{1}).view({1, 3, 1});
        const at::Tensor sd = perChannel.std(at::IntArrayRef{1}).clamp_min(2e-3).view({1, 3, 1});
        const int64_t dim = pa.size(1);
        pa = ((pa.view({pa.size(0), 3, -1}) - mu) / sd).view({pa.size(0), dim});
        pb = ((pb.view({pb.size(0), 3, -1}) - mu) / sd).view({pb.size(0), dim});
        at::Tensor dirs = at::randn({dim, o.projections}, gen, at::kFloat);
        dirs = dirs / dirs.norm(2, 0, true);
        const at::Tensor sa = std::get<0>(at::matmul(pa, dirs).sort(0));
        const at::Tensor sb = std::get<0>(at::matmul(pb, dirs).sort(0));
        const int64_t k = std::min(sa.size(0), sb.size(0));
        total += (quantiles(sa, k) - quantiles(sb, k)).abs().mean().item<double>();
    }
    return 1000.0 * total / double(levels);
}

} // namespace

/** Quality measures of algorithm.md §6: patch-SWD and diversity, on images with known relations. */
class TestMetrics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void identicalImagesScoreZero()
    {
        // Fewer patches than the draw limit: both sets are the same, so every quantile matches.
        const at::Tensor x = texture(1);
        QCOMPARE(patchSwd(x, x), 0.0);
    }

    void matchesThePlainComputation_data()
    {
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("refH");
        QTest::addColumn<int>("refW");
        QTest::addColumn<int>("maxPatches");
        QTest::newRow("same size, every patch") << 40 << 48 << 40 << 48 << 8192;
        QTest::newRow("same size, drawn subsets") << 120 << 100 << 120 << 100 << 2000;
        QTest::newRow("other sizes, quantiles") << 70 << 90 << 50 << 64 << 8192;
        QTest::newRow("other sizes, subsets") << 96 << 130 << 110 << 80 << 3000;
        QTest::newRow("small, one level") << 12 << 30 << 20 << 20 << 8192;
    }

    void matchesThePlainComputation()
    {
        QFETCH(int, h);
        QFETCH(int, w);
        QFETCH(int, refH);
        QFETCH(int, refW);
        QFETCH(int, maxPatches);
        SwdOptions o;
        o.maxPatches = maxPatches;
        o.projections = 64;
        const at::Tensor ref = texture(3, refH, refW);
        PatchSwd cached(ref, o);
        for (std::uint64_t seed : {4, 5, 6}) {
            // A texture, and one with values at and around zero and both bounds (the radix keys' edge cases).
            at::Tensor img = texture(seed, h, w);
            if (seed == 6)
                img = (img * 3).round().clamp(-1, 1) * (seed % 2 ? 1.0 : -1.0);
            const double plain = plainPatchSwd(img, ref, o), d = patchSwd(img, ref, o);
            QVERIFY2(plain > 1.0, qPrintable(QString::number(plain)));
            QVERIFY2(std::abs(d - plain) <= 1e-4 * plain, qPrintable(QStringLiteral("%1 against %2").arg(d).arg(plain)));
            // One reference for many images: the same numbers, bit for bit.
            QCOMPARE(cached(img), d);
        }
        // Another image size re-plans the draws as patchSwd would.
        const at::Tensor other = texture(7, h + 5, w + 3);
        QCOMPARE(cached(other), patchSwd(other, ref, o));
    }

    void scoreGrowsWithNoise()
    {
        const at::Tensor x = texture(2);
        at::manual_seed(7);
        const at::Tensor n = at::randn_like(x);
        double previous = 0;
        for (double s : {0.02, 0.05, 0.1, 0.2, 0.4}) {
            const double d = patchSwd((x + s * n).clamp(-1, 1), x);
            QVERIFY2(d > previous * 1.2, qPrintable(QStringLiteral("noise %1: %2 after %3").arg(s).arg(d).arg(previous)));
            previous = d;
        }
    }

    void samePatchesElsewhereScoreLowerThanChangedPatches()
    {
        // patch-SWD compares patch distributions, not pixels: the same texture
        // drawn again (another seed of its grain) or shifted scores far lower
        // than a blurred copy of the image itself, which has the same layout
        // but other patches.
        const at::Tensor x = texture(3, 96, 96);
        const at::Tensor crop = x.slice(2, 16, 80).slice(3, 16, 80);
        const at::Tensor shifted = x.slice(2, 0, 64).slice(3, 32, 96);
        const at::Tensor blurred = resizeImage(resizeImage(crop, 16, 16), 64, 64);
        const double dShift = patchSwd(shifted, crop), dBlur = patchSwd(blurred, crop);
        QVERIFY2(dShift * 3 < dBlur, qPrintable(QStringLiteral("shifted %1, blurred %2").arg(dShift).arg(dBlur)));
        const double dRedraw = patchSwd(texture(4, 96, 96).slice(2, 16, 80).slice(3, 16, 80), crop);
        QVERIFY2(dRedraw * 2 < dBlur, qPrintable(QStringLiteral("redrawn %1, blurred %2").arg(dRedraw).arg(dBlur)));
    }

    void levelsSayWhichBandDiffers()
    {
        // The per-level terms average to the score; fine grain shows in the
        // finest band, a colour cast in the low-pass level.
        const at::Tensor x = texture(5, 96, 96);
        at::manual_seed(11);
        const at::Tensor grainy = (x + 0.15 * at::randn_like(x)).clamp(-1, 1);
        const at::Tensor cast = (x + at::tensor({0.3f, -0.2f, 0.0f}).view({1, 3, 1, 1})).clamp(-1, 1);
        std::vector<double> g, c;
        const double dGrain = patchSwd(grainy, x, {}, &g), dCast = patchSwd(cast, x, {}, &c);
        QCOMPARE(int(g.size()), 3);
        QCOMPARE(int(c.size()), 3);
        QVERIFY(std::abs((g[0] + g[1] + g[2]) / 3 - dGrain) < 1e-6 * dGrain);
        QVERIFY(std::abs((c[0] + c[1] + c[2]) / 3 - dCast) < 1e-6 * dCast);
        QVERIFY2(g[0] > 10 * g[2], qPrintable(QStringLiteral("grain: fine %1, low-pass %2").arg(g[0]).arg(g[2])));
        QVERIFY2(c[2] > 10 * c[0], qPrintable(QStringLiteral("cast: fine %1, low-pass %2").arg(c[0]).arg(c[2])));
    }

    void sizesMayDiffer()
    {
        // A sample of another size (the image tiled 2x1) is compared by its patch distribution.
        const at::Tensor x = texture(5);
        const at::Tensor wide = at::cat({x, x}, 3);
        const double d = patchSwd(wide, x);
        QVERIFY(std::isfinite(d));
        QVERIFY2(d < 0.5 * patchSwd((x + 0.1 * at::randn_like(x)).clamp(-1, 1), x), qPrintable(QString::number(d)));
    }

    void flatChannelStaysFinite()
    {
        // A reference with a channel of zero spread (a two-colour image) must not
        // blow the normalisation up: the score stays on the scale of a real image's.
        at::Tensor flat = at::zeros({1, 3, 32, 32});
        flat.select(1, 0).slice(1, 0, 16).fill_(0.8);
        flat.select(1, 0).slice(1, 16).fill_(-0.8);
        flat.select(1, 2).fill_(-0.5); // constant blue, constant (zero) green
        const at::Tensor other = (flat + 0.05 * at::randn_like(flat)).clamp(-1, 1);
        const double d = patchSwd(other, flat);
        QVERIFY(std::isfinite(d));
        QVERIFY2(d > 0 && d < 1e5, qPrintable(QString::number(d)));
    }

    void badShapesAreRefused()
    {
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, patchSwd(at::zeros({3, 32, 32}), at::zeros({1, 3, 32, 32})));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, patchSwd(at::zeros({1, 1, 32, 32}), at::zeros({1, 3, 32, 32})));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, patchSwd(at::zeros({1, 3, 4, 4}), at::zeros({1, 3, 32, 32})));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, diversity({texture(1)}, texture(1)));
    }

    void diversityMeasuresSpreadAcrossSamples()
    {
        const at::Tensor ref = texture(6);
        // identical samples: no diversity
        QCOMPARE(diversity({ref, ref, ref}, ref), 0.0);
        // samples = the image plus independent noise of std s: the per-pixel std of
        // 8 samples averages c4(8) * s = 0.9650 s; divided by the image's std
        at::manual_seed(11);
        const double s = 0.1;
        std::vector<at::Tensor> samples;
        for (int i = 0; i < 8; ++i)
            samples.push_back(ref + s * at::randn_like(ref));
        const double expected = 0.9650 * s / ref.std().item<double>();
        const double got = diversity(samples, ref);
        QVERIFY2(std::abs(got - expected) < 0.02 * expected,
                 qPrintable(QStringLiteral("diversity %1, expected %2").arg(got).arg(expected)));
    }

    void enlargementGridSeesTheBicubicPhaseCycle()
    {
        // A bicubic enlargement by 1.5 copies one row and column in three: white noise
        // enlarged so shows a strong peak at 1/3 cycle per pixel; noise drawn at the
        // larger size has none. Means over 8 images (one image's ratio of a peak bin to
        // the band's median spreads like a ratio of exponential variables, expected about 2.6).
        at::manual_seed(5);
        double enlarged = 0, direct = 0, elsewhere = 0;
        for (int i = 0; i < 8; ++i) {
            const at::Tensor small = at::rand({1, 3, 84, 112}) - 0.5;
            const at::Tensor big = resizeImage(small, 126, 168);
            enlarged += enlargementGrid(big, 84, 112) / 8;
            direct += enlargementGrid(at::rand({1, 3, 126, 168}) - 0.5, 84, 112) / 8;
            // the same enlarged image looked at for another enlargement's cycle (0.2 cycles per pixel)
            elsewhere += enlargementGrid(big, 101, 134) / 8;
        }
        QVERIFY2(enlarged > 30, qPrintable(QStringLiteral("enlarged noise: %1").arg(enlarged)));
        QVERIFY2(direct < 6, qPrintable(QStringLiteral("noise at full size: %1").arg(direct)));
        QVERIFY2(elsewhere < 6, qPrintable(QStringLiteral("enlarged noise, other frequency: %1").arg(elsewhere)));
        // doubling puts every output pixel a quarter pixel off a source one: no cycle of sharpness
        QVERIFY(enlargementGrid(resizeImage(at::rand({1, 3, 64, 64}) - 0.5, 128, 128), 64, 64) < 8);
        // enlargements by 10/9 or less are not measured (phase frequency under 0.1), nor images under 32 px
        QCOMPARE(enlargementGrid(resizeImage(at::rand({1, 3, 60, 60}) - 0.5, 64, 64), 60, 60), 0.0);
        QCOMPARE(enlargementGrid(at::rand({1, 3, 20, 20}), 14, 14), 0.0);
        QVERIFY_EXCEPTION_THROWN(enlargementGrid(at::rand({3, 20, 20}), 14, 14), pgcn::InvalidArgument);
        QVERIFY_EXCEPTION_THROWN(enlargementGrid(at::rand({1, 3, 40, 40}), 0, 14), pgcn::InvalidArgument);
    }
};

QTEST_APPLESS_MAIN(TestMetrics)
#include "test_metrics.moc"
