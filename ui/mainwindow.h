#pragma once

#include "enginetypes.h"
#include "project.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMainWindow>
#include <QThread>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QTimer;
class QUndoStack;
class QUndoView;

namespace pgcn::ui {

class ChainPanel;
class EngineWorker;
class GalleryPanel;
class ImageCanvas;
class LivePanel;
class MaskLayer;
class ObjectOverlay;
class TaskPanel;
class ToolManager;
class AbstractTool;
class BrushTool;
class PlotPanel;
class SamplePanel;
class TrainingPanel;

/**
 * PatchGenCN Studio's main window: opens an image, trains a model on it
 * while showing the pyramid, live samples and curves, generates samples
 * into a gallery and keeps all of it in a project file. Owns the engine
 * worker and its thread; everything it asks of the engine goes through
 * queued calls, so the window never waits for a computation.
 */
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    enum class Job { None, Training, Generating };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /** An image, a .pgcnproj or a .pgcn model, by extension. Reports problems to the user. */
    bool openFile(const QString &path);
    bool openImage(const QString &path);
    bool openProject(const QString &path);
    /**
     * A model file (`patchgencn train`'s, or Export Model's) as a new, untitled project: the
     * model's own training image (its finest scale) becomes the source, the model is loaded for
     * sampling and tasks, and the training panel holds its recipe (Start resumes a partial model).
     */
    bool openModel(const QString &path);
    /** Writes the model in hand as a model file for the CLI (atomically). Reports problems to the user. */
    bool exportModelTo(const QString &path);
    /** Writes the plotted training log as CSV (trainingLogCsv's columns, atomically). Reports problems to the user. */
    bool exportTrainingLogTo(const QString &path);
    bool saveProjectTo(const QString &path);
    /** Starts a new, untitled project on `image`. */
    void setSourceImage(const QImage &image, const QString &name);

    Project currentProject() const;
    QString projectPath() const { return m_projectPath; }
    QString autosavePath() const;
    Job job() const { return m_job; }
    const ModelInfo &modelInfo() const { return m_modelInfo; }
    QByteArray modelBytes() const { return m_modelBytes; }
    /** Show failures in the status bar only (tests, batch screenshots). */
    void setQuiet(bool quiet) { m_quiet = quiet; }

    EngineWorker *worker() const { return m_worker; }
    TrainingPanel *trainingPanel() const { return m_training; }
    SamplePanel *samplePanel() const { return m_sample; }
    GalleryPanel *gallery() const { return m_gallery; }
    ChainPanel *chainPanel() const { return m_chain; }
    PlotPanel *plotPanel() const { return m_plots; }
    LivePanel *livePanel() const { return m_live; }
    ImageCanvas *canvas() const { return m_canvas; }
    QUndoStack *undoStack() const { return m_undo; }
    MaskLayer *maskLayer() const { return m_mask; }
    ObjectOverlay *objectOverlay() const { return m_object; }
    ToolManager *toolManager() const { return m_tools; }
    TaskPanel *taskPanel() const { return m_tasks; }
    QUndoView *undoView() const { return m_undoView; }
    QAction *energyAction() const { return m_energyAct; }

    /** A mask file (pgcn::loadMask) as the new mask, one undo step; refuses other sizes with the engine's message. */
    bool loadMaskFile(const QString &path);
    bool saveMaskFile(const QString &path);
    /** An object image (alpha from the file) to place for harmonization. */
    bool loadObjectFile(const QString &path);
    /** A content image for style transfer: shown on the canvas as the task's input. */
    bool loadContentFile(const QString &path);

    static QString fileDialogFilter();
    static constexpr const char *kProjectSuffix = "pgcnproj";
    static constexpr const char *kModelSuffix = "pgcn";

public Q_SLOTS:
    void startTraining();
    void setPaused(bool paused);
    void cancelJob();
    void generate();
    void reconstruct();
    bool save();
    bool saveAs();
    void openDialog();
    void openProjectDialog();
    void exportCurrent();
    void exportModelDialog();
    void exportTrainingLogDialog();
    /** A save dialog in the last export folder proposing the project's or image's name + `tail` (`untitled`
     *  without either) + `.suffix`, which a chosen name without it gets; "" when cancelled. */
    QString askExportPath(const QString &title, const QString &untitled, const QString &tail, const QString &suffix,
                          const QString &filter);
    /** Runs the task panel's task on the canvas image (and the mask) on the worker. */
    void runTask();
    /** The placed object pasted into the canvas image; its alpha becomes the mask (one undo step). */
    void flattenObject();
    void setEnergyOverlay(bool on);

Q_SIGNALS:
    void trainingFinished(const pgcn::ui::JobOutcome &outcome);
    void generationFinished(const pgcn::ui::JobOutcome &outcome);
    void projectSaved(const QString &path);
    /** Emitted after the coalesced progress has been applied to the widgets. */
    void progressShown(const pgcn::ui::TrainStatus &status);
    /** A failure was reported to the user (dialog unless quiet), with the engine's message. */
    void failureShown(const QString &title, const QString &message);
    /** The energy overlay arrived (or failed). */
    void energyShown(bool ok);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createToolBar();
    void createDocks();
    void createStatusBar();
    void connectWorker();
    void readSettings();
    void writeSettings();
    void addRecentFile(const QString &path);
    void updateRecentMenu();
    void updateActions();
    void updateTitle();
    /**
     * Work the undo stack does not record (the object's placement, training) was done (true), or
     * the project was saved or started (false: the undo stack's state and the settings are recorded).
     */
    void setModified(bool modified);
    /**
     * The window's modified mark: unrecorded work, the undo stack away from its clean state, or the
     * panels' settings differing from those saved (a setting put back as saved is no change).
     */
    void updateModifiedMark();
    /** The panels' settings as a project would keep them (training, sampling, task). */
    QVariantList projectSettings() const;
    void setStatus(const QString &text);
    bool maybeSave();
    bool confirmDiscardModel();
    void resetSession();
    void showFailure(const QString &title, const JobOutcome &outcome);
    /** True (and says so in the status bar) while a job runs: files open only between jobs. */
    bool refuseWhileBusy();
    /** The status bar's device label: the machine, and the model's fp32 sampling scales where bf16 is the rule. */
    void updateDeviceLabel();
    /** After a project or a model file opened: recent files, clean state, actions, title, `message`. */
    void opened(const QString &path, const QString &message);
    void autosave();
    void applyPendingProgress();
    void updateModelStatus();
    /** A model in hand follows the training panel's device and precision (reloaded there). */
    void moveModelToChosenDevice();
    /** Queues the loading of m_modelBytes on the worker, on `device` with `precision`. */
    void loadModelOnWorker(const QString &device, const QString &precision);
    void stopWorker();
    void createTools();
    void updateRetargetFrame();
    void requestEnergy();
    void reportError(const QString &title, const QString &message, const QString &hint = QString());

