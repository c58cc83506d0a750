#include "studiotestutil.h"

#include "engineworker.h"
#include "model.h"
#include "gallerypanel.h"
#include "imagecanvas.h"
#include "mainwindow.h"
#include "masklayer.h"
#include "objectoverlay.h"
#include "plotpanel.h"
#include "project.h"
#include "samplepanel.h"
#include "taskpanel.h"
#include "trainingpanel.h"

#include <QBuffer>
#include <QComboBox>
#include <QDataStream>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QUndoStack>

#include <csignal>
#include <fstream>
#include <functional>
#include <iterator>
#include <sys/resource.h>
#include <unistd.h>

using namespace pgcn;
using pgcn::ui::JobOutcome;
using pgcn::ui::MainWindow;
using pgcn::ui::Project;

/** Project files: a value round trip, damaged files, and a whole studio session saved and reopened. */
class TestStudioProject : public QObject
{
    Q_OBJECT

    /** Start on a window whose tiny 2-scale model has its first scale: the training ends with both, and only scale 1 trains. */
    static void resumeTrainsTheSecondScaleAlone(MainWindow &w)
    {
        QSignalSpy progress(&w, &MainWindow::progressShown);
        QSignalSpy finished(&w, &MainWindow::trainingFinished);
        w.startTraining();
        QVERIFY(finished.wait(test::kJobTimeoutMs));
        QCOMPARE(finished.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
        QCOMPARE(w.modelInfo().trainedScales, 2);
        QVERIFY(!progress.isEmpty());
        for (const auto &args : std::as_const(progress))
            QCOMPARE(args.first().value<ui::TrainStatus>().scale, 1); // scale 0 was not trained again
    }

    static Project sampleProject()
    {
        Project p;
        p.sourceName = QStringLiteral("pattern.png");
        p.source = test::patternQImage(24, 20);
        p.model = QByteArray(1000, 'm');
        p.log = {{{1, 0.5, -0.25, 0.125}, {2, 0.75, -0.5, 0.0625}}, {{1, 1.0, 2.0, 3.0}}};
        p.gallery = {{test::patternQImage(30, 10), QStringLiteral("wide")}, {test::patternQImage(8, 8), QStringLiteral("small")}};
        p.trainSettings = test::tinySettings(7).toVariant();
        p.sampleSettings = ui::SampleSettings().toVariant();
        ui::TaskSettings t;
        t.kind = ui::TaskRequest::Harmonize;
        t.startHarmonize = 3;
        t.feather = 7.5;
        t.paintColor = QStringLiteral("#102030");
        t.objectX = 4.5;
        p.taskSettings = t.toVariant();
        p.canvas = test::patternQImage(26, 18).mirrored(true, false);
        p.canvasCaption = QStringLiteral("sample 3");
        p.mask = QImage(26, 18, QImage::Format_Grayscale8);
        p.mask.fill(0);
        p.mask.setPixel(5, 6, 200);
        p.object = QImage(6, 4, QImage::Format_ARGB32);
        p.object.fill(qRgba(10, 200, 30, 128));
        return p;
    }

    /** The fields a version-1 file holds, as version 1 wrote them. */
    static QByteArray version1Bytes(const Project &p)
    {
        QByteArray bytes;
        QDataStream out(&bytes, QIODevice::WriteOnly);
        out.setVersion(QDataStream::Qt_6_4);
        QByteArray png;
        {
            QBuffer b(&png);
            b.open(QIODevice::WriteOnly);
            p.source.save(&b, "PNG");
        }
        out << Project::kMagic << quint32(1) << p.sourceName << png << p.model << qint32(0) << qint32(0)
            << p.trainSettings << p.sampleSettings;
        return bytes;
    }

    static QByteArray contents(const QString &path)
    {
        std::ifstream f(path.toStdString(), std::ios::binary);
        const std::string s{std::istreambuf_iterator<char>(f), {}};
        return QByteArray(s.data(), qsizetype(s.size()));
    }

    /** While alive, files cannot grow beyond `bytes` (writes fail with EFBIG, as on a full disk). */
    struct FileSizeLimit
    {
        rlimit old{};
        void (*oldHandler)(int) = nullptr;
        explicit FileSizeLimit(rlim_t bytes)
        {
            getrlimit(RLIMIT_FSIZE, &old);
            oldHandler = std::signal(SIGXFSZ, SIG_IGN);
            const rlimit r{bytes, old.rlim_max};
            setrlimit(RLIMIT_FSIZE, &r);
        }
        ~FileSizeLimit()
        {
            setrlimit(RLIMIT_FSIZE, &old);
            std::signal(SIGXFSZ, oldHandler);
        }
    };

    /** While alive, a root process acts as nobody, so that folder permissions bind. */
    struct Unprivileged
    {
        const bool root = ::geteuid() == 0;
        Unprivileged()
        {
            if (root)
                QVERIFY(::seteuid(65534) == 0);
        }
        ~Unprivileged()
        {
            if (root)
                QVERIFY(::seteuid(0) == 0);
        }
    };

    /** Two training logs hold the same points (the scales both have, and no others with points). */
    static bool sameLog(const QVector<QVector<ui::ProgressPoint>> &a, const QVector<QVector<ui::ProgressPoint>> &b)
    {
        for (int s = 0; s < std::max(a.size(), b.size()); ++s) {
            const QVector<ui::ProgressPoint> x = a.value(s), y = b.value(s);
            if (x.size() != y.size())
                return false;
            for (int k = 0; k < x.size(); ++k)
                if (x[k].iteration != y[k].iteration || x[k].energyReal != y[k].energyReal || x[k].energySyn != y[k].energySyn
                    || x[k].recoveryMse != y[k].recoveryMse)
                    return false;
        }
        return true;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        ui::registerEngineTypes();
        ui::initEngine(2);
    }

    void roundTrip()
    {
        const Project p = sampleProject();
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("a.pgcnproj"));
        QString error;
        QVERIFY2(p.save(path, &error), qPrintable(error));
        Project q;
        QVERIFY2(q.load(path, &error), qPrintable(error));
        QCOMPARE(q.sourceName, p.sourceName);
        QCOMPARE(q.source.convertToFormat(QImage::Format_RGB888), p.source);
        QCOMPARE(q.model, p.model);
        QCOMPARE(q.log.size(), 2);
        QCOMPARE(q.log[0].size(), 2);
        QCOMPARE(q.log[0][1].iteration, 2);
        QCOMPARE(q.log[0][1].energySyn, -0.5);
        QCOMPARE(q.log[1][0].recoveryMse, 3.0);
        QCOMPARE(q.gallery.size(), 2);
        QCOMPARE(q.gallery[0].label, QStringLiteral("wide"));
        QCOMPARE(q.gallery[0].image.convertToFormat(QImage::Format_RGB888), p.gallery[0].image);
        QCOMPARE(ui::TrainSettings::fromVariant(q.trainSettings).configText, test::tinySettings(7).configText);
        // The work in progress (version 2).
        const ui::TaskSettings t = ui::TaskSettings::fromVariant(q.taskSettings);
        QCOMPARE(t.kind, int(ui::TaskRequest::Harmonize));
        QCOMPARE(t.startHarmonize, 3);
        QCOMPARE(t.startEdit, -1);
        QCOMPARE(t.feather, 7.5);
        QCOMPARE(t.paintColor, QStringLiteral("#102030"));
        QCOMPARE(t.objectX, 4.5);
        QCOMPARE(q.canvas.convertToFormat(QImage::Format_RGB888), p.canvas);
        QCOMPARE(q.canvasCaption, QStringLiteral("sample 3"));
        QCOMPARE(q.mask.format(), QImage::Format_Grayscale8);
        QCOMPARE(q.mask, p.mask);
        QCOMPARE(q.object.format(), QImage::Format_ARGB32);
        QCOMPARE(q.object.pixel(2, 1), qRgba(10, 200, 30, 128));
        // Writing goes through QSaveFile: no temporary left behind.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1);
    }

