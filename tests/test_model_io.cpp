#include "errors.h"
#include "generator.h"
#include "model.h"
#include "testutil.h"
#include "trainer.h"

#include <QTemporaryDir>
#include <QTest>

#include <torch/serialize/output-archive.h>

#include <fstream>
#include <iterator>

using namespace pgcn;

/** Model files: round trip, atomic save, refusal of foreign and damaged files. */
class TestModelIo : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    PyramidModel m_model;

    std::string path(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)).toStdString(); }

    static std::string readAll(const std::string &p)
    {
        std::ifstream f(p, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), {}};
    }
    static void writeAll(const std::string &p, const std::string &bytes)
    {
        std::ofstream f(p, std::ios::binary);
        f << bytes;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_model = PyramidModel(test::patternImage(24, 20), test::tinyConfig(4));
        train(m_model);
    }

    void roundTripGivesIdenticalOutputs()
    {
        m_model.save(path("m.pgcn"));
        const PyramidModel loaded = PyramidModel::load(path("m.pgcn"));
        QCOMPARE(loaded.numScales(), m_model.numScales());
        QCOMPARE(loaded.trainedScales(), m_model.trainedScales());
        QCOMPARE(loaded.config().toText(), m_model.config().toText());
        QCOMPARE(loaded.geometry().scales, m_model.geometry().scales);
        for (int s = 0; s < m_model.numScales(); ++s)
            QVERIFY(at::equal(loaded.real(s), m_model.real(s)));
        SampleRequest req;
        req.count = 2;
        GenerateOptions opt;
        opt.seed = 11;
        const auto a = sample(m_model, req, opt), b = sample(loaded, req, opt);
        QVERIFY(at::equal(a[0], b[0]) && at::equal(a[1], b[1]));
        QVERIFY(at::equal(reconstruct(m_model), reconstruct(loaded)));
        // No temporary file is left beside it.
        QCOMPARE(QDir(m_dir.path()).entryList(QDir::Files).filter(QStringLiteral(".tmp")).size(), 0);
    }

    void partlyTrainedModelsRoundTrip()
    {
        PyramidModel m = m_model;
        PyramidModel partial(test::patternImage(24, 20), test::tinyConfig(2));
        partial.save(path("empty.pgcn"));
        QCOMPARE(PyramidModel::load(path("empty.pgcn")).trainedScales(), 0);
    }

    void damagedFilesAreRefused_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("missing") << "missing";
        QTest::newRow("empty") << "empty";
        QTest::newRow("text") << "text";
        QTest::newRow("truncated") << "truncated";
        QTest::newRow("flipped bytes") << "flipped";
        QTest::newRow("foreign archive") << "foreign";
        QTest::newRow("future version") << "version";
        QTest::newRow("wrong weight shape") << "shape";
        QTest::newRow("folder") << "folder";
    }
    void damagedFilesAreRefused()
    {
        QFETCH(QString, kind);
        m_model.save(path("good.pgcn"));
        const std::string good = readAll(path("good.pgcn"));
        const std::string bad = path("bad.pgcn");
        std::remove(bad.c_str());
        if (kind == QLatin1String("empty"))
            writeAll(bad, "");
        else if (kind == QLatin1String("text"))
            writeAll(bad, "hello, I am not a model\n");
        else if (kind == QLatin1String("truncated"))
            writeAll(bad, good.substr(0, good.size() / 2));
        else if (kind == QLatin1String("flipped")) {
            std::string g = good;
            for (size_t i = g.size() / 3; i < g.size() / 3 + 64; ++i)
                g[i] = char(~g[i]);
            writeAll(bad, g);
        } else if (kind == QLatin1String("foreign")) {
            torch::serialize::OutputArchive ar;
            ar.write("weights", at::ones({3}));
            ar.save_to(bad);
        } else if (kind == QLatin1String("version") || kind == QLatin1String("shape")) {
            torch::serialize::OutputArchive ar;
            ar.write("magic", c10::IValue(std::string(PyramidModel::kMagic)));
            ar.write("format_version", c10::IValue(int64_t(kind == QLatin1String("version") ? 99 : 1)));
            ar.write("config", c10::IValue(m_model.config().toText()));
            auto sizes = at::empty({2, 2}, at::kLong);
            for (int s = 0; s < 2; ++s) {
                sizes[s][0] = m_model.geometry().scales[s].width;
                sizes[s][1] = m_model.geometry().scales[s].height;
            }
            ar.write("scale_sizes", sizes);
            ar.write("ratio", c10::IValue(m_model.geometry().ratio));
            ar.write("trained_scales", c10::IValue(int64_t(1)));
            ar.write("real_0", m_model.real(0));
            ar.write("real_1", m_model.real(1));
            torch::serialize::OutputArchive net;
            for (const auto &p : m_model.net(0)->named_parameters())
                net.write(p.key(), p.key() == "w1" ? at::zeros({3, 3, 3, 3}) : p.value());
            for (const auto &b : m_model.net(0)->named_buffers())
                net.write(b.key(), b.value(), true);
            ar.write("net_0", net);
            ar.save_to(bad);
        } else if (kind == QLatin1String("folder")) {
            QDir(m_dir.path()).mkdir(QStringLiteral("bad.pgcn"));
        }
        try {
            PyramidModel::load(bad);
            QFAIL("a damaged file was accepted");
        } catch (const FileFormatError &e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(!msg.isEmpty(), "empty message");
            if (kind == QLatin1String("version"))
                QVERIFY2(msg.contains(QLatin1String("version 99")), qPrintable(msg));
            if (kind == QLatin1String("shape"))
                QVERIFY2(msg.contains(QLatin1String("w1")), qPrintable(msg));
        }
        if (kind == QLatin1String("folder"))
            QDir(m_dir.path()).rmdir(QStringLiteral("bad.pgcn"));
    }

    void failedSaveLeavesTheOldFile()
    {
        m_model.save(path("keep.pgcn"));
        const std::string before = readAll(path("keep.pgcn"));
        QVERIFY_THROWS_EXCEPTION(Error, m_model.save(path("no-such-dir/keep.pgcn")));
        QVERIFY_THROWS_EXCEPTION(Error, atomicWrite(path("keep.pgcn"), [](const std::string &) {
                                     throw std::runtime_error("disk full");
                                 }));
        QCOMPARE(readAll(path("keep.pgcn")), before);
        QCOMPARE(QDir(m_dir.path()).entryList(QDir::Files).filter(QStringLiteral(".tmp")).size(), 0);
    }
};

QTEST_APPLESS_MAIN(TestModelIo)
#include "test_model_io.moc"
