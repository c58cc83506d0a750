#include "archivecheck.h"
#include "errors.h"
#include "generator.h"
#include "model.h"
#include "runtime.h"
#include "testutil.h"
#include "trainer.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <torch/serialize/output-archive.h>

#include <cmath>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sys/resource.h>

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

    /** A zip archive of stored entries (name, bytes), as LibTorch stores its pickles. */
    static std::string storedZip(const std::vector<std::pair<std::string, std::string>> &files)
    {
        auto le = [](std::uint64_t v, int bytes) {
            std::string out;
            for (int k = 0; k < bytes; ++k)
                out += char(v >> (8 * k));
            return out;
        };
        std::string locals, central;
        for (const auto &[name, payload] : files) {
            const std::string sizes = le(0, 4) + le(payload.size(), 4) + le(payload.size(), 4) + le(name.size(), 2) + le(0, 2);
            central += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + sizes + le(0, 2) +
                       le(0, 2) + le(0, 2) + le(0, 4) + le(locals.size(), 4) + name;
            locals += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + sizes + name + payload;
        }
        return locals + central + le(0x06054b50, 4) + le(0, 4) + le(files.size(), 2) + le(files.size(), 2) +
               le(central.size(), 4) + le(locals.size(), 4) + le(0, 2);
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

    void bf16ChainsSampleCloseToFp32()
    {
        if (!cpuHasBf16())
            QSKIP("this CPU has no native bfloat16 (AVX512-BF16): its chains stay fp32");
        SampleRequest req;
        req.count = 4;
        GenerateOptions opt;
        opt.seed = 11;
        std::vector<at::Tensor> fp32, bf16, other;
        {
            const test::PrecisionScope p(Precision::Fp32);
            fp32 = sample(m_model, req, opt);
            QCOMPARE(m_model.frozen(0).front().scalar_type(), at::kFloat);
            opt.seed = 12;
            other = sample(m_model, req, opt);
            opt.seed = 11;
        }
        {
            const test::PrecisionScope p(Precision::Bf16);
            // The model's cached chain weights follow the precision (they were fp32 a moment ago).
            QCOMPARE(m_model.frozen(0).front().scalar_type(), at::kBFloat16);
            bf16 = sample(m_model, req, opt);
        }
        // Same seed, same starts: the bf16 chains end near the fp32 ones, far nearer
        // than the samples of another seed are; but not on them (bf16 did compute).
        double drift = 0, spread = 0;
        for (int i = 0; i < req.count; ++i) {
            QCOMPARE(bf16[i].sizes(), fp32[i].sizes());
            drift += (bf16[i] - fp32[i]).abs().mean().item<double>() / req.count;
            spread += (other[i] - fp32[i]).abs().mean().item<double>() / req.count;
        }
        qInfo("bf16 against fp32: %.4g per pixel; another seed: %.4g", drift, spread);
        QVERIFY2(drift > 0 && drift < 0.01 * spread, qPrintable(QStringLiteral("%1 against %2").arg(drift).arg(spread)));
    }

    void trainingLogsTravelWithTheModel()
    {
        // Each trained scale keeps its measured iterations (on a CPU every one), in order.
        for (int s = 0; s < m_model.trainedScales(); ++s) {
            const auto &log = m_model.trainingLog(s);
            QCOMPARE(int(log.size()), m_model.config().iterationsAt(s, false));
            for (size_t k = 0; k < log.size(); ++k) {
                QCOMPARE(log[k].iteration, int(k) + 1);
                QVERIFY(std::isfinite(log[k].energyReal) && std::isfinite(log[k].energySyn));
                QVERIFY(log[k].recoveryMse >= 0 && log[k].recoveryMse < 4);
            }
        }
        const std::string bytes = m_model.toBytes();
        const PyramidModel loaded = PyramidModel::fromBytes(bytes.data(), bytes.size(), "memory");
        for (int s = 0; s < m_model.trainedScales(); ++s)
            QVERIFY(loaded.trainingLog(s) == m_model.trainingLog(s));
        QVERIFY(QString::fromStdString(loaded.describe()).contains(QLatin1String(" at the end\n")));

        // A model whose nets came without logs (as files written before logs were kept)
        // has no log entries and loads with empty logs; its description says nothing of them.
        PyramidModel bare(test::patternImage(24, 20), m_model.config());
        for (int s = 0; s < m_model.trainedScales(); ++s)
            bare.addTrainedScale(m_model.net(s));
        const std::string bareBytes = bare.toBytes();
        QVERIFY(bareBytes.find("log_0") == std::string::npos);
        QVERIFY(bytes.find("log_0") != std::string::npos);
        const PyramidModel bareLoaded = PyramidModel::fromBytes(bareBytes.data(), bareBytes.size(), "memory");
        QCOMPARE(bareLoaded.trainedScales(), m_model.trainedScales());
        for (int s = 0; s < bareLoaded.trainedScales(); ++s)
            QVERIFY(bareLoaded.trainingLog(s).empty());
        QVERIFY(!QString::fromStdString(bareLoaded.describe()).contains(QLatin1String(" at the end")));

        // Dropping scales drops their logs; a retrained scale gets its own.
        PyramidModel cut = loaded;
        cut.truncate(1);
        QCOMPARE(cut.trainedScales(), 1);
        cut.addTrainedScale(m_model.net(1), {{1, 0.5, 0.25, 0.01}});
        QCOMPARE(int(cut.trainingLog(1).size()), 1);
        const std::string cutBytes = cut.toBytes();
        const PyramidModel cutLoaded = PyramidModel::fromBytes(cutBytes.data(), cutBytes.size(), "memory");
        QVERIFY(cutLoaded.trainingLog(0) == m_model.trainingLog(0));
        QCOMPARE(cutLoaded.trainingLog(1).front().energySyn, 0.25);
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

    void bytesRoundTrip()
    {
        const std::string bytes = m_model.toBytes();
        QCOMPARE(bytes, [&] { m_model.save(path("b.pgcn")); return readAll(path("b.pgcn")); }());
        const PyramidModel loaded = PyramidModel::fromBytes(bytes.data(), bytes.size(), "memory");
        QCOMPARE(loaded.trainedScales(), m_model.trainedScales());
        for (int s = 0; s < m_model.numScales(); ++s)
            QVERIFY(at::equal(loaded.real(s), m_model.real(s)));
        for (const size_t n : {size_t(0), size_t(10), bytes.size() / 2, bytes.size() - 1}) {
            try {
                PyramidModel::fromBytes(bytes.data(), n, "cut");
                QFAIL(qPrintable(QStringLiteral("%1 of %2 bytes accepted").arg(n).arg(bytes.size())));
            } catch (const FileFormatError &e) {
                QVERIFY2(QString::fromUtf8(e.what()).contains(QLatin1String("'cut'")), e.what());
            }
        }
    }

    void claimedSizesAreCheckedBeforeLibTorch_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expect");
        QTest::newRow("pickle string of 4 GB") << "pickle" << "pickle";
        QTest::newRow("record of 4 GB") << "record" << "inconsistent sizes";
        QTest::newRow("directory beyond the file") << "directory" << "zip directory";
        // LibTorch rebuilds tensors from the stated offset and strides unchecked (found by fuzz_model:
        // a heap overflow when the loader read such a tensor).
        QTest::newRow("tensor beyond its storage") << "tensor" << "does not fit its data";
    }
    void claimedSizesAreCheckedBeforeLibTorch()
    {
        // A few changed bytes of a good file claim gigabytes; LibTorch 1.13 would allocate them (found by fuzz_model).
        QFETCH(QString, kind);
        QFETCH(QString, expect);
        std::string bytes = m_model.toBytes();
        auto patch32 = [&](size_t at, std::uint32_t v) {
            for (int k = 0; k < 4; ++k)
                bytes[at + size_t(k)] = char(v >> (8 * k));
        };
        if (kind == QLatin1String("pickle")) { // BINUNICODE "magic": 'X', 4-byte length, text
            const size_t at = bytes.find(std::string("X\x05\0\0\0magic", 10));
            QVERIFY(at != std::string::npos);
            patch32(at + 1, 0xF0000000u);
        } else if (kind == QLatin1String("record")) { // the first directory entry's uncompressed size
            const size_t at = bytes.find("PK\x01\x02");
            QVERIFY(at != std::string::npos);
            patch32(at + 24, 0xFFFFFFF0u);
        } else if (kind == QLatin1String("tensor")) { // scale_sizes, 2x2 longs: storage offset 0 -> 3
            const size_t at = bytes.find("(K\x02K\x02t(K\x02K\x01t");
            QVERIFY(at != std::string::npos && bytes.compare(at - 2, 2, std::string("K\0", 2)) == 0);
            bytes[at - 1] = 3;
        } else { // the end record's directory offset
            const size_t at = bytes.rfind("PK\x05\x06");
            QVERIFY(at != std::string::npos);
            patch32(at + 16, 0x7FFFFFF0u);
        }
        QElapsedTimer clock;
        clock.start();
        try {
            PyramidModel::fromBytes(bytes.data(), bytes.size(), "patched");
            QFAIL("a damaged model was accepted");
        } catch (const FileFormatError &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(expect), e.what());
        }
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
    }

    void archiveCheckReadsPickles_data()
    {
        QTest::addColumn<QByteArray>("pickle");  // archive/data.pkl; empty: no entries at all
        QTest::addColumn<bool>("version");       // with archive/version
        QTest::addColumn<QString>("expect");     // empty: accepted
        QTest::addColumn<QByteArray>("dataVersion"); // archive/.data/version, which LibTorch prefers; empty: none
        const QByteArray good("\x80\x02}q\x00X\x01\x00\x00\x00" "aK\x05s.", 15);
        QTest::newRow("good") << good << true << "" << QByteArray();
        // LONG_BINPUT 2^31: LibTorch 1.13 resizes its memo to that many IValues (found by fuzz_model)
        QTest::newRow("memo index 2^31") << QByteArray("\x80\x02}r\x00\x00\x00\x80.", 9) << true << "memo index" << QByteArray();
        QTest::newRow("text memo index") << QByteArray("\x80\x02}p99999999\n.", 14) << true << "memo index" << QByteArray();
        // BINUNICODE of 2 GB: LibTorch allocates and zeroes it before finding the end (found by fuzz_model)
        QTest::newRow("string of 2 GB") << QByteArray("\x80\x02X\xff\xff\xff\x7f" "ab.", 10) << true << "cut short" << QByteArray();
        QTest::newRow("unknown opcode") << QByteArray("\x80\x02\xff.", 4) << true << "unknown opcode" << QByteArray();
        QTest::newRow("no STOP") << QByteArray("\x80\x02}", 3) << true << "no end" << QByteArray();
        // LibTorch's reader leaks its zip state when its constructor throws on these (found by fuzz_model).
        QTest::newRow("no version record") << good << false << "version record" << QByteArray();
        QTest::newRow("empty archive") << QByteArray() << false << "empty archive" << QByteArray();
        QTest::newRow("bad .data/version beside a good one") << good << true << "version record" << QByteArray("x\n");
        QTest::newRow("good .data/version") << good << false << "" << QByteArray("3\n");
    }
    void archiveCheckReadsPickles()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(bool, version);
        QFETCH(QString, expect);
        QFETCH(QByteArray, dataVersion);
        std::vector<std::pair<std::string, std::string>> files;
        if (!pickle.isEmpty())
            files.emplace_back("archive/data.pkl", pickle.toStdString());
        if (version)
            files.emplace_back("archive/version", "3\n");
        if (!dataVersion.isEmpty())
            files.emplace_back("archive/.data/version", dataVersion.toStdString());
        const std::string zip = storedZip(files);
        QString message;
        try {
            checkModelArchive(zip.data(), zip.size());
        } catch (const FileFormatError &e) {
            message = QString::fromUtf8(e.what());
        }
        if (expect.isEmpty())
            QVERIFY2(message.isEmpty(), qPrintable(message));
        else
            QVERIFY2(message.contains(expect), qPrintable(message));
    }

    void diskFullLeavesTheOldFile()
    {
        m_model.save(path("full.pgcn"));
        const std::string before = readAll(path("full.pgcn"));
        rlimit old{};
        getrlimit(RLIMIT_FSIZE, &old);
        const auto handler = std::signal(SIGXFSZ, SIG_IGN);
        const rlimit small{1000, old.rlim_max}; // writes beyond 1000 bytes fail with EFBIG, as on a full disk
        setrlimit(RLIMIT_FSIZE, &small);
        QString message;
        try {
            m_model.save(path("full.pgcn"));
        } catch (const Error &e) {
            message = QString::fromUtf8(e.what());
        }
        setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, handler);
        QVERIFY2(message.contains(QLatin1String("cannot write")) && message.contains(QLatin1String("full.pgcn")), qPrintable(message));
        QCOMPARE(readAll(path("full.pgcn")), before);
        QCOMPARE(QDir(m_dir.path()).entryList(QDir::Files).filter(QStringLiteral(".tmp")).size(), 0);
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
