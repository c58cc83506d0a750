#include "studiotestutil.h"

#include <QSignalSpy>
#include <QTest>

#include <cstdlib>

using namespace pgcn;
using pgcn::ui::GalleryEntry;
using pgcn::ui::JobOutcome;
using pgcn::ui::TaskRequest;

/** The worker's image tasks on a tiny trained model: edit, inject, super-resolution, bad input. */
class TestStudioTasks : public QObject
{
    Q_OBJECT

private:
    test::WorkerThread *m_wt = nullptr;

    /** Runs one task; returns its outcome and the gallery entries it produced. */
    JobOutcome run(const TaskRequest &r, QVector<GalleryEntry> *entries)
    {
        QSignalSpy samples(&m_wt->relay, &test::WorkerRelay::samplesReady);
        QSignalSpy done(&m_wt->relay, &test::WorkerRelay::generationFinished);
        QMetaObject::invokeMethod(m_wt->worker, [w = m_wt->worker, r] { w->runTask(r); }, Qt::QueuedConnection);
        if (!test::waitForCount(done, 1))
            return {};
        if (entries && !samples.isEmpty())
            *entries = samples.first().first().value<QVector<GalleryEntry>>();
        return done.first().first().value<JobOutcome>();
    }

    static QImage rectMask(QSize size, QRect r)
    {
        QImage m(size, QImage::Format_Grayscale8);
        m.fill(0);
        for (int y = r.top(); y <= r.bottom(); ++y)
            for (int x = r.left(); x <= r.right(); ++x)
                m.scanLine(y)[x] = 255;
        return m;
    }

private Q_SLOTS:
    void initTestCase()
    {
        ui::registerEngineTypes();
        ui::initEngine(2);
        m_wt = new test::WorkerThread;
        QSignalSpy finished(&m_wt->relay, &test::WorkerRelay::trainingFinished);
        m_wt->train(test::patternQImage(), test::tinySettings(6));
        QVERIFY(test::waitForCount(finished, 1));
        QCOMPARE(finished.first().first().value<JobOutcome>().kind, JobOutcome::Finished);
    }

    void cleanupTestCase() { delete m_wt; }

