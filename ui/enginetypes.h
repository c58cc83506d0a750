#pragma once

#include <QImage>
#include <QMetaType>
#include <QSize>
#include <QString>
#include <QVariantMap>
#include <QVector>

namespace pgcn {
struct TrainConfig;
}

namespace pgcn::ui {

/**
 * The training choices of the studio's panel. The worker turns them into a
 * pgcn::TrainConfig; `configText` (TrainConfig::toText) overrides everything
 * when set, so tests and projects can carry an exact configuration.
 */
struct TrainSettings
{
    QString preset = QStringLiteral("quick");
    int maxSize = 0;        ///< 0: the preset's value
    int minSize = 0;        ///< shorter side of the coarsest scale; 0: the preset's value
    int scales = 0;         ///< 0: the preset's value
    int iterations = 0;     ///< 0: the preset's value
    int langevinSteps = 0;  ///< 0: the preset's value
    QString device = QStringLiteral("auto");
    QString precision = QStringLiteral("auto"); ///< on a GPU: auto (fp32 training, TF32 sampling), fp32, tf32, bf16
    /**
     * How the finer scales train: "auto" (the preset's choice for the device: windows for
     * quick and balanced on the CPU, the whole image on a GPU), "windows" (40-px windows,
     * the CLI's --crop 40) or "whole" (the whole image, --crop 0).
     */
    QString fineScales = QStringLiteral("auto");
    quint64 seed = 0;
    QString configText;

    QVariantMap toVariant() const;
    static TrainSettings fromVariant(const QVariantMap &map);
};

/** The preset's own values, to fill the training panel's fields. */
TrainSettings presetSettings(const QString &preset);
/**
 * The configuration a training with these settings runs: `configText` when set,
 * else the preset with the fields that differ from the preset's own values.
 * Langevin steps go through TrainConfig::setLangevinSteps, as the CLI's
 * --langevin-steps: the coarsest scale keeps the preset's ratio to them.
 * `onGpu`: the training runs on a GPU, where the presets train whole images
 * instead of windows (TrainConfig::preset).
 * Throws pgcn::InvalidArgument on invalid values.
 */
pgcn::TrainConfig trainConfigFor(const TrainSettings &s, bool onGpu = false);
/**
 * The settings that train a model such as the one whose configuration is
 * `configText` (a model file's): its preset's name and fields, and the
 * configuration itself without what the training decided per scale (step
 * factors, fp32 sampling scales), so Start on a partly trained model
 * resumes it and on a finished one trains the same recipe again.
 * Throws pgcn::FileFormatError / InvalidArgument for text that is not a configuration.
 */
TrainSettings trainSettingsForModel(const QString &configText);
QStringList presetNames();
bool cudaPresent();
/** True when the CPU computes bfloat16 natively (AVX512-BF16): Automatic samples with bf16 chains there. */
bool cpuBf16Present();
/** Sets the engine's CPU thread count once (0: all cores); later calls do nothing. */
void initEngine(int threads);
/** The threads the engine computes with on the CPU. */
int engineThreads();

/** One training iteration's scalars, kept in the log and plotted. */
struct ProgressPoint
{
    int iteration = 0;
    double energyReal = 0;
    double energySyn = 0;
    double recoveryMse = 0;
};

/** Whether a training log (per scale, its measured iterations) holds any point. */
bool hasPoints(const QVector<QVector<ProgressPoint>> &log);

/**
 * A coalesced report from the training loop: the iterations since the last
 * report (all at one scale) and, when a snapshot came by, the images.
 */
struct TrainStatus
{
    int scale = 0;
    int numScales = 0;
    int iteration = 0;
    int iterations = 0;
    double elapsedSeconds = 0;
    double etaSeconds = 0;
    double learningRate = 0;
    bool recoveryFailing = false;
    int attempt = 0;    ///< n > 0: the scale diverged and is on its n-th retry (half the lr and step each time)
    QVector<ProgressPoint> points;
    QImage synthesis;   ///< null unless a snapshot arrived
    QImage recovery;
};

/** What the studio shows about the worker's model. */
struct ModelInfo
{
    int numScales = 0;
    int trainedScales = 0;
    QVector<QSize> sizes;       ///< per scale, coarsest first
    QVector<QImage> reals;      ///< the real image at every scale
    QString description;
    QString configText;
    int fp32SamplingScales = 0; ///< scales the sampling-precision check keeps in fp32 under Auto
    QVector<QVector<ProgressPoint>> log; ///< per scale, the training log a model file keeps (filled by readModelFile only)
};

/** How a job ended. */
struct JobOutcome
{
    enum Kind { Finished, Cancelled, Failed };
    Kind kind = Finished;
    QString message;        ///< what happened, for the user
    QString hint;           ///< what to change (failures)
    int trainedScales = 0;
    QByteArray modelBytes;  ///< the model file after a training job (may be partial)
};

/** The sample panel's request. */
struct SampleSettings
{
    int count = 4;
    bool absoluteSize = false;
    int width = 0;
    int height = 0;
    double scaleW = 1.0;
    double scaleH = 1.0;
    int startScale = 0;
    quint64 seed = 0;
    bool randomSeed = true;
    bool recordChain = true;

