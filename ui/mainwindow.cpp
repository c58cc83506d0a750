#include "mainwindow.h"

#include <algorithm>

#include <QAction>
#include <cstring>
#include <QApplication>
#include <QClipboard>
#include <QCoreApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QScrollArea>
#include <QScrollBar>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QKeySequence>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScreen>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>
#include <QUndoView>
#include <QtConcurrent/QtConcurrentRun>

#include "chainpanel.h"
#include "config.h"
#include "engineworker.h"
#include "gallerypanel.h"
#include "imagecanvas.h"
#include "imageconvert.h"
#include "imageio.h"
#include "livepanel.h"
#include "masklayer.h"
#include "masktools.h"
#include "objectoverlay.h"
#include "patchcommand.h"
#include "taskpanel.h"
#include "trainlog.h"
#include "plotpanel.h"
#include "samplepanel.h"
#include "trainingpanel.h"
#include "zoomable.h"

// Resources of a static library must be pulled in explicitly, from the global namespace.
static void initStudioResources()
{
    Q_INIT_RESOURCE(studio);
}

namespace pgcn::ui {

namespace {

constexpr int kMaxRecent = 8;
constexpr int kUiRefreshMs = 100;

/**
 * Non-empty when every scale of the model has the finest scale's size: the image's shorter
 * side is not above the minimum size, so its scales add training, not a pyramid (the CLI's
 * `train` prints the same note).
 */
QString flatPyramidNote(const ModelInfo &info)
{
    if (info.sizes.size() < 2 || info.sizes.count(info.sizes.first()) != info.sizes.size())
        return {};
    const QSize s = info.sizes.first();
    return QCoreApplication::translate("MainWindow", "the image, %1\u00d7%2, is too small for a pyramid: all %3 scales have its size "
                                                     "(a smaller Min size makes one)")
        .arg(s.width())
        .arg(s.height())
        .arg(info.sizes.size());
}

QString formatDuration(double seconds)
{
    if (!(seconds >= 0) || seconds > 1e7)
        return QStringLiteral("--:--");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
}

bool sameTraining(const TrainSettings &a, const TrainSettings &b)
{
    return a.preset == b.preset && a.maxSize == b.maxSize && a.minSize == b.minSize && a.scales == b.scales
        && a.iterations == b.iterations && a.langevinSteps == b.langevinSteps && a.fineScales == b.fineScales
        && a.seed == b.seed && a.configText == b.configText;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_undo(new QUndoStack(this))
    , m_canvas(new ImageCanvas(this))
    , m_training(new TrainingPanel(this))
    , m_sample(new SamplePanel(this))
    , m_live(new LivePanel(this))
    , m_plots(new PlotPanel(this))
    , m_gallery(new GalleryPanel(m_undo, this))
    , m_chain(new ChainPanel(this))
    , m_mask(new MaskLayer(this))
    , m_object(new ObjectOverlay(this))
    , m_tools(new ToolManager(m_canvas, this))
    , m_tasks(new TaskPanel(m_mask, m_object, this))
    , m_undoView(new QUndoView(m_undo, this))
    , m_worker(new EngineWorker)
    , m_uiTimer(new QTimer(this))
    , m_progress(new QProgressBar(this))
    , m_zoomLabel(new QLabel(this))
    , m_deviceLabel(new QLabel(this))
{
    initStudioResources();
    registerEngineTypes();
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/patchgencn.svg")));
    setAcceptDrops(true);
    setCentralWidget(m_canvas);
    setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);

    m_thread.setObjectName(QStringLiteral("patchgencn-engine"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();

    // Progress arrives in bursts; the widgets are refreshed at most every kUiRefreshMs.
    m_uiTimer->setSingleShot(true);
    m_uiTimer->setInterval(kUiRefreshMs);
    connect(m_uiTimer, &QTimer::timeout, this, &MainWindow::applyPendingProgress);

    m_mask->setUndoStack(m_undo);
    m_canvas->setMaskLayer(m_mask);
    m_canvas->setObjectOverlay(m_object);

    createActions();
    createMenus();
    createToolBar();
    createTools();
    createDocks();
    createStatusBar();
    connectWorker();

    // Strokes, edits and the gallery are undoable: undone back to the saved state, they are no change.
    connect(m_undo, &QUndoStack::cleanChanged, this, &MainWindow::updateModifiedMark);
    connect(m_gallery, &GalleryPanel::entryActivated, this, [this](const GalleryEntry &e) { m_canvas->setImage(e.image, e.label); });
    // Placing the object is work a project keeps.
    connect(m_object, &ObjectOverlay::changed, this, [this] {
        if (!m_source.isNull())
            setModified(true);
    });
    connect(m_gallery, &GalleryPanel::statusMessage, this, [this](const QString &m) { statusBar()->showMessage(m, 5000); });
    connect(m_gallery, &GalleryPanel::contentChanged, this, &MainWindow::updateActions); // undoable: the stack marks it
    connect(m_live, &LivePanel::imageClicked, m_canvas, &ImageCanvas::setImage);
    connect(m_chain, &ChainPanel::frameClicked, m_canvas, &ImageCanvas::setImage);
    connect(m_canvas->zoomable(), &Zoomable::scaleChanged, this, [this](qreal s) {
        m_zoomLabel->setText(tr("Zoom %1%").arg(qRound(s * 100)));
    });
    connect(m_canvas, &ImageCanvas::imageChanged, this, &MainWindow::updateActions);
    connect(m_training, &TrainingPanel::startRequested, this, &MainWindow::startTraining);
    connect(m_training, &TrainingPanel::pauseToggled, this, &MainWindow::setPaused);
    connect(m_training, &TrainingPanel::cancelRequested, this, &MainWindow::cancelJob);
    connect(m_training, &TrainingPanel::settingsChanged, this, &MainWindow::updateModelStatus);
    connect(m_training, &TrainingPanel::settingsChanged, this, &MainWindow::moveModelToChosenDevice);
    // After the move (connection order): a device chosen for the model in hand is the project's.
    connect(m_training, &TrainingPanel::settingsChanged, this, &MainWindow::updateModifiedMark);
    connect(m_sample, &SamplePanel::generateRequested, this, &MainWindow::generate);
    connect(m_sample, &SamplePanel::reconstructRequested, this, &MainWindow::reconstruct);
    connect(m_sample, &SamplePanel::cancelRequested, this, &MainWindow::cancelJob);
    connect(m_sample, &SamplePanel::settingsChanged, this, &MainWindow::updateRetargetFrame);
    connect(m_sample, &SamplePanel::settingsChanged, this, &MainWindow::updateModifiedMark);
    connect(m_tasks, &TaskPanel::settingsChanged, this, &MainWindow::updateModifiedMark);
    connect(m_canvas, &ImageCanvas::imageChanged, this, &MainWindow::updateRetargetFrame);
    connect(m_canvas, &ImageCanvas::imageChanged, this, [this] {
        if (m_energyAct->isChecked())
            requestEnergy();
    });
    connect(m_tasks, &TaskPanel::runRequested, this, &MainWindow::runTask);
    connect(m_tasks, &TaskPanel::cancelRequested, this, &MainWindow::cancelJob);
    connect(m_tasks, &TaskPanel::flattenRequested, this, &MainWindow::flattenObject);
    connect(m_tasks, &TaskPanel::heatOpacityChanged, m_canvas, &ImageCanvas::setHeatMapOpacity);
    connect(m_tasks, &TaskPanel::paintColorChanged, this, [this](const QColor &c) { m_colorBrush->setPaintColor(c); });
    auto askFile = [this](const QString &title, bool save, const QString &filter) {
        QSettings s;
        const QString dir = s.value(QStringLiteral("dirs/open"), QDir::homePath()).toString();
        const QString path = save ? QFileDialog::getSaveFileName(this, title, QDir(dir).filePath(QStringLiteral("mask.png")), filter)
                                  : QFileDialog::getOpenFileName(this, title, dir, filter);
        if (!path.isEmpty())
            s.setValue(QStringLiteral("dirs/open"), QFileInfo(path).absolutePath());
        return path;
    };
    const QString images = tr("Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp);;All files (*)");
    connect(m_tasks, &TaskPanel::loadMaskRequested, this, [this, askFile, images] {
        const QString p = askFile(tr("Load Mask"), false, images);
        if (!p.isEmpty())
            loadMaskFile(p);
    });
    connect(m_tasks, &TaskPanel::saveMaskRequested, this, [this, askFile] {
        QString p = askFile(tr("Save Mask"), true, tr("PNG image (*.png);;All files (*)"));
        if (p.isEmpty())
            return;
        if (!pgcn::isSupportedImageExtension(p.toStdString()))
            p += QStringLiteral(".png");
        saveMaskFile(p);
    });
    connect(m_tasks, &TaskPanel::loadObjectRequested, this, [this, askFile, images] {
        const QString p = askFile(tr("Load Object"), false, images);
        if (!p.isEmpty())
            loadObjectFile(p);
    });
    connect(m_tasks, &TaskPanel::loadContentRequested, this, [this, askFile, images] {
        const QString p = askFile(tr("Load Content Image"), false, images);
        if (!p.isEmpty())
            loadContentFile(p);
    });

    m_zoomLabel->setText(tr("Zoom 100%"));
    readSettings();
    updateModelStatus();
    updateActions();
    updateTitle();
}

MainWindow::~MainWindow()
{
    stopWorker();
    // The stack is a child, destroyed after this window's members: its last cleanChanged (from
    // its own destructor) must not reach updateModifiedMark, which reads them.
    m_undo->disconnect(this);
}

void MainWindow::stopWorker()
{
    if (!m_thread.isRunning())
        return;
    m_worker->requestCancel();
    m_worker->setPaused(false);
    m_thread.quit();
    m_thread.wait();
}

QString MainWindow::fileDialogFilter()
{
    return tr("Images, projects and models (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp *.%1 *.%2);;"
              "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp);;"
              "Projects (*.%1);;Models (*.%2);;All files (*)")
        .arg(QLatin1String(kProjectSuffix), QLatin1String(kModelSuffix));
}

// ---------------------------------------------------------------- set-up

void MainWindow::createActions()
{
    auto make = [this](const QString &text, const QString &icon, const QKeySequence &key, auto slot) {
        auto *a = new QAction(icon.isEmpty() ? QIcon() : QIcon(icon), text, this);
        if (!key.isEmpty())
            a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    m_openAct = make(tr("&Open Image..."), QStringLiteral(":/icons/open.svg"), QKeySequence::Open, &MainWindow::openDialog);
    m_openProjectAct = make(tr("Open &Project..."), QString(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), &MainWindow::openProjectDialog);
    m_saveAct = make(tr("&Save Project"), QStringLiteral(":/icons/save.svg"), QKeySequence::Save, &MainWindow::save);
    m_saveAsAct = make(tr("Save Project &As..."), QString(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), &MainWindow::saveAs);
    m_exportAct = make(tr("&Export..."), QStringLiteral(":/icons/export.svg"), QKeySequence(Qt::CTRL | Qt::Key_E), &MainWindow::exportCurrent);
    m_exportModelAct = make(tr("Export &Model..."), QString(), QKeySequence(), &MainWindow::exportModelDialog);
    m_exportModelAct->setStatusTip(tr("Save the trained model as a .pgcn file for the patchgencn command-line tool"));
    m_exportLogAct = make(tr("Export Training &Log..."), QString(), QKeySequence(), &MainWindow::exportTrainingLogDialog);
    m_exportLogAct->setStatusTip(tr("Save the plotted training curves of every scale as a CSV file"));
    connect(m_plots, &PlotPanel::exportRequested, this, &MainWindow::exportTrainingLogDialog);
    m_quitAct = make(tr("&Quit"), QString(), QKeySequence::Quit, &MainWindow::close);

    m_undoAct = m_undo->createUndoAction(this, tr("&Undo"));
    m_undoAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Z));
    m_undoAct->setIcon(QIcon(QStringLiteral(":/icons/undo.svg")));
    m_redoAct = m_undo->createRedoAction(this, tr("&Redo"));
    m_redoAct->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    m_redoAct->setIcon(QIcon(QStringLiteral(":/icons/redo.svg")));
    m_copyAct = make(tr("&Copy Image"), QString(), QKeySequence::Copy, [this] {
        const QImage img = m_canvas->image();
        if (!img.isNull()) {
            QApplication::clipboard()->setImage(img);
            statusBar()->showMessage(tr("Image copied to the clipboard"), 3000);
        }
    });
    m_removeAct = make(tr("&Remove Selected Samples"), QString(), QKeySequence::Delete, [this] { m_gallery->removeSelected(); });
    m_clearGalleryAct = make(tr("C&lear Gallery"), QString(), QKeySequence(), [this] { m_gallery->clearAll(); });

    m_zoomInAct = make(tr("Zoom &In"), QStringLiteral(":/icons/zoom-in.svg"), QKeySequence::ZoomIn, [this] { m_canvas->zoomable()->zoomIn(); });
    m_zoomInAct->setShortcuts({QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal)});
    m_zoomOutAct = make(tr("Zoom &Out"), QStringLiteral(":/icons/zoom-out.svg"), QKeySequence::ZoomOut, [this] { m_canvas->zoomable()->zoomOut(); });
    m_fitAct = make(tr("&Fit in Window"), QStringLiteral(":/icons/zoom-fit.svg"), QKeySequence(Qt::CTRL | Qt::Key_0), [this] { m_canvas->fitInView(); });
    m_actualAct = make(tr("&Actual Size (100%)"), QStringLiteral(":/icons/zoom-100.svg"), QKeySequence(Qt::CTRL | Qt::Key_1), [this] { m_canvas->actualSize(); });
    m_showSourceAct = make(tr("Show &Source Image"), QString(), QKeySequence(Qt::CTRL | Qt::Key_2), [this] {
        if (!m_source.isNull())
            m_canvas->setImage(m_source, tr("source"));
    });
    m_resetLayoutAct = make(tr("&Reset Layout"), QString(), QKeySequence(), [this] {
        for (QDockWidget *d : std::as_const(m_docks))
            d->setVisible(true);
        restoreState(m_defaultState);
    });

    m_trainAct = make(tr("&Start Training"), QStringLiteral(":/icons/train.svg"), QKeySequence(Qt::Key_F5), &MainWindow::startTraining);
    m_pauseAct = new QAction(QIcon(QStringLiteral(":/icons/pause.svg")), tr("&Pause"), this);
    m_pauseAct->setCheckable(true);
    m_pauseAct->setShortcut(QKeySequence(Qt::Key_F6));
    connect(m_pauseAct, &QAction::toggled, m_training->pauseButton(), &QPushButton::setChecked);
    connect(m_training->pauseButton(), &QPushButton::toggled, m_pauseAct, &QAction::setChecked);
    m_cancelAct = make(tr("&Cancel"), QStringLiteral(":/icons/cancel.svg"), QKeySequence(Qt::CTRL | Qt::Key_Period), &MainWindow::cancelJob);
    m_generateAct = make(tr("&Generate Samples"), QStringLiteral(":/icons/generate.svg"), QKeySequence(Qt::CTRL | Qt::Key_G), &MainWindow::generate);
    m_reconstructAct = make(tr("&Reconstruct"), QString(), QKeySequence(Qt::CTRL | Qt::Key_R), &MainWindow::reconstruct);
    m_modelInfoAct = make(tr("Model &Information"), QString(), QKeySequence(Qt::CTRL | Qt::Key_I), [this] {
        QMessageBox::information(this, tr("Model"),
                                 m_modelInfo.numScales > 0 ? m_modelInfo.description : tr("No model yet: open an image and train."));
    });

    m_aboutAct = make(tr("&About PatchGenCN Studio"), QString(), QKeySequence(), [this] {
        QMessageBox::about(this, tr("About PatchGenCN Studio"),
                           tr("<h3>PatchGenCN Studio %1</h3>"
                              "<p>Learns the patch statistics of one image with a pyramid of "
                              "energy-based ConvNets and creates new images from them.</p>"
                              "<p>Ctrl+wheel zooms, Space+drag pans.</p>")
                               .arg(QStringLiteral(PATCHGENCN_VERSION)));
    });
    m_aboutQtAct = make(tr("About &Qt"), QString(), QKeySequence(), [] { QApplication::aboutQt(); });
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAct);
    file->addAction(m_openProjectAct);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::updateRecentMenu);
    file->addSeparator();
    file->addAction(m_saveAct);
    file->addAction(m_saveAsAct);
    file->addAction(m_exportAct);
    file->addAction(m_exportModelAct);
    file->addAction(m_exportLogAct);
    file->addSeparator();
    file->addAction(m_quitAct);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_undoAct);
    edit->addAction(m_redoAct);
    edit->addSeparator();
    edit->addAction(m_copyAct);
    edit->addAction(m_removeAct);
    edit->addAction(m_clearGalleryAct);
    edit->addSeparator();
    QMenu *mask = edit->addMenu(tr("&Mask"));
    mask->addAction(tr("&Fill"), m_mask, &MaskLayer::fill);
    mask->addAction(tr("&Invert"), QKeySequence(Qt::CTRL | Qt::Key_I), m_mask, &MaskLayer::invert);
    mask->addAction(tr("&Clear"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A), m_mask, &MaskLayer::clear);
    mask->addSeparator();
    mask->addAction(tr("&Load Mask..."), m_tasks, &TaskPanel::loadMaskRequested);
    mask->addAction(tr("&Save Mask..."), m_tasks, &TaskPanel::saveMaskRequested);
    edit->addAction(tr("&Run Task"), QKeySequence(Qt::Key_F6), this, &MainWindow::runTask);

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    m_viewMenu->addAction(m_zoomInAct);
    m_viewMenu->addAction(m_zoomOutAct);
    m_viewMenu->addAction(m_fitAct);
    m_viewMenu->addAction(m_actualAct);
    m_viewMenu->addAction(m_showSourceAct);
    m_viewMenu->addSeparator();
    m_energyAct = m_viewMenu->addAction(tr("&Energy Map Overlay"));
    m_energyAct->setCheckable(true);
    m_energyAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_H));
    m_energyAct->setObjectName(QStringLiteral("energyAction"));
    connect(m_energyAct, &QAction::toggled, this, &MainWindow::setEnergyOverlay);
    QAction *showMask = m_viewMenu->addAction(tr("Show &Mask Overlay"));
    showMask->setCheckable(true);
    showMask->setChecked(true);
    connect(showMask, &QAction::toggled, m_mask, &MaskLayer::setVisible);
    m_viewMenu->addSeparator();

    QMenu *model = menuBar()->addMenu(tr("&Model"));
    model->addAction(m_trainAct);
    model->addAction(m_pauseAct);
    model->addAction(m_cancelAct);
    model->addSeparator();
    model->addAction(m_generateAct);
    model->addAction(m_reconstructAct);
    model->addSeparator();
    model->addAction(m_modelInfoAct);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_aboutAct);
    help->addAction(m_aboutQtAct);
}

