#include "studiotestutil.h"

#include "chainpanel.h"
#include "gallerypanel.h"
#include "imagecanvas.h"
#include "mainwindow.h"
#include "masklayer.h"
#include "objectoverlay.h"
#include "plotpanel.h"
#include "samplepanel.h"
#include "taskpanel.h"
#include "trainingpanel.h"
#include "zoomable.h"

#include "config.h"
#include "errors.h"

#include <QAction>
#include <QChartView>
#include <QLineSeries>
#include <QValueAxis>
#include <QComboBox>
#include <QToolButton>
#include <QLabel>
#include <QLayout>
#include <QListWidget>
#include <QMouseEvent>
#include <QMenuBar>
#include <QScreen>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <QElapsedTimer>

using namespace pgcn;

namespace {

/**
 * A training panel's choice (a combo box named as its project key): "auto" at first, with
 * `items` entries; set to `value`, it shows and comes back from the panel and from a saved
 * project; an unknown value, or none (a project saved before the field), reads as auto; it
 * is locked while a training runs.
 */
void checkSavedChoice(const QString &name, QString ui::TrainSettings::*field, int items, const QString &value)
{
    ui::TrainingPanel panel;
    auto *box = panel.findChild<QComboBox *>(name);
    QVERIFY(box);
    QCOMPARE(panel.settings().*field, QStringLiteral("auto"));
    QCOMPARE(box->count(), items);
    ui::TrainSettings s = panel.settings();
    s.*field = value;
    panel.setSettings(s);
    QCOMPARE(box->currentData().toString(), value);
    QCOMPARE(panel.settings().*field, value);
    QCOMPARE(ui::TrainSettings::fromVariant(panel.settings().toVariant()).*field, value);
    QVariantMap map = s.toVariant();
    map[name] = QStringLiteral("no such value");
    QCOMPARE(ui::TrainSettings::fromVariant(map).*field, QStringLiteral("auto"));
    map.remove(name);
    QCOMPARE(ui::TrainSettings::fromVariant(map).*field, QStringLiteral("auto"));
    panel.setState(ui::TrainingPanel::State::Training);
    QVERIFY(!box->isEnabled());
}

} // namespace

