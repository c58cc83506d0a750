#include "imageio.h"
#include "model.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QRegularExpression>
#include <QTest>

#include <csignal>
#include <fstream>
#include <iterator>
#include <sys/resource.h>
#include <unistd.h>

using namespace pgcn;

/** The `patchgencn` command-line tool end to end, error paths included. */
class TestCli : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_image;

    struct Result
    {
        int code;
        QString out;
        QString err;
    };

    /** How the tool is started: as it is, as an unprivileged user, or with a tiny file size limit (a full disk). */
    enum class Limit { None, Unprivileged, DiskFull };

    /** As root, permissions do not bind: the child drops to nobody so a read-only folder is read-only to it. */
    static void setUpChild(QProcess &p, Limit limit)
    {
        if (limit == Limit::Unprivileged)
            p.setChildProcessModifier([] {
                if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
                    ::_exit(126);
            });
        else if (limit == Limit::DiskFull)
            p.setChildProcessModifier([] {
                // Writes beyond 100 bytes fail with EFBIG, as they would with ENOSPC on a full disk.
                ::signal(SIGXFSZ, SIG_IGN);
                const rlimit r{100, 100};
                ::setrlimit(RLIMIT_FSIZE, &r);
            });
    }

    Result run(const QStringList &args, int timeoutMs = 120000, Limit limit = Limit::None)
    {
        QProcess p;
        p.setWorkingDirectory(m_dir.path());
        setUpChild(p, limit);
        p.start(QStringLiteral(PATCHGENCN_CLI), args);
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            return {-1, {}, QStringLiteral("timeout")};
        }
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2,
                QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }
    QString file(const QString &name) const { return m_dir.filePath(name); }
    static QByteArray contents(const QString &path)
    {
        std::ifstream f(path.toStdString(), std::ios::binary);
        const std::string s{std::istreambuf_iterator<char>(f), {}};
        return QByteArray(s.data(), qsizetype(s.size()));
    }
    /** A folder holding copies of the model and a previous sample, so that "nothing lost" can be checked. */
    QString outputFolder(const QString &name) const
    {
        const QString dir = file(name);
        QDir().mkpath(dir);
        QFile::setPermissions(dir, QFileDevice::Permissions(0x7777)); // rwx for everyone (the child may be nobody)
        QFile::remove(dir + QStringLiteral("/m.pgcn"));
        QFile::copy(file(QStringLiteral("m.pgcn")), dir + QStringLiteral("/m.pgcn"));
        saveImage(QString(dir + QStringLiteral("/sample_000.png")).toStdString(), test::patternImage(5, 5));
        return dir;
    }
    /** Starts `p` on the tool and reads its output until training runs (the first progress line). */
    QByteArray startUntilTraining(QProcess &p, const QStringList &args) const
    {
        p.setWorkingDirectory(m_dir.path());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral(PATCHGENCN_CLI), args);
        QByteArray output;
        if (!p.waitForStarted())
            return output;
        QElapsedTimer clock;
        clock.start();
        while (!output.contains("E(real)") && clock.elapsed() < 60000 && p.state() == QProcess::Running) {
            p.waitForReadyRead(50);
            output += p.readAll();
        }
        return output;
    }
    static int tmpFiles(const QString &dir)
    {
        return int(QDir(dir).entryList(QDir::Files).filter(QStringLiteral(".tmp")).size());
    }
    QStringList tinyTrain(const QString &out) const
    {
        return {QStringLiteral("train"), m_image, QStringLiteral("-o"), out, QStringLiteral("--max-size"), QStringLiteral("24"),
                QStringLiteral("--min-size"), QStringLiteral("12"), QStringLiteral("--scales"), QStringLiteral("2"),
                QStringLiteral("--iters"), QStringLiteral("4"), QStringLiteral("--langevin-steps"), QStringLiteral("3")};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // Readable by the unprivileged child of the read-only-folder tests.
        QFile::setPermissions(m_dir.path(), QFileDevice::Permissions(0x7755));
        QVERIFY(QFileInfo::exists(QStringLiteral(PATCHGENCN_CLI)));
        m_image = file(QStringLiteral("tiny.png"));
        saveImage(m_image.toStdString(), test::patternImage(24, 20));
        saveMask(file(QStringLiteral("bigmask.png")).toStdString(), GrayImage(30, 20, 255));
        saveMask(file(QStringLiteral("emptymask.png")).toStdString(), GrayImage(24, 20, 0));
    }

    void helpForEveryCommand()
    {
        for (const char *cmd : {"train", "sample", "reconstruct", "info"}) {
            const Result r = run({QString::fromLatin1(cmd), QStringLiteral("--help")});
            QCOMPARE(r.code, 0);
            QVERIFY(r.out.contains(QLatin1String("usage: patchgencn ") + QLatin1String(cmd)));
        }
        QCOMPARE(run({QStringLiteral("--help")}).code, 0);
        QCOMPARE(run({}).code, 2);
    }

    void scheduleOptionsReachTheModel()
    {
        // Every per-scale schedule option lands in the configuration the model file keeps.
        const QString model = file(QStringLiteral("sched.pgcn"));
        QStringList args = tinyTrain(model);
        args << QStringLiteral("--coarse-iters") << QStringLiteral("5") << QStringLiteral("--coarse-batch") << QStringLiteral("3")
             << QStringLiteral("--coarse-lr") << QStringLiteral("0.0007") << QStringLiteral("--window-iters") << QStringLiteral("6")
             << QStringLiteral("--window-batch") << QStringLiteral("1") << QStringLiteral("--window-lr") << QStringLiteral("0.0003")
             << QStringLiteral("--last-layer-norm") << QStringLiteral("1.5") << QStringLiteral("--max-move") << QStringLiteral("0.1");
        const Result r = run(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const TrainConfig c = PyramidModel::load(model.toStdString()).config();
        QCOMPARE(c.coarseIterations, 5);
        QCOMPARE(c.coarseBatch, 3);
        QCOMPARE(c.coarseLr, 0.0007);
        QCOMPARE(c.windowIterations, 6);
        QCOMPARE(c.windowBatch, 1);
        QCOMPARE(c.windowLr, 0.0003);
        QCOMPARE(c.lastLayerNormMax, 1.5);
        QCOMPARE(c.langevinMoveMax, 0.1);
        // --langevin-steps 3 on quick (40/12): 3 per scale, 10 at the coarsest.
        QCOMPARE(c.stepsPerScale, 3);
        QCOMPARE(c.recoverySteps, 3);
        QCOMPARE(c.stepsCoarsest, 10);
        // info states each scale's own schedule (at 24 px no scale trains on windows).
        const Result info = run({QStringLiteral("info"), model});
        QCOMPARE(info.code, 0);
        QVERIFY2(info.out.contains(QLatin1String("trained, 5 iterations, 3 chains, lr 0.0007, whole image")), qPrintable(info.out));
        QVERIFY2(info.out.contains(QLatin1String("trained, 4 iterations, ")), qPrintable(info.out));
        // and how far each scale's recovery got, from the training log the file keeps
        QCOMPARE(info.out.count(QRegularExpression(QStringLiteral("whole image, recovery MSE [0-9.e-]+ at the end\n"))), 2);
        // --log writes that log as CSV: a header, then every iteration of both scales
        const QString csv = file(QStringLiteral("log.csv"));
        const Result logged = run({QStringLiteral("info"), model, QStringLiteral("--log"), csv});
        QVERIFY2(logged.code == 0 && logged.out.contains(QLatin1String("9 iterations written")), qPrintable(logged.out + logged.err));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 5 + 4);
        QCOMPARE(lines[0], QStringLiteral("scale,iteration,energy_real,energy_synthesis,recovery_mse"));
        QVERIFY2(lines[1].startsWith(QLatin1String("0,1,")) && lines[5].startsWith(QLatin1String("0,5,")) &&
                     lines[6].startsWith(QLatin1String("1,1,")) && lines[9].startsWith(QLatin1String("1,4,")),
                 qPrintable(lines.join(QLatin1Char('\n'))));
        for (const QString &line : lines.mid(1)) {
            const QStringList cells = line.split(QLatin1Char(','));
            QCOMPARE(cells.size(), 5);
            bool ok = false;
            QVERIFY(cells[4].toDouble(&ok) >= 0 && ok);
        }
        // A log that cannot be written: a message, exit 1, no file.
        const QString nowhere = file(QStringLiteral("no/such/folder/log.csv"));
        const Result bad = run({QStringLiteral("info"), model, QStringLiteral("--log"), nowhere});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains(QLatin1String("log.csv")), qPrintable(bad.err));
        QVERIFY(!QFileInfo::exists(nowhere));
    }

    void trainSampleReconstructInfo()
    {
        const QString model = file(QStringLiteral("m.pgcn"));
        Result r = run(tinyTrain(model));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.err.contains(QLatin1String("scale 2/2")));
        QVERIFY(!r.err.contains(QLatin1String("note:"))); // 24x20 over a 12-px coarsest scale: a pyramid
        // quick's finer scales train with bf16 chains exactly where the CPU computes bfloat16 natively.
        QVERIFY2(r.err.contains(QLatin1String("on CPU (")), qPrintable(r.err));
        // quick's coarsest scale too on such a CPU (TrainConfig::bf16CoarseChains): "bf16 chains".
        QCOMPARE(r.err.contains(QLatin1String(", bf16 chains)")), cpuHasBf16());
        QVERIFY(QFileInfo::exists(model));

        r = run({QStringLiteral("info"), model});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QLatin1String("2 trained")));
        QVERIFY2(r.out.contains(QLatin1String("training in bf16 on a CPU that computes it natively (precision auto): chains ") +
                                (cpuHasBf16() ? QLatin1String("at every scale") : QLatin1String("above the coarsest scale")) +
                                QLatin1String(", steps above the coarsest")),
                 qPrintable(r.out));

        // An explicit --precision fp32 trains in fp32, and so does balanced under auto.
        for (const QStringList &extra : {QStringList{QStringLiteral("--precision"), QStringLiteral("fp32")},
                                         QStringList{QStringLiteral("--preset"), QStringLiteral("balanced")}}) {
            const Result t = run(tinyTrain(file(QStringLiteral("fp32.pgcn"))) + extra);
            QVERIFY2(t.code == 0, qPrintable(t.err));
            QVERIFY2(t.err.contains(QLatin1String("on CPU (")) && !t.err.contains(QLatin1String("bf16")), qPrintable(t.err));
        }

        r = run({QStringLiteral("sample"), model, QStringLiteral("-n"), QStringLiteral("3"), QStringLiteral("-o"), file(QStringLiteral("out"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QStringList files = QDir(file(QStringLiteral("out"))).entryList(QDir::Files, QDir::Name);
        QCOMPARE(files, (QStringList{QStringLiteral("sample_000.png"), QStringLiteral("sample_001.png"), QStringLiteral("sample_002.png")}));
        const RgbImage s = loadImage(file(QStringLiteral("out/sample_000.png")).toStdString());
        QCOMPARE(s.width, 24);
        QCOMPARE(s.height, 20);

        r = run({QStringLiteral("sample"), model, QStringLiteral("-n"), QStringLiteral("1"), QStringLiteral("--size"), QStringLiteral("50x16"),
                 QStringLiteral("-o"), file(QStringLiteral("wide"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const RgbImage w = loadImage(file(QStringLiteral("wide/sample_000.png")).toStdString());
        QCOMPARE(w.width, 50);
        QCOMPARE(w.height, 16);

        r = run({QStringLiteral("reconstruct"), model, QStringLiteral("-o"), file(QStringLiteral("rec.png"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QLatin1String("recovery MSE")));
        QVERIFY(QFileInfo::exists(file(QStringLiteral("rec.png"))));
    }

    void tasksEndToEnd()
    {
        const QString model = file(QStringLiteral("m.pgcn"));
        // a mask covering a block in the middle, and an edited image
        GrayImage mask(24, 20, 0);
        for (int y = 6; y < 14; ++y)
            for (int x = 8; x < 16; ++x)
                mask.at(x, y) = 255;
        saveMask(file(QStringLiteral("mask.png")).toStdString(), mask);
        RgbImage edited = test::patternImage(24, 20);
        for (int y = 8; y < 12; ++y)
            for (int x = 10; x < 14; ++x)
                edited.pixel(x, y)[0] = edited.pixel(x, y)[1] = edited.pixel(x, y)[2] = 255;
        saveImage(file(QStringLiteral("edited.png")).toStdString(), edited);

        Result r = run({QStringLiteral("edit"), model, QStringLiteral("--image"), file(QStringLiteral("edited.png")),
                        QStringLiteral("--mask"), file(QStringLiteral("mask.png")), QStringLiteral("-o"),
                        file(QStringLiteral("edit.png")), QStringLiteral("--chain"), file(QStringLiteral("edit.gif"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const RgbImage out = loadImage(file(QStringLiteral("edit.png")).toStdString());
        QCOMPARE(out.width, 24);
        QVERIFY(std::equal(out.pixel(0, 0), out.pixel(0, 0) + 3, edited.pixel(0, 0))); // outside: unchanged
        QVERIFY(QFileInfo(file(QStringLiteral("edit.gif"))).size() > 100);

        r = run({QStringLiteral("harmonize"), model, QStringLiteral("--image"), file(QStringLiteral("edited.png")),
                 QStringLiteral("--mask"), file(QStringLiteral("mask.png")), QStringLiteral("-o"), file(QStringLiteral("harm.png"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));

        r = run({QStringLiteral("inject"), model, QStringLiteral("--image"), file(QStringLiteral("edited.png")),
                 QStringLiteral("--start-scale"), QStringLiteral("1"), QStringLiteral("-o"), file(QStringLiteral("inj.png"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));

        r = run({QStringLiteral("sr"), model, QStringLiteral("--factor"), QStringLiteral("2"), QStringLiteral("-o"),
                 file(QStringLiteral("sr.png")), QStringLiteral("--bicubic"), file(QStringLiteral("bic.png"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(loadImage(file(QStringLiteral("sr.png")).toStdString()).width, 48);
        QCOMPARE(loadImage(file(QStringLiteral("bic.png")).toStdString()).height, 40);

        r = run({QStringLiteral("energy"), model, QStringLiteral("--image"), file(QStringLiteral("edited.png")),
                 QStringLiteral("-o"), file(QStringLiteral("heat.png"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(loadImage(file(QStringLiteral("heat.png")).toStdString()).width, 24);

        r = run({QStringLiteral("sample"), model, QStringLiteral("-n"), QStringLiteral("2"), QStringLiteral("-o"),
                 file(QStringLiteral("chain")), QStringLiteral("--chain"), file(QStringLiteral("sample.gif"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(QFileInfo::exists(file(QStringLiteral("sample.gif"))));
    }

    void errorPaths_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown command") << QStringList{QStringLiteral("paint")} << 2 << "unknown command";
        QTest::newRow("train without -o") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png")} << 2 << "-o MODEL";
        QTest::newRow("unknown option") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("--fast")} << 2 << "unknown option";
        QTest::newRow("bad number") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--scales"), QStringLiteral("zero")} << 2 << "--scales";
        QTest::newRow("zero scales") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--scales"), QStringLiteral("0")} << 2 << "between 1 and 20";
        QTest::newRow("negative coarse lr") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--coarse-lr"), QStringLiteral("-1")} << 2 << "--coarse-lr";
        QTest::newRow("negative last-layer norm") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--last-layer-norm"), QStringLiteral("-1")} << 2 << "--last-layer-norm";
        QTest::newRow("Langevin move over 2") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--max-move"), QStringLiteral("3")} << 2 << "--max-move";
        QTest::newRow("negative coarse batch") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--coarse-batch"), QStringLiteral("-2")} << 2 << "--coarse-batch";
        QTest::newRow("negative window lr") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--window-lr"), QStringLiteral("-1")} << 2 << "--window-lr";
        QTest::newRow("too many windows") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--window-batch"), QStringLiteral("300")} << 2 << "--window-batch";
        QTest::newRow("negative window iters") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--window-iters"), QStringLiteral("-3")} << 2 << "--window-iters";
        QTest::newRow("unknown preset") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--preset"), QStringLiteral("turbo")} << 1 << "unknown preset";
        QTest::newRow("missing image") << QStringList{QStringLiteral("train"), QStringLiteral("nope.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn")} << 1 << "cannot open image";
        QTest::newRow("not an image") << QStringList{QStringLiteral("train"), QStringLiteral("m.pgcn"), QStringLiteral("-o"), QStringLiteral("x.pgcn")} << 1 << "cannot decode";
        QTest::newRow("no output folder") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("nodir/x.pgcn")} << 1 << "does not exist";
        QTest::newRow("no cuda") << QStringList{QStringLiteral("train"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("x.pgcn"), QStringLiteral("--device"), QStringLiteral("cuda")} << 1 << "--device cpu";
        QTest::newRow("sample a non-model") << QStringList{QStringLiteral("sample"), QStringLiteral("tiny.png"), QStringLiteral("-o"), QStringLiteral("o")} << 1 << "not a patchgencn model";
        QTest::newRow("bad size") << QStringList{QStringLiteral("sample"), QStringLiteral("m.pgcn"), QStringLiteral("-o"), QStringLiteral("o"), QStringLiteral("--size"), QStringLiteral("40by20")} << 2 << "WIDTHxHEIGHT";
        QTest::newRow("start scale out of range") << QStringList{QStringLiteral("sample"), QStringLiteral("m.pgcn"), QStringLiteral("-o"), QStringLiteral("o"), QStringLiteral("--start-scale"), QStringLiteral("7")} << 2 << "--start-scale";
        QTest::newRow("negative count") << QStringList{QStringLiteral("sample"), QStringLiteral("m.pgcn"), QStringLiteral("-o"), QStringLiteral("o"), QStringLiteral("-n"), QStringLiteral("-3")} << 2 << "--count";
        QTest::newRow("mask of another size") << QStringList{QStringLiteral("edit"), QStringLiteral("m.pgcn"), QStringLiteral("--image"), QStringLiteral("tiny.png"), QStringLiteral("--mask"), QStringLiteral("bigmask.png"), QStringLiteral("-o"), QStringLiteral("x.png")} << 1 << "mask is 30x20 but the image is 24x20";
        QTest::newRow("empty mask") << QStringList{QStringLiteral("harmonize"), QStringLiteral("m.pgcn"), QStringLiteral("--image"), QStringLiteral("tiny.png"), QStringLiteral("--mask"), QStringLiteral("emptymask.png"), QStringLiteral("-o"), QStringLiteral("x.png")} << 1 << "mask is empty";
        QTest::newRow("edit start scale") << QStringList{QStringLiteral("edit"), QStringLiteral("m.pgcn"), QStringLiteral("--image"), QStringLiteral("tiny.png"), QStringLiteral("--mask"), QStringLiteral("mask.png"), QStringLiteral("--start-scale"), QStringLiteral("9"), QStringLiteral("-o"), QStringLiteral("x.png")} << 1 << "start scale must be between 0 and 1";
        QTest::newRow("sr steps") << QStringList{QStringLiteral("sr"), QStringLiteral("m.pgcn"), QStringLiteral("--factor"), QStringLiteral("2"), QStringLiteral("--steps"), QStringLiteral("0"), QStringLiteral("-o"), QStringLiteral("x.png")} << 2 << "--steps";
        QTest::newRow("sr factor") << QStringList{QStringLiteral("sr"), QStringLiteral("m.pgcn"), QStringLiteral("--factor"), QStringLiteral("100"), QStringLiteral("-o"), QStringLiteral("x.png")} << 2 << "--factor";
        QTest::newRow("chain not gif") << QStringList{QStringLiteral("sample"), QStringLiteral("m.pgcn"), QStringLiteral("-o"), QStringLiteral("o"), QStringLiteral("--chain"), QStringLiteral("c.mp4")} << 2 << ".gif";
        QTest::newRow("reconstruct to .txt") << QStringList{QStringLiteral("reconstruct"), QStringLiteral("m.pgcn"), QStringLiteral("-o"), QStringLiteral("r.txt")} << 2 << "image extension";
    }
    void errorPaths()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const Result r = run(args);
        QVERIFY2(r.code == code, qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(file(QStringLiteral("x.pgcn"))));
        QVERIFY(!QFileInfo::exists(file(QStringLiteral("x.png"))));
    }

    void oneByOneImageTrains()
    {
        saveImage(file(QStringLiteral("dot.png")).toStdString(), test::patternImage(1, 1));
        QStringList args = tinyTrain(file(QStringLiteral("dot.pgcn")));
        args[1] = file(QStringLiteral("dot.png"));
        Result r = run(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("note: the image's shorter side (1 px) is not above --min-size (12), so all 2 scales")),
                 qPrintable(r.err));
        r = run({QStringLiteral("sample"), file(QStringLiteral("dot.pgcn")), QStringLiteral("-n"), QStringLiteral("1"),
                 QStringLiteral("--size"), QStringLiteral("3x2"), QStringLiteral("-o"), file(QStringLiteral("dot"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(loadImage(file(QStringLiteral("dot/sample_000.png")).toStdString()).width, 3);
    }

    void readOnlyOutputFolder()
    {
        const QString dir = outputFolder(QStringLiteral("ro"));
        const QByteArray model = contents(dir + QStringLiteral("/m.pgcn")), sample = contents(dir + QStringLiteral("/sample_000.png"));
        QFile::setPermissions(dir, QFileDevice::Permissions(0x5555)); // r-x for everyone
        const QString ro = dir + QLatin1Char('/');
        const QString model2 = file(QStringLiteral("m.pgcn"));
        const QList<QStringList> commands = {
            tinyTrain(ro + QStringLiteral("m.pgcn")),
            {QStringLiteral("sample"), model2, QStringLiteral("-n"), QStringLiteral("1"), QStringLiteral("-o"), dir},
            {QStringLiteral("reconstruct"), model2, QStringLiteral("-o"), ro + QStringLiteral("sample_000.png")},
            {QStringLiteral("sr"), model2, QStringLiteral("--factor"), QStringLiteral("2"), QStringLiteral("-o"), ro + QStringLiteral("sample_000.png")},
        };
        for (const QStringList &args : commands) {
            const Result r = run(args, 120000, Limit::Unprivileged);
            QVERIFY2(r.code == 1, qPrintable(QStringLiteral("%1: exit %2: %3").arg(args.first()).arg(r.code).arg(r.err)));
            QVERIFY2(r.err.contains(QLatin1String("is not writable")) && r.err.contains(dir), qPrintable(r.err));
        }
        QCOMPARE(contents(dir + QStringLiteral("/m.pgcn")), model);
        QCOMPARE(contents(dir + QStringLiteral("/sample_000.png")), sample);
        QCOMPARE(QDir(dir).entryList(QDir::Files).size(), 2);
        QFile::setPermissions(dir, QFileDevice::Permissions(0x7777));
    }

    void diskFull()
    {
        const QString dir = outputFolder(QStringLiteral("full"));
        const QByteArray model = contents(dir + QStringLiteral("/m.pgcn")), sample = contents(dir + QStringLiteral("/sample_000.png"));
        const QString full = dir + QLatin1Char('/');
        // Training completes, then the model cannot be written: neither there nor in the temporary folder.
        Result r = run(tinyTrain(full + QStringLiteral("m.pgcn")), 120000, Limit::DiskFull);
        QVERIFY2(r.code == 1, qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains(QLatin1String("cannot write '") + full + QLatin1String("m.pgcn'")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("is lost")), qPrintable(r.err));
        r = run({QStringLiteral("sample"), file(QStringLiteral("m.pgcn")), QStringLiteral("-n"), QStringLiteral("2"),
                 QStringLiteral("-o"), dir}, 120000, Limit::DiskFull);
        QVERIFY2(r.code == 1, qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains(QLatin1String("cannot write '") + full + QLatin1String("sample_000.png'")), qPrintable(r.err));
        QCOMPARE(contents(dir + QStringLiteral("/m.pgcn")), model);
        QCOMPARE(contents(dir + QStringLiteral("/sample_000.png")), sample);
        QCOMPARE(tmpFiles(dir), 0);
    }

    void modelRescuedWhenTheFolderTurnsReadOnly()
    {
        // The folder is writable when training starts and read-only when it ends.
        const QString dir = outputFolder(QStringLiteral("late"));
        const QString rescueDir = file(QStringLiteral("rescue"));
        QDir().mkpath(rescueDir);
        QFile::setPermissions(rescueDir, QFileDevice::Permissions(0x7777));
        QStringList args = tinyTrain(dir + QStringLiteral("/new.pgcn"));
        args[args.indexOf(QStringLiteral("--iters")) + 1] = QStringLiteral("16"); // 31 iterations after the first line
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TMPDIR"), rescueDir);
        p.setProcessEnvironment(env);
        setUpChild(p, Limit::Unprivileged);
        QByteArray output = startUntilTraining(p, args);
        QFile::setPermissions(dir, QFileDevice::Permissions(0x5555));
        QVERIFY(p.waitForFinished(600000));
        output += p.readAll();
        QFile::setPermissions(dir, QFileDevice::Permissions(0x7777));
        QVERIFY2(p.exitCode() == 1, output.constData());
        QVERIFY2(output.contains(QByteArray("saved to '" + rescueDir.toUtf8() + "/patchgencn-rescued-")), output.constData());
        QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/new.pgcn")));
        const QStringList rescued = QDir(rescueDir).entryList({QStringLiteral("patchgencn-rescued-*.pgcn")});
        QCOMPARE(rescued.size(), 1);
        const Result r = run({QStringLiteral("info"), rescueDir + QLatin1Char('/') + rescued.first()});
        QVERIFY2(r.code == 0 && r.out.contains(QLatin1String("2 trained")), qPrintable(r.err));
    }

    void interruptSavesNothing()
    {
        QStringList args = tinyTrain(file(QStringLiteral("int.pgcn")));
        args[args.indexOf(QStringLiteral("--iters")) + 1] = QStringLiteral("100000");
        QProcess p;
        // wait until training runs, then Ctrl-C
        QByteArray output = startUntilTraining(p, args);
        QVERIFY2(output.contains("E(real)"), output.constData());
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(120000)); // generous: sanitizer builds on a busy machine stop slowly
        output += p.readAll();
        QVERIFY2(p.exitCode() == 130, output.constData());
        output += p.readAll();
        QVERIFY2(output.contains("nothing was written"), output.constData());
        QVERIFY(!QFileInfo::exists(file(QStringLiteral("int.pgcn"))));
        QCOMPARE(QDir(m_dir.path()).entryList(QDir::Files).filter(QStringLiteral(".tmp")).size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