void MainWindow::createToolBar()
{
    QToolBar *tb = addToolBar(tr("Main"));
    tb->setObjectName(QStringLiteral("mainToolBar"));
    tb->setIconSize(QSize(22, 22));
    tb->addAction(m_openAct);
    tb->addAction(m_saveAct);
    tb->addAction(m_exportAct);
    tb->addSeparator();
    tb->addAction(m_undoAct);
    tb->addAction(m_redoAct);
    tb->addSeparator();
    tb->addAction(m_trainAct);
    tb->addAction(m_pauseAct);
    tb->addAction(m_cancelAct);
    tb->addAction(m_generateAct);
    tb->addSeparator();
    tb->addAction(m_zoomInAct);
    tb->addAction(m_zoomOutAct);
    tb->addAction(m_fitAct);
    tb->addAction(m_actualAct);
}

void MainWindow::createDocks()
{
    auto dock = [this](QWidget *w, const QString &title, const QString &name, Qt::DockWidgetArea area) {
        auto *d = new QDockWidget(title, this);
        d->setObjectName(name);
        if (area == Qt::LeftDockWidgetArea) {
            // The form panels scroll instead of forcing their full height on the window: the studio
            // fits a 1366x768 screen.
            auto *scroll = new QScrollArea(d);
            scroll->setObjectName(name + QStringLiteral("Scroll"));
            scroll->setWidgetResizable(true);
            scroll->setFrameShape(QFrame::NoFrame);
            scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
            scroll->setWidget(w);
            scroll->setMinimumWidth(w->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
            d->setWidget(scroll);
        } else {
            d->setWidget(w);
        }
        addDockWidget(area, d);
        m_viewMenu->addAction(d->toggleViewAction());
        m_docks << d;
        return d;
    };
    // Side columns run the full height; the gallery sits under the canvas.
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    dock(m_training, tr("Training"), QStringLiteral("trainingDock"), Qt::LeftDockWidgetArea);
    QDockWidget *sampleDock = dock(m_sample, tr("Sampling"), QStringLiteral("sampleDock"), Qt::LeftDockWidgetArea);
    m_liveDock = dock(m_live, tr("Live View"), QStringLiteral("liveDock"), Qt::RightDockWidgetArea);
    QDockWidget *plots = dock(m_plots, tr("Plots"), QStringLiteral("plotDock"), Qt::RightDockWidgetArea);
    dock(m_gallery, tr("Gallery"), QStringLiteral("galleryDock"), Qt::BottomDockWidgetArea);
    m_chainDock = dock(m_chain, tr("Chain"), QStringLiteral("chainDock"), Qt::RightDockWidgetArea);
    QDockWidget *tasks = dock(m_tasks, tr("Mask and Tasks"), QStringLiteral("taskDock"), Qt::LeftDockWidgetArea);
    QDockWidget *history = dock(m_undoView, tr("History"), QStringLiteral("historyDock"), Qt::RightDockWidgetArea);
    m_undoView->setEmptyLabel(tr("<original>"));
    tabifyDockWidget(sampleDock, tasks);
    sampleDock->raise();
    splitDockWidget(m_liveDock, plots, Qt::Vertical);
    tabifyDockWidget(m_liveDock, m_chainDock);
    tabifyDockWidget(m_chainDock, history);
    m_liveDock->raise();
    m_live->setMinimumWidth(380);
    m_plots->setMinimumWidth(380);
    m_gallery->setMinimumHeight(170);
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(m_resetLayoutAct);
    m_defaultState = saveState();
}

void MainWindow::updateDeviceLabel()
{
    if (cudaPresent()) {
        m_deviceLabel->setText(tr("CUDA available"));
        return;
    }
    // What this machine computes with: its threads and, where the CPU has them, bf16 chains;
    // a model whose sampling-precision check kept fp32 chains at some scales says how many.
    const int threads = engineThreads();
    QString sampling;
    const int fp32Scales = cpuBf16Present() && m_modelInfo.trainedScales > 0 && m_modelSettings.precision == QLatin1String("auto")
                               ? m_modelInfo.fp32SamplingScales
                               : 0;
    if (cpuBf16Present()) {
        sampling = tr(", bf16 sampling");
        if (fp32Scales > 0)
            sampling = tr(", bf16 sampling (fp32 at %1 of %2 scales)").arg(fp32Scales).arg(m_modelInfo.numScales);
    }
    m_deviceLabel->setText((threads == 1 ? tr("CPU, 1 thread") : tr("CPU, %1 threads").arg(threads)) + sampling + tr(" (no CUDA)"));
    QString tip = cpuBf16Present() ? tr("This CPU computes bfloat16 natively: with Precision Automatic, sampling "
                                        "and the tasks run their Langevin chains in bf16 (about twice as fast, "
                                        "the same quality); training computes in FP32, except the quick "
                                        "preset's chains, in bf16 at every scale, and its training steps above "
                                        "the coarsest scale")
                                   : tr("Training and sampling compute in FP32 on the CPU");
    if (fp32Scales > 0)
        tip += (fp32Scales == 1 ? tr(". This model samples 1 scale with FP32 chains")
                                : tr(". This model samples %1 scales with FP32 chains").arg(fp32Scales))
             + tr(", where bf16 ones drew worse samples while it trained (Model > Model Information lists them).");
    m_deviceLabel->setToolTip(tip);
}

void MainWindow::createStatusBar()
{
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("Idle"));
    m_progress->setMinimumWidth(420);
    m_progress->setObjectName(QStringLiteral("jobProgress"));
    m_deviceLabel->setObjectName(QStringLiteral("deviceLabel"));
    updateDeviceLabel();
    // Transient messages (saved, exported...) fall back to the job's state when they time out.
    connect(statusBar(), &QStatusBar::messageChanged, this, [this](const QString &message) {
        if (message.isEmpty() && !m_status.isEmpty())
            statusBar()->showMessage(m_status);
    });
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_zoomLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
    setStatus(tr("Ready"));
}

