#include "errors.h"
#include "model.h"
#include "runtime.h"
#include "tasks.h"
#include "tensorops.h"
#include "testutil.h"
#include "trainer.h"

#include <QTest>

#include <ATen/ATen.h>

using namespace pgcn;

/** The tasks built on a trained pyramid: their contracts on a tiny model. */
class TestTasks : public QObject
{
    Q_OBJECT
    PyramidModel m_model;
    at::Tensor m_real;

    /** The message of the InvalidArgument `job` throws (empty when it throws none). */
    template <typename F>
    static QString refusal(F job)
    {
        try {
            job();
        } catch (const InvalidArgument &e) {
            return QString::fromUtf8(e.what());
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        TrainConfig cfg = test::tinyConfig(80);
        cfg.stepSize = 0.05;
        cfg.maxSize = 32;
        cfg.numScales = 3;
        m_model = PyramidModel(test::patternImage(32, 24), cfg);
        train(m_model);
        m_real = m_model.real(2);
    }

    void editChangesOnlyInsideTheMask()
    {
        at::Tensor edited = m_real.clone();
        edited.slice(2, 8, 16).slice(3, 10, 20).fill_(1.0); // a white patch pasted
        at::Tensor mask = at::zeros({1, 1, 24, 32});
        mask.slice(2, 6, 18).slice(3, 8, 22).fill_(1.0);
        const at::Tensor out = editImage(m_model, edited, mask, 1, 2.0);
        QCOMPARE(out.sizes(), edited.sizes());
        const at::Tensor outside = mask.lt(0.5).expand_as(out);
        QVERIFY(at::equal(out.masked_select(outside), edited.masked_select(outside)));
        // inside, the white patch is re-synthesized towards the image's colours
        const double before = (edited - m_real).pow(2).slice(2, 8, 16).slice(3, 10, 20).mean().item<double>();
        const double after = (out - m_real).pow(2).slice(2, 8, 16).slice(3, 10, 20).mean().item<double>();
        QVERIFY2(after < 0.8 * before, qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
    }

    void badMasksAreRefused()
    {
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, editImage(m_model, m_real, at::zeros({1, 1, 24, 32}), 1, 2.0));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, editImage(m_model, m_real, at::ones({1, 1, 20, 32}), 1, 2.0));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, editImage(m_model, m_real, at::ones({1, 1, 24, 32}), 3, 2.0));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, editImage(m_model, m_real, at::ones({1, 1, 24, 32}), -1, 2.0));
        // Each message names the bad value.
        const at::Tensor ok = at::ones({1, 1, 24, 32});
        QString m = refusal([&] { editImage(m_model, m_real, at::ones({1, 3, 24, 32}), 1, 2.0); });
        QVERIFY2(m.contains(QLatin1String("[1, 3, 24, 32]")), qPrintable(m)); // an RGB mask
        m = refusal([&] { editImage(m_model, m_real, at::ones({1, 1, 20, 32}), 1, 2.0); });
        QVERIFY2(m.contains(QLatin1String("mask is 32x20 but the image is 32x24")), qPrintable(m));
        m = refusal([&] { editImage(m_model, m_real, ok, 3, 2.0); });
        QVERIFY2(m.contains(QLatin1String("(got 3)")), qPrintable(m));
        m = refusal([&] { editImage(m_model, m_real, ok, 1, -2.5); });
        QVERIFY2(m.contains(QLatin1String("feather")) && m.contains(QLatin1String("-2.5")), qPrintable(m));
        m = refusal([&] { editImage(m_model, m_real.slice(1, 0, 1), ok, 1, 2.0); });
        QVERIFY2(m.contains(QLatin1String("[1, 1, 24, 32]")), qPrintable(m)); // a grey image
        m = refusal([&] { superResolve(m_model, at::Tensor(), 16.5); });
        QVERIFY2(m.contains(QLatin1String("16.5")), qPrintable(m));
    }

    void injectKeepsTheInputSize()
    {
        const at::Tensor content = at::rand({1, 3, 30, 45}) * 2 - 1;
        const at::Tensor out = injectImage(m_model, content, 1);
        QCOMPARE(out.size(2), int64_t(30));
        QCOMPARE(out.size(3), int64_t(45));
        QVERIFY(out.abs().max().item<float>() <= 1.0f);
        // Starting later keeps more of the content.
        const double early = (injectImage(m_model, content, 0) - content).pow(2).mean().item<double>();
        const double late = (injectImage(m_model, content, 2) - content).pow(2).mean().item<double>();
        QVERIFY2(late < early, qPrintable(QStringLiteral("%1 vs %2").arg(late).arg(early)));
    }

    void superResolutionSizeAndFidelity()
    {
        const at::Tensor out = superResolve(m_model, at::Tensor(), 2.0);
        QCOMPARE(out.size(2), int64_t(48));
        QCOMPARE(out.size(3), int64_t(64));
        // On a downsampled copy of the training image, SR recovers the
        // high-resolution image better than bicubic interpolation does.
        const at::Tensor low = resizeImage(m_real, 12, 16);
        const at::Tensor sr = superResolve(m_model, low, 2.0);
        const at::Tensor bic = resizeImage(low, 24, 32);
        const double eSr = (sr - m_real).pow(2).mean().item<double>();
        const double eBic = (bic - m_real).pow(2).mean().item<double>();
        QVERIFY2(eSr < eBic, qPrintable(QStringLiteral("SR %1 vs bicubic %2").arg(eSr).arg(eBic)));
        // Back-projected: shrunk again, the result is the input (up to clamping and rounding of the resize).
        const double drift = (resizeImage(sr, 12, 16) - low).abs().mean().item<double>();
        QVERIFY2(drift < 0.01, qPrintable(QString::number(drift)));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, superResolve(m_model, at::Tensor(), 0.5));
        // The chain is short by default: a quarter of the training's steps.
        QCOMPARE(superResolutionSteps(TrainConfig::preset("quick")), 3);
        QCOMPARE(superResolutionSteps(TrainConfig::preset("paper")), 8);
        TrainConfig one = TrainConfig::preset("quick");
        one.stepsPerScale = 1;
        QCOMPARE(superResolutionSteps(one), 1);
    }

    void backProjectionMatchesTheLowResolutionInput()
    {
        // A sharp pattern plus high-frequency detail that shrinking removes, with its low frequencies shifted.
        const at::Tensor low = resizeImage(m_real, 12, 16);
        const at::Tensor detail = at::rand({1, 3, 24, 32}).gt(0.5).to(at::kFloat) * 0.2 - 0.1;
        const at::Tensor x = (resizeImage(low, 24, 32) * 0.7 + 0.1 + detail).clamp(-1, 1);
        auto error = [&](const at::Tensor &t) { return (resizeImage(t, 12, 16) - low).abs().mean().item<double>(); };
        double last = error(x);
        for (int passes = 1; passes <= 3; ++passes) {
            const double e = error(backProject(x, low, passes));
            QVERIFY2(e < last * 0.7, qPrintable(QStringLiteral("%1 passes: %2 (was %3)").arg(passes).arg(e).arg(last)));
            last = e;
        }
        QCOMPARE(backProject(x, low, 0).equal(x), true);
    }

    void energyPrefersTheRealImage()
    {
        const at::Tensor e = energyMap(m_model, m_real);
        QCOMPARE(e.size(2), int64_t(24));
        QCOMPARE(e.size(3), int64_t(32));
        Rng rng(3, at::kCPU);
        const at::Tensor noise = rng.uniform({1, 3, 24, 32}, -1, 1);
        QVERIFY(e.mean().item<double>() > energyMap(m_model, noise).mean().item<double>());
        const at::Tensor heat = heatMap(e);
        QCOMPARE(heat.size(1), int64_t(3));
        QVERIFY(heat.min().item<float>() >= -1.0f && heat.max().item<float>() <= 1.0f);
    }
};

QTEST_APPLESS_MAIN(TestTasks)
#include "test_tasks.moc"