    void rejectsDamagedFiles()
    {
        const QByteArray good = sampleProject().serialize();
        Project q;
        QString error;
        QVERIFY(!q.deserialize(QByteArray("not a project at all"), &error));
        QVERIFY(error.contains(QStringLiteral("not a patchgencn project")));
        QVERIFY(!q.deserialize(good.left(good.size() / 2), &error));
        QVERIFY(!error.isEmpty());
        QByteArray future = good;
        future[7] = char(99); // version field
        QVERIFY(!q.deserialize(future, &error));
        QVERIFY(error.contains(QStringLiteral("version")));
        QVERIFY(q.source.isNull()); // untouched on failure
        QVERIFY(!q.load(QStringLiteral("/nonexistent/x.pgcnproj"), &error));
    }

    void readsVersion1Files()
    {
        // Projects saved before the working image, mask and task settings were kept still open.
        const Project p = sampleProject();
        Project q;
        QString error;
        QVERIFY2(q.deserialize(version1Bytes(p), &error), qPrintable(error));
        QCOMPARE(q.source.convertToFormat(QImage::Format_RGB888), p.source);
        QCOMPARE(q.model, p.model);
        QCOMPARE(ui::TrainSettings::fromVariant(q.trainSettings).configText, test::tinySettings(7).configText);
        QVERIFY(q.taskSettings.isEmpty());
        QVERIFY(q.canvas.isNull());
        QVERIFY(q.mask.isNull());
        QVERIFY(q.object.isNull());
    }

    void rejectsAMaskOfAnotherSize()
    {
        Project p = sampleProject();
        p.mask = QImage(10, 10, QImage::Format_Grayscale8);
        p.mask.fill(255);
        Project q;
        QString error;
        QVERIFY(!q.deserialize(p.serialize(), &error));
        QVERIFY2(error.contains(QStringLiteral("mask is 10 x 10, the image 26 x 18")), qPrintable(error));
        // Without a working image the mask must match the source.
        p.canvas = QImage();
        p.mask = QImage(24, 20, QImage::Format_Grayscale8);
        p.mask.fill(255);
        QVERIFY2(q.deserialize(p.serialize(), &error), qPrintable(error));
        QCOMPARE(q.mask.size(), QSize(24, 20));
        // A task-settings map cut short.
        const QByteArray good = sampleProject().serialize();
        QVERIFY(!q.deserialize(good.left(good.size() - 40), &error));
        QVERIFY2(error.contains(QStringLiteral("truncated or damaged")), qPrintable(error));
    }