void MainWindow::connectWorker()
{
    connect(m_worker, &EngineWorker::modelChanged, this, &MainWindow::onModelChanged);
    connect(m_worker, &EngineWorker::trainProgress, this, &MainWindow::onTrainProgress);
    connect(m_worker, &EngineWorker::trainingStarted, this, [this](const ModelInfo &info) {
        m_pyramidNote = flatPyramidNote(info);
        if (!m_pyramidNote.isEmpty())
            setStatus(tr("Training... (%1)").arg(m_pyramidNote));
    });
    connect(m_worker, &EngineWorker::scaleFinished, this, &MainWindow::onScaleFinished);
    connect(m_worker, &EngineWorker::trainingFinished, this, &MainWindow::onTrainingFinished);
    connect(m_worker, &EngineWorker::scaleRolledBack, this, [this](int scale, int iteration) {
        setStatus(tr("Training... (scale %1 drifted: its net of iteration %2 is kept)").arg(scale + 1).arg(iteration));
    });
    connect(m_worker, &EngineWorker::scaleKeptBest, this, [this](int scale, int attempt) {
        setStatus(tr("Training... (scale %1 worsens the samples in every attempt: attempt %2, the least harmful, is kept)")
                      .arg(scale + 1)
                      .arg(attempt + 1));
    });
    connect(m_worker, &EngineWorker::pausedChanged, this, [this](bool paused) {
        setStatus(paused ? tr("Paused") : tr("Training..."));
    });
    connect(m_worker, &EngineWorker::chainFrames, m_chain, &ChainPanel::appendFrames);
    connect(m_worker, &EngineWorker::samplesReady, this, &MainWindow::onSamplesReady);
    connect(m_worker, &EngineWorker::energyReady, this, [this](const QImage &heat, const QString &error) {
        if (heat.isNull()) {
            m_energyAct->setChecked(false);
            reportError(tr("Cannot compute the energy map"), error);
            Q_EMIT energyShown(false);
            return;
        }
        m_canvas->setHeatMap(heat.size() == m_canvas->image().size() ? heat : heat.scaled(m_canvas->image().size()));
        m_canvas->setHeatMapVisible(m_energyAct->isChecked());
        statusBar()->showMessage(tr("Energy map: bright = implausible to the model"), 5000);
        Q_EMIT energyShown(true);
    });
    connect(m_worker, &EngineWorker::generationFinished, this, &MainWindow::onGenerationFinished);
    connect(m_worker, &EngineWorker::modelLoadFailed, this, [this](const QString &message) {
        if (!m_moveFromDevice.isEmpty()) {
            // A move that failed (no memory on the GPU, say): the model goes back where it was.
            const QString device = m_moveFromDevice, precision = m_moveFromPrecision;
            m_moveFromDevice.clear();
            m_modelSettings.device = device;
            m_modelSettings.precision = precision;
            // The panel shows where the model is again (else the next change would retry the move).
            TrainSettings shown = m_training->settings();
            shown.device = device;
            shown.precision = precision;
            m_training->setSettings(shown);
            updateModifiedMark(); // the project's device is as it was
            loadModelOnWorker(device, precision);
            reportError(tr("Cannot move the model"), message, tr("The model stays on the device it was on."));
            return;
        }
        m_modelBytes.clear();
        reportError(tr("Cannot load the model"), message, tr("The project's model cannot be used; train again."));
    });
}

