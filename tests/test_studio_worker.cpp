#include "studiotestutil.h"

#include <QSignalSpy>
#include <QTest>

using namespace pgcn;
using pgcn::ui::ChainFrame;
using pgcn::ui::EngineWorker;
using pgcn::ui::GalleryEntry;
using pgcn::ui::JobOutcome;
using pgcn::ui::ModelInfo;
using pgcn::ui::TrainStatus;

/** The studio's engine worker on its thread: signals, training, sampling, cancel, pause, resume, failures. */
class TestStudioWorker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        ui::registerEngineTypes();
        ui::initEngine(2);
    }

    void trainsAndSamples()
    {
        test::WorkerThread wt;
        QSignalSpy started(&wt.relay, &test::WorkerRelay::trainingStarted);
        QSignalSpy progress(&wt.relay, &test::WorkerRelay::trainProgress);
        QSignalSpy scales(&wt.relay, &test::WorkerRelay::scaleFinished);
        QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
        QSignalSpy busy(&wt.relay, &test::WorkerRelay::busyChanged);
        wt.worker->setSnapshotEvery(5);

        wt.train(test::patternQImage(), test::tinySettings(20));
        QVERIFY(finished.wait(test::kJobTimeoutMs));
        const auto outcome = finished.first().first().value<JobOutcome>();
        QCOMPARE(outcome.kind, JobOutcome::Finished);
        QCOMPARE(outcome.trainedScales, 2);
        QVERIFY(!outcome.modelBytes.isEmpty());

        QCOMPARE(started.size(), 1);
        const auto info = started.first().first().value<ModelInfo>();
        QCOMPARE(info.numScales, 2);
        QCOMPARE(info.reals.size(), 2);
        QCOMPARE(info.reals.last().size(), QSize(24, 20));

        QCOMPARE(scales.size(), 2);
        QCOMPARE(scales.at(0).at(0).toInt(), 0);
        QCOMPARE(scales.at(1).at(0).toInt(), 1);
        QVERIFY(!scales.at(1).at(1).toByteArray().isEmpty());

        // Every iteration arrives exactly once, coalesced into fewer signals, with live images.
        int points[2] = {0, 0};
        int snapshots = 0;
        for (const auto &args : std::as_const(progress)) {
            const auto st = args.first().value<TrainStatus>();
            QVERIFY(st.scale >= 0 && st.scale < 2);
            points[st.scale] += int(st.points.size());
            for (const auto &p : st.points)
                QVERIFY(std::isfinite(p.energyReal) && std::isfinite(p.energySyn) && std::isfinite(p.recoveryMse));
            if (!st.synthesis.isNull()) {
                ++snapshots;
                QCOMPARE(st.synthesis.size(), info.sizes[st.scale]);
                QCOMPARE(st.recovery.size(), info.sizes[st.scale]);
            }
        }
        QCOMPARE(points[0], 20);
        QCOMPARE(points[1], 20);
        QVERIFY(progress.size() <= 40);
        QVERIFY(snapshots >= 2);
        QVERIFY(test::waitForCount(busy, 2, 10000)); // busyChanged(false) follows trainingFinished
        QCOMPARE(busy.size(), 2);

        // Samples with a recorded chain.
        QSignalSpy samples(&wt.relay, &test::WorkerRelay::samplesReady);
        QSignalSpy frames(&wt.relay, &test::WorkerRelay::chainFrames);
        QSignalSpy genDone(&wt.relay, &test::WorkerRelay::generationFinished);
        ui::SampleSettings ss;
        ss.count = 3;
        ss.seed = 7;
        ss.randomSeed = false;
        ss.recordChain = true;
        wt.generate(ss);
        QVERIFY(genDone.wait(test::kJobTimeoutMs));
        QCOMPARE(genDone.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
        QCOMPARE(samples.size(), 1);
        const auto entries = samples.first().first().value<QVector<GalleryEntry>>();
        QCOMPARE(entries.size(), 3);
        for (const auto &e : entries)
            QCOMPARE(e.image.size(), QSize(24, 20));
        QVector<ChainFrame> all;
        for (const auto &args : std::as_const(frames))
            all += args.first().value<QVector<ChainFrame>>();
        // tinyConfig: 10 steps per scale, plus each scale's initial state; only the first chain is kept.
        QCOMPARE(all.size(), 22);
        QCOMPARE(all.first().scale, 0);
        QCOMPARE(all.first().step, 0);
        QCOMPARE(all.last().scale, 1);
        QCOMPARE(all.last().step, 10);
        QCOMPARE(all.last().image.size(), QSize(24, 20));

        // Same seed, same images.
        QSignalSpy samples2(&wt.relay, &test::WorkerRelay::samplesReady);
        QSignalSpy genDone2(&wt.relay, &test::WorkerRelay::generationFinished);
        ss.recordChain = false;
        wt.generate(ss);
        QVERIFY(genDone2.wait(test::kJobTimeoutMs));
        QCOMPARE(samples2.first().first().value<QVector<GalleryEntry>>().first().image, entries.first().image);
    }

    void cancelMidRun()
    {
        test::WorkerThread wt;
        QSignalSpy progress(&wt.relay, &test::WorkerRelay::trainProgress);
        QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
        wt.train(test::patternQImage(), test::tinySettings(100000));
        QVERIFY(progress.wait(test::kJobTimeoutMs));
        QElapsedTimer t;
        t.start();
        wt.worker->requestCancel();
        QVERIFY(finished.wait(10000));
        const qint64 ms = t.elapsed();
        const auto outcome = finished.first().first().value<JobOutcome>();
        QCOMPARE(outcome.kind, JobOutcome::Cancelled);
        QCOMPARE(outcome.trainedScales, 0);
        qInfo("cancel took %lld ms", ms);
        QVERIFY(ms < 5000);
    }

    void pauseAndResume()
    {
        test::WorkerThread wt;
        wt.worker->setProgressInterval(0);
        QSignalSpy progress(&wt.relay, &test::WorkerRelay::trainProgress);
        QSignalSpy paused(&wt.relay, &test::WorkerRelay::pausedChanged);
        QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
        wt.train(test::patternQImage(), test::tinySettings(100000));
        QVERIFY(test::waitForCount(progress, 1));
        wt.worker->setPaused(true);
        QVERIFY(test::waitForCount(paused, 1, 10000));
        QCOMPARE(paused.last().first().toBool(), true);
        QTest::qWait(100);
        const auto before = progress.size();
        QTest::qWait(600);
        QCOMPARE(progress.size(), before); // nothing moves while paused
        wt.worker->setPaused(false);
        QVERIFY(test::waitForCount(paused, 2, 10000));
        QCOMPARE(paused.last().first().toBool(), false);
        QVERIFY(test::waitForCount(progress, before + 1, 10000));
        // Cancel while paused also ends the job.
        wt.worker->setPaused(true);
        QVERIFY(test::waitForCount(paused, 3, 10000));
        wt.worker->requestCancel();
        QVERIFY(test::waitForCount(finished, 1, 10000));
        QCOMPARE(finished.first().first().value<JobOutcome>().kind, JobOutcome::Cancelled);
    }

    void resumesAfterInterruption()
    {
        QByteArray partial;
        {
            test::WorkerThread wt;
            QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
            // Stop as soon as the first scale is done: the model keeps it.
            QObject::connect(wt.worker, &EngineWorker::scaleFinished, wt.worker, [w = wt.worker](int) { w->requestCancel(); },
                             Qt::DirectConnection);
            wt.train(test::patternQImage(), test::tinySettings(15));
            QVERIFY(finished.wait(test::kJobTimeoutMs));
            const auto outcome = finished.first().first().value<JobOutcome>();
            QCOMPARE(outcome.kind, JobOutcome::Cancelled);
            QCOMPARE(outcome.trainedScales, 1);
            partial = outcome.modelBytes;
        }
        QVERIFY(!partial.isEmpty());

        test::WorkerThread wt;
        QSignalSpy changed(&wt.relay, &test::WorkerRelay::modelChanged);
        wt.load(partial);
        QVERIFY(changed.wait(10000));
        QCOMPARE(changed.first().first().value<ModelInfo>().trainedScales, 1);

        QSignalSpy progress(&wt.relay, &test::WorkerRelay::trainProgress);
        QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
        wt.train(test::patternQImage(), test::tinySettings(15), true);
        QVERIFY(finished.wait(test::kJobTimeoutMs));
        const auto outcome = finished.first().first().value<JobOutcome>();
        QCOMPARE(outcome.kind, JobOutcome::Finished);
        QCOMPARE(outcome.trainedScales, 2);
        for (const auto &args : std::as_const(progress))
            QCOMPARE(args.first().value<TrainStatus>().scale, 1); // scale 0 was not trained again
    }

    void reopenedModelSamplesAsBefore()
    {
        // A project's model is loaded where the training panel says ("auto": the GPU when
        // there is one, as its training ran): the same seed then gives the same samples
        // as before saving.
        test::WorkerThread wt;
        QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
        wt.train(test::patternQImage(), test::tinySettings(10));
        QVERIFY(finished.wait(test::kJobTimeoutMs));
        const QByteArray bytes = finished.first().first().value<JobOutcome>().modelBytes;
        QVERIFY(!bytes.isEmpty());
        ui::SampleSettings ss;
        ss.count = 2;
        ss.seed = 11;
        ss.randomSeed = false;
        ss.recordChain = false;
        const auto samplesOf = [&](test::WorkerThread &w) {
            QSignalSpy samples(&w.relay, &test::WorkerRelay::samplesReady);
            QSignalSpy done(&w.relay, &test::WorkerRelay::generationFinished);
            w.generate(ss);
            return done.wait(test::kJobTimeoutMs) && !samples.isEmpty() ? samples.first().first().value<QVector<GalleryEntry>>()
                                                                        : QVector<GalleryEntry>();
        };
        const QVector<GalleryEntry> before = samplesOf(wt);
        QCOMPARE(before.size(), 2);

        test::WorkerThread reopened;
        QSignalSpy changed(&reopened.relay, &test::WorkerRelay::modelChanged);
        reopened.load(bytes);
        QVERIFY(changed.wait(10000));
        const QVector<GalleryEntry> after = samplesOf(reopened);
        QCOMPARE(after.size(), 2);
        for (int i = 0; i < 2; ++i)
            QCOMPARE(after[i].image, before[i].image);

        // A device this machine lacks is refused with the engine's message, and no model is kept.
        if (!ui::cudaPresent()) {
            QSignalSpy failed(&reopened.relay, &test::WorkerRelay::modelLoadFailed);
            QSignalSpy changed2(&reopened.relay, &test::WorkerRelay::modelChanged);
            reopened.load(bytes, QStringLiteral("cuda"));
            QVERIFY(failed.wait(10000));
            QVERIFY2(failed.first().first().toString().contains(QStringLiteral("no CUDA device")), qPrintable(failed.first().first().toString()));
            QVERIFY(test::waitForCount(changed2, 1, 10000));
            QCOMPARE(changed2.first().first().value<ModelInfo>().trainedScales, 0);
        }
    }

    void scaleThatFailsTheImageCheckIsReportedAndTrainingGoesOn()
    {
        // An image-check limit no chain meets: the finest scale (48x40) is trained three
        // times, the least harmful attempt kept, the studio told, and the model completes.
        test::WorkerThread wt;
        QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
        QSignalSpy kept(&wt.relay, &test::WorkerRelay::scaleKeptBest);
        TrainConfig c = test::tinyConfig(4);
        c.maxSize = 48;
        c.minSize = 20;
        c.numScales = 2;
        c.imageCheckLimit = 1e-6;
        ui::TrainSettings s;
        s.configText = QString::fromStdString(c.toText());
        wt.train(test::patternQImage(48, 40), s);
        QVERIFY(test::waitForCount(finished, 1));
        QCOMPARE(finished.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
        QCOMPARE(kept.size(), 1);
        QCOMPARE(kept.first().at(0).toInt(), 1);
        QVERIFY(kept.first().at(1).toInt() >= 0 && kept.first().at(1).toInt() <= TrainConfig::kDivergenceRetries);
        QVERIFY2(kept.first().at(2).toString().contains(QStringLiteral("whole-image check")),
                 qPrintable(kept.first().at(2).toString()));
    }

    void failuresComeBackAsOutcomes()
    {
        test::WorkerThread wt;
        QSignalSpy finished(&wt.relay, &test::WorkerRelay::trainingFinished);
        ui::TrainSettings bad;
        bad.configText = QStringLiteral("this is not a configuration");
        wt.train(test::patternQImage(), bad);
        QVERIFY(finished.wait(10000));
        auto outcome = finished.last().first().value<JobOutcome>();
        QCOMPARE(outcome.kind, JobOutcome::Failed);
        QVERIFY(!outcome.message.isEmpty());
        QVERIFY(!outcome.hint.isEmpty());

        wt.train(QImage(), test::tinySettings());
        QVERIFY(finished.wait(10000));
        outcome = finished.last().first().value<JobOutcome>();
        QCOMPARE(outcome.kind, JobOutcome::Failed);
        QVERIFY(outcome.message.contains(QStringLiteral("image")));

        QSignalSpy genDone(&wt.relay, &test::WorkerRelay::generationFinished);
        wt.generate(ui::SampleSettings());
        QVERIFY(genDone.wait(10000));
        QCOMPARE(genDone.first().first().value<JobOutcome>().kind, JobOutcome::Failed);

        QSignalSpy loadFailed(&wt.relay, &test::WorkerRelay::modelLoadFailed);
        wt.load(QByteArray("garbage"));
        QVERIFY(loadFailed.wait(10000));
    }
};

QTEST_GUILESS_MAIN(TestStudioWorker)
#include "test_studio_worker.moc"