    void workInProgressSavedAndReopened()
    {
        // What the user was doing on the canvas comes back with the project: the working image, the
        // mask, the object being placed and the task panel's choices.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("wip.pgcnproj"));
        QImage working, mask, object;
        {
            MainWindow w;
            w.setQuiet(true);
            w.setSourceImage(test::patternQImage(), QStringLiteral("pattern.png"));
            QVERIFY(!w.isWindowModified());
            w.maskLayer()->selectRect(QRect(3, 4, 8, 5));
            QVERIFY(w.isWindowModified()); // a mask is work to save
            QImage painted(4, 4, QImage::Format_RGB888);
            painted.fill(QColor(250, 10, 10));
            w.canvas()->writeImageRect(QRect(1, 1, 4, 4), painted);
            working = w.canvas()->image();
            mask = w.maskLayer()->mask();
            QImage obj(5, 3, QImage::Format_ARGB32);
            obj.fill(qRgba(0, 0, 255, 90));
            w.objectOverlay()->setObject(obj);
            w.objectOverlay()->setCenter(QPointF(7, 8));
            w.objectOverlay()->setScale(0.75);
            w.objectOverlay()->setRotation(15);
            object = w.objectOverlay()->image();
            ui::TaskSettings t = w.taskPanel()->settings();
            t.kind = ui::TaskRequest::Inject;
            t.startInject = 2;
            t.factor = 3.5;
            t.feather = 9;
            t.brushSize = 33;
            t.paintColor = QStringLiteral("#0a141e");
            t.heatOpacity = 25;
            t.objectX = 7;
            t.objectY = 8;
            t.objectScale = 0.75;
            t.objectRotation = 15;
            w.taskPanel()->setSettings(t);
            QVERIFY(w.saveProjectTo(path));
        }
        MainWindow w;
        w.setQuiet(true);
        QVERIFY(w.openProject(path));
        QVERIFY(!w.isWindowModified());
        QCOMPARE(w.canvas()->image(), working);
        QCOMPARE(w.currentProject().source.convertToFormat(QImage::Format_RGB888), test::patternQImage()); // the source stays the source
        QCOMPARE(w.maskLayer()->mask(), mask);
        QCOMPARE(w.objectOverlay()->image(), object);
        QCOMPARE(w.objectOverlay()->center(), QPointF(7, 8));
        QCOMPARE(w.objectOverlay()->scale(), 0.75);
        QCOMPARE(w.objectOverlay()->rotation(), 15.0);
        const ui::TaskSettings t = w.taskPanel()->settings();
        QCOMPARE(t.kind, int(ui::TaskRequest::Inject));
        QCOMPARE(t.startInject, 2);
        QCOMPARE(t.factor, 3.5);
        QCOMPARE(t.feather, 9.0);
        QCOMPARE(w.maskLayer()->feather(), 9.0);
        QCOMPARE(w.maskLayer()->brushSize(), 33);
        QCOMPARE(w.taskPanel()->paintColor(), QColor(10, 20, 30));
        QCOMPARE(t.heatOpacity, 25);
        // The panels' settings are the project's too: changing one marks it modified, saving clears that.
        w.taskPanel()->brushSpin()->setValue(34);
        QVERIFY(w.isWindowModified());
        QVERIFY(w.saveProjectTo(path));
        QVERIFY(!w.isWindowModified());
        ui::SampleSettings ss = w.samplePanel()->settings();
        ss.count += 1;
        w.samplePanel()->setSettings(ss);
        QVERIFY(w.isWindowModified());
        QVERIFY(w.saveProjectTo(path));
        auto *iterations = w.trainingPanel()->findChild<QSpinBox *>(QStringLiteral("iterations"));
        QVERIFY(iterations);
        const int wantedIterations = iterations->value() + 5;
        iterations->setValue(wantedIterations);
        QVERIFY(w.isWindowModified());
        QVERIFY(w.saveProjectTo(path));
        w.taskPanel()->setKind(ui::TaskRequest::Edit);
        QVERIFY(w.isWindowModified());
        QVERIFY(w.saveProjectTo(path));
        w.taskPanel()->setKind(ui::TaskRequest::Edit); // the kind it has: no change
        QVERIFY(!w.isWindowModified());
        w.taskPanel()->setKind(ui::TaskRequest::Harmonize);
        QVERIFY(w.isWindowModified());
        w.taskPanel()->setKind(ui::TaskRequest::Edit); // back as saved: unmodified again
        QVERIFY(!w.isWindowModified());
        w.maskLayer()->selectRect(QRect(0, 0, 3, 3)); // other work keeps the mark through settings put back
        w.taskPanel()->setKind(ui::TaskRequest::Harmonize);
        w.taskPanel()->setKind(ui::TaskRequest::Edit);
        QVERIFY(w.isWindowModified());
        QVERIFY(w.saveProjectTo(path));
        QVERIFY(w.openProject(path));
        QCOMPARE(w.taskPanel()->settings().kind, int(ui::TaskRequest::Edit));
        QCOMPARE(w.samplePanel()->settings().count, ss.count);
        QCOMPARE(w.trainingPanel()->settings().iterations, wantedIterations);
        // Undoable work undone back to the saved state is no change; redone, it is again.
        QVERIFY(!w.isWindowModified());
        const QImage savedMask = w.maskLayer()->mask();
        w.maskLayer()->selectRect(QRect(1, 1, 4, 4));
        w.maskLayer()->selectRect(QRect(9, 2, 3, 3));
        QVERIFY(w.isWindowModified());
        w.undoStack()->undo();
        QVERIFY(w.isWindowModified()); // one of the two strokes is still there
        w.undoStack()->undo();
        QCOMPARE(w.maskLayer()->mask(), savedMask);
        QVERIFY(!w.isWindowModified());
        w.undoStack()->redo();
        QVERIFY(w.isWindowModified());
        QVERIFY(w.saveProjectTo(path)); // saved with one stroke: that is the clean state now
        QVERIFY(!w.isWindowModified());
        w.undoStack()->undo();
        QVERIFY(w.isWindowModified()); // undone past what was saved
        w.undoStack()->redo();
        QVERIFY(!w.isWindowModified());
        // Work the stack does not hold (the object's placement) keeps the mark through undo and redo.
        QImage obj2(3, 3, QImage::Format_ARGB32);
        obj2.fill(qRgba(0, 255, 0, 200));
        w.objectOverlay()->setObject(obj2);
        w.maskLayer()->selectRect(QRect(0, 8, 2, 2));
        w.undoStack()->undo();
        QVERIFY(w.isWindowModified());
        // A new image is a new session: no mask, no object.
        w.setSourceImage(test::patternQImage(), QStringLiteral("again.png"));
        QVERIFY(w.maskLayer()->isEmpty());
        QVERIFY(w.objectOverlay()->isNull());
        QVERIFY(w.currentProject().canvas.isNull());
    }

