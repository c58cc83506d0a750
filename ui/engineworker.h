#pragma once

#include "enginetypes.h"

#include <QObject>

#include <functional>
#include <memory>

namespace pgcn::ui {

/**
 * A model file as written by `patchgencn train` or the studio's Export Model:
 * its bytes and what the studio shows of it (the real image at every scale,
 * the description, the configuration), read and checked on the CPU as the
 * worker reads a project's model. False with a message in `error` for a
 * missing, unreadable, foreign or damaged file.
 */
bool readModelFile(const QString &path, QByteArray *bytes, ModelInfo *info, QString *error);

/**
 * Runs the engine for the studio. Lives on its own QThread and owns the
 * model; its slots are called through queued connections and block that
 * thread only. Results, progress and failures come back as signals carrying
 * small value structs with QImages (never tensors or pixmaps).
 *
 * requestCancel() and setPaused() are the only functions meant to be called
 * from another thread: they flip flags the running job checks.
 */
class EngineWorker : public QObject
{
    Q_OBJECT

public:
    explicit EngineWorker(QObject *parent = nullptr);
    ~EngineWorker() override;

    /** Thread-safe: stops the running job at its next check (and wakes a paused one). */
    void requestCancel();
    /** Thread-safe: a paused training waits inside its progress callback. */
    void setPaused(bool paused);
    bool isPaused() const;
    bool isBusy() const;

    /** Iterations between live images (TrainCallbacks::snapshotEvery). */
    void setSnapshotEvery(int iterations);
    /** Minimum milliseconds between two trainProgress signals. */
    void setProgressInterval(int ms);

public Q_SLOTS:
    /**
     * Trains on `source`. With `resume` and a partly trained model in hand
     * the remaining scales are trained; otherwise a new model is built.
     */
    void startTraining(const QImage &source, const pgcn::ui::TrainSettings &settings, bool resume);
    /**
     * Replaces the model by a model file's bytes (from a project), on `device`
     * ("auto", "cpu", "cuda") with `precision` for its sampling, as a training
     * with those settings would leave it.
     */
    void loadModel(const QByteArray &modelBytes, const QString &device = QStringLiteral("auto"),
                   const QString &precision = QStringLiteral("auto"));
    void unloadModel();
    void generate(const pgcn::ui::SampleSettings &settings);
    void reconstruct();
    /**
     * Edit / harmonize / inject / super-resolve: the result goes out through
     * samplesReady (SR adds a "bicubic" entry of the same size), the first
     * chain through chainFrames, the end through generationFinished.
     */
    void runTask(const pgcn::ui::TaskRequest &request);
    /** The per-patch energy of `image` as a heat map of its size (energyReady). */
    void computeEnergy(const QImage &image);

Q_SIGNALS:
    void modelChanged(const pgcn::ui::ModelInfo &info);
    void trainingStarted(const pgcn::ui::ModelInfo &info);
    void trainProgress(const pgcn::ui::TrainStatus &status);
    /** A scale is trained; `modelBytes` is the model file so far (for autosave). */
    void scaleFinished(int scale, const QByteArray &modelBytes);
    /** A scale drifted (at its end, or for long enough to stop it) and keeps its net of `iteration` (pgcn::DriftGuard); `why` says so in full. */
    void scaleRolledBack(int scale, int iteration, const QString &why);
    /** No attempt at a scale passed the whole-image check; the one that did least harm (0-based) is kept. */
    void scaleKeptBest(int scale, int attempt, const QString &why);
    void trainingFinished(const pgcn::ui::JobOutcome &outcome);
    void pausedChanged(bool paused);
    void busyChanged(bool busy);

    void generationStarted(int count);
    void chainFrames(const QVector<pgcn::ui::ChainFrame> &frames);
    void samplesReady(const QVector<pgcn::ui::GalleryEntry> &entries);
    void generationFinished(const pgcn::ui::JobOutcome &outcome);

    void modelLoadFailed(const QString &message);
    /** A heat map (null on failure, with the engine's message). */
    void energyReady(const QImage &heat, const QString &error);

private:
    /** Common frame of generate/reconstruct/runTask: cancel reset, busy state, outcome signals; `after` runs before the outcome is sent. */
    void runGenerationJob(int count, const std::function<void()> &job, const std::function<void()> &after = {});

    struct Private;
    std::unique_ptr<Private> d;
};

/**
 * The engine's verdict on a mask for an image (pgcn::validateMask): an empty
 * string when they fit, else the engine's message (different sizes, empty).
 */
QString validateMaskMessage(const QImage &image, const QImage &mask);

/** Grayscale8 copy of any image (a mask), deep-copied row by row. */
QImage toMaskImage(const QImage &image);

} // namespace pgcn::ui
