#include "studiotestutil.h"

#include "mainwindow.h"
#include "trainingpanel.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

#include <algorithm>

using namespace pgcn;
using pgcn::ui::MainWindow;

/**
 * The GUI thread stays responsive while the worker trains: a 5 ms timer runs
 * on the GUI thread during training through the real main window (live
 * images, plots, progress) and its lateness is recorded.
 */
class TestStudioLatency : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        ui::initEngine(2);
    }

    void guiAnswersWhileTraining_data()
    {
        QTest::addColumn<QImage>("image");
        QTest::addColumn<ui::TrainSettings>("settings");
        // Many tiny iterations: a flood of progress reports to coalesce.
        QTest::newRow("tiny-config") << test::patternQImage(24, 20) << test::tinySettings(100000);
        // The quick preset on a 64-pixel image: both cores busy with convolutions.
        ui::TrainSettings quick = ui::presetSettings(QStringLiteral("quick"));
        quick.maxSize = 64;
        quick.scales = 3;
        quick.iterations = 100000;
        QTest::newRow("quick-64px") << test::patternQImage(96, 80) << quick;
    }

    void guiAnswersWhileTraining()
    {
        QFETCH(QImage, image);
        QFETCH(ui::TrainSettings, settings);
        MainWindow w;
        w.setQuiet(true);
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.setSourceImage(image, QStringLiteral("pattern.png"));
        w.trainingPanel()->setSettings(settings);
        QSignalSpy shown(&w, &MainWindow::progressShown);
        QSignalSpy finished(&w, &MainWindow::trainingFinished);
        w.startTraining();
        QVERIFY(shown.wait(test::kJobTimeoutMs)); // training is under way

        constexpr int kIntervalMs = 5;
        constexpr int kRunMs = 4000;
        std::vector<double> lateness;
        QElapsedTimer clock;
        clock.start();
        qint64 last = clock.nsecsElapsed();
        QTimer tick;
        tick.setTimerType(Qt::PreciseTimer);
        tick.setInterval(kIntervalMs);
        connect(&tick, &QTimer::timeout, this, [&] {
            const qint64 now = clock.nsecsElapsed();
            lateness.push_back(std::max(0.0, (now - last) / 1e6 - kIntervalMs));
            last = now;
        });
        tick.start();
        QTest::qWait(kRunMs);
        tick.stop();
        const int updates = int(shown.size());
        w.cancelJob();
        QVERIFY(finished.wait(test::kJobTimeoutMs));

        QVERIFY(lateness.size() > 100);
        std::sort(lateness.begin(), lateness.end());
        const double maxMs = lateness.back();
        const double p99 = lateness[size_t(lateness.size() * 0.99)];
        const double median = lateness[lateness.size() / 2];
        qInfo("GUI event latency while training (%s): max %.1f ms, p99 %.1f ms, median %.2f ms over %zu ticks; %d widget refreshes",
              QTest::currentDataTag(), maxMs, p99, median, lateness.size(), updates);
        QVERIFY(updates >= 1); // the live view moved (a heavy scale start can take seconds on a loaded machine)
        QVERIFY2(maxMs < 50.0, qPrintable(QStringLiteral("max latency %1 ms").arg(maxMs)));
    }
};

QTEST_MAIN(TestStudioLatency)
#include "test_studio_latency.moc"