/** The studio's widgets on their own: zoom, canvas, gallery with undo and export, chain scrubbing, menus. */
class TestStudioWidgets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        ui::registerEngineTypes();
    }

    void zoomSteps()
    {
        ui::Zoomable z;
        QSignalSpy spy(&z, &ui::Zoomable::scaleChanged);
        z.zoomIn();
        QCOMPARE(z.scale(), 1.5);
        z.zoomOut();
        z.zoomOut();
        QCOMPARE(z.scale(), 0.75);
        z.setScale(1000);
        QCOMPARE(z.scale(), ui::Zoomable::kMaxScale);
        QVERIFY(!z.canZoomIn());
        z.resetZoom();
        QCOMPARE(z.scale(), 1.0);
        QCOMPARE(spy.size(), 5);
        z.setScale(1.0);
        QCOMPARE(spy.size(), 5); // no signal without a change
    }

    void canvasZoomAndPaint()
    {
        ui::ImageCanvas canvas;
        canvas.resize(400, 300);
        canvas.show();
        QVERIFY(QTest::qWaitForWindowExposed(&canvas));
        QImage big(1600, 1200, QImage::Format_RGB888);
        big.fill(Qt::darkCyan);
        canvas.setImage(big);
        QVERIFY(canvas.zoomable()->scale() < 0.3); // fitted
        canvas.actualSize();
        QCOMPARE(canvas.zoomable()->scale(), 1.0);
        QVERIFY(!canvas.fitToWindow());
        QVERIFY(canvas.horizontalScrollBar()->maximum() > 0);
        // Painting at 100% and 800% stays cheap: only the visible pixels are drawn.
        for (qreal s : {1.0, 8.0}) {
            canvas.zoomable()->setScale(s);
            QElapsedTimer t;
            t.start();
            for (int i = 0; i < 20; ++i)
                canvas.viewport()->repaint();
            const double ms = t.nsecsElapsed() / 1e6 / 20.0;
            qInfo("canvas repaint at %d%%: %.2f ms", int(s * 100), ms);
            QVERIFY(ms < 16.0);
        }
        // Ctrl+wheel zooms around the cursor.
        const qreal before = canvas.zoomable()->scale();
        QWheelEvent wheel(QPointF(200, 150), canvas.viewport()->mapToGlobal(QPointF(200, 150)), QPoint(), QPoint(0, 120),
                          Qt::NoButton, Qt::ControlModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(canvas.viewport(), &wheel);
        QVERIFY(canvas.zoomable()->scale() > before);
        // Space+drag pans.
        const int h0 = canvas.horizontalScrollBar()->value(), v0 = canvas.verticalScrollBar()->value();
        QTest::keyPress(&canvas, Qt::Key_Space);
        QWidget *vp = canvas.viewport();
        QMouseEvent press(QEvent::MouseButtonPress, QPointF(200, 150), vp->mapToGlobal(QPointF(200, 150)), Qt::LeftButton,
                          Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &press);
        QMouseEvent move(QEvent::MouseMove, QPointF(150, 110), vp->mapToGlobal(QPointF(150, 110)), Qt::NoButton,
                         Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &move);
        QMouseEvent release(QEvent::MouseButtonRelease, QPointF(150, 110), vp->mapToGlobal(QPointF(150, 110)), Qt::LeftButton,
                            Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &release);
        QTest::keyRelease(&canvas, Qt::Key_Space);
        QCOMPARE(canvas.horizontalScrollBar()->value(), h0 + 50);
        QCOMPARE(canvas.verticalScrollBar()->value(), v0 + 40);
        canvas.fitInView();
        QVERIFY(canvas.fitToWindow());
    }

    void galleryUndoAndExport()
    {
        QUndoStack stack;
        ui::GalleryPanel gallery(&stack);
        gallery.addEntries({{test::patternQImage(), QStringLiteral("a")}, {test::patternQImage(12, 10), QStringLiteral("b")}});
        gallery.addEntries({{test::patternQImage(8, 8), QStringLiteral("c")}});
        QCOMPARE(gallery.count(), 3);
        gallery.listWidget()->item(1)->setSelected(true);
        gallery.removeSelected();
        QCOMPARE(gallery.count(), 2);
        QCOMPARE(gallery.entries()[1].label, QStringLiteral("c"));
        stack.undo();
        QCOMPARE(gallery.count(), 3);
        QCOMPARE(gallery.entries()[1].label, QStringLiteral("b"));
        stack.undo();
        QCOMPARE(gallery.count(), 2);
        stack.redo();
        QCOMPARE(gallery.count(), 3);
        gallery.clearAll();
        QCOMPARE(gallery.count(), 0);
        stack.undo();
        QCOMPARE(gallery.count(), 3);

        QSignalSpy activated(&gallery, &ui::GalleryPanel::entryActivated);
        gallery.listWidget()->setCurrentRow(2);
        QCOMPARE(activated.size(), 1);
        QCOMPARE(activated.first().first().value<ui::GalleryEntry>().label, QStringLiteral("c"));

        QTemporaryDir dir;
        QString error;
        for (const QString &ext : {QStringLiteral("png"), QStringLiteral("jpg"), QStringLiteral("webp"), QStringLiteral("tif")}) {
            const QStringList written = ui::GalleryPanel::exportTo(gallery.entries(), dir.path(), QStringLiteral("s"), ext, &error);
            QCOMPARE(written.size(), 3);
            QImage back(written.first());
            QVERIFY2(!back.isNull() || ext == QStringLiteral("webp"), qPrintable(written.first()));
            if (!back.isNull())
                QCOMPARE(back.size(), QSize(24, 20));
        }
        QVERIFY(!ui::GalleryPanel::exportOne(test::patternQImage(), QStringLiteral("/nonexistent/dir/x.png"), &error));
        QVERIFY(!error.isEmpty());
    }

    void galleryShowsANewBatchFromItsFirstImage()
    {
        QUndoStack stack;
        ui::GalleryPanel gallery(&stack);
        gallery.resize(420, 260);
        gallery.show();
        QVERIFY(QTest::qWaitForWindowExposed(&gallery));
        QVector<ui::GalleryEntry> batch;
        for (int i = 0; i < 12; ++i)
            batch.append({test::patternQImage(64, 60), QStringLiteral("old %1").arg(i)});
        gallery.addEntries(batch);
        for (auto &e : batch)
            e.label.replace(QStringLiteral("old"), QStringLiteral("new"));
        gallery.addEntries(batch);
        QListWidget *list = gallery.listWidget();
        QCoreApplication::processEvents();
        // The batch does not fit: its first image is at the top of the view, whole.
        const QRect first = list->visualItemRect(list->item(12));
        QVERIFY2(list->viewport()->rect().contains(first), qPrintable(QStringLiteral("first new item at y %1..%2 of %3")
                                                                       .arg(first.top()).arg(first.bottom()).arg(list->viewport()->height())));
        QVERIFY(!list->viewport()->rect().intersects(list->visualItemRect(list->item(0))));
    }

    void chainScrubbing()
    {
        ui::ChainPanel chain;
        QVector<ui::ChainFrame> frames;
        for (int i = 0; i <= 10; ++i)
            frames.append({0, 2, i, 10, test::patternQImage(12, 10)});
        chain.appendFrames(frames.mid(0, 5));
        QCOMPARE(chain.currentFrame(), 4); // follows the newest
        chain.appendFrames(frames.mid(5));
        QCOMPARE(chain.currentFrame(), 10);
        chain.slider()->setValue(3);
        QCOMPARE(chain.currentFrame(), 3);
        chain.appendFrames({{1, 2, 0, 10, test::patternQImage()}});
        QCOMPARE(chain.frameCount(), 12);
        QCOMPARE(chain.currentFrame(), 3); // scrubbed back: stays put
        chain.clear();
        QCOMPARE(chain.frameCount(), 0);
    }

    void menusAndShortcuts()
    {
        ui::MainWindow w;
        w.setQuiet(true);
        QStringList menus;
        for (QAction *a : w.menuBar()->actions())
            menus << a->text().remove(QLatin1Char('&'));
        QCOMPARE(menus, (QStringList{QStringLiteral("File"), QStringLiteral("Edit"), QStringLiteral("View"),
                                     QStringLiteral("Model"), QStringLiteral("Help")}));
        QHash<QString, QString> shortcuts;
        for (QAction *a : w.findChildren<QAction *>())
            for (const QKeySequence &k : a->shortcuts())
                shortcuts.insert(k.toString(), a->text());
        for (const char *key : {"Ctrl+O", "Ctrl+S", "Ctrl+Shift+S", "Ctrl+E", "Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+0", "Ctrl+1"})
            QVERIFY2(shortcuts.contains(QString::fromLatin1(key)), key);
        // Undo reaches the gallery through the window's stack.
        w.gallery()->addEntries({{test::patternQImage(), QStringLiteral("x")}});
        QVERIFY(w.isWindowModified());
        w.undoStack()->undo();
        QCOMPARE(w.gallery()->count(), 0);
    }

    void statusBarSaysWhatComputes()
    {
        ui::MainWindow w;
        w.setQuiet(true);
        const auto *label = w.findChild<QLabel *>(QStringLiteral("deviceLabel"));
        QVERIFY(label);
        if (ui::cudaPresent()) {
            QCOMPARE(label->text(), QStringLiteral("CUDA available"));
            return;
        }
        // The CPU's threads, and bf16 sampling exactly where the CPU computes bfloat16 natively.
        QVERIFY2(label->text().startsWith(QStringLiteral("CPU, %1 thread").arg(ui::engineThreads())), qPrintable(label->text()));
        QCOMPARE(label->text().contains(QStringLiteral("bf16 sampling")), ui::cpuBf16Present());
        QVERIFY(!label->toolTip().isEmpty());
    }

    void fitsASmallScreen()
    {
        // The panels scroll rather than impose their full height: the window fits a 1366x768 laptop
        // screen (it needed 1116 px before the side panels scrolled).
        ui::MainWindow w;
        w.setQuiet(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QSize min = w.minimumSizeHint().expandedTo(w.layout()->minimumSize());
        QVERIFY2(min.height() <= 768 && min.width() <= 1366,
                 qPrintable(QStringLiteral("minimum %1x%2").arg(min.width()).arg(min.height())));
        w.resize(1366, 720);
        QTRY_VERIFY(w.height() <= 768);
    }

    void presetBoxSaysWhenFieldsDiffer()
    {
        ui::TrainingPanel panel;
        auto *box = panel.findChild<QComboBox *>(QStringLiteral("preset"));
        QVERIFY(box);
        QCOMPARE(box->currentText(), QStringLiteral("quick"));
        QVERIFY(!panel.presetModified());
        QVERIFY(!panel.presetResetButton()->isEnabled());

        // A field changed by hand: the box says so and Reset puts the preset back.
        ui::TrainSettings s = panel.settings();
        const int presetIters = s.iterations;
        s.iterations = presetIters + 100;
        panel.setSettings(s);
        QVERIFY(panel.presetModified());
        QCOMPARE(box->currentText(), QStringLiteral("quick (modified)"));
        QCOMPARE(panel.settings().preset, QStringLiteral("quick")); // the name stays the preset's
        QVERIFY(panel.presetResetButton()->isEnabled());
        // Not while training: the fields are locked, so is Reset.
        panel.setState(ui::TrainingPanel::State::Training);
        QVERIFY(!panel.presetResetButton()->isEnabled());
        panel.setState(ui::TrainingPanel::State::Idle);
        QVERIFY(panel.presetResetButton()->isEnabled());
        QSignalSpy changed(&panel, &ui::TrainingPanel::settingsChanged);
        panel.presetResetButton()->click();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel.settings().iterations, presetIters);
        QCOMPARE(box->currentText(), QStringLiteral("quick"));
        QVERIFY(!panel.presetResetButton()->isEnabled());

        // Another preset: its own values, no mark; the other items keep their plain names.
        box->setCurrentIndex(box->findData(QStringLiteral("paper")));
        QCOMPARE(box->currentText(), QStringLiteral("paper"));
        QCOMPARE(panel.settings().iterations, ui::presetSettings(QStringLiteral("paper")).iterations);
        for (int i = 0; i < box->count(); ++i)
            QCOMPARE(box->itemText(i), box->itemData(i).toString());
    }

    void panelTrainsThePresetItShows()
    {
        // An untouched panel trains exactly the preset the CLI trains: every field,
        // the coarsest scale's Langevin steps and the per-scale schedules included.
        ui::TrainingPanel panel;
        auto *box = panel.findChild<QComboBox *>(QStringLiteral("preset"));
        QVERIFY(box);
        for (const QString &name : ui::presetNames()) {
            box->setCurrentIndex(box->findData(name));
            const TrainConfig shown = ui::trainConfigFor(panel.settings());
            TrainConfig preset = TrainConfig::preset(name.toStdString());
            preset.seed = shown.seed;
            QCOMPARE(QString::fromStdString(shown.toText()), QString::fromStdString(preset.toText()));
            // On a GPU it is the CLI's GPU preset: whole images instead of windows.
            TrainConfig onGpu = TrainConfig::preset(name.toStdString(), true);
            onGpu.seed = shown.seed;
            QCOMPARE(QString::fromStdString(ui::trainConfigFor(panel.settings(), true).toText()),
                     QString::fromStdString(onGpu.toText()));
        }

        // Changed fields override: other Langevin steps keep the preset's ratio at the
        // coarsest scale (as the CLI's --langevin-steps), other iterations carry the
        // coarsest and windowed scales' counts along.
        box->setCurrentIndex(box->findData(QStringLiteral("quick")));
        const TrainConfig quick = TrainConfig::preset("quick");
        ui::TrainSettings s = panel.settings();
        s.langevinSteps = 2 * quick.stepsPerScale;
        s.iterations = 2 * quick.iterations;
        const TrainConfig changed = ui::trainConfigFor(s);
        QCOMPARE(changed.stepsPerScale, 2 * quick.stepsPerScale);
        QCOMPARE(changed.recoverySteps, 2 * quick.stepsPerScale);
        QCOMPARE(changed.stepsCoarsest, 2 * quick.stepsCoarsest);
        QCOMPARE(changed.iterations, 2 * quick.iterations);
        QCOMPARE(changed.coarseIterations, 2 * quick.coarseIterations);

        // An exact configuration wins over the fields; a broken one is refused.
        s.configText = QString::fromStdString(quick.toText());
        QCOMPARE(ui::trainConfigFor(s).stepsCoarsest, quick.stepsCoarsest);
        QCOMPARE(ui::trainConfigFor(s, true).cropSize, quick.cropSize); // the exact configuration, on any device
        s.configText = QStringLiteral("numScales=0\n");
        QVERIFY_THROWS_EXCEPTION(pgcn::Error, ui::trainConfigFor(s));
    }

    void sampleStartScaleSurvivesReopening()
    {
        // A project's sampling settings are restored before its model loads (the box can
        // only show 1 then): the saved start scale must come back with the model.
        ui::SamplePanel panel;
        ui::SampleSettings s = panel.settings();
        s.startScale = 2; // 0-based: the box shows 3
        panel.setSettings(s);
        QCOMPARE(panel.settings().startScale, 2); // saved as chosen even before a model
        panel.setModel(6, QSize(250, 188));
        QCOMPARE(panel.settings().startScale, 2);

        // A model with fewer scales shows what fits and keeps the choice for the next one.
        panel.setModel(2, QSize(40, 30));
        QCOMPARE(panel.settings().startScale, 1);
        panel.setModel(0, QSize());
        panel.setModel(6, QSize(250, 188));
        QCOMPARE(panel.settings().startScale, 2);

        // Restored while a smaller model is in hand (its box showing 1): shown clamped to
        // 2, the choice kept.
        auto *box = panel.findChild<QSpinBox *>(QStringLiteral("startScale"));
        QVERIFY(box);
        panel.setModel(2, QSize(40, 30));
        box->setValue(1);
        s.startScale = 4;
        panel.setSettings(s);
        QCOMPARE(panel.settings().startScale, 1);
        panel.setModel(6, QSize(250, 188));
        QCOMPARE(panel.settings().startScale, 4);
        s.startScale = 2;
        panel.setSettings(s);

        // A choice made by hand is the new one.
        QCOMPARE(box->value(), 3);
        box->setValue(5);
        panel.setModel(0, QSize());
        panel.setModel(6, QSize(250, 188));
        QCOMPARE(panel.settings().startScale, 4);
    }

    void taskStartScaleStaysInTheModel()
    {
        // The start scale box offers the model's scales only (1-based), with the CLI's
        // defaults within them.
        ui::MaskLayer mask;
        ui::ObjectOverlay object;
        ui::TaskPanel panel(&mask, &object);
        panel.setModel(3);
        auto *box = panel.findChild<QSpinBox *>(QStringLiteral("taskStartScale"));
        QVERIFY(box);
        QCOMPARE(box->maximum(), 3);
        panel.setStartScale(6);
        QCOMPARE(panel.startScale(), 2);
        panel.setModel(1);
        QCOMPARE(box->maximum(), 1);
        QCOMPARE(panel.startScale(), 0);
        // The choice comes back with a model that has it; another task keeps its own.
        panel.setModel(4);
        QCOMPARE(panel.startScale(), 2);
        panel.setKind(ui::TaskRequest::Harmonize);
        QCOMPARE(panel.startScale(), 2); // harmonize's default
        panel.setStartScale(3);
        panel.setKind(ui::TaskRequest::Edit);
        QCOMPARE(panel.startScale(), 2);
        panel.setKind(ui::TaskRequest::Harmonize);
        QCOMPARE(panel.startScale(), 3);

        // With the model's sizes the defaults are the command line's: the first scale 34 px
        // (harmonize 52 px) on its shorter side, scales 3 and 4 of quick's seven at 250 px.
        ui::TaskPanel sized(&mask, &object);
        sized.setModel(7, {16, 24, 36, 55, 83, 125, 188});
        QCOMPARE(sized.startScale(), 2);
        sized.setKind(ui::TaskRequest::Harmonize);
        QCOMPARE(sized.startScale(), 3);
        sized.setKind(ui::TaskRequest::Inject);
        QCOMPARE(sized.startScale(), 2);
        // A model still training: the default within its trained scales.
        sized.setKind(ui::TaskRequest::Harmonize);
        sized.setModel(2, {16, 24, 36, 55, 83, 125, 188});
        QCOMPARE(sized.startScale(), 1);
    }

    void taskSettingsRestoredBeforeTheModel()
    {
        // A project's settings arrive before its model is loaded: the chosen start scale must survive
        // the box's range of one scale, and show once the model is there.
        ui::MaskLayer mask;
        ui::ObjectOverlay object;
        ui::TaskPanel panel(&mask, &object);
        ui::TaskSettings s;
        s.kind = ui::TaskRequest::Edit;
        s.startEdit = 4;
        s.brushSize = 40;
        s.hardness = 0.25;
        s.feather = 12;
        s.paintColor = QStringLiteral("#00ff00");
        panel.setSettings(s);
        QCOMPARE(mask.brushSize(), 40);
        QCOMPARE(mask.hardness(), 0.25);
        QCOMPARE(mask.feather(), 12.0);
        QCOMPARE(panel.paintColor(), QColor(0, 255, 0));
        panel.setModel(6);
        QCOMPARE(panel.startScale(), 4);
        QCOMPARE(panel.settings().startEdit, 4);
        // Values out of range in a damaged project fall back to the defaults.
        QVariantMap bad = s.toVariant();
        bad[QStringLiteral("brushSize")] = 100000;
        bad[QStringLiteral("factor")] = -3.0;
        bad[QStringLiteral("paintColor")] = QStringLiteral("not a colour");
        bad[QStringLiteral("kind")] = 99;
        const ui::TaskSettings d = ui::TaskSettings::fromVariant(bad);
        QCOMPARE(d.brushSize, ui::TaskSettings().brushSize);
        QCOMPARE(d.factor, 2.0);
        QCOMPARE(d.paintColor, ui::TaskSettings().paintColor);
        QCOMPARE(d.kind, int(ui::TaskRequest::Edit));
    }

    void precisionIsASettingWhereThereIsAChoice()
    {
        checkSavedChoice(QStringLiteral("precision"), &ui::TrainSettings::precision, 4, QStringLiteral("bf16"));
        if (QTest::currentTestFailed())
            return;
        // Only a CUDA device or a CPU with native bfloat16 has a choice to make (other CPUs compute in FP32).
        ui::TrainingPanel panel;
        QCOMPARE(panel.findChild<QComboBox *>(QStringLiteral("precision"))->isEnabled(),
                 ui::cudaPresent() || ui::cpuBf16Present());
    }

    void minSizeReachesTheTraining()
    {
        ui::TrainingPanel panel;
        auto *minSize = panel.findChild<QSpinBox *>(QStringLiteral("minSize"));
        QVERIFY(minSize);
        const TrainConfig quick = TrainConfig::preset("quick");
        QCOMPARE(minSize->value(), quick.minSize);
        QVERIFY(!panel.presetModified());
        // A smaller coarsest scale: the preset reads modified, the training gets it, a project keeps it.
        minSize->setValue(12);
        QVERIFY(panel.presetModified());
        QCOMPARE(ui::trainConfigFor(panel.settings()).minSize, 12);
        QCOMPARE(ui::TrainSettings::fromVariant(panel.settings().toVariant()).minSize, 12);
        ui::TrainingPanel reopened;
        reopened.setSettings(ui::TrainSettings::fromVariant(panel.settings().toVariant()));
        QCOMPARE(reopened.findChild<QSpinBox *>(QStringLiteral("minSize"))->value(), 12);
        // It cannot exceed the max size (the configuration would be refused).
        auto *maxSize = panel.findChild<QSpinBox *>(QStringLiteral("maxSize"));
        QVERIFY(maxSize);
        maxSize->setValue(10);
        QCOMPARE(minSize->maximum(), 10);
        QVERIFY(minSize->value() <= 10);
        ui::trainConfigFor(panel.settings()).validate(); // does not throw
        // Reset puts the preset's back.
        panel.presetResetButton()->click();
        QCOMPARE(minSize->value(), quick.minSize);
        QCOMPARE(maxSize->value(), quick.maxSize);
        QVERIFY(!panel.presetModified());
        // A project saved before the field reads the preset's.
        QVariantMap old = panel.settings().toVariant();
        old.remove(QStringLiteral("minSize"));
        QCOMPARE(ui::TrainSettings::fromVariant(old).minSize, quick.minSize);
    }

    void fineScalesChooseWindowsOrWholeImages()
    {
        checkSavedChoice(QStringLiteral("fineScales"), &ui::TrainSettings::fineScales, 3, QStringLiteral("whole"));
        if (QTest::currentTestFailed())
            return;
        ui::TrainingPanel panel;
        auto *box = panel.findChild<QComboBox *>(QStringLiteral("fineScales"));
        QVERIFY(box->isEnabled()); // on every machine
        // Choosing it replaces an exact configuration, as the fields do.
        ui::TrainSettings exact = panel.settings();
        exact.configText = QString::fromStdString(TrainConfig::preset("quick").toText());
        panel.setSettings(exact);
        box->setCurrentIndex(box->findData(QStringLiteral("whole")));
        QVERIFY(panel.settings().configText.isEmpty());
        QCOMPARE(ui::trainConfigFor(panel.settings()).cropSize, 0);
        box->setCurrentIndex(box->findData(QStringLiteral("auto")));
        const int quickCrop = TrainConfig::preset("quick").cropSize;
        QVERIFY(quickCrop > 0);
        ui::TrainSettings s = panel.settings();
        // Automatic: the preset's choice for the device.
        QCOMPARE(ui::trainConfigFor(s, false).cropSize, quickCrop);
        QCOMPARE(ui::trainConfigFor(s, true).cropSize, 0);
        // Whole images on the CPU and windows on a GPU, whatever the preset; nothing else changes.
        for (const QString &preset : ui::presetNames()) {
            s.preset = preset;
            const ui::TrainSettings p = ui::presetSettings(preset);
            s.maxSize = p.maxSize;
            s.scales = p.scales;
            s.iterations = p.iterations;
            s.langevinSteps = p.langevinSteps;
            for (const bool gpu : {false, true}) {
                s.fineScales = QStringLiteral("whole");
                TrainConfig whole = ui::trainConfigFor(s, gpu);
                QCOMPARE(whole.cropSize, 0);
                s.fineScales = QStringLiteral("windows");
                const TrainConfig windows = ui::trainConfigFor(s, gpu);
                QCOMPARE(windows.cropSize, quickCrop);
                s.fineScales = QStringLiteral("auto");
                const TrainConfig automatic = ui::trainConfigFor(s, gpu);
                QCOMPARE(QString::fromStdString(automatic.toText()),
                         QString::fromStdString((automatic.cropSize > 0 ? windows : whole).toText()));
                whole.cropSize = windows.cropSize;
                QCOMPARE(QString::fromStdString(whole.toText()), QString::fromStdString(windows.toText()));
            }
        }
    }

    /** A scale's first logged iteration, as the worker reports it. */
    static ui::ProgressPoint firstPoint()
    {
        ui::ProgressPoint p;
        p.iteration = 1;
        p.energyReal = 0.02;
        p.energySyn = 0.01;
        p.recoveryMse = 0.075;
        return p;
    }

    void plotsSayWhyTheyAreEmpty()
    {
        // Empty axes alone look like a fault: the charts say why nothing is drawn.
        ui::PlotPanel plots;
        QVERIFY2(plots.shownNote().contains(QStringLiteral("while a scale trains")), qPrintable(plots.shownNote()));
        plots.setScaleCount(2);
        plots.refresh();
        QVERIFY2(plots.shownNote().contains(QStringLiteral("while a scale trains")), qPrintable(plots.shownNote()));
        plots.appendPoints(0, {firstPoint()});
        plots.refresh();
        QVERIFY(plots.shownNote().isEmpty());
        auto *box = plots.findChild<QComboBox *>();
        QVERIFY(box);
        box->setCurrentIndex(2); // scale 2, not trained yet
        QCOMPARE(plots.shownScale(), 1);
        QCOMPARE(plots.shownNote(), QStringLiteral("No curves for scale 2"));
        plots.setEmptyNote(QStringLiteral("old.pgcn keeps no training curves"));
        QCOMPARE(plots.shownNote(), QStringLiteral("old.pgcn keeps no training curves"));
        box->setCurrentIndex(1); // scale 1 has its point: no note
        QVERIFY(plots.shownNote().isEmpty());
        plots.setLog({{}, {}}); // a new log forgets the old file's note
        QVERIFY(plots.shownNote().contains(QStringLiteral("while a scale trains")));
    }

    void emptyChartForgetsTheLastRange()
    {
        // A chart left empty (here after clear()) shows a unit range, not the last scale's.
        ui::PlotPanel plots;
        plots.setScaleCount(1);
        ui::ProgressPoint p = firstPoint();
        p.energyReal = -40.0;
        p.energySyn = -35.0;
        p.recoveryMse = 3.0;
        plots.appendPoints(0, {p});
        plots.refresh();
        auto verticalAxes = [&plots] {
            QVector<QValueAxis *> axes;
            for (auto *view : plots.findChildren<QChartView *>())
                axes.append(qobject_cast<QValueAxis *>(view->chart()->axes(Qt::Vertical).value(0)));
            return axes;
        };
        QCOMPARE(verticalAxes().size(), 2);
        for (QValueAxis *y : verticalAxes())
            QVERIFY(y && (y->min() < -30.0 || y->min() > 2.0)); // the energies' or the error's range
        plots.clear();
        for (QValueAxis *y : verticalAxes())
            QVERIFY2(y->min() > -0.1 && y->min() <= 0.0 && y->max() > 1.0 && y->max() < 1.1,
                     qPrintable(QStringLiteral("%1 .. %2").arg(y->min()).arg(y->max())));
    }

    void curvesGrowAcrossTheScalesIterations()
    {
        // While a scale trains its curves grow across an axis of its planned iterations (round
        // labels that stay put: 0, 625, ... 2500), not one that stretches with every report.
        ui::PlotPanel plots;
        plots.setScaleCount(2);
        auto xMax = [&plots] {
            QVector<double> maxima;
            for (auto *view : plots.findChildren<QChartView *>())
                maxima.append(qobject_cast<QValueAxis *>(view->chart()->axes(Qt::Horizontal).value(0))->max());
            return maxima;
        };
        plots.setPlannedIterations(0, 2500);
        ui::ProgressPoint p = firstPoint();
        p.iteration = 399;
        plots.appendPoints(0, {p});
        plots.refresh();
        QCOMPARE(xMax(), QVector<double>({2500.0, 2500.0}));
        // A log that ran past its plan (never here, but a resumed file might) still fits.
        p.iteration = 2600;
        plots.appendPoints(0, {p});
        plots.refresh();
        QCOMPARE(xMax(), QVector<double>({2600.0, 2600.0}));
        // Without a plan (an opened model's log) the axis spans the log.
        plots.setLog({{p}, {}});
        QCOMPARE(xMax(), QVector<double>({2600.0, 2600.0}));
        p.iteration = 398;
        plots.setLog({{p}, {}});
        QCOMPARE(xMax(), QVector<double>({400.0, 400.0})); // rounded up to whole quarter labels
    }

    void recoveryErrorAxisStaysAboveZero()
    {
        // One point: the axes open a unit span around it; the error's axis must not show
        // negative values (it read -0.474 .. 0.626 at a scale's first iteration).
        ui::PlotPanel plots;
        plots.setScaleCount(1);
        plots.appendPoints(0, {firstPoint()});
        plots.refresh();
        int checked = 0;
        for (auto *view : plots.findChildren<QChartView *>()) {
            const auto series = view->chart()->series();
            if (series.isEmpty() || !series.first()->name().contains(QStringLiteral("recovery")))
                continue;
            const auto axes = view->chart()->axes(Qt::Vertical);
            QCOMPARE(axes.size(), 1);
            auto *y = qobject_cast<QValueAxis *>(axes.first());
            QVERIFY(y);
            QCOMPARE(y->min(), 0.0);
            QVERIFY(y->max() > 0.075);
            ++checked;
        }
        QCOMPARE(checked, 1);
    }

    void firstStartFitsTheScreen()
    {
        // No saved layout: the window takes the screen's free area (or its own minimum, if
        // larger), not its preferred 1400x880 that runs off a laptop screen.
        QSettings().remove(QStringLiteral("window"));
        ui::MainWindow w;
        w.setQuiet(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QSize avail = w.screen()->availableGeometry().size();
        const QSize bound = avail.expandedTo(w.minimumSizeHint());
        QTRY_VERIFY2(w.width() <= bound.width() && w.height() <= bound.height(),
                     qPrintable(QStringLiteral("window %1x%2, screen %3x%4, minimum %5x%6")
                                    .arg(w.width()).arg(w.height()).arg(avail.width()).arg(avail.height())
                                    .arg(w.minimumSizeHint().width()).arg(w.minimumSizeHint().height())));
    }
};

QTEST_MAIN(TestStudioWidgets)
#include "test_studio_widgets.moc"