    QVariantMap toVariant() const;
    static SampleSettings fromVariant(const QVariantMap &map);
};

/**
 * The task panel's choices, kept in projects: the task, its start scale per
 * kind (0-based; -1: the command line's default for that kind), the
 * super-resolution factor and steps, the mask brush and overlay, the paint
 * colour, the energy overlay's opacity and the placed object's position.
 */
struct TaskSettings
{
    int kind = 0;                   ///< TaskRequest::Kind
    int startEdit = -1;
    int startHarmonize = -1;
    int startInject = -1;
    double factor = 2.0;
    int srSteps = 0;
    int brushSize = 12;
    double hardness = 0.7;
    double maskOpacity = 0.5;
    bool maskVisible = true;
    double feather = 4.0;
    QString paintColor = QStringLiteral("#c83c28");
    int heatOpacity = 60;           ///< percent
    double objectX = 0;
    double objectY = 0;
    double objectScale = 1.0;
    double objectRotation = 0;

    QVariantMap toVariant() const;
    /** Missing or out-of-range values fall back to the defaults above. */
    static TaskSettings fromVariant(const QVariantMap &map);
};

/** One generated image with a caption. */
struct GalleryEntry
{
    QImage image;
    QString label;
};

/** One step of a recorded chain (a small copy of its first image). */
struct ChainFrame
{
    int scale = 0;
    int numScales = 0;
    int step = 0;
    int steps = 0;
    QImage image;
};

/**
 * One image task of the studio (editing, harmonization, style transfer,
 * super-resolution), sent to the worker by value. Masks are Grayscale8
 * (255 = re-synthesize) and must have the image's size.
 */
struct TaskRequest
{
    enum Kind { Edit, Harmonize, Inject, SuperResolve };
    Kind kind = Edit;
    QImage image;
    QImage mask;
    int startScale = 1;
    double feather = 4.0;
    double factor = 2.0;
    int srSteps = 0; ///< Langevin steps per super-resolution step (0: superResolutionSteps of the model)
    quint64 seed = 0;
    bool recordChain = true;
};

/** The gallery label of a task's result (e.g. "SR \u00d72", "edit from scale 2"). */
QString taskLabel(const TaskRequest &request);

void registerEngineTypes();

} // namespace pgcn::ui

Q_DECLARE_METATYPE(pgcn::ui::TrainSettings)
Q_DECLARE_METATYPE(pgcn::ui::TrainStatus)
Q_DECLARE_METATYPE(pgcn::ui::ModelInfo)
Q_DECLARE_METATYPE(pgcn::ui::JobOutcome)
Q_DECLARE_METATYPE(pgcn::ui::SampleSettings)
Q_DECLARE_METATYPE(pgcn::ui::GalleryEntry)
Q_DECLARE_METATYPE(pgcn::ui::ChainFrame)
Q_DECLARE_METATYPE(pgcn::ui::TaskRequest)