// ---------------------------------------------------------------- settings

void MainWindow::readSettings()
{
    QSettings s;
    if (!restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray())) {
        // First start: the preferred size, shrunk to what the screen leaves free (a laptop's
        // 1366x768 has about 1366x740 of it), and centred there.
        const QScreen *sc = screen() ? screen() : QGuiApplication::primaryScreen();
        const QRect avail = sc ? sc->availableGeometry() : QRect(0, 0, 1400, 880);
        const QSize fit = QSize(1400, 880).boundedTo(avail.size() * 0.95);
        resize(fit);
        // The dock layout grows the window to its panels' preferred heights when it is first
        // shown (829 px under Xvfb on a 768-px screen); size it again once it is on screen.
        QTimer::singleShot(0, this, [this, fit, avail] {
            resize(fit.expandedTo(minimumSizeHint()));
            move(avail.center() - QPoint(width() / 2, height() / 2));
        });
    }
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    m_training->setSettings(TrainSettings::fromVariant(s.value(QStringLiteral("training")).toMap()));
    if (s.contains(QStringLiteral("sampling")))
        m_sample->setSettings(SampleSettings::fromVariant(s.value(QStringLiteral("sampling")).toMap()));
}

void MainWindow::writeSettings()
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    TrainSettings t = m_training->settings();
    t.configText.clear();
    s.setValue(QStringLiteral("training"), t.toVariant());
    s.setValue(QStringLiteral("sampling"), m_sample->settings().toVariant());
}

void MainWindow::addRecentFile(const QString &path)
{
    QSettings s;
    QStringList files = s.value(QStringLiteral("recentFiles")).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    files.removeAll(abs);
    files.prepend(abs);
    while (files.size() > kMaxRecent)
        files.removeLast();
    s.setValue(QStringLiteral("recentFiles"), files);
}

void MainWindow::updateRecentMenu()
{
    m_recentMenu->clear();
    const QStringList files = QSettings().value(QStringLiteral("recentFiles")).toStringList();
    for (int i = 0; i < files.size(); ++i) {
        const QString &f = files[i];
        QAction *a = m_recentMenu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(f).fileName()));
        a->setToolTip(QDir::toNativeSeparators(f));
        a->setEnabled(QFileInfo::exists(f));
        connect(a, &QAction::triggered, this, [this, f] {
            if (maybeSave())
                openFile(f);
        });
    }
    if (files.isEmpty())
        m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear List"), this, [] { QSettings().remove(QStringLiteral("recentFiles")); });
}

// ---------------------------------------------------------------- files

bool MainWindow::openFile(const QString &path)
{
    const QString suffix = QFileInfo(path).suffix();
    if (suffix.compare(QLatin1String(kProjectSuffix), Qt::CaseInsensitive) == 0)
        return openProject(path);
    if (suffix.compare(QLatin1String(kModelSuffix), Qt::CaseInsensitive) == 0)
        return openModel(path);
    return openImage(path);
}

bool MainWindow::refuseWhileBusy()
{
    if (m_job == Job::None)
        return false;
    statusBar()->showMessage(tr("Wait for the running job to finish (or cancel it) first"), 5000);
    return true;
}

void MainWindow::openDialog()
{
    if (!maybeSave())
        return;
    QSettings s;
    const QString dir = s.value(QStringLiteral("dirs/open"), QDir::homePath()).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Image, Project or Model"), dir, fileDialogFilter());
    if (path.isEmpty())
        return;
    s.setValue(QStringLiteral("dirs/open"), QFileInfo(path).absolutePath());
    openFile(path);
}

void MainWindow::openProjectDialog()
{
    if (!maybeSave())
        return;
    QSettings s;
    const QString dir = s.value(QStringLiteral("dirs/open"), QDir::homePath()).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Project"), dir,
                                                      tr("Projects (*.%1)").arg(QLatin1String(kProjectSuffix)));
    if (path.isEmpty())
        return;
    s.setValue(QStringLiteral("dirs/open"), QFileInfo(path).absolutePath());
    openProject(path);
}

bool MainWindow::openImage(const QString &path)
{
    if (refuseWhileBusy())
        return false;
    QImage image;
    try {
        image = toQImage(pgcn::loadImage(QDir::toNativeSeparators(path).toStdString()));
    } catch (const std::exception &e) {
        reportError(tr("Cannot open the image"), QString::fromUtf8(e.what()),
                    tr("Choose a PNG, JPEG, WebP, TIFF or BMP image, a project (.%1) or a model (.%2).")
                        .arg(QLatin1String(kProjectSuffix), QLatin1String(kModelSuffix)));
        return false;
    }
    setSourceImage(image, QFileInfo(path).fileName());
    addRecentFile(path);
    statusBar()->showMessage(tr("Opened %1 (%2 x %3)").arg(QFileInfo(path).fileName()).arg(image.width()).arg(image.height()), 5000);
    return true;
}

void MainWindow::resetSession()
{
    m_modelBytes.clear();
    m_modelInfo = ModelInfo();
    m_modelSettings = TrainSettings();
    m_moveFromDevice.clear();
    m_projectPath.clear();
    m_autosavePath.clear();
    m_undo->clear();
    m_gallery->setEntries({});
    m_chain->clear();
    m_plots->clear();
    m_live->clear();
    m_sample->setModel(0, QSize());
    m_progress->setValue(0);
    m_progress->setFormat(tr("Idle"));
    QMetaObject::invokeMethod(m_worker, &EngineWorker::unloadModel, Qt::QueuedConnection);
}

void MainWindow::setSourceImage(const QImage &image, const QString &name)
{
    resetSession();
    m_source = image;
    m_sourceName = name;
    m_canvas->setImage(image, name);
    m_mask->reset(image.size()); // a new image starts without a mask or an object
    m_object->clear();
    setModified(false);
    updateModelStatus();
    updateActions();
    updateTitle();
}

bool MainWindow::openProject(const QString &path)
{
    if (refuseWhileBusy())
        return false;
    Project p;
    QString error;
    if (!p.load(path, &error)) {
        reportError(tr("Cannot open the project"), tr("%1: %2").arg(QDir::toNativeSeparators(path), error),
                    tr("Choose a file saved by PatchGenCN Studio."));
        return false;
    }
    resetSession();
    m_projectPath = QFileInfo(path).absoluteFilePath();
    m_source = p.source;
    m_sourceName = p.sourceName;
    m_modelBytes = p.model;
    const TrainSettings ts = TrainSettings::fromVariant(p.trainSettings);
    m_training->setSettings(ts);
    m_modelSettings = m_training->settings();
    if (!p.sampleSettings.isEmpty())
        m_sample->setSettings(SampleSettings::fromVariant(p.sampleSettings));
    m_plots->setLog(p.log);
    m_gallery->setEntries(p.gallery);
    m_undo->clear();
    m_canvas->setImage(m_source, m_sourceName);
    if (!p.canvas.isNull())
        m_canvas->setImage(p.canvas, p.canvasCaption);
    if (p.mask.isNull())
        m_mask->reset(m_canvas->image().size());
    else
        m_mask->setMask(p.mask); // the same size as the working image (checked when read)
    if (p.object.isNull())
        m_object->clear();
    else
        m_object->setObject(p.object);
    if (!p.taskSettings.isEmpty())
        m_tasks->setSettings(TaskSettings::fromVariant(p.taskSettings));
    if (!m_modelBytes.isEmpty())
        loadModelOnWorker(m_modelSettings.device, m_modelSettings.precision);
    opened(path, tr("Opened project %1").arg(QFileInfo(path).fileName()));
    return true;
}

