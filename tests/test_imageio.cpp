#include "errors.h"
#include "imageio.h"
#include "testutil.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <iterator>
#include <sys/resource.h>

using namespace pgcn;

/** Image files in and out: formats, bit depths, alpha, masks and bad files. */
class TestImageIo : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const QString &name) const { return m_dir.filePath(name).toStdString(); }

    void writeBytes(const QString &name, const QByteArray &bytes) const
    {
        std::ofstream f(path(name), std::ios::binary);
        f.write(bytes.constData(), bytes.size());
    }
    QByteArray readBytes(const QString &name) const
    {
        std::ifstream f(path(name), std::ios::binary);
        const std::string s{std::istreambuf_iterator<char>(f), {}};
        return QByteArray(s.data(), qsizetype(s.size()));
    }
    static QByteArray encoded(const QImage &image, const char *format)
    {
        QByteArray bytes;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, format);
        return bytes;
    }

    static QByteArray be32(quint32 v)
    {
        const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
        return QByteArray(b, 4);
    }
    static QByteArray le32(quint32 v)
    {
        const char b[4] = {char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
        return QByteArray(b, 4);
    }
    static QByteArray pngChunk(const char *type, const QByteArray &data)
    {
        const QByteArray body = QByteArray(type, 4) + data;
        quint32 crc = 0xFFFFFFFFu;
        for (const char c : body) {
            crc ^= quint8(c);
            for (int k = 0; k < 8; ++k)
                crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
        return be32(quint32(data.size())) + body + be32(~crc);
    }
    /** A valid 1-bit grey PNG of w x h black pixels: a few kilobytes that decode to w*h*3 bytes. */
    static QByteArray bilevelPng(quint32 w, quint32 h, bool withPixels)
    {
        QByteArray png("\x89PNG\r\n\x1a\n", 8);
        png += pngChunk("IHDR", be32(w) + be32(h) + QByteArray("\x01\x00\x00\x00\x00", 5));
        const QByteArray rows(withPixels ? qsizetype(h) * (1 + (w + 7) / 8) : 64, '\0');
        png += pngChunk("IDAT", qCompress(rows, 9).mid(4)); // qCompress: 4-byte length + zlib stream
        return png + pngChunk("IEND", {});
    }
    static long maxRssMiB()
    {
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        return u.ru_maxrss / 1024;
    }

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
        const RgbImage pattern = test::patternImage(40, 30);
        const QImage img = QImage(pattern.pixels.data(), 40, 30, 40 * 3, QImage::Format_RGB888).copy();
        const QByteArray png = encoded(img, "PNG"), jpeg = encoded(img, "JPG");
        QTest::newRow("png cut at 90%") << "cut.png" << png.left(png.size() * 9 / 10) << "cannot decode";
        QByteArray corrupt = png;
        for (qsizetype i = png.size() / 2; i < png.size() / 2 + 16; ++i)
            corrupt[i] = char(~corrupt[i]);
        QTest::newRow("corrupt png") << "corrupt.png" << corrupt << "cannot decode";
        // libjpeg would pad a cut JPEG with grey and call it a success.
        QTest::newRow("jpeg cut at 90%") << "cut.jpg" << jpeg.left(jpeg.size() * 9 / 10) << "truncated";
        QTest::newRow("jpeg without its last 2 bytes") << "cut2.jpg" << jpeg.left(jpeg.size() - 2) << "truncated";
        QTest::newRow("unsupported format (Radiance HDR)") << "x.hdr" << QByteArray("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 20000 +X 20000\n") << "not in a supported format";
        QTest::newRow("model file") << "model.png" << QByteArray("PK\x03\x04 a zip archive, not an image") << "cannot decode";
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

    void probeReadsTheHeaderOfEveryFormat_data()
    {
        QTest::addColumn<QString>("name");
        for (const char *n : {"p.png", "p.jpg", "p.webp", "p.tif", "p.bmp"})
            QTest::newRow(n) << QString::fromLatin1(n);
    }
    void probeReadsTheHeaderOfEveryFormat()
    {
        QFETCH(QString, name);
        saveImage(path(name), test::patternImage(37, 23));
        const QByteArray bytes = readBytes(name);
        ImageHeaderSize size;
        QVERIFY(probeImageSize(reinterpret_cast<const unsigned char *>(bytes.constData()), size_t(bytes.size()), size));
        QCOMPARE(size.width, 37LL);
        QCOMPARE(size.height, 23LL);
        QVERIFY(!probeImageSize(reinterpret_cast<const unsigned char *>(bytes.constData()), 10, size)); // too short to tell
    }

    void hugeDimensionsAreRefusedBeforeDecoding_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("size");
        // A complete, valid 144-megapixel PNG in 25 kB: decoding it would take 0.4 GB, and 1.3 GB as RGB.
        QTest::newRow("png bomb 12000x12000") << "bomb.png" << bilevelPng(12000, 12000, true) << "12000x12000";
        QTest::newRow("png header 50000x50000") << "huge.png" << bilevelPng(50000, 50000, false) << "50000x50000";
        QTest::newRow("jpeg header 60000x60000")
            << "huge.jpg"
            << QByteArray("\xFF\xD8\xFF\xC0\x00\x11\x08\xEA\x60\xEA\x60\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xFF\xD9", 23)
            << "60000x60000";
        QTest::newRow("bmp header 40000x-40000")
            << "huge.bmp"
            << QByteArray("BM") + le32(54) + le32(0) + le32(54) + le32(40) + le32(40000) + le32(quint32(-40000)) +
                   QByteArray("\x01\x00\x18\x00", 4) + QByteArray(24, '\0')
            << "40000x40000";
        QTest::newRow("webp header 16384x16384")
            << "huge.webp"
            << QByteArray("RIFF") + le32(22) + QByteArray("WEBPVP8X") + le32(10) + le32(0) +
                   QByteArray("\xFF\x3F\x00\xFF\x3F\x00", 6)
            << "16384x16384";
        QTest::newRow("tiff header 30000x30000")
            << "huge.tif"
            << QByteArray("II*\0", 4) + le32(8) + QByteArray("\x02\x00", 2) + QByteArray("\x00\x01\x04\x00", 4) + le32(1) +
                   le32(30000) + QByteArray("\x01\x01\x04\x00", 4) + le32(1) + le32(30000) + le32(0)
            << "30000x30000";
        QTest::newRow("ppm header 20000x20000") << "huge.ppm" << QByteArray("P6\n# big\n20000 20000\n255\n") << "20000x20000";
        QTest::newRow("pam header 30000x30000")
            << "huge.pam" << QByteArray("P7\nWIDTH 30000\nHEIGHT 30000\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n") << "30000x30000";
        QTest::newRow("sun raster header 20000x20000")
            << "huge.ras" << be32(0x59A66A95) + be32(20000) + be32(20000) + be32(24) + QByteArray(16, '\0') << "20000x20000";
    }
    void hugeDimensionsAreRefusedBeforeDecoding()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, size);
        writeBytes(name, bytes);
        const long rssBefore = maxRssMiB();
        QElapsedTimer clock;
        clock.start();
        try {
            loadImage(path(name));
            QFAIL("a huge image was accepted");
        } catch (const Error &e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains(size) && msg.contains(QLatin1String("megapixels are refused")), e.what());
        }
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY2(maxRssMiB() - rssBefore < 100, qPrintable(QString::number(maxRssMiB() - rssBefore)));
        QVERIFY_THROWS_EXCEPTION(Error, loadMask(path(name))); // masks go through the same check
    }

    void exifOrientationIsHonoured()
    {
        // 16x8, white 4x4 block at the top left; EXIF orientation 6 = shown rotated 90 degrees clockwise.
        RgbImage img(16, 8, 0);
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 4; ++x)
                std::fill(img.pixel(x, y), img.pixel(x, y) + 3, std::uint8_t(255));
        saveImage(path(QStringLiteral("upright.jpg")), img);
        QByteArray jpeg = readBytes(QStringLiteral("upright.jpg"));
        const QByteArray tiff = QByteArray("MM\0*", 4) + be32(8) + QByteArray("\x00\x01\x01\x12\x00\x03", 6) + be32(1) +
                                QByteArray("\x00\x06\x00\x00", 4) + be32(0);
        const QByteArray app1 = QByteArray("Exif\0\0", 6) + tiff;
        jpeg.insert(2, QByteArray("\xFF\xE1", 2) + QByteArray(1, char((app1.size() + 2) >> 8)) +
                           QByteArray(1, char((app1.size() + 2) & 0xFF)) + app1);
        writeBytes(QStringLiteral("rotated.jpg"), jpeg);
        const RgbImage r = loadImage(path(QStringLiteral("rotated.jpg")));
        QCOMPARE(r.width, 8);
        QCOMPARE(r.height, 16);
        QVERIFY2(r.pixel(6, 1)[0] > 200, "the block is not at the top right");
        QVERIFY(r.pixel(1, 1)[0] < 60 && r.pixel(1, 14)[0] < 60);
        const LoadedImage li = loadImageFile(path(QStringLiteral("rotated.jpg")));
        QCOMPARE(li.rgb.width, 8);
    }

    void cmykJpegBecomesRgb()
    {
        const LoadedImage li = loadImageFile(PATCHGENCN_TEST_DATA "/cmyk-red-blue.jpg");
        QCOMPARE(li.rgb.width, 16);
        QCOMPARE(li.rgb.height, 8);
        QVERIFY(li.alpha.isNull());
        const std::uint8_t *left = li.rgb.pixel(2, 4), *right = li.rgb.pixel(13, 4);
        QVERIFY2(left[0] > 200 && left[1] < 60 && left[2] < 60, "left half is not red");
        QVERIFY2(right[2] > 200 && right[0] < 60 && right[1] < 60, "right half is not blue");
    }

    void oneByOneAndSixteenBitGrey()
    {
        const RgbImage dot = test::patternImage(1, 1);
        saveImage(path(QStringLiteral("dot.png")), dot);
        const RgbImage back = loadImage(path(QStringLiteral("dot.png")));
        QCOMPARE(back.width, 1);
        QCOMPARE(back.height, 1);
        QVERIFY(back.pixels == dot.pixels);

        QImage g16(6, 4, QImage::Format_Grayscale16);
        g16.fill(QColor::fromRgba64(qRgba64(0x8080, 0x8080, 0x8080, 0xFFFF)));
        QVERIFY(g16.save(m_dir.filePath(QStringLiteral("g16.png"))));
        const LoadedImage li = loadImageFile(path(QStringLiteral("g16.png")));
        QCOMPARE(li.originalDepthBits, 16);
        QCOMPARE(li.originalChannels, 1);
        QCOMPARE(int(li.rgb.pixel(5, 3)[1]), 128);
        // The same file as a mask: its luminance, 8-bit.
        QCOMPARE(int(loadMask(path(QStringLiteral("g16.png"))).at(0, 0)), 128);
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