    void rejectsHugeCounts()
    {
        // A few bytes claiming 100 million log points, or a settings list of 3 billion values (Qt would
        // reserve 100 GB for it; found by fuzz_project): refused without reserving memory for them.
        for (const bool inSettings : {false, true}) {
            QByteArray bytes;
            QDataStream out(&bytes, QIODevice::WriteOnly);
            out.setVersion(QDataStream::Qt_6_4);
            out << Project::kMagic << Project::kVersion << QStringLiteral("x.png") << QByteArray() << QByteArray();
            if (inSettings)
                out << qint32(0) << qint32(0) << quint32(1) << QStringLiteral("preset") << quint32(QMetaType::QVariantList)
                    << qint8(0) << quint32(0xBFFF4000);
            else
                out << qint32(1) << qint32(100000000) << qint32(1) << 0.5;
            Project q;
            QString error;
            QVERIFY(!q.deserialize(bytes, &error));
            QVERIFY2(error.contains(QStringLiteral("damaged")) || error.contains(QStringLiteral("truncated")), qPrintable(error));
        }
        // The fuzzer's own input.
        Project q;
        QVERIFY(!q.load(QStringLiteral(PATCHGENCN_FUZZ_REGRESSIONS "/project/settings-list-of-3-billion.bin")));
    }

    void saveFailuresKeepTheSessionAndTheOldFile()
    {
        QTemporaryDir dir, elsewhere;
        QFile::setPermissions(dir.path(), QFileDevice::Permissions(0x7777));
        const QString path = dir.filePath(QStringLiteral("keep.pgcnproj"));
        MainWindow w;
        w.setQuiet(true);
        w.setSourceImage(test::patternQImage(), QStringLiteral("pattern.png"));
        QVERIFY(w.saveProjectTo(path));
        const QByteArray before = contents(path);
        w.setSourceImage(test::patternQImage(30, 12), QStringLiteral("other.png")); // a new, unsaved session
        QSignalSpy failures(&w, &MainWindow::failureShown);
        {
            const FileSizeLimit diskFull(100);
            QVERIFY(!w.saveProjectTo(path));
        }
        QCOMPARE(failures.size(), 1);
        QVERIFY2(failures.last().at(1).toString().contains(QDir::toNativeSeparators(path)), qPrintable(failures.last().at(1).toString()));
        {
            QFile::setPermissions(dir.path(), QFileDevice::Permissions(0x5555));
            const Unprivileged nobody;
            QVERIFY(!w.saveProjectTo(path));
        }
        QFile::setPermissions(dir.path(), QFileDevice::Permissions(0x7777));
        QCOMPARE(failures.size(), 2);
        QCOMPARE(failures.last().at(0).toString(), tr("Cannot save the project"));
        // Nothing lost: the old file is intact, no temporary is left, and the session can be saved elsewhere.
        QCOMPARE(contents(path), before);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
        QVERIFY(w.projectPath().isEmpty());
        QCOMPARE(w.currentProject().source.size(), QSize(30, 12));
        QVERIFY(w.saveProjectTo(elsewhere.filePath(QStringLiteral("other.pgcnproj"))));
        Project p;
        QVERIFY(p.load(elsewhere.filePath(QStringLiteral("other.pgcnproj"))));
        QCOMPARE(p.source.size(), QSize(30, 12));
    }