bool MainWindow::openModel(const QString &path)
{
    if (refuseWhileBusy())
        return false;
    QByteArray bytes;
    ModelInfo info;
    QString error;
    TrainSettings recipe;
    bool ok = readModelFile(path, &bytes, &info, &error);
    if (ok && info.reals.isEmpty()) {
        ok = false;
        error = tr("%1: the model holds no image").arg(QDir::toNativeSeparators(path));
    }
    if (ok) {
        try {
            recipe = trainSettingsForModel(info.configText);
        } catch (const std::exception &e) {
            ok = false;
            error = QString::fromUtf8(e.what());
        }
    }
    if (!ok) {
        reportError(tr("Cannot open the model"), error,
                    tr("Choose a model file (.%1) written by patchgencn train or by Export Model.").arg(QLatin1String(kModelSuffix)));
        return false;
    }
    // A new, untitled project around the model: its finest scale is the image it was trained on
    // (after the training's resize), so tasks and Show Source see what the model saw.
    const QFileInfo fi(path);
    setSourceImage(info.reals.last(), fi.completeBaseName() + QStringLiteral(".png"));
    m_modelBytes = bytes;
    m_plots->setLog(info.log); // the training curves the file keeps (none in files from before it kept them)
    if (info.trainedScales > 0 && !hasPoints(info.log))
        m_plots->setEmptyNote(tr("%1 keeps no training curves (written before models kept them)").arg(fi.fileName()));
    m_training->setSettings(recipe);
    m_modelSettings = m_training->settings();
    loadModelOnWorker(m_modelSettings.device, m_modelSettings.precision);
    opened(path, tr("Opened model %1 (%2 of %3 scales trained, %4 x %5)")
                     .arg(fi.fileName())
                     .arg(info.trainedScales)
                     .arg(info.numScales)
                     .arg(info.reals.last().width())
                     .arg(info.reals.last().height()));
    return true;
}