    void onModelChanged(const ModelInfo &info);
    void onTrainProgress(const TrainStatus &status);
    void onScaleFinished(int scale, const QByteArray &modelBytes);
    void onTrainingFinished(const JobOutcome &outcome);
    void onSamplesReady(const QVector<GalleryEntry> &entries);
    void onGenerationFinished(const JobOutcome &outcome);

    QUndoStack *m_undo;
    /** While a model is being moved: the device and precision it was on (to go back on failure). */
    QString m_moveFromDevice, m_moveFromPrecision;
    ImageCanvas *m_canvas;
    TrainingPanel *m_training;
    SamplePanel *m_sample;
    LivePanel *m_live;
    PlotPanel *m_plots;
    GalleryPanel *m_gallery;
    ChainPanel *m_chain;
    MaskLayer *m_mask;
    ObjectOverlay *m_object;
    ToolManager *m_tools;
    TaskPanel *m_tasks;
    QUndoView *m_undoView;
    BrushTool *m_colorBrush = nullptr;
    AbstractTool *m_navigateTool = nullptr;
    AbstractTool *m_placeTool = nullptr;
    QAction *m_energyAct = nullptr;
    QList<QDockWidget *> m_docks;
    QDockWidget *m_liveDock = nullptr;
    QDockWidget *m_chainDock = nullptr;
    QByteArray m_defaultState;

    QThread m_thread;
    EngineWorker *m_worker;

    QImage m_source;
    QString m_sourceName;
    QByteArray m_modelBytes;
    ModelInfo m_modelInfo;
    TrainSettings m_modelSettings;  ///< the settings the current model was trained with
    QVariantList m_savedSettings;   ///< projectSettings() when the project was last opened, saved or started
    bool m_contentModified = false; ///< work since then that the undo stack does not hold (object, model)
    QString m_projectPath;
    QString m_autosavePath;
    bool m_quiet = false;
    Job m_job = Job::None;

    TrainStatus m_latest;
    bool m_haveLatest = false;
    QHash<int, QImage> m_pendingSamples;
    QTimer *m_uiTimer;

    QString m_status;   ///< the job's state, shown when no transient message is
    QElapsedTimer m_jobClock; ///< since a generating job (samples, reconstruction, task) started
    QString m_pyramidNote; ///< set while training an image too small for a pyramid (every scale its size)
    QProgressBar *m_progress;
    QLabel *m_zoomLabel;
    QLabel *m_deviceLabel;

    QMenu *m_recentMenu = nullptr;
    QMenu *m_viewMenu = nullptr;
    QAction *m_openAct = nullptr;
    QAction *m_openProjectAct = nullptr;
    QAction *m_saveAct = nullptr;
    QAction *m_saveAsAct = nullptr;
    QAction *m_exportAct = nullptr;
    QAction *m_exportModelAct = nullptr;
    QAction *m_exportLogAct = nullptr;
    QAction *m_quitAct = nullptr;
    QAction *m_undoAct = nullptr;
    QAction *m_redoAct = nullptr;
    QAction *m_copyAct = nullptr;
    QAction *m_removeAct = nullptr;
    QAction *m_clearGalleryAct = nullptr;
    QAction *m_zoomInAct = nullptr;
    QAction *m_zoomOutAct = nullptr;
    QAction *m_fitAct = nullptr;
    QAction *m_actualAct = nullptr;
    QAction *m_showSourceAct = nullptr;
    QAction *m_resetLayoutAct = nullptr;
    QAction *m_trainAct = nullptr;
    QAction *m_pauseAct = nullptr;
    QAction *m_cancelAct = nullptr;
    QAction *m_generateAct = nullptr;
    QAction *m_reconstructAct = nullptr;
    QAction *m_modelInfoAct = nullptr;
    QAction *m_aboutAct = nullptr;
    QAction *m_aboutQtAct = nullptr;
};

} // namespace pgcn::ui
