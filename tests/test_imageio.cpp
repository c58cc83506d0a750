#include "errors.h"
#include "imageio.h"
#include "testutil.h"

#include <QImage>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace pgcn;

/** Image files in and out: formats, bit depths, alpha, masks and bad files. */
class TestImageIo : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const QString &name) const { return m_dir.filePath(name).toStdString(); }

private Q_SLOTS:
    void pngRoundTripIsExact()
    {
        const RgbImage img = test::patternImage(31, 17);
        saveImage(path(QStringLiteral("a.png")), img);
        const LoadedImage back = loadImageFile(path(QStringLiteral("a.png")));
        QCOMPARE(back.rgb.width, 31);
        QCOMPARE(back.rgb.height, 17);
        QVERIFY(back.rgb.pixels == img.pixels);
        QVERIFY(back.alpha.isNull());
    }

    void lossyFormatsAreClose_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("jpeg") << "a.jpg";
        QTest::newRow("webp") << "a.webp";
        QTest::newRow("tiff") << "a.tiff";
        QTest::newRow("bmp") << "a.bmp";
    }
    void lossyFormatsAreClose()
    {
        QFETCH(QString, name);
        RgbImage img(40, 30, 0);
        for (int y = 0; y < 30; ++y)
            for (int x = 0; x < 40; ++x) {
                img.pixel(x, y)[0] = std::uint8_t(x * 6);
                img.pixel(x, y)[1] = std::uint8_t(y * 8);
                img.pixel(x, y)[2] = 128;
            }
        saveImage(path(name), img);
        const RgbImage back = loadImage(path(name));
        QCOMPARE(back.width, 40);
        double err = 0;
        for (size_t i = 0; i < img.pixels.size(); ++i)
            err += std::abs(int(img.pixels[i]) - int(back.pixels[i]));
        QVERIFY2(err / img.pixels.size() < 4.0, qPrintable(QString::number(err / img.pixels.size())));
        // R stays R: no BGR mix-up
        QVERIFY(back.pixel(39, 0)[0] > 200 && back.pixel(39, 0)[2] < 160);
    }

    void grayscaleSixteenBitAndAlphaBecomeRgb8()
    {
        QImage gray(8, 6, QImage::Format_Grayscale8);
        gray.fill(100);
        QVERIFY(gray.save(m_dir.filePath(QStringLiteral("g.png"))));
        RgbImage g = loadImage(path(QStringLiteral("g.png")));
        QCOMPARE(int(g.pixel(3, 3)[0]), 100);
        QCOMPARE(int(g.pixel(3, 3)[2]), 100);

        QImage deep(8, 6, QImage::Format_RGBX64);
        deep.fill(QColor::fromRgba64(qRgba64(65535, 32768, 0, 65535)));
        QVERIFY(deep.save(m_dir.filePath(QStringLiteral("d.png"))));
        const LoadedImage d = loadImageFile(path(QStringLiteral("d.png")));
        QCOMPARE(d.originalDepthBits, 16);
        QCOMPARE(int(d.rgb.pixel(0, 0)[0]), 255);
        QVERIFY(std::abs(int(d.rgb.pixel(0, 0)[1]) - 128) <= 1);

        QImage alpha(8, 6, QImage::Format_ARGB32);
        alpha.fill(QColor(10, 20, 30, 0));
        alpha.setPixelColor(2, 2, QColor(10, 20, 30, 255));
        QVERIFY(alpha.save(m_dir.filePath(QStringLiteral("t.png"))));
        const LoadedImage t = loadImageFile(path(QStringLiteral("t.png")));
        QVERIFY(!t.alpha.isNull());
        QCOMPARE(int(t.alpha.at(2, 2)), 255);
        QCOMPARE(int(t.alpha.at(0, 0)), 0);
        // A mask file with a shaped alpha channel: the alpha is the mask.
        QCOMPARE(int(loadMask(path(QStringLiteral("t.png"))).at(2, 2)), 255);
        // An opaque mask whose alpha is nearly constant (as some editors write): its luminance.
        QImage almost(100, 10, QImage::Format_ARGB32);
        almost.fill(QColor(0, 0, 0, 255));
        for (int x = 0; x < 50; ++x)
            for (int y = 0; y < 10; ++y)
                almost.setPixelColor(x, y, QColor(255, 255, 255, 255));
        almost.setPixelColor(99, 9, QColor(0, 0, 0, 0)); // one transparent pixel
        QVERIFY(almost.save(m_dir.filePath(QStringLiteral("almost.png"))));
        const GrayImage am = loadMask(path(QStringLiteral("almost.png")));
        QCOMPARE(int(am.at(10, 5)), 255);
        QCOMPARE(int(am.at(80, 5)), 0);
        // A grey mask file: its luminance.
        QCOMPARE(int(loadMask(path(QStringLiteral("g.png"))).at(1, 1)), 100);
    }

    void badFilesGiveClearErrors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expect");
        QTest::newRow("missing") << "none.png" << QByteArray() << "cannot open";
        QTest::newRow("empty") << "empty.png" << QByteArray("") << "empty";
        QTest::newRow("text") << "text.png" << QByteArray("just some text, not an image") << "cannot decode";
        QTest::newRow("truncated png") << "trunc.png" << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << "cannot decode";
    }
    void badFilesGiveClearErrors()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expect);
        if (name != QLatin1String("none.png")) {
            std::ofstream f(path(name), std::ios::binary);
            f.write(bytes.constData(), bytes.size());
        }
        try {
            loadImage(path(name));
            QFAIL("bad file accepted");
        } catch (const Error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(expect), e.what());
        }
    }

    void savingIsAtomicAndChecked()
    {
        const RgbImage img = test::patternImage(10, 10);
        QVERIFY_THROWS_EXCEPTION(Error, saveImage(path(QStringLiteral("x.unknown")), img));
        QVERIFY_THROWS_EXCEPTION(Error, saveImage(path(QStringLiteral("missing/x.png")), img));
        QVERIFY_THROWS_EXCEPTION(Error, saveImage(path(QStringLiteral("e.png")), RgbImage()));
        QCOMPARE(QDir(m_dir.path()).entryList(QDir::Files).filter(QStringLiteral(".tmp")).size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestImageIo)
#include "test_imageio.moc"