    void sessionSavedAndReopened()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("session.pgcnproj"));
        int trained = 0;
        QVector<int> logSizes;
        {
            MainWindow w;
            w.setQuiet(true);
            w.setSourceImage(test::patternQImage(), QStringLiteral("pattern.png"));
            w.trainingPanel()->setSettings(test::tinySettings(12));
            QSignalSpy finished(&w, &MainWindow::trainingFinished);
            w.startTraining();
            QCOMPARE(w.job(), MainWindow::Job::Training);
            QVERIFY(finished.wait(test::kJobTimeoutMs));
            QCOMPARE(finished.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
            QCOMPARE(w.job(), MainWindow::Job::None);
            trained = w.modelInfo().trainedScales;
            QCOMPARE(trained, 2);
            for (const auto &s : w.plotPanel()->log())
                logSizes << int(s.size());
            QCOMPARE(logSizes, (QVector<int>{12, 12}));

            QSignalSpy generated(&w, &MainWindow::generationFinished);
            w.generate();
            QVERIFY(generated.wait(test::kJobTimeoutMs));
            QCOMPARE(w.gallery()->count(), 4); // SampleSettings' default count
            // The status bar's progress says how the job ended (it was blank after a busy bar).
            const auto *bar = w.findChild<QProgressBar *>(QStringLiteral("jobProgress"));
            QVERIFY(bar);
            QCOMPARE(bar->value(), bar->maximum());
            QVERIFY2(bar->text().startsWith(QStringLiteral("Done")), qPrintable(bar->text()));
            QVERIFY(w.isWindowModified());
            QVERIFY(w.saveProjectTo(path));
            QVERIFY(!w.isWindowModified());
        }
        MainWindow w;
        w.setQuiet(true);
        QVERIFY(w.openProject(path));
        QCOMPARE(w.gallery()->count(), 4);
        QTRY_COMPARE_WITH_TIMEOUT(w.modelInfo().trainedScales, trained, 10000);
        QVERIFY(!w.isWindowModified()); // the panels following the loaded model change nothing saved
        QVector<int> reopened;
        for (const auto &s : w.plotPanel()->log())
            reopened << int(s.size());
        QCOMPARE(reopened, logSizes);
        // The model works after the round trip.
        QSignalSpy generated(&w, &MainWindow::generationFinished);
        w.generate();
        QVERIFY(generated.wait(test::kJobTimeoutMs));
        QCOMPARE(generated.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
        QCOMPARE(w.gallery()->count(), 8);
        // Choosing another device in the training panel moves the model in hand there (reloads it),
        // and the project remembers where it is.
        QCOMPARE(ui::TrainSettings::fromVariant(w.currentProject().trainSettings).device, QStringLiteral("auto"));
        QVERIFY(w.saveProjectTo(path));
        QVERIFY(!w.isWindowModified());
        QSignalSpy reloaded(w.worker(), &ui::EngineWorker::modelChanged);
        auto *deviceBox = w.trainingPanel()->findChild<QComboBox *>(QStringLiteral("device"));
        QVERIFY(deviceBox);
        deviceBox->setCurrentIndex(deviceBox->findData(QStringLiteral("cpu")));
        QTRY_VERIFY_WITH_TIMEOUT(!reloaded.isEmpty(), 10000); // emitted on the worker's thread: maybe before a wait()
        QCOMPARE(reloaded.last().first().value<ui::ModelInfo>().trainedScales, trained);
        QCOMPARE(ui::TrainSettings::fromVariant(w.currentProject().trainSettings).device, QStringLiteral("cpu"));
        QVERIFY(w.isWindowModified()); // where the model is, is the project's
        generated.clear();
        w.generate();
        QVERIFY(generated.wait(test::kJobTimeoutMs));
        QCOMPARE(generated.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
        QCOMPARE(w.gallery()->count(), 12);
        if (!ui::cudaPresent()) {
            // A move that fails (here: to CUDA on a machine without it) says so, and the model and the
            // panel go back to the device the model was on.
            QVERIFY(w.saveProjectTo(path));
            QSignalSpy failed(&w, &MainWindow::failureShown);
            // The worker's reports as the window's thread receives them (after the window's own slot).
            QVector<int> received;
            QObject::connect(
                w.worker(), &ui::EngineWorker::modelChanged, &w,
                [&received](const ui::ModelInfo &info) { received << info.trainedScales; }, Qt::QueuedConnection);
            deviceBox->setCurrentIndex(deviceBox->findData(QStringLiteral("cuda")));
            QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 10000);
            QCOMPARE(failed.first().first().toString(), QStringLiteral("Cannot move the model"));
            QVERIFY(failed.first().at(1).toString().contains(QStringLiteral("CUDA")));
            QCOMPARE(deviceBox->currentData().toString(), QStringLiteral("cpu"));
            QVERIFY(!w.isWindowModified()); // saved on the CPU, still there
            // The failed load's empty model, then the model back on the CPU.
            QTRY_COMPARE_WITH_TIMEOUT(received, (QVector<int>{0, trained}), 10000);
            QCOMPARE(w.modelInfo().trainedScales, trained);
            QCOMPARE(ui::TrainSettings::fromVariant(w.currentProject().trainSettings).device, QStringLiteral("cpu"));
            generated.clear();
            w.generate();
            QVERIFY(generated.wait(test::kJobTimeoutMs));
            QCOMPARE(generated.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
            QCOMPARE(w.gallery()->count(), 16);
            w.undoStack()->undo();
        }
        w.undoStack()->undo();
        // Undo removes the new batches.
        w.undoStack()->undo();
        QCOMPARE(w.gallery()->count(), 4);
        w.undoStack()->redo();
        QCOMPARE(w.gallery()->count(), 8);
    }

    void modelFilesOpenAndExport()
    {
        QTemporaryDir dir;
        const QString partial = dir.filePath(QStringLiteral("partial.pgcn"));
        const QString full = dir.filePath(QStringLiteral("full.pgcn"));
        const ui::TrainSettings recipe = test::tinySettings(12);
        QByteArray partialBytes;
        QVector<QVector<ui::ProgressPoint>> partialLog;
        {
            // A training stopped after its first scale, exported as the CLI would write it.
            MainWindow w;
            w.setQuiet(true);
            w.setSourceImage(test::patternQImage(), QStringLiteral("pattern.png"));
            w.trainingPanel()->setSettings(recipe);
            QSignalSpy finished(&w, &MainWindow::trainingFinished);
            QObject::connect(w.worker(), &ui::EngineWorker::scaleFinished, w.worker(),
                             [wk = w.worker()](int) { wk->requestCancel(); }, Qt::DirectConnection);
            w.startTraining();
            QVERIFY(finished.wait(test::kJobTimeoutMs));
            QCOMPARE(w.modelInfo().trainedScales, 1);
            QVERIFY(w.exportModelTo(partial));
            partialBytes = w.modelBytes();
            partialLog = w.plotPanel()->log();
            QFile f(partial);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QCOMPARE(f.readAll(), partialBytes); // the model file itself, byte for byte
        }
        // Opened as a new project around the model: its finest real image is the source, the
        // panel holds its recipe (without the per-scale decisions), and Start resumes it.
        MainWindow b;
        b.setQuiet(true);
        QVERIFY(b.openFile(partial));
        QCOMPARE(b.canvas()->image().size(), QSize(24, 20));
        QVERIFY(b.projectPath().isEmpty());
        QVERIFY(!b.isWindowModified());
        QCOMPARE(b.modelBytes(), partialBytes);
        QTRY_COMPARE_WITH_TIMEOUT(b.modelInfo().trainedScales, 1, 10000);
        QCOMPARE(b.modelInfo().numScales, 2);
        QCOMPARE(b.trainingPanel()->settings().configText, recipe.configText);
        QVERIFY(b.trainingPanel()->resumeOffered());
        // The plots show the training the file keeps: the curves the training window drew.
        QVERIFY(!partialLog.value(0).isEmpty());
        QVERIFY(sameLog(b.plotPanel()->log(), partialLog));
        resumeTrainsTheSecondScaleAlone(b);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(b.exportModelTo(full));

        // The exported model samples as the model it came from, seed for seed.
        MainWindow c;
        c.setQuiet(true);
        QVERIFY(c.openModel(full));
        QTRY_COMPARE_WITH_TIMEOUT(c.modelInfo().trainedScales, 2, 10000);
        QVERIFY(!c.trainingPanel()->resumeOffered());
        QVERIFY(!b.plotPanel()->log().value(1).isEmpty());
        QVERIFY(sameLog(c.plotPanel()->log(), b.plotPanel()->log())); // both scales' curves
        QVERIFY(c.plotPanel()->shownNote().isEmpty());
        {
            // A model file from before models kept their log: the plots say so, not just empty axes.
            const QByteArray fullBytes = c.modelBytes();
            const PyramidModel logged = PyramidModel::fromBytes(fullBytes.constData(), size_t(fullBytes.size()), "test");
            PyramidModel bare(test::patternImage(24, 20), logged.config());
            for (int s = 0; s < logged.trainedScales(); ++s)
                bare.addTrainedScale(logged.net(s));
            const QString old = dir.filePath(QStringLiteral("old.pgcn"));
            bare.save(old.toStdString());
            MainWindow d;
            d.setQuiet(true);
            QVERIFY(d.openModel(old));
            QVERIFY2(d.plotPanel()->shownNote().contains(QStringLiteral("old.pgcn keeps no training curves")),
                     qPrintable(d.plotPanel()->shownNote()));
            QVERIFY(d.plotPanel()->log().value(1).isEmpty());
            // Opening a model that keeps its curves again takes the note away.
            QVERIFY(d.openModel(full));
            QVERIFY(d.plotPanel()->shownNote().isEmpty());
        }
        // ... which File > Export Training Log (and the Plots' button) writes as CSV.
        auto *exportButton = c.plotPanel()->findChild<QToolButton *>(QStringLiteral("exportLogButton"));
        QVERIFY(exportButton && exportButton->isEnabled());
        const QString csv = dir.filePath(QStringLiteral("log.csv"));
        QVERIFY(c.exportTrainingLogTo(csv));
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            QCOMPARE(lines.size(), 1 + b.plotPanel()->log().value(0).size() + b.plotPanel()->log().value(1).size());
            const ui::ProgressPoint last = b.plotPanel()->log().value(1).last();
            const QStringList cells = lines.last().split(QLatin1Char(','));
            QCOMPARE(cells.size(), 5);
            QCOMPARE(cells[0], QStringLiteral("1"));
            QCOMPARE(cells[1].toInt(), last.iteration);
            QVERIFY(qAbs(cells[4].toDouble() - last.recoveryMse) <= 1e-8 * qMax(1.0, last.recoveryMse));
        }
        ui::SampleSettings ss;
        ss.count = 2;
        ss.randomSeed = false;
        ss.seed = 7;
        ss.recordChain = false;
        for (MainWindow *w : {&b, &c}) {
            w->samplePanel()->setSettings(ss);
            QSignalSpy generated(w, &MainWindow::generationFinished);
            w->generate();
            QVERIFY(generated.wait(test::kJobTimeoutMs));
            QCOMPARE(generated.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
        }
        QCOMPARE(c.gallery()->count(), 2);
        const auto eb = b.gallery()->entries(), ec = c.gallery()->entries();
        QCOMPARE(eb.size(), 2);
        for (int i = 0; i < 2; ++i)
            QCOMPARE(ec[i].image, eb[i].image);

        // Damaged or foreign model files: a message, and the session as it was.
        const QString bad = dir.filePath(QStringLiteral("bad.pgcn"));
        for (const QByteArray &bytes : {QByteArray("not a model"), partialBytes.left(partialBytes.size() / 2), QByteArray()}) {
            QFile f(bad);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(bytes);
            f.close();
            QSignalSpy failed(&c, &MainWindow::failureShown);
            QVERIFY(!c.openFile(bad));
            QCOMPARE(failed.size(), 1);
            QCOMPARE(failed.first().first().toString(), QStringLiteral("Cannot open the model"));
            QVERIFY2(failed.first().at(1).toString().contains(QStringLiteral("bad.pgcn")), qPrintable(failed.first().at(1).toString()));
            QCOMPARE(c.modelInfo().trainedScales, 2);
            QCOMPARE(c.gallery()->count(), 2);
        }
        QSignalSpy failed(&c, &MainWindow::failureShown);
        QVERIFY(!c.openModel(dir.filePath(QStringLiteral("missing.pgcn"))));
        QCOMPARE(failed.size(), 1);
        // An export that cannot be written says so and leaves no file behind.
        QVERIFY(!c.exportModelTo(dir.filePath(QStringLiteral("no/such/folder/m.pgcn"))));
        QCOMPARE(failed.size(), 2);
        QCOMPARE(failed.last().first().toString(), QStringLiteral("Cannot export the model"));
        QVERIFY(!c.exportTrainingLogTo(dir.filePath(QStringLiteral("no/such/folder/log.csv"))));
        QCOMPARE(failed.size(), 3);
        QCOMPARE(failed.last().first().toString(), QStringLiteral("Cannot export the training log"));
    }

    void deviceLabelCountsTheModelsFp32Scales()
    {
        if (ui::cudaPresent() || !ui::cpuBf16Present())
            QSKIP("the label names fp32 scales only where a CPU samples in bf16");
        QByteArray bytes;
        {
            MainWindow w;
            w.setQuiet(true);
            w.setSourceImage(test::patternQImage(), QStringLiteral("pattern.png"));
            w.trainingPanel()->setSettings(test::tinySettings(4));
            QSignalSpy finished(&w, &MainWindow::trainingFinished);
            w.startTraining();
            QVERIFY(finished.wait(test::kJobTimeoutMs));
            bytes = w.modelBytes();
        }
        // As the sampling-precision check leaves a model: its finest scale samples in fp32.
        PyramidModel m = PyramidModel::fromBytes(bytes.constData(), size_t(bytes.size()), "test");
        QCOMPARE(m.trainedScales(), 2);
        QTemporaryDir dir;
        const QString plain = dir.filePath(QStringLiteral("plain.pgcn")), marked = dir.filePath(QStringLiteral("marked.pgcn"));
        m.save(plain.toStdString());
        m.setFp32Sampling(1, true);
        m.save(marked.toStdString());
        MainWindow w;
        w.setQuiet(true);
        const auto *label = w.findChild<QLabel *>(QStringLiteral("deviceLabel"));
        QVERIFY(label);
        QVERIFY(w.openModel(marked));
        QTRY_VERIFY_WITH_TIMEOUT(label->text().contains(QStringLiteral("bf16 sampling (fp32 at 1 of 2 scales)")), 10000);
        QVERIFY2(label->toolTip().contains(QStringLiteral("samples 1 scale with FP32 chains")), qPrintable(label->toolTip()));
        QVERIFY(w.openModel(plain));
        QTRY_VERIFY_WITH_TIMEOUT(w.modelInfo().trainedScales == 2 && !label->text().contains(QStringLiteral("fp32")), 10000);
        QVERIFY(label->text().contains(QStringLiteral("bf16 sampling")));
    }

    void modelRecipeLeavesOutPerScaleDecisions()
    {
        TrainConfig cfg = test::tinyConfig(9);
        cfg.presetName = "balanced";
        cfg.seed = 5;
        TrainConfig decided = cfg;
        decided.stepFactors = {1.0, 0.5};
        decided.fp32SamplingScales = {0};
        const ui::TrainSettings s = ui::trainSettingsForModel(QString::fromStdString(decided.toText()));
        QCOMPARE(s.configText, QString::fromStdString(cfg.toText()));
        QCOMPARE(s.preset, QStringLiteral("balanced"));
        QCOMPARE(s.maxSize, 24);
        QCOMPARE(s.minSize, 12);
        QCOMPARE(s.scales, 2);
        QCOMPARE(s.seed, quint64(5));
        QVERIFY_THROWS_EXCEPTION(std::exception, ui::trainSettingsForModel(QStringLiteral("maxSize=abc\n")));
    }

    void saysWhenTheImageIsTooSmallForAPyramid()
    {
        // The tiny configuration's minimum size is 12 px: a 24x20 image has a pyramid, a 12x10 one
        // does not (both scales get its size), and the status line says so, as the CLI does.
        for (const QSize size : {QSize(24, 20), QSize(12, 10)}) {
            MainWindow w;
            w.setQuiet(true);
            w.setSourceImage(test::patternQImage(size.width(), size.height()), QStringLiteral("pattern.png"));
            w.trainingPanel()->setSettings(test::tinySettings(4));
            QSignalSpy finished(&w, &MainWindow::trainingFinished);
            w.startTraining();
            QVERIFY(finished.wait(test::kJobTimeoutMs));
            QCOMPARE(finished.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
            const QString status = w.statusBar()->currentMessage();
            const bool flat = size.height() == 10;
            QVERIFY2(status.startsWith(QStringLiteral("Training finished: 2 scales")), qPrintable(status));
            QVERIFY2(status.contains(QStringLiteral("too small for a pyramid")) == flat, qPrintable(status));
            if (flat)
                QVERIFY2(status.contains(QStringLiteral("12\u00d710")), qPrintable(status));
        }
    }

    void autosaveAfterEachScaleAndResume()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("auto.pgcnproj"));
        {
            MainWindow w;
            w.setQuiet(true);
            w.setSourceImage(test::patternQImage(), QStringLiteral("pattern.png"));
            QVERIFY(w.saveProjectTo(path)); // gives the autosave its target
            w.trainingPanel()->setSettings(test::tinySettings(12));
            QSignalSpy finished(&w, &MainWindow::trainingFinished);
            // Interrupt right after the first scale, as a crash or Cancel would.
            QObject::connect(w.worker(), &ui::EngineWorker::scaleFinished, w.worker(),
                             [wk = w.worker()](int) { wk->requestCancel(); }, Qt::DirectConnection);
            w.startTraining();
            QVERIFY(finished.wait(test::kJobTimeoutMs));
            QCOMPARE(finished.first().first().value<JobOutcome>().kind, JobOutcome::Cancelled);
            QCOMPARE(w.modelInfo().trainedScales, 1);
        }
        // The autosave ran on a pool thread: wait for it to land.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                Project p;
                return p.load(path) && !p.model.isEmpty();
            }(),
            10000);
        MainWindow w;
        w.setQuiet(true);
        QVERIFY(w.openProject(path));
        QTRY_COMPARE_WITH_TIMEOUT(w.modelInfo().trainedScales, 1, 10000);
        QVERIFY(w.trainingPanel()->resumeOffered());
        // Other fine scales or another min size make another training: no resume while they differ.
        const ui::TrainSettings saved = w.trainingPanel()->settings();
        for (const auto &change : std::vector<std::function<void(ui::TrainSettings &)>>{
                 [](ui::TrainSettings &s) { s.fineScales = QStringLiteral("windows"); },
                 [](ui::TrainSettings &s) { s.minSize = 8; }}) {
            ui::TrainSettings other = saved;
            change(other);
            w.trainingPanel()->setSettings(other);
            Q_EMIT w.trainingPanel()->settingsChanged();
            QVERIFY(!w.trainingPanel()->resumeOffered());
            w.trainingPanel()->setSettings(saved);
            Q_EMIT w.trainingPanel()->settingsChanged();
            QVERIFY(w.trainingPanel()->resumeOffered());
        }
        resumeTrainsTheSecondScaleAlone(w);
    }
};

QTEST_MAIN(TestStudioProject)
#include "test_studio_project.moc"
