#pragma once

#include "config.h"
#include "engineworker.h"
#include "enginetypes.h"
#include "image.h"
#include "imageconvert.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QImage>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

namespace pgcn::test {

/** Generous: the machine may be shared with other builds; the jobs take seconds when it is not. */
constexpr int kJobTimeoutMs = 120000;

/** The test pattern as a QImage. */
inline QImage patternQImage(int w = 24, int h = 20)
{
    return ui::toQImage(patternImage(w, h));
}

/** Studio settings carrying the tiny unit-test configuration. */
inline ui::TrainSettings tinySettings(int iterations = 20)
{
    ui::TrainSettings s;
    s.configText = QString::fromStdString(tinyConfig(iterations).toText());
    return s;
}

/**
 * The worker's signals re-emitted on the test's thread. QSignalSpy records
 * through a direct connection, so spying on a worker that emits from its own
 * thread would race with the test reading the spy; spy on this relay instead.
 */
class WorkerRelay : public QObject
{
    Q_OBJECT

public:
    explicit WorkerRelay(ui::EngineWorker *worker)
    {
        using W = ui::EngineWorker;
        connect(worker, &W::modelChanged, this, &WorkerRelay::modelChanged);
        connect(worker, &W::trainingStarted, this, &WorkerRelay::trainingStarted);
        connect(worker, &W::trainProgress, this, &WorkerRelay::trainProgress);
        connect(worker, &W::scaleFinished, this, &WorkerRelay::scaleFinished);
        connect(worker, &W::trainingFinished, this, &WorkerRelay::trainingFinished);
        connect(worker, &W::pausedChanged, this, &WorkerRelay::pausedChanged);
        connect(worker, &W::busyChanged, this, &WorkerRelay::busyChanged);
        connect(worker, &W::chainFrames, this, &WorkerRelay::chainFrames);
        connect(worker, &W::samplesReady, this, &WorkerRelay::samplesReady);
        connect(worker, &W::generationFinished, this, &WorkerRelay::generationFinished);
        connect(worker, &W::modelLoadFailed, this, &WorkerRelay::modelLoadFailed);
        connect(worker, &W::scaleKeptBest, this, &WorkerRelay::scaleKeptBest);
    }

Q_SIGNALS:
    void modelChanged(const pgcn::ui::ModelInfo &info);
    void trainingStarted(const pgcn::ui::ModelInfo &info);
    void trainProgress(const pgcn::ui::TrainStatus &status);
    void scaleFinished(int scale, const QByteArray &modelBytes);
    void trainingFinished(const pgcn::ui::JobOutcome &outcome);
    void pausedChanged(bool paused);
    void busyChanged(bool busy);
    void chainFrames(const QVector<pgcn::ui::ChainFrame> &frames);
    void samplesReady(const QVector<pgcn::ui::GalleryEntry> &entries);
    void generationFinished(const pgcn::ui::JobOutcome &outcome);
    void modelLoadFailed(const QString &message);
    void scaleKeptBest(int scale, int attempt, const QString &why);
};

/** Waits until `spy` holds at least `count` signals (robust where wait() could miss an early one). */
inline bool waitForCount(const QSignalSpy &spy, qsizetype count, int timeoutMs = kJobTimeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (spy.size() < count && t.elapsed() < timeoutMs)
        QTest::qWait(5);
    return spy.size() >= count;
}

/** A worker on its own thread, as the studio runs it; stopped on destruction. */
class WorkerThread
{
public:
    WorkerThread()
        : worker(new ui::EngineWorker)
        , relay(worker)
    {
        worker->moveToThread(&thread);
        QObject::connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
        thread.start();
    }
    ~WorkerThread()
    {
        worker->requestCancel();
        worker->setPaused(false);
        thread.quit();
        thread.wait();
    }
    WorkerThread(const WorkerThread &) = delete;
    WorkerThread &operator=(const WorkerThread &) = delete;

    void train(const QImage &image, const ui::TrainSettings &settings, bool resume = false)
    {
        QMetaObject::invokeMethod(worker, [w = worker, image, settings, resume] { w->startTraining(image, settings, resume); },
                                  Qt::QueuedConnection);
    }
    void generate(const ui::SampleSettings &settings)
    {
        QMetaObject::invokeMethod(worker, [w = worker, settings] { w->generate(settings); }, Qt::QueuedConnection);
    }
    void load(const QByteArray &bytes, const QString &device = QStringLiteral("auto"))
    {
        QMetaObject::invokeMethod(worker, [w = worker, bytes, device] { w->loadModel(bytes, device); }, Qt::QueuedConnection);
    }

    QThread thread;
    ui::EngineWorker *worker;
    WorkerRelay relay;   ///< spy on this, not on the worker
};

} // namespace pgcn::test
