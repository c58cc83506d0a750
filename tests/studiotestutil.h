#pragma once

#include "config.h"
#include "engineworker.h"
#include "enginetypes.h"
#include "image.h"
#include "imageconvert.h"
#include "testutil.h"

#include <QImage>
#include <QThread>

namespace pgcn::test {

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

/** A worker on its own thread, as the studio runs it; stopped on destruction. */
class WorkerThread
{
public:
    WorkerThread()
        : worker(new ui::EngineWorker)
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
    void load(const QByteArray &bytes)
    {
        QMetaObject::invokeMethod(worker, [w = worker, bytes] { w->loadModel(bytes); }, Qt::QueuedConnection);
    }

    QThread thread;
    ui::EngineWorker *worker;
};

} // namespace pgcn::test
