#include "allocator.h"
#include "directchain.h"
#include "energynet.h"
#include "errors.h"
#include "langevin.h"
#include "windows.h"
#include "winograd.h"
#include "runtime.h"
#include "testutil.h"

#include <QTest>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <thread>
#include <vector>

#include <sys/resource.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) // clang's spelling; GCC defines __SANITIZE_ADDRESS__
#define PGCN_HAS_ASAN 1
#endif
#endif
#ifndef PGCN_HAS_ASAN
#define PGCN_HAS_ASAN 0
#endif

using namespace pgcn;

/** Langevin dynamics (algorithm.md §3): statistics on a known energy, determinism, gradients. */
class TestLangevin : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void gaussianStationaryDistribution_data()
    {
        QTest::addColumn<double>("mu");
        QTest::addColumn<double>("sigma");
        QTest::newRow("N(0.3, 0.5^2)") << 0.3 << 0.5;
        QTest::newRow("N(-1.5, 0.2^2)") << -1.5 << 0.2;
    }
    void gaussianStationaryDistribution()
    {
        // log p = -(x-mu)^2 / (2 sigma^2); with noise = sqrt(step) the unadjusted
        // chain's stationary law is N(mu, sigma^2 / (1 - step / (4 sigma^2))).
        QFETCH(double, mu);
        QFETCH(double, sigma);
        const int n = 20000;
        const double step = 0.01 * sigma * sigma;
        Rng rng(7, at::kCPU);
        LangevinParams p;
        p.steps = int(20.0 * 2 * sigma * sigma / step); // 20 relaxation times
        p.stepSize = step;
        p.noise = std::sqrt(step);
        p.clamp = false;
        const at::Tensor x0 = at::zeros({n});
        const at::Tensor x = langevin(x0, [&](const at::Tensor &t) { return -(t - mu) / (sigma * sigma); }, p, &rng);
        const double mean = x.mean().item<double>();
        const double var = x.var().item<double>();
        const double expectVar = sigma * sigma / (1.0 - step / (4 * sigma * sigma));
        const double seMean = std::sqrt(expectVar / n);
        const double seVar = expectVar * std::sqrt(2.0 / (n - 1));
        QVERIFY2(std::abs(mean - mu) < 4 * seMean, qPrintable(QStringLiteral("mean %1 vs %2").arg(mean).arg(mu)));
        QVERIFY2(std::abs(var - expectVar) < 4 * seVar, qPrintable(QStringLiteral("var %1 vs %2").arg(var).arg(expectVar)));
        // and it is Gaussian: about 68.3 % within one sigma
        const double inside = ((x - mu).abs() < std::sqrt(expectVar)).to(at::kDouble).mean().item<double>();
        QVERIFY(std::abs(inside - 0.6827) < 0.015);
    }

    void noiselessChainIsGradientAscent()
    {
        LangevinParams p;
        p.steps = 3;
        p.stepSize = 0.5;
        p.clamp = false;
        const at::Tensor x = langevin(at::full({4}, 1.0), [](const at::Tensor &t) { return -t; }, p, nullptr);
        // x <- x - 0.25 x, three times
        QVERIFY(at::allclose(x, at::full({4}, std::pow(0.75, 3))));
    }

    void clampKeepsPixelRange()
    {
        LangevinParams p;
        p.steps = 5;
        p.stepSize = 1.0;
        const at::Tensor x = langevin(at::zeros({10}), [](const at::Tensor &t) { return at::ones_like(t) * 10; }, p, nullptr);
        QCOMPARE(x.max().item<float>(), 1.0f);
    }

    void maxMoveClipsEachStepsDrift()
    {
        // Gradients of ±10 and ±0.1 per value: step/2 * g is ±0.5 and ±0.005. Clipped at 0.05
        // the steep values move 0.05 per step (each with its own sign), the gentle ones their
        // full drift, and a chain without the clip moves the whole 0.5.
        LangevinParams p;
        p.steps = 4;
        p.stepSize = 0.1;
        p.clamp = false;
        const at::Tensor g = at::tensor({10.0f, -10.0f, 0.1f, -0.1f});
        const auto grad = [&](const at::Tensor &) { return g.clone(); };
        p.maxMove = 0.05;
        const at::Tensor clipped = langevin(at::zeros({4}), grad, p, nullptr);
        QVERIFY2(at::allclose(clipped, at::tensor({0.2f, -0.2f, 0.02f, -0.02f})), qPrintable(QString::number(clipped[0].item<float>())));
        p.maxMove = 0;
        const at::Tensor free = langevin(at::zeros({4}), grad, p, nullptr);
        QVERIFY(at::allclose(free, at::tensor({2.0f, -2.0f, 0.02f, -0.02f})));
        // The clip is on the drift, not on the noise: a noisy chain on a zero gradient moves as far as without it.
        p.noise = 0.5;
        p.maxMove = 0.05;
        Rng a(5, at::kCPU), b(5, at::kCPU);
        const auto flat = [](const at::Tensor &t) { return at::zeros_like(t); };
        const at::Tensor noisyClipped = langevin(at::zeros({256}), flat, p, &a);
        p.maxMove = 0;
        QVERIFY(at::equal(noisyClipped, langevin(at::zeros({256}), flat, p, &b)));
        QVERIFY(noisyClipped.abs().max().item<float>() > 4 * 0.05f);
    }

    void seededNoiseIsDeterministic()
    {
        LangevinParams p;
        p.steps = 10;
        p.noise = 0.1;
        auto run = [&](std::uint64_t seed) {
            Rng rng(seed, at::kCPU);
            return langevin(at::zeros({64}), [](const at::Tensor &t) { return -t; }, p, &rng);
        };
        QVERIFY(at::equal(run(3), run(3)));
        QVERIFY(!at::equal(run(3), run(4)));
    }

    void noisyAndNoiselessChainsShareABatch()
    {
        // The trainer runs its synthesis chains (noisy) and recovery chains (noise 0)
        // as one batch: with noisyRows the first rows get exactly the noise a chain of
        // their own draws from the same seed, the others none, and the net's rows stay
        // independent.
        at::manual_seed(2);
        EnergyNet net(std::vector<int>{8, 8, 8, 8, 1}, 0.3);
        net->eval();
        const test::PrecisionScope fp32(Precision::Fp32);
        const auto frozen = net->frozenWeights();
        const GradientFn grad = [&](const at::Tensor &x) { return energyGradient(frozen, x); };
        const at::Tensor syn0 = at::rand({3, 3, 20, 17}) * 2 - 1, rec0 = at::rand({2, 3, 20, 17}) * 2 - 1;
        LangevinParams noisy;
        noisy.steps = 6;
        noisy.noise = 0.05;
        LangevinParams quiet = noisy;
        quiet.noise = 0;
        Rng alone(9, at::kCPU), shared(9, at::kCPU);
        const at::Tensor syn = langevin(syn0, grad, noisy, &alone);
        const at::Tensor rec = langevin(rec0, grad, quiet, &alone);
        LangevinParams both = noisy;
        both.noisyRows = 3;
        const at::Tensor joint = langevin(at::cat({syn0, rec0}), grad, both, &shared);
        QVERIFY(at::allclose(joint.narrow(0, 0, 3), syn, 0, 1e-5));
        QVERIFY(at::allclose(joint.narrow(0, 3, 2), rec, 0, 1e-5));
        // and the noise really is there: the noiseless chain from the synthesis start differs
        QVERIFY((langevin(syn0, grad, quiet, nullptr) - syn).abs().max().item<double>() > 0.05);
        // noisyRows 0: no row gets noise
        both.noisyRows = 0;
        QVERIFY(at::allclose(langevin(syn0, grad, both, &shared), langevin(syn0, grad, quiet, nullptr), 0, 1e-5));
    }

    void windowGradientMatchesTheWholeImage()
    {
        // A training window with its context ring moves its crop exactly as a
        // whole-image chain moves those pixels, at the border and inside.
        at::manual_seed(1);
        EnergyNet net(std::vector<int>{8, 8, 8, 8, 1}, 0.3);
        net->eval();
        const test::PrecisionScope fp32(Precision::Fp32);
        const auto frozen = net->frozenWeights();
        const int field = 11;
        const at::Tensor image = at::rand({1, 3, 34, 29}) * 2 - 1;
        const at::Tensor whole = energyGradient(frozen, image);
        const int64_t ch = 12, cw = 9;
        for (auto [y, x] : {std::pair<int64_t, int64_t>{0, 0}, {11, 7}, {34 - ch, 29 - cw}, {0, 29 - cw}, {5, 0}}) {
            const TrainingWindow w = cutWindow(image, y, x, ch, cw, field);
            QCOMPARE(w.margin, field - 1);
            QCOMPARE(w.pixels.size(2), ch + 2 * w.margin);
            QCOMPARE(w.pixels.size(3), cw + 2 * w.margin);
            QVERIFY(at::equal(w.pixels.slice(2, w.margin, w.margin + ch).slice(3, w.margin, w.margin + cw),
                              image.slice(2, y, y + ch).slice(3, x, x + cw)));
            const at::Tensor g = energyGradient(frozen, w.pixels, w.weight)
                                     .slice(2, w.margin, w.margin + ch).slice(3, w.margin, w.margin + cw);
            const at::Tensor ref = whole.slice(2, y, y + ch).slice(3, x, x + cw);
            const double err = (g - ref).abs().max().item<double>(), scale = ref.abs().max().item<double>();
            QVERIFY2(scale > 1e-3, "the test net has a vanishing gradient");
            QVERIFY2(err <= 1e-4 * scale, qPrintable(QStringLiteral("window at %1,%2: max error %3 of %4").arg(y).arg(x).arg(err).arg(scale)));
            // Without the weights, patches over the zero ring would pull the border crop too.
            if (y == 0) {
                const at::Tensor g0 = energyGradient(frozen, w.pixels).slice(2, w.margin, w.margin + ch).slice(3, w.margin, w.margin + cw);
                QVERIFY((g0 - ref).abs().max().item<double>() > 1e-3 * scale);
            }
        }
    }

    void windowBatchPairsRealCropsWithTheSynthesisWindows()
    {
        // Starts that are the real image itself, each row shifted by a constant and
        // the recovery start by another: every window's crop is then the real crop of
        // its own place plus that constant, so the real crops must be cut where the
        // synthesis (and recovery) windows were.
        at::manual_seed(2);
        const at::Tensor obs = at::rand({1, 3, 30, 26}) * 2 - 1;
        const at::Tensor shifts = at::arange(4, at::kFloat).view({4, 1, 1, 1}) + 10;
        const at::Tensor init = obs + shifts, z = obs - 20;
        Rng rng(5, at::kCPU);
        const int crop = 9, field = 5;
        const WindowBatch b = cutWindows(init, obs, z, crop, 3, field, rng);
        const int m = b.margin;
        QCOMPARE(m, field - 1);
        QCOMPARE(b.init.sizes(), (at::IntArrayRef{4, 3, crop + 2 * m, crop + 2 * m}));
        QCOMPARE(b.obsAtSyn.sizes(), (at::IntArrayRef{4, 3, crop, crop}));
        QCOMPARE(b.obs.sizes(), (at::IntArrayRef{3, 3, crop, crop}));
        QCOMPARE(b.z.sizes(), (at::IntArrayRef{3, 3, crop + 2 * m, crop + 2 * m}));
        auto inner = [m](const at::Tensor &t) { return t.slice(2, m, t.size(2) - m).slice(3, m, t.size(3) - m); };
        QVERIFY(at::allclose(inner(b.init), b.obsAtSyn + shifts, 0, 1e-5));
        QVERIFY(at::allclose(inner(b.z), b.obs - 20, 0, 1e-5));
        // the places differ from window to window (not every crop cut at one spot)
        QVERIFY(!at::equal(b.obsAtSyn[0], b.obsAtSyn[1]) || !at::equal(b.obsAtSyn[1], b.obsAtSyn[2]));
        // and a real crop is a real crop: each one occurs in the image
        for (int64_t i = 0; i < 4; ++i) {
            bool found = false;
            for (int64_t y = 0; y + crop <= 30 && !found; ++y)
                for (int64_t x = 0; x + crop <= 26 && !found; ++x)
                    found = at::equal(obs.slice(2, y, y + crop).slice(3, x, x + crop), b.obsAtSyn.slice(0, i, i + 1));
            QVERIFY(found);
        }
    }

    void energyGradientMatchesAutograd()
    {
        // The written-out backward pass against LibTorch's autograd, with per-patch weights and a batch.
        at::manual_seed(1);
        EnergyNet net(std::vector<int>{16, 8, 8, 8, 1}, 0.2);
        net->eval();
        const test::PrecisionScope fp32(Precision::Fp32); // fp32 arithmetic (bf16 chains: bf16GradientIsFp32sRounded)
        const auto frozen = net->frozenWeights();
        const at::Tensor x = at::rand({2, 3, 21, 17}) * 2 - 1;
        const at::Tensor weight = at::rand({2, 1, 11, 7});
        at::Tensor leaf = x.clone().requires_grad_(true);
        at::Tensor f = (EnergyNetImpl::energyMap(leaf, frozen) * weight).sum();
        f.backward();
        const at::Tensor g = energyGradient(frozen, x, weight);
        QCOMPARE(g.sizes(), x.sizes());
        const double err = ((g - leaf.grad()).norm() / leaf.grad().norm()).item<double>();
        QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));
        QVERIFY(!g.requires_grad());
    }

    void chainTypeFollowsThePrecision()
    {
        const at::Device cpu(at::kCPU);
        const auto bf16OnThisCpu = cpuHasBf16() ? at::kBFloat16 : at::kFloat;
        {
            const test::PrecisionScope p(Precision::Fp32);
            QCOMPARE(chainType(cpu), at::kFloat);
        }
        {
            const test::PrecisionScope p(Precision::Tf32); // a GPU's alone
            QCOMPARE(chainType(cpu), at::kFloat);
        }
        {
            const test::PrecisionScope p(Precision::Bf16); // trains with bf16 chains too
            QCOMPARE(chainType(cpu), bf16OnThisCpu);
            QCOMPARE(chainType(cpu, /*training=*/true), bf16OnThisCpu);
            const TrainingPrecision training;
            QCOMPARE(chainType(cpu), bf16OnThisCpu);
        }
        // Auto: bf16 chains for sampling where the CPU has them, fp32 while training.
        setPrecision(Precision::Auto);
        QCOMPARE(chainType(cpu), bf16OnThisCpu);
        {
            const TrainingPrecision training;
            QCOMPARE(chainType(cpu), at::kFloat);
        }
        QCOMPARE(chainType(cpu), bf16OnThisCpu);
        QCOMPARE(QString::fromStdString(describeDevice(cpu)).contains(QStringLiteral("bf16 chains")), cpuHasBf16());
        // Asking what a training would use is a query: it sets nothing.
        QCOMPARE(chainType(cpu, /*training=*/true), at::kFloat);
        QVERIFY(!QString::fromStdString(describeDevice(cpu, /*training=*/true)).contains(QStringLiteral("bf16")));
        QCOMPARE(precision(), Precision::Tf32); // Auto, read outside a training
        QCOMPARE(chainType(cpu), bf16OnThisCpu);
    }

    void bf16GradientIsFp32sRounded()
    {
        if (!cpuHasBf16())
            QSKIP("this CPU has no native bfloat16 (AVX512-BF16): its chains stay fp32");
        at::manual_seed(4);
        EnergyNet net(std::vector<int>{32, 32, 32, 32, 1}, 0.1);
        net->eval();
        const at::Tensor x = at::rand({2, 3, 40, 33}) * 2 - 1;
        const at::Tensor weight = at::rand({2, 1, 30, 23});
        at::Tensor ref, g;
        {
            const test::PrecisionScope p(Precision::Fp32);
            ref = energyGradient(net->frozenWeights(), x, weight);
        }
        {
            const test::PrecisionScope p(Precision::Bf16);
            const auto frozen = net->frozenWeights();
            QCOMPARE(frozen.front().scalar_type(), at::kBFloat16);
            g = energyGradient(frozen, x, weight);
        }
        // The state and the gradient handed back stay fp32; the arithmetic is bfloat16's
        // (8-bit mantissa: a relative error of a few 1e-3, not fp32's 1e-7, and no more).
        QCOMPARE(g.scalar_type(), at::kFloat);
        QCOMPARE(g.sizes(), ref.sizes());
        const double err = ((g - ref).norm() / ref.norm()).item<double>();
        qInfo("bf16 gradient: %.3g relative to fp32's", err);
        QVERIFY2(err > 1e-4 && err < 3e-2, qPrintable(QString::number(err)));
        // Per element: the direction of the step is kept (the sign of every larger component).
        const at::Tensor big = ref.abs() > 0.1 * ref.abs().max();
        QVERIFY(at::equal(g.sign().masked_select(big), ref.sign().masked_select(big)));
    }

    void directChainGradientIsLibTorchs()
    {
        // The chains' own oneDNN path (directchain.h) computes energyGradient: fp32 to rounding, bf16 within
        // its rounding (the ELU fused into the convolution rounds once where LibTorch's path rounds twice),
        // for the nets of every preset and a narrow one, batches, crops of odd sizes and per-patch weights.
        if (!directChains())
            QSKIP("this build has no direct oneDNN path (or PATCHGENCN_NO_DIRECT_CHAINS is set)");
        struct Case
        {
            std::vector<int> channels;
            int64_t n, h, w;
            bool weighted;
        };
        const std::vector<Case> cases{{{32, 32, 32, 32, 1}, 4, 26, 31, false},
                                      {{32, 32, 32, 32, 1}, 6, 60, 60, true},
                                      {{16, 8, 8, 8, 1}, 2, 21, 17, true},
                                      {{8, 1}, 1, 11, 12, false},
                                      {{8}, 3, 13, 9, true}};
        for (const Case &c : cases) {
            at::manual_seed(int(c.n * 100 + c.h));
            EnergyNet net(c.channels, 0.2);
            net->eval();
            const at::Tensor x = at::rand({c.n, 3, c.h, c.w}) * 2 - 1;
            const int64_t k = 2 * int64_t(c.channels.size()); // the map is (k / 2) * 2 px smaller
            const at::Tensor weight = c.weighted ? at::rand({c.n, 1, c.h - k, c.w - k}) : at::Tensor();
            for (const auto &[p, wino] : {std::pair{Precision::Fp32, false}, std::pair{Precision::Fp32, true},
                                         std::pair{Precision::Bf16, false}}) {
                if ((p == Precision::Bf16 && !cpuHasBf16()) || (wino && !winogradSupported()))
                    continue;
                const test::PrecisionScope scope(p);
                const test::WinogradScope winograd(wino); // fp32 layers of 8k channels through winograd.h's kernels, or oneDNN's
                const auto frozen = net->frozenWeights();
                const at::Tensor ref = energyGradient(frozen, x, weight);
                const GradientFn direct = directEnergyGradient(frozen, x, weight);
                QVERIFY(direct);
                at::Tensor g = direct(x);
                QCOMPARE(g.scalar_type(), at::kFloat);
                QCOMPARE(g.sizes(), x.sizes());
                const double err = ((g - ref).norm() / ref.norm()).item<double>();
                const double limit = p == Precision::Fp32 ? 1e-5 : 2e-2;
                QVERIFY2(err < limit, qPrintable(QStringLiteral("%1 layers, %2x%3: %4").arg(c.channels.size()).arg(c.h).arg(c.w).arg(err)));
                // Another state through the same prepared chain, and the first again: nothing carried over.
                const at::Tensor y = at::rand_like(x) * 2 - 1;
                const double errY = ((direct(y) - energyGradient(frozen, y, weight)).norm() / energyGradient(frozen, y, weight).norm()).item<double>();
                QVERIFY2(errY < limit, qPrintable(QString::number(errY)));
                QVERIFY(at::equal(direct(x), g));
            }
        }
        // What it does not take is left to LibTorch's path: another type, a wrong channel count, the switch off.
        EnergyNet net(std::vector<int>{8, 8, 1}, 0.2);
        const test::PrecisionScope fp32(Precision::Fp32);
        const auto frozen = net->frozenWeights();
        QVERIFY(!directEnergyGradient(frozen, at::rand({1, 3, 12, 12}, at::kDouble)));
        QVERIFY(!directEnergyGradient(frozen, at::rand({1, 4, 12, 12})));
        QVERIFY(!directEnergyGradient(frozen, at::rand({1, 3, 5, 12}))); // no map left
        setDirectChains(false);
        QVERIFY(!directEnergyGradient(frozen, at::rand({1, 3, 12, 12})));
        setDirectChains(true);
        QVERIFY(directEnergyGradient(frozen, at::rand({1, 3, 12, 12})));
    }

    void winogradIsTheConvolution()
    {
        // F(4x4, 3x3) against LibTorch's convolutions in double: the forward layer (bias, ELU) and the
        // backward-data step (the gradient through an ELU's result, back through the layer, pad 2), sizes
        // that leave partial tiles at the right and bottom, rows shorter than a chunk of 24 tiles (chunks
        // then span rows and, with batches, images) and longer, both kinds of tile group (16 and 8 output
        // channels).
        if (!winogradSupported())
            QSKIP("this CPU has no AVX2 and FMA");
        struct Case
        {
            int64_t n, h, w, cin, cout;
        };
        for (const Case &c : std::vector<Case>{{1, 4, 4, 8, 8}, {2, 9, 13, 32, 32}, {1, 30, 160, 32, 24}, {3, 7, 81, 16, 8}, {1, 5, 6, 8, 48}}) {
            at::manual_seed(int(c.h * 1000 + c.w));
            const at::Tensor x = at::randn({c.n, c.cin, c.h, c.w}, at::kDouble);
            const at::Tensor wt = at::randn({c.cout, c.cin, 3, 3}, at::kDouble) * 0.2;
            const at::Tensor bias = at::randn({c.cout}, at::kDouble);
            const auto nhwc = [](const at::Tensor &t) { return t.permute({0, 2, 3, 1}).contiguous().to(at::kFloat); };
            const auto nchw = [](const at::Tensor &t) { return t.permute({0, 3, 1, 2}).to(at::kDouble); };
            const at::Tensor w32 = wt.to(at::kFloat).contiguous();
            // Forward: ELU(conv(x) + b).
            std::vector<float> u(size_t(winogradWeightFloats(c.cin, c.cout)));
            winogradWeights(w32.data_ptr<float>(), c.cout, c.cin, false, u.data());
            const at::Tensor xin = nhwc(x), b32 = bias.to(at::kFloat).contiguous();
            at::Tensor y = at::empty({c.n, c.h - 2, c.w - 2, c.cout});
            winogradConv3x3(xin.data_ptr<float>(), nullptr, c.n, c.h, c.w, c.cin, 0, u.data(), b32.data_ptr<float>(), c.cout, true,
                            y.data_ptr<float>());
            const at::Tensor pre = at::conv2d(x, wt, bias), ref = at::elu(pre);
            const double err = ((nchw(y) - ref).norm() / ref.norm()).item<double>();
            qInfo("forward %dx%d: %.3g", int(c.h), int(c.w), err);
            QVERIFY2(err < 5e-6, qPrintable(QStringLiteral("forward %1x%2: %3").arg(c.h).arg(c.w).arg(err)));
            // Backward data through the ELU: d/dx of sum(g * ELU(conv(x) + b)).
            const at::Tensor g = at::randn_like(ref);
            const at::Tensor act = nhwc(ref), gin = nhwc(g);
            std::vector<float> ub(size_t(winogradWeightFloats(c.cout, c.cin)));
            winogradWeights(w32.data_ptr<float>(), c.cout, c.cin, true, ub.data());
            at::Tensor dx = at::empty({c.n, c.h, c.w, c.cin});
            winogradConv3x3(gin.data_ptr<float>(), act.data_ptr<float>(), c.n, c.h - 2, c.w - 2, c.cout, 2, ub.data(), nullptr,
                            c.cin, false, dx.data_ptr<float>());
            const at::Tensor gpre = at::elu_backward(g, 1.0, 1.0, 1.0, true, ref);
            const at::Tensor refDx = std::get<0>(at::convolution_backward(gpre, x, wt, at::nullopt, {1, 1}, {0, 0}, {1, 1}, false,
                                                                           {0, 0}, 1, {true, false, false}));
            const double errB = ((nchw(dx) - refDx).norm() / refDx.norm()).item<double>();
            qInfo("backward %dx%d: %.3g", int(c.h), int(c.w), errB);
            QVERIFY2(errB < 5e-6, qPrintable(QStringLiteral("backward %1x%2: %3").arg(c.h).arg(c.w).arg(errB)));
            // The weights' gradient through the ELU: d/dw of sum(g * ELU(conv(x) + b)).
            at::Tensor dw = at::empty({c.cout, c.cin, 3, 3});
            winogradWeightGradient(xin.data_ptr<float>(), gin.data_ptr<float>(), act.data_ptr<float>(), c.n, c.h, c.w, c.cin, c.cout,
                                   dw.data_ptr<float>());
            const at::Tensor refDw = std::get<1>(at::convolution_backward(gpre, x, wt, at::nullopt, {1, 1}, {0, 0}, {1, 1}, false,
                                                                           {0, 0}, 1, {false, true, false}));
            const double errW = ((dw.to(at::kDouble) - refDw).norm() / refDw.norm()).item<double>();
            qInfo("weights %dx%d: %.3g", int(c.h), int(c.w), errW);
            QVERIFY2(errW < 5e-6, qPrintable(QStringLiteral("weights %1x%2: %3").arg(c.h).arg(c.w).arg(errW)));
        }
        // The same numbers on one thread as on two.
        const at::Tensor x = at::rand({1, 40, 50, 32});
        const at::Tensor wt = at::randn({32, 32, 3, 3}) * 0.1;
        std::vector<float> u(size_t(winogradWeightFloats(32, 32)));
        winogradWeights(wt.data_ptr<float>(), 32, 32, false, u.data());
        at::Tensor y1 = at::empty({1, 38, 48, 32}), y2 = at::empty_like(y1);
        const int threads = at::get_num_threads();
        at::set_num_threads(1);
        winogradConv3x3(x.data_ptr<float>(), nullptr, 1, 40, 50, 32, 0, u.data(), nullptr, 32, true, y1.data_ptr<float>());
        at::set_num_threads(2);
        winogradConv3x3(x.data_ptr<float>(), nullptr, 1, 40, 50, 32, 0, u.data(), nullptr, 32, true, y2.data_ptr<float>());
        // The weights' gradient sums groups of chunks in a fixed order: the same too (26 chunks, 8 groups).
        const at::Tensor xw = at::rand({1, 100, 100, 32}), g = at::randn({1, 98, 98, 32});
        at::Tensor dw1 = at::empty({32, 32, 3, 3}), dw2 = at::empty_like(dw1);
        at::set_num_threads(1);
        winogradWeightGradient(xw.data_ptr<float>(), g.data_ptr<float>(), nullptr, 1, 100, 100, 32, 32, dw1.data_ptr<float>());
        at::set_num_threads(2);
        winogradWeightGradient(xw.data_ptr<float>(), g.data_ptr<float>(), nullptr, 1, 100, 100, 32, 32, dw2.data_ptr<float>());
        at::set_num_threads(threads);
        QVERIFY(at::equal(y1, y2));
        QVERIFY(at::equal(dw1, dw2));
    }

    void directChainsRunTheSameChains()
    {
        // A whole chain (noise, clamping, a weighted map) through either path ends in the same place in fp32.
        if (!directChains())
            QSKIP("this build has no direct oneDNN path");
        at::manual_seed(7);
        EnergyNet net(std::vector<int>{16, 16, 16, 16, 1}, 0.3);
        net->eval();
        const test::PrecisionScope fp32(Precision::Fp32);
        const auto frozen = net->frozenWeights();
        const at::Tensor x = at::rand({3, 3, 30, 26}) * 2 - 1;
        const at::Tensor weight = at::rand({3, 1, 20, 16});
        LangevinParams p;
        p.steps = 20;
        p.stepSize = 0.05;
        p.noise = 0.01;
        at::Tensor ends[2];
        for (int direct = 0; direct < 2; ++direct) {
            setDirectChains(direct == 1);
            Rng rng(11, at::kCPU);
            ends[direct] = langevinEnergy(x, frozen, weight, p, &rng);
        }
        setDirectChains(true);
        const double moved = (ends[0] - x).norm().item<double>();
        const double err = (ends[1] - ends[0]).norm().item<double>() / moved;
        QVERIFY2(moved > 0.1, qPrintable(QString::number(moved)));
        QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    }

    void energyGradientMatchesFiniteDifferences()
    {
        at::manual_seed(0);
        EnergyNet net(std::vector<int>{8, 8, 8, 8, 1}, 0.3);
        net->eval();
        const test::PrecisionScope fp32(Precision::Fp32);
        const auto frozen = net->frozenWeights();
        const at::Tensor x = at::rand({1, 3, 13, 13}, at::kDouble).to(at::kFloat);
        const at::Tensor g = energyGradient(frozen, x);
        auto f = [&](const at::Tensor &t) { return EnergyNetImpl::energyMap(t.to(at::kDouble), [&] {
            std::vector<at::Tensor> d;
            for (auto &w : frozen) d.push_back(w.to(at::kDouble));
            return d; }()).sum().item<double>(); };
        for (auto [c, y, xx] : {std::tuple{0, 6, 6}, std::tuple{2, 0, 12}, std::tuple{1, 3, 9}}) {
            const double h = 1e-4;
            at::Tensor a = x.to(at::kDouble).clone(), b = a.clone();
            a[0][c][y][xx] += h;
            b[0][c][y][xx] -= h;
            const double fd = (f(a) - f(b)) / (2 * h);
            const double an = g[0][c][y][xx].item<double>();
            QVERIFY2(std::abs(fd - an) < 1e-4 + 1e-3 * std::abs(fd), qPrintable(QStringLiteral("%1 vs %2").arg(fd).arg(an)));
        }
    }

    void cancelStopsTheChain()
    {
        std::atomic<bool> cancel{false};
        LangevinParams p;
        p.steps = 1000;
        int seen = 0;
        QVERIFY_THROWS_EXCEPTION(Cancelled,
            langevin(at::zeros({4}), [&](const at::Tensor &t) { if (++seen == 5) cancel = true; return t * 0; },
                     p, nullptr, &cancel));
        QCOMPARE(seen, 5);
    }

    void chainMemoryIsReusedOnAWorkerThread()
    {
#if defined(__SANITIZE_ADDRESS__) || PGCN_HAS_ASAN
        QSKIP("AddressSanitizer brings an allocator of its own (it maps large blocks afresh, whatever glibc is told)");
#elif defined(__GLIBC__)
        // Each step of an energy chain allocates its activations afresh (here
        // 8 x 32 x 266 x 266 floats, 72 MB each) and frees them. The studio samples
        // on a worker thread, whose own glibc arena served every block above 64 MB
        // with a fresh mmap(), page-faulted in at every step; with
        // configureAllocator()'s one heap, never trimmed, the steps reuse the memory
        // that earlier steps freed.
        at::manual_seed(2);
        EnergyNet net(std::vector<int>{32, 32, 32, 32, 1}, 0.2);
        net->eval();
        const auto frozen = net->frozenWeights();
        LangevinParams p;
        p.steps = 2;
        const int rounds = 6;
        std::vector<long> faults;
        faults.reserve(rounds);
        std::thread worker([&] {
            Rng rng(5, at::kCPU);
            const at::Tensor x0 = at::rand({8, 3, 266, 266}) * 2 - 1;
            for (int round = 0; round < rounds; ++round) {
                const long f0 = minorFaults();
                langevinEnergy(x0, frozen, {}, p, &rng);
                faults.push_back(minorFaults() - f0);
            }
        });
        worker.join();
        QCOMPARE(faults.size(), size_t(rounds));
        const long pagesPerActivation = long(8) * 32 * 266 * 266 * 4 / 4096;
        QStringList perChain;
        for (long f : faults)
            perChain << QString::number(f);
        qInfo("page faults per chain of %d steps: %s (an activation is %ld pages)", p.steps,
              qPrintable(perChain.join(QLatin1Char(' '))), pagesPerActivation);
        QVERIFY2(faults[0] > pagesPerActivation, "the first chain's memory is new"); // the count sees the faults at all
        // glibc's heap settles within a chain or two, then grows by a block now and then
        // (a freed block of exactly a request's size cannot serve LibTorch's aligned
        // allocation of that size): under one activation per chain on average, where a
        // heap of the thread's own faults in every activation of every step again
        // (measured: 31 activations' worth per chain).
        double later = 0;
        for (int round = 1; round < rounds; ++round)
            later += double(faults[round]) / (rounds - 1);
        QVERIFY2(later < pagesPerActivation,
                 qPrintable(QStringLiteral("%1 page faults per chain after the first").arg(later)));
        releaseFreeMemory();
#else
        QSKIP("the allocator set-up is glibc's");
#endif
    }

private:
    static long minorFaults()
    {
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_minflt;
    }
};

QTEST_APPLESS_MAIN(TestLangevin)
#include "test_langevin.moc"
