#include "enginetypes.h"

#include <QColor>
#include <QObject>

#include <algorithm>
#include <cmath>

#include "config.h"
#include "runtime.h"

#include <ATen/Parallel.h>

namespace pgcn::ui {

namespace {
/** The valid values of TrainSettings::fineScales. */
QStringList fineScalesChoices()
{
    return {QStringLiteral("auto"), QStringLiteral("windows"), QStringLiteral("whole")};
}
/** The training panel's fields as `c` sets them. */
TrainSettings fieldsOf(const TrainConfig &c)
{
    TrainSettings s;
    s.maxSize = c.maxSize;
    s.minSize = c.minSize;
    s.scales = c.numScales;
    s.iterations = c.iterations;
    s.langevinSteps = c.stepsPerScale;
    s.seed = c.seed;
    return s;
}
} // namespace

QVariantMap TrainSettings::toVariant() const
{
    return {{QStringLiteral("preset"), preset},
            {QStringLiteral("maxSize"), maxSize},
            {QStringLiteral("minSize"), minSize},
            {QStringLiteral("scales"), scales},
            {QStringLiteral("iterations"), iterations},
            {QStringLiteral("langevinSteps"), langevinSteps},
            {QStringLiteral("device"), device},
            {QStringLiteral("precision"), precision},
            {QStringLiteral("fineScales"), fineScales},
            {QStringLiteral("seed"), QString::number(seed)},
            {QStringLiteral("configText"), configText}};
}

TrainSettings TrainSettings::fromVariant(const QVariantMap &map)
{
    TrainSettings s;
    s.preset = map.value(QStringLiteral("preset"), s.preset).toString();
    if (!presetNames().contains(s.preset))
        s.preset = QStringLiteral("quick");
    const TrainSettings p = presetSettings(s.preset);
    s.maxSize = map.value(QStringLiteral("maxSize"), p.maxSize).toInt();
    s.minSize = map.value(QStringLiteral("minSize"), p.minSize).toInt();
    s.scales = map.value(QStringLiteral("scales"), p.scales).toInt();
    s.iterations = map.value(QStringLiteral("iterations"), p.iterations).toInt();
    s.langevinSteps = map.value(QStringLiteral("langevinSteps"), p.langevinSteps).toInt();
    s.device = map.value(QStringLiteral("device"), s.device).toString();
    s.precision = map.value(QStringLiteral("precision"), s.precision).toString();
    try {
        parsePrecision(s.precision.toStdString()); // the engine's names are the valid ones
    } catch (const InvalidArgument &) {
        s.precision = QStringLiteral("auto");
    }
    s.fineScales = map.value(QStringLiteral("fineScales"), s.fineScales).toString();
    if (!fineScalesChoices().contains(s.fineScales))
        s.fineScales = QStringLiteral("auto");
    s.seed = map.value(QStringLiteral("seed")).toString().toULongLong();
    s.configText = map.value(QStringLiteral("configText")).toString();
    return s;
}

TrainSettings presetSettings(const QString &preset)
{
    TrainSettings s = fieldsOf(TrainConfig::preset(preset.toStdString()));
    s.preset = preset;
    return s;
}

TrainConfig trainConfigFor(const TrainSettings &s, bool onGpu)
{
    if (!s.configText.isEmpty()) {
        TrainConfig c = TrainConfig::fromText(s.configText.toStdString());
        c.validate();
        return c;
    }
    TrainConfig c = TrainConfig::preset(s.preset.toStdString(), onGpu);
    if (s.maxSize > 0)
        c.maxSize = s.maxSize;
    if (s.minSize > 0)
        c.minSize = s.minSize;
    if (s.scales > 0)
        c.numScales = s.scales;
    if (s.iterations > 0 && s.iterations != c.iterations)
        c.setIterations(s.iterations);
    // As the CLI's --langevin-steps: the coarsest scale keeps the preset's ratio, so the
    // preset's own count (which the panel always holds) changes nothing.
    if (s.langevinSteps > 0)
        c.setLangevinSteps(s.langevinSteps);
    if (s.fineScales == QLatin1String("windows"))
        c.cropSize = TrainConfig::preset("quick").cropSize; // the CPU presets' windows (40 px)
    else if (s.fineScales == QLatin1String("whole"))
        c.cropSize = 0;
    c.seed = s.seed;
    c.validate();
    return c;
}

TrainSettings trainSettingsForModel(const QString &configText)
{
    TrainConfig c = TrainConfig::fromText(configText.toStdString());
    c.stepFactors.clear();
    c.fp32SamplingScales.clear();
    c.validate();
    TrainSettings s = fieldsOf(c);
    const QString preset = QString::fromStdString(c.presetName);
    s.preset = presetNames().contains(preset) ? preset : QStringLiteral("quick");
    s.configText = QString::fromStdString(c.toText());
    return s;
}

QStringList presetNames()
{
    QStringList names;
    for (const std::string &n : TrainConfig::presetNames())
        names << QString::fromStdString(n);
    return names;
}

bool cudaPresent()
{
    static const bool present = pgcn::cudaAvailable();
    return present;
}

bool cpuBf16Present()
{
    return pgcn::cpuHasBf16();
}

void initEngine(int threads)
{
    pgcn::initRuntime(threads);
}

int engineThreads()
{
    return at::get_num_threads();
}

QVariantMap SampleSettings::toVariant() const
{
    return {{QStringLiteral("count"), count},
            {QStringLiteral("absoluteSize"), absoluteSize},
            {QStringLiteral("width"), width},
            {QStringLiteral("height"), height},
            {QStringLiteral("scaleW"), scaleW},
            {QStringLiteral("scaleH"), scaleH},
            {QStringLiteral("startScale"), startScale},
            {QStringLiteral("seed"), QString::number(seed)},
            {QStringLiteral("randomSeed"), randomSeed},
            {QStringLiteral("recordChain"), recordChain}};
}

SampleSettings SampleSettings::fromVariant(const QVariantMap &map)
{
    SampleSettings s;
    s.count = map.value(QStringLiteral("count"), s.count).toInt();
    s.absoluteSize = map.value(QStringLiteral("absoluteSize"), s.absoluteSize).toBool();
    s.width = map.value(QStringLiteral("width"), s.width).toInt();
    s.height = map.value(QStringLiteral("height"), s.height).toInt();
    s.scaleW = map.value(QStringLiteral("scaleW"), s.scaleW).toDouble();
    s.scaleH = map.value(QStringLiteral("scaleH"), s.scaleH).toDouble();
    s.startScale = map.value(QStringLiteral("startScale"), s.startScale).toInt();
    s.seed = map.value(QStringLiteral("seed")).toString().toULongLong();
    s.randomSeed = map.value(QStringLiteral("randomSeed"), s.randomSeed).toBool();
    s.recordChain = map.value(QStringLiteral("recordChain"), s.recordChain).toBool();
    return s;
}

QVariantMap TaskSettings::toVariant() const
{
    return {{QStringLiteral("kind"), kind},
            {QStringLiteral("startEdit"), startEdit},
            {QStringLiteral("startHarmonize"), startHarmonize},
            {QStringLiteral("startInject"), startInject},
            {QStringLiteral("factor"), factor},
            {QStringLiteral("srSteps"), srSteps},
            {QStringLiteral("brushSize"), brushSize},
            {QStringLiteral("hardness"), hardness},
            {QStringLiteral("maskOpacity"), maskOpacity},
            {QStringLiteral("maskVisible"), maskVisible},
            {QStringLiteral("feather"), feather},
            {QStringLiteral("paintColor"), paintColor},
            {QStringLiteral("heatOpacity"), heatOpacity},
            {QStringLiteral("objectX"), objectX},
            {QStringLiteral("objectY"), objectY},
            {QStringLiteral("objectScale"), objectScale},
            {QStringLiteral("objectRotation"), objectRotation}};
}

TaskSettings TaskSettings::fromVariant(const QVariantMap &map)
{
    TaskSettings s;
    auto integer = [&map](const char *key, int def, int lo, int hi) {
        bool ok = false;
        const int v = map.value(QLatin1String(key)).toInt(&ok);
        return ok && v >= lo && v <= hi ? v : def;
    };
    auto real = [&map](const char *key, double def, double lo, double hi) {
        bool ok = false;
        const double v = map.value(QLatin1String(key)).toDouble(&ok);
        return ok && std::isfinite(v) && v >= lo && v <= hi ? v : def;
    };
    s.kind = integer("kind", s.kind, TaskRequest::Edit, TaskRequest::SuperResolve);
    s.startEdit = integer("startEdit", s.startEdit, -1, 1000);
    s.startHarmonize = integer("startHarmonize", s.startHarmonize, -1, 1000);
    s.startInject = integer("startInject", s.startInject, -1, 1000);
    s.factor = real("factor", s.factor, 1.01, 16);
    s.srSteps = integer("srSteps", s.srSteps, 0, 1000);
    s.brushSize = integer("brushSize", s.brushSize, 1, 500);
    s.hardness = real("hardness", s.hardness, 0, 1);
    s.maskOpacity = real("maskOpacity", s.maskOpacity, 0, 1);
    s.maskVisible = map.value(QStringLiteral("maskVisible"), s.maskVisible).toBool();
    s.feather = real("feather", s.feather, 0, 200);
    const QString colour = map.value(QStringLiteral("paintColor")).toString();
    if (QColor(colour).isValid())
        s.paintColor = colour;
    s.heatOpacity = integer("heatOpacity", s.heatOpacity, 0, 100);
    s.objectX = real("objectX", s.objectX, -100000, 100000);
    s.objectY = real("objectY", s.objectY, -100000, 100000);
    s.objectScale = real("objectScale", s.objectScale, 0.01, 100);
    s.objectRotation = real("objectRotation", s.objectRotation, -360, 360);
    return s;
}

QString taskLabel(const TaskRequest &r)
{
    const QString factor = QString::number(r.factor, 'g', 3);
    switch (r.kind) {
    case TaskRequest::Edit:
        return QObject::tr("edit from scale %1").arg(r.startScale + 1);
    case TaskRequest::Harmonize:
        return QObject::tr("harmonized from scale %1").arg(r.startScale + 1);
    case TaskRequest::Inject:
        return QObject::tr("injected at scale %1").arg(r.startScale + 1);
    case TaskRequest::SuperResolve:
        return QObject::tr("SR \u00d7%1").arg(factor);
    }
    return {};
}

bool hasPoints(const QVector<QVector<ProgressPoint>> &log)
{
    return std::any_of(log.begin(), log.end(), [](const QVector<ProgressPoint> &scale) { return !scale.isEmpty(); });
}

void registerEngineTypes()
{
    qRegisterMetaType<TaskRequest>();
    qRegisterMetaType<TrainSettings>();
    qRegisterMetaType<TrainStatus>();
    qRegisterMetaType<ModelInfo>();
    qRegisterMetaType<JobOutcome>();
    qRegisterMetaType<SampleSettings>();
    qRegisterMetaType<GalleryEntry>();
    qRegisterMetaType<QVector<GalleryEntry>>();
    qRegisterMetaType<ChainFrame>();
    qRegisterMetaType<QVector<ChainFrame>>();
}

} // namespace pgcn::ui