    void editKeepsPixelsOutsideTheMask()
    {
        const QImage img = test::patternQImage();
        TaskRequest r;
        r.kind = TaskRequest::Edit;
        r.image = img;
        r.mask = rectMask(img.size(), QRect(6, 5, 10, 8));
        r.startScale = 1;
        r.feather = 2;
        QSignalSpy frames(&m_wt->relay, &test::WorkerRelay::chainFrames);
        QVector<GalleryEntry> out;
        const JobOutcome o = run(r, &out);
        QVERIFY2(o.kind == JobOutcome::Finished, qPrintable(o.message));
        QCOMPARE(out.size(), 1);
        const QImage res = out.first().image.convertToFormat(QImage::Format_RGB888);
        QCOMPARE(res.size(), img.size());
        int changed = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const bool inside = r.mask.constScanLine(y)[x] != 0;
                if (!inside)
                    QCOMPARE(res.pixel(x, y), img.pixel(x, y));
                else
                    changed += res.pixel(x, y) != img.pixel(x, y);
            }
        QVERIFY(changed > 0);
        QVERIFY(!frames.isEmpty()); // the chain was recorded
    }

    void superResolutionSize()
    {
        TaskRequest r;
        r.kind = TaskRequest::SuperResolve;
        r.image = test::patternQImage();
        r.factor = 2.0;
        r.recordChain = false;
        QVector<GalleryEntry> out;
        const JobOutcome o = run(r, &out);
        QVERIFY2(o.kind == JobOutcome::Finished, qPrintable(o.message));
        QCOMPARE(out.size(), 2);
        QCOMPARE(out[0].image.size(), QSize(48, 40));
        QCOMPARE(out[1].image.size(), QSize(48, 40));
        QVERIFY(out[0].label.startsWith(QStringLiteral("SR")));
        QVERIFY(out[1].label.startsWith(QStringLiteral("bicubic")));

        // The panel's SR steps reach the chains: the chains are noiseless, so the same steps give the
        // same image and other steps another.
        auto difference = [](const QImage &x, const QImage &y) {
            double d = 0;
            const QImage a = x.convertToFormat(QImage::Format_RGB888), b = y.convertToFormat(QImage::Format_RGB888);
            for (int row = 0; row < a.height(); ++row)
                for (int i = 0; i < a.width() * 3; ++i)
                    d += std::abs(int(a.constScanLine(row)[i]) - int(b.constScanLine(row)[i]));
            return d / (a.width() * a.height() * 3);
        };
        QVector<GalleryEntry> one, again, many;
        r.srSteps = 1;
        QCOMPARE(run(r, &one).kind, JobOutcome::Finished);
        QCOMPARE(run(r, &again).kind, JobOutcome::Finished);
        r.srSteps = 40;
        QCOMPARE(run(r, &many).kind, JobOutcome::Finished);
        QCOMPARE(difference(one[0].image, again[0].image), 0.0);
        const double d = difference(one[0].image, many[0].image);
        QVERIFY2(d > 0.5, qPrintable(QString::number(d))); // mean absolute difference in 8-bit levels
    }

    void injectKeepsSize()
    {
        TaskRequest r;
        r.kind = TaskRequest::Inject;
        r.image = test::patternQImage(30, 24);
        r.startScale = 1;
        QVector<GalleryEntry> out;
        const JobOutcome o = run(r, &out);
        QVERIFY2(o.kind == JobOutcome::Finished, qPrintable(o.message));
        QCOMPARE(out.first().image.size(), QSize(30, 24));

        // As the CLI's `inject` (--inject-noise 0): no noise is added to the image, so the
        // result does not depend on the seed (the studio draws a new seed for every task).
        r.seed = 1;
        QVector<GalleryEntry> again;
        QCOMPARE(run(r, &again).kind, JobOutcome::Finished);
        QCOMPARE(again.first().image, out.first().image);
    }

    void badInputFailsWithTheEngineMessage_data()
    {
        QTest::addColumn<int>("maskW");
        QTest::addColumn<bool>("empty");
        QTest::addColumn<int>("startScale");
        QTest::addColumn<QString>("expected");
        QTest::newRow("wrong size") << 12 << false << 1 << QStringLiteral("mask is 12x");
        QTest::newRow("empty mask") << 24 << true << 1 << QStringLiteral("empty");
        QTest::newRow("start scale") << 24 << false << 7 << QStringLiteral("start scale");
    }

    void badInputFailsWithTheEngineMessage()
    {
        QFETCH(int, maskW);
        QFETCH(bool, empty);
        QFETCH(int, startScale);
        QFETCH(QString, expected);
        TaskRequest r;
        r.kind = TaskRequest::Edit;
        r.image = test::patternQImage();
        r.mask = rectMask(QSize(maskW, 20), empty ? QRect() : QRect(2, 2, 5, 5));
        r.startScale = startScale;
        QVector<GalleryEntry> out;
        const JobOutcome o = run(r, &out);
        QCOMPARE(o.kind, JobOutcome::Failed);
        QVERIFY2(o.message.contains(expected), qPrintable(o.message));
        QVERIFY(out.isEmpty());
        if (maskW != 24)
            QVERIFY(ui::validateMaskMessage(r.image, r.mask).contains(expected));
    }

    void energyMapHasTheImageSize()
    {
        // Re-emitted on this thread (queued), as WorkerRelay does for the other signals.
        QVector<QImage> heats;
        connect(m_wt->worker, &ui::EngineWorker::energyReady, this, [&heats](const QImage &heat, const QString &) { heats << heat; });
        QMetaObject::invokeMethod(m_wt->worker, [w = m_wt->worker] { w->computeEnergy(test::patternQImage()); }, Qt::QueuedConnection);
        QTRY_VERIFY_WITH_TIMEOUT(!heats.isEmpty(), 60000);
        QCOMPARE(heats.first().size(), QSize(24, 20));
    }
};

QTEST_MAIN(TestStudioTasks)
#include "test_studio_tasks.moc"
