#include "config.h"
#include "elu.h"
#include "energynet.h"
#include "testutil.h"
#include "winograd.h"
#include "winogradlayer.h"

#include <QTest>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

using namespace pgcn;

/** The per-scale energy net (algorithm.md §2): shapes, receptive field, spectral normalisation. */
class TestEnergyNet : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { at::manual_seed(1); }

    void outputIsOneValuePerPatch()
    {
        EnergyNet net(std::vector<int>{16, 8, 8, 8, 1}, 0.005);
        const at::Tensor y = net->forward(at::rand({2, 3, 20, 30}) * 2 - 1);
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{2, 1, 10, 20}));
    }

    void channelTablesFollowScaleSize()
    {
        TrainConfig c;
        QCOMPARE(c.channelsFor(63), (std::vector<int>{64, 32, 32, 32, 1}));
        QCOMPARE(c.channelsFor(64), (std::vector<int>{128, 64, 64, 64, 1}));
        QCOMPARE(c.channelsFor(250), (std::vector<int>{128, 64, 64, 64, 1}));
    }

    void initialisation()
    {
        EnergyNet net(std::vector<int>{128, 64, 64, 64, 1}, 0.005);
        for (const auto &p : net->named_parameters()) {
            if (p.key()[0] == 'w')
                QVERIFY(std::abs(p.value().std().item<double>() - 0.005) < 0.0005);
            else
                QCOMPARE(p.value().abs().max().item<float>(), 0.0f);
        }
    }

    void receptiveFieldIs11()
    {
        EnergyNet net(std::vector<int>{8, 8, 8, 8, 1}, 0.2);
        net->eval();
        at::NoGradGuard g;
        const at::Tensor x = at::rand({1, 3, 31, 31});
        const at::Tensor y0 = net->forward(x);
        at::Tensor x2 = x.clone();
        x2[0][0][15][15] += 0.5;
        // Changed beyond rounding: Winograd's convolutions (winograd.h, the inner layers on a CPU without
        // AVX-512) mix a tile's values and move the map around it by ~1e-8 where a direct one leaves it exact.
        const at::Tensor diff = (net->forward(x2) - y0).abs()[0][0];
        const at::Tensor changed = diff.gt(1e-5 * diff.max().item<double>());
        QCOMPARE(changed.sum().item<int64_t>(), int64_t(11 * 11));
        // input pixel (15,15) is seen by map entries 5..15 in both axes
        QVERIFY(changed.slice(0, 5, 16).slice(1, 5, 16).all().item<bool>());
    }

    void spectralNormIsOne()
    {
        EnergyNet net(std::vector<int>{32, 16, 16, 16, 1}, 0.05);
        net->train();
        const at::Tensor x = at::rand({1, 3, 16, 16});
        for (int i = 0; i < 1000; ++i)
            net->forward(x); // each training-mode call advances the power iteration
        const test::PrecisionScope fp32(Precision::Fp32); // the normalised weights themselves (bf16 chains would round them)
        const auto frozen = net->frozenWeights();
        for (int l = 0; l < EnergyNetImpl::kNormalisedLayers; ++l) {
            const at::Tensor w = frozen[2 * l].reshape({frozen[2 * l].size(0), -1});
            const double top = at::linalg_svdvals(w)[0].item<double>();
            QVERIFY2(std::abs(top - 1.0) < 2e-3, qPrintable(QStringLiteral("layer %1: %2").arg(l).arg(top)));
        }
        // the last layer is a plain conv: left as is
        QVERIFY(at::equal(frozen[8], net->rawWeight(4)));
    }

    void powerIterationAdvancesOnlyInTraining()
    {
        EnergyNet net(std::vector<int>{8, 8, 8, 8, 1}, 0.05);
        const at::Tensor x = at::rand({1, 3, 12, 12});
        auto u0 = net->named_buffers()["u0"].clone();
        net->eval();
        net->forward(x);
        QVERIFY(at::equal(u0, net->named_buffers()["u0"]));
        net->train();
        net->forward(x);
        QVERIFY(!at::equal(u0, net->named_buffers()["u0"]));
    }

    void frozenEvaluationMatchesModule()
    {
        EnergyNet net(std::vector<int>{8, 8, 8, 8, 1}, 0.05);
        net->eval();
        const at::Tensor x = at::rand({2, 3, 14, 17});
        at::NoGradGuard g;
        const test::PrecisionScope fp32(Precision::Fp32); // bf16 chains round (test_langevin's bf16 test)
        QVERIFY(at::allclose(net->forward(x), EnergyNetImpl::energyMap(x, net->frozenWeights()), 1e-5, 1e-6));
    }
    void trainingStepThroughWinogradIsDoubles()
    {
        // The training step's inner layers through winograd.h's kernels (forward, the input's and the
        // weights' gradients; a CPU without AVX-512) against the same net in double through LibTorch:
        // the energy map and every parameter's gradient (through the spectral normalisation too).
        if (!winogradSupported())
            QSKIP("this CPU has no AVX2 and FMA");
        const test::WinogradScope winograd(true);
        at::manual_seed(5);
        EnergyNet net(std::vector<int>{16, 16, 16, 16, 1}, 0.2), ref(std::vector<int>{16, 16, 16, 16, 1}, 0.2);
        ref->copyFrom(*net);
        ref->to(at::kDouble);
        net->eval(); // no power-iteration step: both normalise with the same u
        ref->eval();
        QVERIFY(winogradLayerFits(at::empty({1, 16, 9, 9}), net->rawWeight(1)));
        QVERIFY(!winogradLayerFits(at::empty({1, 3, 9, 9}), net->rawWeight(0))); // the first layer stays LibTorch's
        for (const auto &shape : std::vector<std::vector<int64_t>>{{3, 3, 21, 26}, {1, 3, 40, 33}}) {
            const at::Tensor x = at::rand(shape) * 2 - 1;
            const at::Tensor e = net->forward(x), eRef = ref->forward(x.to(at::kDouble));
            const at::Tensor weight = at::rand(e.sizes());
            (e * weight).sum().backward();
            (eRef * weight.to(at::kDouble)).sum().backward();
            const double mapErr = ((e.to(at::kDouble) - eRef).norm() / eRef.norm()).item<double>();
            qInfo("%dx%d: map %.3g", int(shape[2]), int(shape[3]), mapErr);
            QVERIFY2(mapErr < 1e-5, qPrintable(QString::number(mapErr)));
            const auto params = net->named_parameters(), refParams = ref->named_parameters();
            for (const auto &item : params) {
                const at::Tensor g = item.value().grad(), gRef = refParams[item.key()].grad();
                QVERIFY(g.defined() && gRef.defined());
                const double err = ((g.to(at::kDouble) - gRef).norm() / gRef.norm()).item<double>();
                qInfo("  %s: %.3g", item.key().c_str(), err);
                QVERIFY2(err < 1e-5, qPrintable(QStringLiteral("%1: %2").arg(QString::fromStdString(item.key())).arg(err)));
            }
            net->zero_grad();
            ref->zero_grad();
        }
    }
    /** Values that try the activation's edges: zeros, tiny and huge negatives, infinities, NaN, rounding points. */
    static at::Tensor eluProbe(int64_t n)
    {
        at::Tensor x = at::randn({n}) * 4.0;
        const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f, -1e-7f, -1e-3f, -0.3465f, -0.3467f, -0.6931f, -1.0f, -10.0f,
                                  -17.0f, -29.9f, -30.1f, -88.0f, -100.0f, -1e30f, 1e30f, INFINITY, -INFINITY, NAN, 2.5f};
        const int64_t k = std::min<int64_t>(n, int64_t(sizeof specials / sizeof specials[0]));
        for (int64_t i = 0; i < k; ++i)
            x[n - 1 - i] = specials[i]; // at the end, where a length that is not a multiple of 16 leaves its tail
        return x;
    }

    void bf16ForwardFollowsFp32()
    {
        // The training step in bf16 (quick's finer scales): the same map to bf16's rounding,
        // fp32 out, and gradients that reach the fp32 parameters close to fp32's own.
        EnergyNet net(std::vector<int>{16, 16, 16, 16, 1}, 0.05);
        net->eval(); // no power-iteration step between the two passes
        const at::Tensor x = at::rand({3, 3, 20, 23}) * 2 - 1;
        auto pass = [&](at::ScalarType t) {
            net->setComputeType(t);
            for (auto &p : net->parameters())
                p.mutable_grad() = at::Tensor();
            const at::Tensor e = net->forward(x);
            e.mean().backward();
            return std::make_pair(e.detach(), net->parameters()[0].grad().clone());
        };
        const auto [e32, g32] = pass(at::kFloat);
        const auto [e16, g16] = pass(at::kBFloat16);
        net->setComputeType(at::kFloat);
        QCOMPARE(e16.scalar_type(), at::kFloat);
        QCOMPARE(g16.scalar_type(), at::kFloat);
        QCOMPARE(e16.sizes(), e32.sizes());
        const double mapErr = ((e16 - e32).norm() / e32.norm()).item<double>();
        const double gradErr = ((g16 - g32).norm() / g32.norm()).item<double>();
        qInfo("bf16 forward: map %.3g, first layer's gradient %.3g relative to fp32's", mapErr, gradErr);
        QVERIFY(mapErr < 0.03 && mapErr > 0); // rounded, not skipped
        QVERIFY(gradErr < 0.05 && gradErr > 0);
    }

    void eluMatchesLibTorch()
    {
        qInfo("own ELU loops: fp32 %s, bf16 %s", fastEluFor(at::kFloat) ? "yes" : "no (LibTorch's)",
              fastEluFor(at::kBFloat16) ? "yes" : "no (LibTorch's)");
        // Lengths around the 16-wide vectors, and one that the threads split.
        for (int64_t n : {1, 15, 16, 17, 31, 1000, 100003}) {
            const at::Tensor x = eluProbe(n);
            const at::Tensor xd = x.to(at::kDouble); // the reference, in double with expm1 (elu's exp - 1 loses tiny values)
            const at::Tensor exact = at::where(xd > 0, xd, at::expm1(xd));
            // fp32: within a few units in the last place of the exact value.
            // (Where LibTorch's kernels run, the dispatch hands their result back unchanged.)
            const at::Tensor y = eluForward(x);
            if (fastEluFor(at::kFloat))
                QVERIFY(at::allclose(y, exact.to(at::kFloat), 4e-7, 1e-37, /*equal_nan=*/true));
            else
                QVERIFY(at::allclose(y, at::elu(x), 0, 0, true));
            QVERIFY(at::equal(at::isnan(y), at::isnan(x)));
            // bf16: the exact value rounded to bf16, or its neighbour where fp32's error straddles a rounding point.
            const at::Tensor xb = x.to(at::kBFloat16);
            const at::Tensor yb = eluForward(xb);
            QCOMPARE(yb.scalar_type(), at::kBFloat16);
            if (!fastEluFor(at::kBFloat16))
                QVERIFY(at::allclose(yb.to(at::kFloat), at::elu(xb).to(at::kFloat), 0, 0, true));
            else
                QVERIFY(at::allclose(yb.to(at::kFloat), at::where(xb > 0, xb.to(at::kDouble), at::expm1(xb.to(at::kDouble))).to(at::kBFloat16).to(at::kFloat), 1.0 / 128, 1e-37, true));
            // Backward from the output: grad where y > 0, grad (y + 1) elsewhere, as LibTorch's elu_backward.
            for (const at::Tensor &yy : {y, yb}) {
                const at::Tensor finite = at::isfinite(yy);
                const at::Tensor g = at::randn({n}).to(yy.scalar_type());
                const at::Tensor mine = eluBackwardFromResult(g, yy), theirs = at::elu_backward(g, 1.0, 1.0, 1.0, true, yy);
                QCOMPARE(mine.scalar_type(), yy.scalar_type());
                const double tol = yy.scalar_type() == at::kFloat ? 1e-6 : 1.0 / 128;
                QVERIFY(at::allclose(mine.masked_select(finite).to(at::kFloat), theirs.masked_select(finite).to(at::kFloat), tol, 1e-6));
                if (fastEluFor(yy.scalar_type())) // a NaN is not hidden (LibTorch's kernel hands back the gradient there)
                    QVERIFY(at::isnan(mine).masked_select(at::isnan(yy)).all().item<bool>());
            }
        }
    }

    void eluKeepsLayoutAndFallsBack()
    {
        // Channels-last maps (the chains' layout) come back in that layout, with the same values.
        const at::Tensor x = (at::randn({2, 8, 5, 7}) * 3).contiguous(at::MemoryFormat::ChannelsLast);
        const at::Tensor y = eluForward(x);
        QVERIFY(y.is_contiguous(at::MemoryFormat::ChannelsLast));
        QVERIFY(at::allclose(y, at::elu(x), 1e-6, 1e-7));
        // A strided view and a gradient of other strides go to LibTorch's kernels.
        const at::Tensor view = x.slice(3, 0, 7, 2);
        QVERIFY(at::allclose(eluForward(view), at::elu(view), 1e-6, 1e-7));
        const at::Tensor g = at::randn({2, 8, 5, 7});
        QVERIFY(at::allclose(eluBackwardFromResult(g, y), at::elu_backward(g, 1.0, 1.0, 1.0, true, y), 1e-6, 1e-7));
        // A tensor that autograd follows keeps its graph.
        const at::Tensor leaf = at::randn({3, 4}).requires_grad_();
        eluForward(leaf).sum().backward();
        QVERIFY(at::allclose(leaf.grad(), at::where(leaf > 0, at::ones_like(leaf), at::exp(leaf)).detach(), 1e-6, 1e-7));
    }
};

QTEST_APPLESS_MAIN(TestEnergyNet)
#include "test_energynet.moc"
