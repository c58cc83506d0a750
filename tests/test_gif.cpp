#include "gif.h"
#include "testutil.h"

#include <QBuffer>
#include <QImageReader>
#include <QTest>

#include <random>

using namespace pgcn;

/** The chain-export GIF encoder, checked by decoding with Qt's GIF reader. */
class TestGif : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void decodesToTheFrames_data()
    {
        QTest::addColumn<int>("w");
        QTest::addColumn<int>("h");
        QTest::addColumn<bool>("noisy");
        QTest::newRow("small pattern") << 24 << 20 << false;
        // Noise fills the 4096-entry LZW table: code widths up to 12 bits and clear codes.
        QTest::newRow("noisy 160x120") << 160 << 120 << true;
    }
    void decodesToTheFrames()
    {
        QFETCH(int, w);
        QFETCH(int, h);
        QFETCH(bool, noisy);
        std::mt19937 rng(1);
        std::vector<RgbImage> frames;
        for (int f = 0; f < 3; ++f) {
            RgbImage img = test::patternImage(w, h);
            for (auto &p : img.pixels)
                p = std::uint8_t(std::clamp(int(p) + (noisy ? int(rng() % 120) - 60 : f * 20), 0, 255));
            frames.push_back(img);
        }
        const auto bytes = encodeGif(frames, 8);
        QByteArray data(reinterpret_cast<const char *>(bytes.data()), int(bytes.size()));
        QBuffer buffer(&data);
        QImageReader reader(&buffer, "gif");
        QVERIFY2(reader.canRead(), qPrintable(reader.errorString()));
        QCOMPARE(reader.imageCount(), 3);
        for (int f = 0; f < 3; ++f) {
            const QImage img = reader.read().convertToFormat(QImage::Format_RGB888);
            QVERIFY2(!img.isNull(), qPrintable(reader.errorString()));
            QCOMPARE(img.width(), w);
            QCOMPARE(img.height(), h);
            double err = 0;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const QColor c = img.pixelColor(x, y);
                    const std::uint8_t *p = frames[f].pixel(x, y);
                    err += std::abs(c.red() - p[0]) + std::abs(c.green() - p[1]) + std::abs(c.blue() - p[2]);
                }
            err /= 3.0 * w * h;
            QVERIFY2(err < 20, qPrintable(QStringLiteral("frame %1: mean error %2").arg(f).arg(err)));
        }
    }
    void refusesMismatchedFrames()
    {
        QVERIFY_THROWS_EXCEPTION(std::exception, encodeGif({RgbImage(4, 4), RgbImage(5, 4)}, 5));
        QVERIFY_THROWS_EXCEPTION(std::exception, encodeGif({}, 5));
    }
};

QTEST_GUILESS_MAIN(TestGif)
#include "test_gif.moc"
