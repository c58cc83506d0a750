#include "engineworker.h"

#include <atomic>
#include <cstring>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <optional>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>

#include "allocator.h"
#include "config.h"
#include "errors.h"
#include "generator.h"
#include "tasks.h"
#include "imageconvert.h"
#include "model.h"
#include "runtime.h"
#include "tensorops.h"
#include "trainer.h"

namespace pgcn::ui {

namespace {

constexpr int kChainFrameMaxSide = 256;

QImage tensorToQImage(const at::Tensor &t)
{
    return toQImage(tensorToImage(t));
}

QByteArray modelToBytes(const PyramidModel &model)
{
    // In memory: a full or read-only temporary folder must not lose a finished training.
    const std::string bytes = model.toBytes();
    return QByteArray(bytes.data(), qsizetype(bytes.size()));
}

PyramidModel modelFromBytes(const QByteArray &bytes, const at::Device &device)
{
    return PyramidModel::fromBytes(bytes.constData(), size_t(bytes.size()), "the project's model", device);
}

ModelInfo describe(const PyramidModel &model)
{
    ModelInfo info;
    info.numScales = model.numScales();
    info.trainedScales = model.trainedScales();
    for (int s = 0; s < model.numScales(); ++s) {
        const Size2 sz = model.geometry().scales[size_t(s)];
        info.sizes.append(QSize(sz.width, sz.height));
        info.reals.append(tensorToQImage(model.real(s)));
    }
    info.description = QString::fromStdString(model.describe());
    info.configText = QString::fromStdString(model.config().toText());
    info.fp32SamplingScales = int(model.config().fp32SamplingScales.size());
    return info;
}

} // namespace

bool readModelFile(const QString &path, QByteArray *bytes, ModelInfo *info, QString *error)
{
    const auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QObject::tr("%1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    // A model of the largest presets is a few MB; far beyond that it is not one of ours.
    constexpr qint64 kMaxModelBytes = qint64(1) << 30;
    if (file.size() > kMaxModelBytes)
        return fail(QObject::tr("%1: %2 MB is too large for a model file").arg(QDir::toNativeSeparators(path)).arg(file.size() >> 20));
    const QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return fail(QObject::tr("%1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    try {
        const PyramidModel model = PyramidModel::fromBytes(data.constData(), size_t(data.size()),
                                                           QDir::toNativeSeparators(path).toStdString(), at::kCPU);
        if (info) {
            *info = describe(model);
            // the curves only an opened file needs (describe() runs at every scale's end too)
            info->log.resize(model.numScales());
            for (int s = 0; s < model.trainedScales(); ++s)
                for (const TrainLogPoint &p : model.trainingLog(s))
                    info->log[s].append({p.iteration, p.energyReal, p.energySyn, p.recoveryMse});
        }
    } catch (const std::exception &e) {
        return fail(QString::fromUtf8(e.what()));
    }
    if (bytes)
        *bytes = data;
    return true;
}

namespace {

/** LibTorch's out-of-memory errors (runtime.h); on a GPU the allocator's cached blocks go back to the driver. */
bool outOfMemory(const std::exception &e)
{
    if (!isOutOfMemory(e, at::kCPU, false))
        return false;
    if (cudaAvailable())
        releaseCachedMemory(at::Device(at::kCUDA, 0));
    return true;
}

/**
 * Records the first chain of a generating job as small QImages and hands
 * them out in bursts (every `intervalMs`, and when the chain ends).
 */
class ChainRecording
{
public:
    ChainRecording(bool enabled, int numScales, int intervalMs, std::function<void(const QVector<ChainFrame> &)> emitFrames)
        : m_recording(enabled), m_numScales(numScales), m_intervalMs(intervalMs), m_emit(std::move(emitFrames))
    {
        m_sinceEmit.start();
    }

    /** The observer for GenerateOptions; empty when not recording. */
    ChainObserver observer()
    {
        if (!m_recording)
            return {};
        return [this](const ChainStep &st) {
            if (!m_recording)
                return;
            QImage img = tensorToQImage(st.state.slice(0, 0, 1));
            if (img.width() > kChainFrameMaxSide || img.height() > kChainFrameMaxSide)
                img = img.scaled(kChainFrameMaxSide, kChainFrameMaxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            m_frames.append({st.scale, m_numScales, st.step, st.steps, img});
            if (st.scale == m_numScales - 1 && st.step == st.steps)
                m_recording = false; // only the first chain of the first batch
            if (!m_recording || m_sinceEmit.elapsed() >= m_intervalMs)
                flush();
        };
    }

    void flush()
    {
        if (m_frames.isEmpty())
            return;
        m_emit(m_frames);
        m_frames.clear();
        m_sinceEmit.restart();
    }

private:
    bool m_recording;
    int m_numScales;
    int m_intervalMs;
    std::function<void(const QVector<ChainFrame> &)> m_emit;
    QVector<ChainFrame> m_frames;
    QElapsedTimer m_sinceEmit;
};

/** Runs `job`, turning every exception into a JobOutcome with advice. */
template<typename Fn>
JobOutcome guarded(Fn &&job, bool training)
{
    JobOutcome out;
    try {
        job();
        out.kind = JobOutcome::Finished;
    } catch (const Cancelled &) {
        out.kind = JobOutcome::Cancelled;
        out.message = QObject::tr("Cancelled.");
    } catch (const TrainingDiverged &e) {
        out.kind = JobOutcome::Failed;
        out.message = QObject::tr("Training stopped: %1.").arg(QString::fromUtf8(e.what())); // the message names the scale
        out.hint = QObject::tr("Try fewer Langevin steps or a smaller image, or another seed. "
                               "Finished scales are kept: Start resumes at the failed scale.");
    } catch (const std::bad_alloc &) {
        out.kind = JobOutcome::Failed;
        out.message = QObject::tr("Out of memory.");
        out.hint = training ? QObject::tr("Lower the max size or the number of scales, or choose the CPU device. "
                                          "Finished scales are kept.")
                            : QObject::tr("Generate fewer or smaller samples.");
    } catch (const c10::Error &e) {
        out.kind = JobOutcome::Failed;
        const std::string what = e.what_without_backtrace();
        if (outOfMemory(e)) {
            out.message = QObject::tr("Out of memory.");
            out.hint = training ? QObject::tr("Lower the max size or the number of scales, or choose the CPU device. "
                                              "Finished scales are kept.")
                                : QObject::tr("Generate fewer or smaller samples.");
        } else {
            out.message = QObject::tr("LibTorch error: %1").arg(QString::fromStdString(what).section(QLatin1Char('\n'), 0, 0));
            out.hint = QObject::tr("Check the settings (device, sizes); finished scales are kept.");
        }
    } catch (const Error &e) {
        out.kind = JobOutcome::Failed;
        out.message = QString::fromUtf8(e.what());
        out.hint = QObject::tr("Change the named setting and start again.");
    } catch (const std::exception &e) {
        out.kind = JobOutcome::Failed;
        const std::string what = e.what();
        out.message = QString::fromUtf8(e.what());
        out.hint = outOfMemory(e) ? QObject::tr("Lower the max size or the number of scales, or choose the CPU device.")
                                       : QObject::tr("This is unexpected; please report it.");
    }
    return out;
}

GrayImage toGray(const QImage &mask)
{
    const QImage m = toMaskImage(mask);
    GrayImage g(m.width(), m.height());
    for (int y = 0; y < m.height(); ++y)
        std::memcpy(g.pixels.data() + size_t(y) * size_t(m.width()), m.constScanLine(y), size_t(m.width()));
    return g;
}

} // namespace

QImage toMaskImage(const QImage &image)
{
    if (image.isNull())
        return {};
    return image.format() == QImage::Format_Grayscale8 ? image : image.convertToFormat(QImage::Format_Grayscale8);
}

QString validateMaskMessage(const QImage &image, const QImage &mask)
{
    try {
        if (mask.isNull())
            throw InvalidArgument("no mask: paint or load one first");
        const at::Tensor img = at::zeros({1, 3, image.height(), image.width()});
        validateMask(img, maskToTensor(toGray(mask)));
    } catch (const std::exception &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

struct EngineWorker::Private
{
    std::optional<PyramidModel> model;
    std::atomic<bool> cancel{false};
    std::atomic<bool> busy{false};
    mutable std::mutex mutex;
    std::condition_variable wake;
    bool paused = false;
    std::atomic<int> snapshotEvery{5};
    std::atomic<int> progressIntervalMs{50};
};

EngineWorker::EngineWorker(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    registerEngineTypes();
}

EngineWorker::~EngineWorker() = default;

void EngineWorker::requestCancel()
{
    std::lock_guard lock(d->mutex);
    d->cancel = true;
    d->wake.notify_all();
}

void EngineWorker::setPaused(bool paused)
{
    std::lock_guard lock(d->mutex);
    d->paused = paused;
    d->wake.notify_all();
}

bool EngineWorker::isPaused() const
{
    std::lock_guard lock(d->mutex);
    return d->paused;
}

bool EngineWorker::isBusy() const
{
    return d->busy;
}

void EngineWorker::setSnapshotEvery(int iterations)
{
    d->snapshotEvery = std::max(1, iterations);
}

void EngineWorker::setProgressInterval(int ms)
{
    d->progressIntervalMs = std::max(0, ms);
}

void EngineWorker::startTraining(const QImage &source, const TrainSettings &settings, bool resume)
{
    {
        std::lock_guard lock(d->mutex);
        d->cancel = false;
    }
    d->busy = true;
    Q_EMIT busyChanged(true);
    initRuntime();

    // Progress is coalesced here: the loop reports every iteration, the GUI
    // hears about it at most every progressIntervalMs (and at a scale's end).
    TrainStatus pending;
    QElapsedTimer sinceEmit;
    sinceEmit.start();
    double pausedSeconds = 0;
    auto flush = [&] {
        if (pending.points.isEmpty() && pending.synthesis.isNull())
            return;
        Q_EMIT trainProgress(pending);
        pending.points.clear();
        pending.synthesis = QImage();
        pending.recovery = QImage();
        sinceEmit.restart();
    };
    auto waitWhilePaused = [&] {
        std::unique_lock lock(d->mutex);
        if (!d->paused || d->cancel)
            return;
        lock.unlock();
        flush();
        Q_EMIT pausedChanged(true);
        const auto t0 = std::chrono::steady_clock::now();
        lock.lock();
        d->wake.wait(lock, [&] { return !d->paused || d->cancel; });
        lock.unlock();
        pausedSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        Q_EMIT pausedChanged(false);
    };

    JobOutcome outcome = guarded(
        [&] {
            const at::Device device = parseDevice(settings.device.toStdString());
            if (!resume || !d->model || d->model->isComplete()) {
                if (source.isNull())
                    throw Error("no image to train on: open an image first");
                const TrainConfig cfg = trainConfigFor(settings, device.is_cuda());
                d->model.reset();
                d->model.emplace(fromQImage(source), cfg);
            }
            setPrecision(parsePrecision(settings.precision.toStdString())); // for this training and later sampling
            d->model->to(device);
            const ModelInfo info = describe(*d->model);
            Q_EMIT trainingStarted(info);
            Q_EMIT modelChanged(info);

            TrainCallbacks cb;
            cb.snapshotEvery = d->snapshotEvery;
            cb.progress = [&](const TrainProgress &p) {
                waitWhilePaused();
                checkCancel(&d->cancel);
                if (!pending.points.isEmpty() && (pending.scale != p.scale || pending.attempt != p.attempt))
                    flush();
                pending.attempt = p.attempt;
                pending.scale = p.scale;
                pending.numScales = p.numScales;
                pending.iteration = p.iteration;
                pending.iterations = p.iterations;
                const double active = std::max(0.0, p.elapsedSeconds - pausedSeconds);
                pending.elapsedSeconds = active;
                pending.etaSeconds = p.elapsedSeconds > 0 ? p.etaSeconds * active / p.elapsedSeconds : p.etaSeconds;
                pending.learningRate = p.learningRate;
                pending.recoveryFailing = p.recoveryFailing;
                pending.points.append({p.iteration, p.energyReal, p.energySyn, p.recoveryMse});
                if (p.synthesis.defined()) {
                    pending.synthesis = tensorToQImage(p.synthesis);
                    pending.recovery = tensorToQImage(p.recovery);
                }
                if (p.iteration == p.iterations || sinceEmit.elapsed() >= d->progressIntervalMs)
                    flush();
            };
            cb.rolledBack = [&](int scale, int iteration, const std::string &why) {
                Q_EMIT scaleRolledBack(scale, iteration, QString::fromStdString(why));
            };
            cb.keptBest = [&](int scale, int attempt, const std::string &why) {
                Q_EMIT scaleKeptBest(scale, attempt, QString::fromStdString(why));
            };
            cb.scaleFinished = [&](int scale, const PyramidModel &m) {
                flush();
                Q_EMIT scaleFinished(scale, modelToBytes(m));
                Q_EMIT modelChanged(describe(m));
            };
            train(*d->model, cb, &d->cancel);
        },
        true);
    flush();
    if (d->model) {
        outcome.trainedScales = d->model->trainedScales();
        try {
            outcome.modelBytes = modelToBytes(*d->model);
        } catch (const std::exception &) {
        }
    }
    {
        std::lock_guard lock(d->mutex);
        d->paused = false;
    }
    releaseFreeMemory(); // the training's activations, kept in the heap while it ran
    d->busy = false;
    Q_EMIT trainingFinished(outcome);
    Q_EMIT busyChanged(false);
}

void EngineWorker::loadModel(const QByteArray &modelBytes, const QString &device, const QString &precision)
{
    try {
        initRuntime();
        d->model.reset();
        // Where the training panel says (a GPU when there is one, for "auto"): sampling
        // after reopening a project then runs where it ran before saving, at its speed and
        // with the same random streams for the same seeds.
        const at::Device dev = parseDevice(device.toStdString());
        setPrecision(parsePrecision(precision.toStdString()));
        d->model.emplace(modelFromBytes(modelBytes, dev));
        Q_EMIT modelChanged(describe(*d->model));
    } catch (const std::exception &e) {
        d->model.reset();
        Q_EMIT modelLoadFailed(QString::fromUtf8(e.what()));
        Q_EMIT modelChanged(ModelInfo());
    }
}

void EngineWorker::unloadModel()
{
    d->model.reset();
    releaseFreeMemory();
    Q_EMIT modelChanged(ModelInfo());
}

void EngineWorker::generate(const SampleSettings &settings)
{
    const int numScales = d->model ? d->model->trainedScales() : 0;
    ChainRecording chain(settings.recordChain, numScales, d->progressIntervalMs,
                         [this](const QVector<ChainFrame> &f) { Q_EMIT chainFrames(f); });
    runGenerationJob(settings.count, [&] {
        if (!d->model || d->model->trainedScales() < 1)
            throw Error("no trained model: train one first (or open a project)");
        SampleRequest req;
        req.count = std::max(1, settings.count);
        if (settings.absoluteSize) {
            req.width = settings.width;
            req.height = settings.height;
        }
        req.scaleW = settings.scaleW;
        req.scaleH = settings.scaleH;
        req.startScale = settings.startScale;
        if (req.startScale < 0 || req.startScale >= d->model->trainedScales())
            throw InvalidArgument("start scale must be between 1 and " + std::to_string(d->model->trainedScales()));

        GenerateOptions opt;
        opt.seed = settings.seed;
        opt.cancel = &d->cancel;
        opt.observer = chain.observer();
        const std::vector<at::Tensor> xs = sample(*d->model, req, opt);
        chain.flush();
        QVector<GalleryEntry> entries;
        for (size_t i = 0; i < xs.size(); ++i) {
            const QImage img = tensorToQImage(xs[i]);
            entries.append({img, QObject::tr("seed %1 #%2 (%3x%4)")
                                     .arg(settings.seed)
                                     .arg(i + 1)
                                     .arg(img.width())
                                     .arg(img.height())});
        }
        Q_EMIT samplesReady(entries);
    }, [&] { chain.flush(); });
}

void EngineWorker::runGenerationJob(int count, const std::function<void()> &job, const std::function<void()> &after)
{
    {
        std::lock_guard lock(d->mutex);
        d->cancel = false;
    }
    d->busy = true;
    Q_EMIT busyChanged(true);
    Q_EMIT generationStarted(count);
    initRuntime();
    const JobOutcome outcome = guarded(job, false);
    if (after)
        after();
    releaseFreeMemory(); // a batch's activations: hundreds of megabytes, kept in the heap while it ran
    d->busy = false;
    Q_EMIT generationFinished(outcome);
    Q_EMIT busyChanged(false);
}

void EngineWorker::reconstruct()
{
    runGenerationJob(1, [&] {
        if (!d->model || d->model->trainedScales() < 1)
            throw Error("no trained model: train one first (or open a project)");
        GenerateOptions opt;
        opt.cancel = &d->cancel;
        const at::Tensor rec = pgcn::reconstruct(*d->model, opt);
        const at::Tensor real = d->model->real(d->model->trainedScales() - 1).to(at::kCPU);
        const double mse = (rec - real).pow(2).mean().item<double>();
        Q_EMIT samplesReady({{tensorToQImage(rec), QObject::tr("reconstruction (MSE %1)").arg(mse, 0, 'f', 4)}});
    });
}

void EngineWorker::runTask(const TaskRequest &request)
{
    const int numScales = d->model ? d->model->trainedScales() : 0;
    ChainRecording chain(request.recordChain, numScales, d->progressIntervalMs,
                         [this](const QVector<ChainFrame> &f) { Q_EMIT chainFrames(f); });
    runGenerationJob(1, [&] {
        if (!d->model || d->model->trainedScales() < 1)
            throw Error("no trained model: train one first (or open a project)");
        if (request.image.isNull() && request.kind != TaskRequest::SuperResolve)
            throw InvalidArgument("no image: open or paint one first");
        GenerateOptions opt;
        opt.seed = request.seed;
        opt.cancel = &d->cancel;
        opt.injectNoise = 0.0; // every task starts from the given image as it is, as the command line's do
        const int last = d->model->trainedScales() - 1;
        opt.observer = chain.observer();
        const at::Tensor image = request.image.isNull() ? at::Tensor() : imageToTensor(fromQImage(request.image));
        QVector<GalleryEntry> entries;
        switch (request.kind) {
        case TaskRequest::Edit:
        case TaskRequest::Harmonize: {
            const at::Tensor mask = maskToTensor(toGray(request.mask));
            validateMask(image, mask);
            const at::Tensor out = editImage(*d->model, image, mask, request.startScale, request.feather, opt);
            entries.append({tensorToQImage(out), taskLabel(request)});
            break;
        }
        case TaskRequest::Inject: {
            const at::Tensor out = injectImage(*d->model, image, request.startScale, opt);
            entries.append({tensorToQImage(out), taskLabel(request)});
            break;
        }
        case TaskRequest::SuperResolve: {
            GenerateOptions sr = opt;
            sr.stepsScale = request.srSteps > 0 ? request.srSteps : -1;
            const at::Tensor out = superResolve(*d->model, image, request.factor, sr);
            const at::Tensor src = image.defined() ? image : d->model->real(last).to(at::kCPU);
            const at::Tensor bic = resizeImage(src.to(at::kCPU), out.size(2), out.size(3));
            const QString f = QString::number(request.factor, 'g', 3);
            entries.append({tensorToQImage(out), taskLabel(request)});
            entries.append({tensorToQImage(bic), QObject::tr("bicubic \u00d7%1").arg(f)});
            break;
        }
        }
        chain.flush();
        Q_EMIT samplesReady(entries);
    }, [&] { chain.flush(); });
}

void EngineWorker::computeEnergy(const QImage &image)
{
    QImage heat;
    QString error;
    try {
        if (!d->model || d->model->trainedScales() < 1)
            throw Error("no trained model: train one first (or open a project)");
        if (image.isNull())
            throw InvalidArgument("no image to measure");
        initRuntime();
        const at::Tensor x = imageToTensor(fromQImage(image));
        const at::Tensor e = energyMap(*d->model, x, d->model->trainedScales() - 1);
        at::Tensor h = heatMap(e);
        if (h.size(2) != image.height() || h.size(3) != image.width())
            h = resizeImage(h.to(at::kCPU), image.height(), image.width());
        heat = tensorToQImage(h);
    } catch (const std::exception &ex) {
        error = QString::fromUtf8(ex.what());
    }
    Q_EMIT energyReady(heat, error);
}

} // namespace pgcn::ui