bool MainWindow::exportModelTo(const QString &path)
{
    QString error;
    QSaveFile file(path);
    if (m_modelBytes.isEmpty())
        error = tr("there is no trained model to export");
    else if (!file.open(QIODevice::WriteOnly) || file.write(m_modelBytes) != m_modelBytes.size() || !file.commit())
        error = tr("%1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
    if (!error.isEmpty()) {
        reportError(tr("Cannot export the model"), error,
                    tr("Choose another folder or free some disk space."));
        return false;
    }
    statusBar()->showMessage(tr("Exported the model to %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

bool MainWindow::exportTrainingLogTo(const QString &path)
{
    const QVector<QVector<ProgressPoint>> &plotted = m_plots->log();
    QString error;
    if (!hasPoints(plotted)) {
        error = tr("there is no training log to export yet");
    } else {
        std::vector<std::vector<TrainLogPoint>> log(size_t(plotted.size()));
        for (int s = 0; s < plotted.size(); ++s)
            for (const ProgressPoint &p : plotted[s])
                log[size_t(s)].push_back({p.iteration, p.energyReal, p.energySyn, p.recoveryMse});
        const std::string csv = trainingLogCsv(log);
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(csv.data(), qint64(csv.size())) != qint64(csv.size()) || !file.commit())
            error = tr("%1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
    }
    if (!error.isEmpty()) {
        reportError(tr("Cannot export the training log"), error, tr("Choose another folder or free some disk space."));
        return false;
    }
    statusBar()->showMessage(tr("Exported the training log to %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

QString MainWindow::askExportPath(const QString &title, const QString &untitled, const QString &tail, const QString &suffix,
                                  const QString &filter)
{
    QSettings s;
    const QString base = m_projectPath.isEmpty() ? QFileInfo(m_sourceName).completeBaseName() : QFileInfo(m_projectPath).completeBaseName();
    QString path = QFileDialog::getSaveFileName(
        this, title,
        QDir(s.value(QStringLiteral("dirs/export"), QDir::homePath()).toString())
            .filePath((base.isEmpty() ? untitled : base + tail) + QLatin1Char('.') + suffix),
        filter);
    if (path.isEmpty())
        return {};
    if (QFileInfo(path).suffix().compare(suffix, Qt::CaseInsensitive) != 0)
        path += QLatin1Char('.') + suffix;
    s.setValue(QStringLiteral("dirs/export"), QFileInfo(path).absolutePath());
    return path;
}

void MainWindow::exportTrainingLogDialog()
{
    if (!hasPoints(m_plots->log())) {
        statusBar()->showMessage(tr("No training log yet: the first iterations have not been reported"), 5000);
        return;
    }
    const QString path = askExportPath(tr("Export Training Log"), QStringLiteral("training-log"), QStringLiteral("-log"),
                                       QStringLiteral("csv"), tr("CSV files (*.csv)"));
    if (!path.isEmpty())
        exportTrainingLogTo(path);
}

void MainWindow::exportModelDialog()
{
    if (m_job != Job::None || m_modelBytes.isEmpty())
        return;
    const QString suffix = QLatin1String(kModelSuffix);
    const QString path = askExportPath(tr("Export Model"), QStringLiteral("model"), QString(), suffix, tr("Models (*.%1)").arg(suffix));
    if (!path.isEmpty())
        exportModelTo(path);
}

void MainWindow::opened(const QString &path, const QString &message)
{
    addRecentFile(path);
    setModified(false);
    updateModelStatus();
    updateActions();
    updateTitle();
    statusBar()->showMessage(message, 5000);
}

Project MainWindow::currentProject() const
{
    Project p;
    p.sourceName = m_sourceName;
    p.source = m_source;
    p.model = m_modelBytes;
    p.log = m_plots->log();
    p.gallery = m_gallery->entries();
    const QVariantList settings = projectSettings();
    p.trainSettings = settings.at(0).toMap();
    p.sampleSettings = settings.at(1).toMap();
    p.taskSettings = settings.at(2).toMap();
    // The work in progress: the working image (when it is not the source), the mask, the object.
    const QImage working = m_canvas->image();
    if (!working.isNull() && working != m_source.convertToFormat(working.format())) {
        p.canvas = working;
        p.canvasCaption = m_canvas->caption();
    }
    if (!m_mask->isEmpty() && m_mask->size() == working.size())
        p.mask = m_mask->mask();
    if (!m_object->isNull())
        p.object = m_object->image();
    return p;
}

bool MainWindow::saveProjectTo(const QString &path)
{
    QString error;
    if (!currentProject().save(path, &error)) {
        reportError(tr("Cannot save the project"), tr("%1: %2").arg(QDir::toNativeSeparators(path), error),
                    tr("Choose another folder or free some disk space."));
        return false;
    }
    m_projectPath = QFileInfo(path).absoluteFilePath();
    setModified(false);
    addRecentFile(path);
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 5000);
    Q_EMIT projectSaved(path);
    return true;
}

bool MainWindow::save()
{
    if (m_projectPath.isEmpty())
        return saveAs();
    return saveProjectTo(m_projectPath);
}

bool MainWindow::saveAs()
{
    if (m_source.isNull())
        return false;
    QSettings s;
    const QString base = m_projectPath.isEmpty()
                             ? QDir(s.value(QStringLiteral("dirs/open"), QDir::homePath()).toString())
                                   .filePath(QFileInfo(m_sourceName).completeBaseName() + QLatin1Char('.') + QLatin1String(kProjectSuffix))
                             : m_projectPath;
    QString path = QFileDialog::getSaveFileName(this, tr("Save Project"), base,
                                                tr("Projects (*.%1)").arg(QLatin1String(kProjectSuffix)));
    if (path.isEmpty())
        return false;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + QLatin1String(kProjectSuffix);
    return saveProjectTo(path);
}

QString MainWindow::autosavePath() const
{
    if (!m_projectPath.isEmpty())
        return m_projectPath;
    if (!m_autosavePath.isEmpty())
        return m_autosavePath;
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/autosave");
    const QString base = QFileInfo(m_sourceName).completeBaseName().isEmpty() ? QStringLiteral("untitled")
                                                                              : QFileInfo(m_sourceName).completeBaseName();
    return dir + QLatin1Char('/') + base + QStringLiteral("-")
         + QString::number(QDateTime::currentSecsSinceEpoch()) + QLatin1Char('.') + QLatin1String(kProjectSuffix);
}

void MainWindow::autosave()
{
    const QString path = autosavePath();
    if (m_projectPath.isEmpty())
        m_autosavePath = path;
    QDir().mkpath(QFileInfo(path).absolutePath());
    // Encoding PNGs and writing can take a moment: off the GUI thread. The
    // project is a value (implicitly shared images and bytes).
    const Project project = currentProject();
    auto future = QtConcurrent::run([project, path] {
        QString error;
        return project.save(path, &error) ? QString() : error;
    });
    Q_UNUSED(future);
    addRecentFile(path);
    statusBar()->showMessage(tr("Model autosaved to %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::exportCurrent()
{
    if (!m_gallery->selectedEntries().isEmpty()) {
        m_gallery->exportSelected();
        return;
    }
    const QImage img = m_canvas->image();
    if (img.isNull())
        return;
    QSettings s;
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export Image"), QDir(s.value(QStringLiteral("dirs/export"), QDir::homePath()).toString()).filePath(QStringLiteral("image.png")),
        tr("PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp);;TIFF image (*.tif *.tiff)"));
    if (path.isEmpty())
        return;
    if (!pgcn::isSupportedImageExtension(path.toStdString()))
        path += QStringLiteral(".png");
    s.setValue(QStringLiteral("dirs/export"), QFileInfo(path).absolutePath());
    QString error;
    if (GalleryPanel::exportOne(img, path, &error))
        statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
    else
        QMessageBox::warning(this, tr("Export failed"), error);
}

bool MainWindow::maybeSave()
{
    if (!isWindowModified() || m_quiet)
        return true;
    const auto answer = QMessageBox::warning(this, tr("Unsaved changes"),
                                             tr("The project has unsaved changes. Save them?"),
                                             QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Save)
        return save();
    return answer == QMessageBox::Discard;
}

bool MainWindow::confirmDiscardModel()
{
    if (m_modelInfo.trainedScales == 0 || m_quiet)
        return true;
    return QMessageBox::question(this, tr("Train a new model?"),
                                 tr("The current model (%1 of %2 scales trained) will be replaced by a new one "
                                    "with the new settings. Continue?")
                                     .arg(m_modelInfo.trainedScales)
                                     .arg(m_modelInfo.numScales))
        == QMessageBox::Yes;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_job == Job::Training && !m_quiet) {
        const auto answer = QMessageBox::question(this, tr("Training is running"),
                                                  tr("Stop training and quit? Finished scales are in the autosave."));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    writeSettings();
    stopWorker();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() && !event->mimeData()->urls().isEmpty() && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QString path = event->mimeData()->urls().first().toLocalFile();
    event->acceptProposedAction();
    // Leave the drag-and-drop loop before any dialog appears.
    QTimer::singleShot(0, this, [this, path] {
        if (maybeSave())
            openFile(path);
    });
}

// ---------------------------------------------------------------- jobs

void MainWindow::updateModelStatus()
{
    QString text;
    bool canResume = false;
    if (m_job == Job::Training) {
        text = m_modelInfo.numScales > 0 ? tr("Training: %1 of %2 scales done.").arg(m_modelInfo.trainedScales).arg(m_modelInfo.numScales)
                                         : tr("Preparing the pyramid...");
    } else if (m_modelInfo.numScales == 0 || m_modelInfo.trainedScales == 0) {
        text = m_source.isNull() ? tr("Open an image to train on.") : tr("No model yet: Start trains one.");
    } else if (m_modelInfo.trainedScales == m_modelInfo.numScales) {
        text = tr("Model trained (%1 scales).").arg(m_modelInfo.numScales);
    } else {
        canResume = sameTraining(m_training->settings(), m_modelSettings);
        text = canResume ? tr("%1 of %2 scales trained: Start resumes at scale %3.")
                               .arg(m_modelInfo.trainedScales)
                               .arg(m_modelInfo.numScales)
                               .arg(m_modelInfo.trainedScales + 1)
                         : tr("%1 of %2 scales trained; the settings changed, so Start trains a new model.")
                               .arg(m_modelInfo.trainedScales)
                               .arg(m_modelInfo.numScales);
    }
    m_training->setModelStatus(text, canResume);
    m_trainAct->setText(canResume ? tr("&Resume Training") : tr("&Start Training"));
}

void MainWindow::moveModelToChosenDevice()
{
    const TrainSettings chosen = m_training->settings();
    if (m_job != Job::None || m_modelBytes.isEmpty() || m_modelInfo.trainedScales == 0
        || (chosen.device == m_modelSettings.device && chosen.precision == m_modelSettings.precision))
        return;
    if (m_moveFromDevice.isEmpty()) {
        m_moveFromDevice = m_modelSettings.device;
        m_moveFromPrecision = m_modelSettings.precision;
    }
    m_modelSettings.device = chosen.device;
    m_modelSettings.precision = chosen.precision;
    loadModelOnWorker(chosen.device, chosen.precision);
    statusBar()->showMessage(tr("Moving the model to the chosen device (%1, precision %2)...").arg(chosen.device, chosen.precision),
                             5000);
}

void MainWindow::loadModelOnWorker(const QString &device, const QString &precision)
{
    QMetaObject::invokeMethod(m_worker, [w = m_worker, bytes = m_modelBytes, device, precision] { w->loadModel(bytes, device, precision); },
                              Qt::QueuedConnection);
}

void MainWindow::startTraining()
{
    if (m_job != Job::None)
        return;
    if (m_source.isNull()) {
        statusBar()->showMessage(tr("Open an image first (Ctrl+O)"), 5000);
        return;
    }
    const TrainSettings settings = m_training->settings();
    const bool resume = m_training->resumeOffered() && m_modelInfo.trainedScales > 0
                     && m_modelInfo.trainedScales < m_modelInfo.numScales;
    if (!resume && !confirmDiscardModel())
        return;
    if (resume) {
        m_plots->truncate(m_modelInfo.trainedScales);
    } else {
        m_plots->clear();
        m_modelSettings = settings;
        m_modelBytes.clear();
        m_live->clear();
    }
    m_job = Job::Training;
    m_haveLatest = false;
    m_pendingSamples.clear();
    m_training->setState(TrainingPanel::State::Training);
    m_sample->setBusy(false);
    m_sample->setGenerateEnabled(false);
    m_liveDock->raise();
    setStatus(resume ? tr("Resuming training...") : tr("Training..."));
    m_progress->setFormat(tr("Starting..."));
    updateModelStatus();
    updateActions();
    const QImage source = m_source;
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, source, settings, resume] { w->startTraining(source, settings, resume); }, Qt::QueuedConnection);
}

void MainWindow::setPaused(bool paused)
{
    if (m_job != Job::Training)
        return;
    m_worker->setPaused(paused);
    m_training->setState(paused ? TrainingPanel::State::Paused : TrainingPanel::State::Training);
    setStatus(paused ? tr("Pausing...") : tr("Training..."));
}

void MainWindow::cancelJob()
{
    if (m_job == Job::None)
        return;
    m_worker->requestCancel();
    setStatus(tr("Cancelling..."));
}

void MainWindow::generate()
{
    if (m_job != Job::None || m_modelInfo.trainedScales == 0)
        return;
    SampleSettings s = m_sample->settings();
    if (s.randomSeed)
        s.seed = QRandomGenerator::global()->bounded(1u << 30);
    if (s.recordChain) {
        m_chain->clear();
        m_chainDock->raise();
    }
    m_job = Job::Generating;
    m_sample->setBusy(true);
    m_training->setState(TrainingPanel::State::Busy);
    setStatus(tr("Generating %n sample(s)...", nullptr, s.count));
    m_progress->setRange(0, 0);
    m_jobClock.start();
    updateActions();
    QMetaObject::invokeMethod(m_worker, [w = m_worker, s] { w->generate(s); }, Qt::QueuedConnection);
}

void MainWindow::reconstruct()
{
    if (m_job != Job::None || m_modelInfo.trainedScales == 0)
        return;
    m_job = Job::Generating;
    m_sample->setBusy(true);
    m_training->setState(TrainingPanel::State::Busy);
    setStatus(tr("Reconstructing the training image..."));
    m_progress->setRange(0, 0);
    m_jobClock.start();
    updateActions();
    QMetaObject::invokeMethod(m_worker, &EngineWorker::reconstruct, Qt::QueuedConnection);
}

void MainWindow::onModelChanged(const ModelInfo &info)
{
    if (info.trainedScales > 0)
        m_moveFromDevice.clear(); // a move (if one was under way) arrived
    m_modelInfo = info;
    updateDeviceLabel();
    m_live->setModel(info);
    if (info.numScales > 0)
        m_plots->setScaleCount(info.numScales);
    m_sample->setModel(info.trainedScales, info.sizes.isEmpty() ? QSize() : info.sizes.last());
    QVector<int> sides;
    for (const QSize &sz : info.sizes)
        sides.append(std::min(sz.width(), sz.height()));
    m_tasks->setModel(info.trainedScales, sides);
    updateRetargetFrame();
    if (m_job == Job::Training)
        m_sample->setGenerateEnabled(false);
    updateModelStatus();
    updateActions();
}

void MainWindow::onTrainProgress(const TrainStatus &status)
{
    // Cheap bookkeeping now; widgets later, from the coalescing timer.
    m_plots->setPlannedIterations(status.scale, status.iterations);
    m_plots->appendPoints(status.scale, status.points);
    const QImage synthesis = status.synthesis.isNull() ? m_latest.synthesis : status.synthesis;
    const QImage recovery = status.recovery.isNull() ? m_latest.recovery : status.recovery;
    const bool scaleChanged = m_haveLatest && status.scale != m_latest.scale;
    m_latest = status;
    m_latest.points.clear();
    m_latest.synthesis = scaleChanged && status.synthesis.isNull() ? QImage() : synthesis;
    m_latest.recovery = scaleChanged && status.recovery.isNull() ? QImage() : recovery;
    if (!status.synthesis.isNull())
        m_pendingSamples.insert(status.scale, status.synthesis);
    m_haveLatest = true;
    if (!m_uiTimer->isActive())
        m_uiTimer->start();
}

void MainWindow::applyPendingProgress()
{
    if (!m_haveLatest)
        return;
    const TrainStatus &st = m_latest;
    m_live->showStatus(st);
    for (auto it = m_pendingSamples.cbegin(); it != m_pendingSamples.cend(); ++it)
        m_live->strip()->setSample(it.key(), it.value());
    m_pendingSamples.clear();
    m_plots->refresh();
    const double done = st.numScales > 0 ? (st.scale + double(st.iteration) / std::max(1, st.iterations)) / st.numScales : 0;
    m_progress->setRange(0, 1000);
    m_progress->setValue(int(done * 1000));
    m_progress->setFormat(tr("Scale %1/%2 \u00b7 iteration %3/%4 \u00b7 %5 elapsed \u00b7 ETA %6")
                              .arg(st.scale + 1)
                              .arg(st.numScales)
                              .arg(st.iteration)
                              .arg(st.iterations)
                              .arg(formatDuration(st.elapsedSeconds), formatDuration(st.etaSeconds)));
    if (st.attempt > 0)
        setStatus(tr("Training... (scale %1 failed a check: retry %2 of %3 with a smaller learning rate and Langevin step)")
                      .arg(st.scale + 1)
                      .arg(st.attempt)
                      .arg(pgcn::TrainConfig::kDivergenceRetries));
    else if (st.recoveryFailing)
        setStatus(tr("Training... (recovery is failing at this scale)"));
    Q_EMIT progressShown(st);
}

void MainWindow::onScaleFinished(int scale, const QByteArray &modelBytes)
{
    m_modelBytes = modelBytes;
    setModified(true);
    m_live->strip()->setTrainedScales(scale + 1);
    autosave();
}

void MainWindow::onTrainingFinished(const JobOutcome &outcome)
{
    m_uiTimer->stop();
    applyPendingProgress();
    m_job = Job::None;
    m_pauseAct->setChecked(false);
    if (!outcome.modelBytes.isEmpty())
        m_modelBytes = outcome.modelBytes;
    m_training->setState(TrainingPanel::State::Idle);
    m_sample->setBusy(false);
    m_sample->setGenerateEnabled(m_modelInfo.trainedScales > 0);
    m_live->strip()->setActiveScale(-1);
    switch (outcome.kind) {
    case JobOutcome::Finished:
        setStatus(m_pyramidNote.isEmpty() ? tr("Training finished: %1 scales").arg(outcome.trainedScales)
                                          : tr("Training finished: %1 scales (%2)").arg(outcome.trainedScales).arg(m_pyramidNote));
        m_progress->setValue(1000);
        m_progress->setFormat(tr("Trained \u00b7 %1").arg(formatDuration(m_latest.elapsedSeconds)));
        break;
    case JobOutcome::Cancelled:
        setStatus(tr("Training cancelled; %1 finished scale(s) kept").arg(outcome.trainedScales));
        m_progress->setFormat(tr("Cancelled"));
        break;
    case JobOutcome::Failed:
        setStatus(tr("Training failed; %1 finished scale(s) kept").arg(outcome.trainedScales));
        m_progress->setFormat(tr("Failed"));
        showFailure(tr("Training failed"), outcome);
        break;
    }
    updateModelStatus();
    updateActions();
    Q_EMIT trainingFinished(outcome);
}

void MainWindow::onSamplesReady(const QVector<GalleryEntry> &entries)
{
    m_gallery->addEntries(entries);
    if (!entries.isEmpty())
        m_canvas->setImage(entries.first().image, entries.first().label);
}

void MainWindow::onGenerationFinished(const JobOutcome &outcome)
{
    m_job = Job::None;
    m_sample->setBusy(false);
    m_training->setState(TrainingPanel::State::Idle);
    // Leaving the busy bar's range reset the value, which hides the text: say how the job ended.
    m_progress->setRange(0, 1000);
    m_progress->setValue(outcome.kind == JobOutcome::Finished ? 1000 : 0);
    switch (outcome.kind) {
    case JobOutcome::Finished:
        setStatus(tr("Done: %n image(s) in the gallery", nullptr, m_gallery->count()));
        m_progress->setFormat(tr("Done \u00b7 %1").arg(formatDuration(m_jobClock.elapsed() / 1000.0)));
        break;
    case JobOutcome::Cancelled:
        setStatus(tr("Generation cancelled"));
        m_progress->setFormat(tr("Cancelled"));
        break;
    case JobOutcome::Failed:
        setStatus(tr("Generation failed"));
        m_progress->setFormat(tr("Failed"));
        showFailure(tr("Generation failed"), outcome);
        break;
    }
    updateModelStatus();
    updateActions();
    Q_EMIT generationFinished(outcome);
}

void MainWindow::showFailure(const QString &title, const JobOutcome &outcome)
{
    const QString text = outcome.hint.isEmpty() ? outcome.message : outcome.message + QStringLiteral("\n\n") + outcome.hint;
    Q_EMIT failureShown(title, outcome.message);
    statusBar()->showMessage(title + QStringLiteral(": ") + outcome.message, 15000);
    if (m_quiet)
        return;
    // Not modal-blocking: the event loop (and the worker's signals) keep running.
    auto *box = new QMessageBox(QMessageBox::Warning, title, outcome.message, QMessageBox::Ok, this);
    box->setInformativeText(outcome.hint);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("failureBox"));
    box->setWindowModality(Qt::WindowModal);
    box->open();
    Q_UNUSED(text);
}

// ---------------------------------------------------------------- state

void MainWindow::setStatus(const QString &text)
{
    m_status = text;
    statusBar()->showMessage(text);
}

void MainWindow::setModified(bool modified)
{
    m_contentModified = modified;
    if (!modified) {
        m_savedSettings = projectSettings();
        m_undo->setClean();
    }
    updateModifiedMark();
}

void MainWindow::updateModifiedMark()
{
    const bool settingsChanged = !m_source.isNull() && projectSettings() != m_savedSettings;
    setWindowModified(m_contentModified || !m_undo->isClean() || settingsChanged);
}

QVariantList MainWindow::projectSettings() const
{
    // With a model in hand the project keeps the settings it was trained with, not the panel's.
    const TrainSettings ts = m_modelInfo.numScales > 0 ? m_modelSettings : m_training->settings();
    return {ts.toVariant(), m_sample->settings().toVariant(), m_tasks->settings().toVariant()};
}

void MainWindow::updateTitle()
{
    QString name = m_projectPath.isEmpty() ? (m_sourceName.isEmpty() ? tr("Untitled") : m_sourceName)
                                           : QFileInfo(m_projectPath).fileName();
    setWindowTitle(tr("%1[*] \u2014 PatchGenCN Studio").arg(name));
}

void MainWindow::updateActions()
{
    const bool idle = m_job == Job::None;
    const bool haveImage = !m_source.isNull();
    const bool haveModel = m_modelInfo.trainedScales > 0;
    m_openAct->setEnabled(idle);
    m_openProjectAct->setEnabled(idle);
    m_recentMenu->setEnabled(idle);
    m_saveAct->setEnabled(haveImage);
    m_saveAsAct->setEnabled(haveImage);
    m_exportAct->setEnabled(!m_canvas->image().isNull());
    m_exportModelAct->setEnabled(idle && haveModel && !m_modelBytes.isEmpty());
    m_exportLogAct->setEnabled(m_job == Job::Training || hasPoints(m_plots->log()));
    m_plots->setExportEnabled(m_exportLogAct->isEnabled());
    m_copyAct->setEnabled(!m_canvas->image().isNull());
    m_clearGalleryAct->setEnabled(m_gallery->count() > 0);
    m_trainAct->setEnabled(idle && haveImage);
    m_pauseAct->setEnabled(m_job == Job::Training);
    m_cancelAct->setEnabled(!idle);
    m_generateAct->setEnabled(idle && haveModel);
    m_reconstructAct->setEnabled(idle && haveModel);
    m_showSourceAct->setEnabled(haveImage);
    m_tasks->setBusy(!idle);
}

// ---------------------------------------------------------------- mask and image tasks

void MainWindow::createTools()
{
    m_navigateTool = new NavigateTool(this);
    m_colorBrush = new BrushTool(BrushTool::Mode::Colour, m_mask, this);
    m_placeTool = new PlaceObjectTool(m_object, this);
    const QList<AbstractTool *> tools = {m_navigateTool,
                                         new BrushTool(BrushTool::Mode::Paint, m_mask, this),
                                         new BrushTool(BrushTool::Mode::Erase, m_mask, this),
                                         new SelectionTool(SelectionTool::Shape::Rectangle, m_mask, this),
                                         new SelectionTool(SelectionTool::Shape::Lasso, m_mask, this),
                                         new MoveSelectionTool(m_mask, this),
                                         m_colorBrush,
                                         m_placeTool};
    QToolBar *tb = addToolBar(tr("Tools"));
    tb->setObjectName(QStringLiteral("toolsToolBar"));
    tb->setToolButtonStyle(Qt::ToolButtonTextOnly);
    // A submenu of Edit: the top-level menus stay File, Edit, View, Model, Help.
    QMenu *menu = nullptr;
    for (QAction *a : menuBar()->actions())
        if (a->menu() && a->text() == tr("&Edit"))
            menu = a->menu()->addMenu(tr("&Tools"));
    if (!menu)
        menu = new QMenu(tr("&Tools"), this);
    for (AbstractTool *t : tools) {
        QAction *a = m_tools->registerTool(t);
        tb->addAction(a);
        menu->addAction(a);
        connect(t, &AbstractTool::statusInfo, this, [this](const QString &text) { statusBar()->showMessage(text, 4000); });
    }
    menu->addSeparator();
    menu->addAction(tr("Larger Brush"), QKeySequence(Qt::Key_BracketRight), m_mask, &MaskLayer::growBrush);
    menu->addAction(tr("Smaller Brush"), QKeySequence(Qt::Key_BracketLeft), m_mask, &MaskLayer::shrinkBrush);
    m_tools->selectTool(m_navigateTool);
}

void MainWindow::reportError(const QString &title, const QString &message, const QString &hint)
{
    JobOutcome o;
    o.kind = JobOutcome::Failed;
    o.message = message;
    o.hint = hint;
    showFailure(title, o);
}

bool MainWindow::loadMaskFile(const QString &path)
{
    QImage mask;
    try {
        const GrayImage g = pgcn::loadMask(QDir::toNativeSeparators(path).toStdString());
        mask = QImage(g.width, g.height, QImage::Format_Grayscale8);
        for (int y = 0; y < g.height; ++y)
            std::memcpy(mask.scanLine(y), g.pixels.data() + size_t(y) * size_t(g.width), size_t(g.width));
    } catch (const std::exception &e) {
        reportError(tr("Cannot load the mask"), QString::fromUtf8(e.what()));
        return false;
    }
    const QImage image = m_canvas->image();
    if (image.isNull()) {
        reportError(tr("Cannot load the mask"), tr("Open an image first: the mask belongs to the canvas image."));
        return false;
    }
    if (mask.size() != image.size()) {
        // The engine's own verdict, so the message is the one the command line gives.
        reportError(tr("Cannot load the mask"), validateMaskMessage(image, mask),
                    tr("The mask must have the image's size (%1 x %2).").arg(image.width()).arg(image.height()));
        return false;
    }
    m_mask->applyMask(mask, tr("Load Mask"));
    statusBar()->showMessage(tr("Loaded mask %1").arg(QFileInfo(path).fileName()), 5000);
    return true;
}

bool MainWindow::saveMaskFile(const QString &path)
{
    const QImage &m = m_mask->mask();
    if (m.isNull()) {
        reportError(tr("Cannot save the mask"), tr("There is no mask: open an image and paint one."));
        return false;
    }
    GrayImage g(m.width(), m.height());
    for (int y = 0; y < m.height(); ++y)
        std::memcpy(g.pixels.data() + size_t(y) * size_t(m.width()), m.constScanLine(y), size_t(m.width()));
    try {
        pgcn::saveMask(QDir::toNativeSeparators(path).toStdString(), g);
    } catch (const std::exception &e) {
        reportError(tr("Cannot save the mask"), QString::fromUtf8(e.what()));
        return false;
    }
    statusBar()->showMessage(tr("Saved mask %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

bool MainWindow::loadObjectFile(const QString &path)
{
    if (m_canvas->image().isNull()) {
        reportError(tr("Cannot load the object"), tr("Open the background image first."));
        return false;
    }
    try {
        const LoadedImage li = pgcn::loadImageFile(QDir::toNativeSeparators(path).toStdString());
        QImage alpha;
        if (!li.alpha.isNull()) {
            alpha = QImage(li.alpha.width, li.alpha.height, QImage::Format_Grayscale8);
            for (int y = 0; y < li.alpha.height; ++y)
                std::memcpy(alpha.scanLine(y), li.alpha.pixels.data() + size_t(y) * size_t(li.alpha.width), size_t(li.alpha.width));
        }
        m_object->setObject(toQImage(li.rgb), alpha);
    } catch (const std::exception &e) {
        reportError(tr("Cannot load the object"), QString::fromUtf8(e.what()));
        return false;
    }
    const QSize img = m_canvas->image().size();
    const QSize obj = m_object->image().size();
    m_object->setCenter(QPointF(img.width() / 2.0, img.height() / 2.0));
    const qreal fit = std::min(img.width() * 0.5 / obj.width(), img.height() * 0.5 / obj.height());
    m_object->setScale(std::min<qreal>(1.0, fit));
    m_tools->selectTool(m_placeTool);
    m_tasks->setKind(TaskRequest::Harmonize);
    statusBar()->showMessage(tr("Drag the object into place (corners scale, Ctrl+drag rotates), then Flatten"), 8000);
    return true;
}

bool MainWindow::loadContentFile(const QString &path)
{
    try {
        const QImage img = toQImage(pgcn::loadImage(QDir::toNativeSeparators(path).toStdString()));
        m_canvas->setImage(img, tr("content: %1").arg(QFileInfo(path).fileName()));
    } catch (const std::exception &e) {
        reportError(tr("Cannot load the content image"), QString::fromUtf8(e.what()));
        return false;
    }
    m_tasks->setKind(TaskRequest::Inject);
    return true;
}

void MainWindow::flattenObject()
{
    const QImage image = m_canvas->image();
    if (m_object->isNull() || image.isNull())
        return;
    QImage pasted, mask;
    m_object->flatten(image, &pasted, &mask);
    const QRect rect = m_object->boundingRect().intersected(image.rect());
    ImageCanvas *c = m_canvas;
    MaskLayer *m = m_mask;
    QVector<PatchCommand::Patch> patches;
    if (!rect.isEmpty()) {
        PatchCommand::Patch ip;
        ip.read = [c](const QRect &r) { return c->copyImageRect(r); };
        ip.write = [c](const QRect &r, const QImage &px) { c->writeImageRect(r, px); };
        ip.rect = rect;
        ip.before = c->copyImageRect(rect);
        ip.after = pasted.copy(rect);
        patches << ip;
    }
    PatchCommand::Patch mp;
    mp.read = [m](const QRect &r) { return m->copyRect(r); };
    mp.write = [m](const QRect &r, const QImage &px) { m->writeRect(r, px); };
    mp.rect = image.rect();
    mp.before = m->copyRect(mp.rect);
    mp.after = mask;
    patches << mp;
    m_undo->push(new PatchCommand(tr("Flatten Object"), patches, false, false));
    m_object->clear();
    m_tools->selectTool(m_navigateTool);
    m_tasks->setKind(TaskRequest::Harmonize);
    statusBar()->showMessage(tr("Object pasted; its alpha is the mask. Run harmonizes it."), 6000);
}

void MainWindow::runTask()
{
    if (m_job != Job::None)
        return;
    if (m_modelInfo.trainedScales == 0) {
        statusBar()->showMessage(tr("Train a model (or open a project) first"), 5000);
        return;
    }
    TaskRequest r;
    r.kind = m_tasks->kind();
    r.image = m_canvas->image();
    r.startScale = m_tasks->startScale();
    r.factor = m_tasks->factor();
    r.srSteps = m_tasks->srSteps();
    r.feather = m_mask->feather();
    r.seed = QRandomGenerator::global()->bounded(1u << 30);
    if (r.image.isNull()) {
        reportError(tr("Cannot run the task"), tr("There is no image on the canvas."));
        return;
    }
    if (r.kind == TaskRequest::Edit || r.kind == TaskRequest::Harmonize) {
        r.mask = m_mask->mask();
        const QString problem = validateMaskMessage(r.image, r.mask);
        if (!problem.isEmpty()) {
            reportError(tr("Cannot run the task"), problem, tr("Paint the region to change (or load a mask of the image's size)."));
            return;
        }
    }
    m_chain->clear();
    m_chainDock->raise();
    m_job = Job::Generating;
    m_sample->setBusy(true);
    m_training->setState(TrainingPanel::State::Busy);
    setStatus(tr("Running: %1...").arg(taskLabel(r)));
    m_progress->setRange(0, 0);
    m_jobClock.start();
    updateActions();
    QMetaObject::invokeMethod(m_worker, [w = m_worker, r] { w->runTask(r); }, Qt::QueuedConnection);
}

void MainWindow::setEnergyOverlay(bool on)
{
    if (m_energyAct->isChecked() != on) {
        m_energyAct->setChecked(on); // re-enters through toggled
        return;
    }
    m_canvas->setHeatMapVisible(on);
    if (on)
        requestEnergy();
}

void MainWindow::requestEnergy()
{
    const QImage img = m_canvas->image();
    if (img.isNull() || m_modelInfo.trainedScales == 0) {
        statusBar()->showMessage(tr("The energy map needs a trained model and an image"), 5000);
        return;
    }
    statusBar()->showMessage(tr("Computing the energy map..."), 3000);
    QMetaObject::invokeMethod(m_worker, [w = m_worker, img] { w->computeEnergy(img); }, Qt::QueuedConnection);
}

void MainWindow::updateRetargetFrame()
{
    const QImage img = m_canvas->image();
    if (img.isNull() || m_modelInfo.sizes.isEmpty()) {
        m_canvas->setFrameRect(QRectF());
        return;
    }
    const SampleSettings s = m_sample->settings();
    const QSize finest = m_modelInfo.sizes.last();
    const qreal fw = s.absoluteSize && s.width > 0 ? qreal(s.width) / finest.width() : s.scaleW;
    const qreal fh = s.absoluteSize && s.height > 0 ? qreal(s.height) / finest.height() : s.scaleH;
    if (std::abs(fw - 1) < 1e-6 && std::abs(fh - 1) < 1e-6) {
        m_canvas->setFrameRect(QRectF());
        return;
    }
    const QSizeF size(img.width() * fw, img.height() * fh);
    m_canvas->setFrameRect(QRectF(QPointF((img.width() - size.width()) / 2, (img.height() - size.height()) / 2), size));
}

} // namespace pgcn::ui
