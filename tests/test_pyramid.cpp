#include "config.h"
#include "errors.h"
#include "pyramid.h"
#include "tensorops.h"

#include <QTest>

#include <cmath>

using namespace pgcn;

/** Pyramid geometry (algorithm.md §1) and the pixel <-> tensor conversions. */
class TestPyramid : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sizes_data()
    {
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("finestW");
        QTest::addColumn<int>("finestH");
        QTest::newRow("landscape 500x375") << 500 << 375 << 250 << 188;
        QTest::newRow("portrait 300x400") << 300 << 400 << 188 << 250;
        QTest::newRow("square 1000") << 1000 << 1000 << 250 << 250;
        QTest::newRow("small 200x100 keeps size") << 200 << 100 << 200 << 100;
    }
    void sizes()
    {
        QFETCH(int, w);
        QFETCH(int, h);
        QFETCH(int, finestW);
        QFETCH(int, finestH);
        const auto g = PyramidGeometry::compute(w, h, 250, 25, 8);
        QCOMPARE(int(g.scales.size()), 8);
        QCOMPARE(g.finest.width, finestW);
        QCOMPARE(g.finest.height, finestH);
        QCOMPARE(g.scales.back(), g.finest);
        // Coarsest: shorter side = 25, longer side follows the aspect ratio.
        const Size2 c = g.scales.front();
        QCOMPARE(c.shortSide(), 25);
        const double aspect = double(g.finest.longSide()) / g.finest.shortSide();
        QVERIFY(std::abs(c.longSide() - 25 * aspect) <= 1.0);
        // r = (coarse_long / fine_long)^(1/7); scale s = finest * r^(7-s).
        const double r = std::pow(25 * aspect / g.finest.longSide(), 1.0 / 7);
        QVERIFY(std::abs(g.ratio - r) < 1e-9);
        for (int s = 0; s < 8; ++s) {
            const double k = std::pow(r, 7 - s);
            QVERIFY2(std::abs(g.scales[s].width - g.finest.width * k) <= 0.5 + 1e-9, qPrintable(QString::number(s)));
            QVERIFY(std::abs(g.scales[s].height - g.finest.height * k) <= 0.5 + 1e-9);
            if (s > 0)
                QVERIFY(g.scales[s].longSide() > g.scales[s - 1].longSide());
        }
    }
    void tinyImagesAndOneScale()
    {
        const auto g = PyramidGeometry::compute(16, 12, 250, 25, 3);
        QCOMPARE(g.finest, (Size2{16, 12}));
        QCOMPARE(g.scales.front().shortSide(), 12); // never larger than the image
        const auto one = PyramidGeometry::compute(300, 200, 250, 25, 1);
        QCOMPARE(int(one.scales.size()), 1);
        QCOMPARE(one.scales[0], (Size2{250, 167}));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, PyramidGeometry::compute(0, 10, 250, 25, 8));
    }
    void quickAndBalancedStartAt16Pixels()
    {
        // quick and balanced: a 16-px coarsest scale and seven scales, a ratio near 1.5 as the
        // paper's 25 px and eight scales give at 250 px.
        for (const bool gpu : {false, true})
        for (const std::string name : {"quick", "balanced"}) {
            const TrainConfig c = TrainConfig::preset(name, gpu);
            const auto g = PyramidGeometry::compute(250, 188, c.maxSize, c.minSize, c.numScales);
            QCOMPARE(int(g.scales.size()), 7);
            QCOMPARE(g.scales.front().width, 21);
            QCOMPARE(g.scales.front().height, 16);
            QVERIFY(g.ratio > 1 / 1.55 && g.ratio < 1 / 1.4);
        }
        const TrainConfig p = TrainConfig::preset("paper"), b = TrainConfig::preset("balanced");
        QCOMPARE(p.minSize, 25);
        QCOMPARE(p.numScales, 8);
        // balanced's small coarsest scale trains 2500 iterations (4000 drifted there), the others 1000.
        QCOMPARE(b.coarseIterations, 2500);
        QCOMPARE(b.iterations, 1000);
    }

    void defaultStartScaleFollowsTheSizes()
    {
        auto sides = [](const PyramidGeometry &g) { return g.shorterSides(); };
        // The same resolution in both pyramids: edit at 36-37 px, harmonize at 55-56 px.
        const auto paper6 = sides(PyramidGeometry::compute(250, 188, 250, 25, 6)); // 25 37 55 ...
        QCOMPARE(defaultStartScale(paper6, false), 1);
        QCOMPARE(defaultStartScale(paper6, true), 2);
        const auto quick = sides(PyramidGeometry::compute(250, 188, 250, 16, 7)); // 16 24 36 55 ...
        QCOMPARE(quick[2], 36);
        QCOMPARE(defaultStartScale(quick, false), 2);
        QCOMPARE(defaultStartScale(quick, true), 3);
        const auto portrait = sides(PyramidGeometry::compute(188, 250, 250, 16, 7));
        QCOMPARE(defaultStartScale(portrait, false), 2);
        QCOMPARE(defaultStartScale(portrait, true), 3);
        // Small images: no scale that large, so the second and third scale, within the model.
        QCOMPARE(defaultStartScale({8, 16, 32}, false), 1);
        QCOMPARE(defaultStartScale({8, 16, 32}, true), 2);
        QCOMPARE(defaultStartScale({8, 16}, true), 1);
        QCOMPARE(defaultStartScale({10}, false), 0);
        QCOMPARE(defaultStartScale({}, true), 0);
        // The first large-enough scale, even the finest.
        QCOMPARE(defaultStartScale({20, 30, 40}, false), 2);
        QCOMPARE(defaultStartScale({20, 30, 60}, true), 2);
    }

    void scaledSizes()
    {
        const auto g = PyramidGeometry::compute(500, 375, 250, 25, 8);
        const auto s = g.scaled(2.0, 1.0);
        QCOMPARE(s.back().width, 500);
        QCOMPARE(s.back().height, 188);
        QCOMPARE(s.front().width, 2 * g.scales.front().width);
    }
    void tensorRoundTrip()
    {
        RgbImage img(7, 5);
        for (size_t i = 0; i < img.pixels.size(); ++i)
            img.pixels[i] = std::uint8_t((i * 37) % 256);
        const at::Tensor t = imageToTensor(img);
        QCOMPARE(t.sizes().vec(), (std::vector<int64_t>{1, 3, 5, 7}));
        QVERIFY(t.min().item<float>() >= -1.0f && t.max().item<float>() <= 1.0f);
        // pixel (x=2, y=3) channel G
        QCOMPARE(t[0][1][3][2].item<float>(), float(img.pixel(2, 3)[1] / 127.5 - 1.0));
        const RgbImage back = tensorToImage(t);
        QVERIFY(back.pixels == img.pixels);
    }
    void buildPyramidShapesAndRange()
    {
        RgbImage img(60, 40, 200);
        const auto g = PyramidGeometry::compute(60, 40, 50, 10, 4);
        const auto reals = buildPyramid(imageToTensor(img), g);
        QCOMPARE(int(reals.size()), 4);
        for (int s = 0; s < 4; ++s) {
            QCOMPARE(reals[s].size(3), int64_t(g.scales[s].width));
            QCOMPARE(reals[s].size(2), int64_t(g.scales[s].height));
            // A constant image stays constant through antialiased bicubic resizing.
            QVERIFY(std::abs(reals[s].mean().item<double>() - (200 / 127.5 - 1)) < 1e-4);
        }
    }
    void padAndCrop()
    {
        auto x = at::rand({2, 3, 9, 11});
        auto p = padImage(x, 5);
        QCOMPARE(p.size(2), int64_t(19));
        QCOMPARE(p[0][0][0][0].item<float>(), 0.0f);
        QVERIFY(at::equal(cropPad(p, 5), x));
    }
};

QTEST_APPLESS_MAIN(TestPyramid)
#include "test_pyramid.moc"
