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
