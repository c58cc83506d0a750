#include "config.h"
#include "energynet.h"
#include "testutil.h"

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
        const at::Tensor changed = (net->forward(x2) - y0).abs().gt(0)[0][0];
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
};

QTEST_APPLESS_MAIN(TestEnergyNet)
#include "test_energynet.moc"
