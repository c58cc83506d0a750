#include "enginetypes.h"

#include <QObject>

#include "config.h"
#include "runtime.h"

namespace pgcn::ui {

QVariantMap TrainSettings::toVariant() const
{
    return {{QStringLiteral("preset"), preset},
            {QStringLiteral("maxSize"), maxSize},
            {QStringLiteral("scales"), scales},
            {QStringLiteral("iterations"), iterations},
            {QStringLiteral("langevinSteps"), langevinSteps},
            {QStringLiteral("device"), device},
            {QStringLiteral("precision"), precision},
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
    s.seed = map.value(QStringLiteral("seed")).toString().toULongLong();
    s.configText = map.value(QStringLiteral("configText")).toString();
    return s;
}

TrainSettings presetSettings(const QString &preset)
{
    TrainSettings s;
    const TrainConfig c = TrainConfig::preset(preset.toStdString());
    s.preset = preset;
    s.maxSize = c.maxSize;
    s.scales = c.numScales;
    s.iterations = c.iterations;
    s.langevinSteps = c.stepsPerScale;
    s.seed = c.seed;
    return s;
}

TrainConfig trainConfigFor(const TrainSettings &s)
{
    if (!s.configText.isEmpty()) {
        TrainConfig c = TrainConfig::fromText(s.configText.toStdString());
        c.validate();
        return c;
    }
    TrainConfig c = TrainConfig::preset(s.preset.toStdString());
    if (s.maxSize > 0)
        c.maxSize = s.maxSize;
    if (s.scales > 0)
        c.numScales = s.scales;
    if (s.iterations > 0 && s.iterations != c.iterations)
        c.setIterations(s.iterations);
    // As the CLI's --langevin-steps: the coarsest scale keeps the preset's ratio, so the
    // preset's own count (which the panel always holds) changes nothing.
    if (s.langevinSteps > 0)
        c.setLangevinSteps(s.langevinSteps);
    c.seed = s.seed;
    c.validate();
    return c;
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

void initEngine(int threads)
{
    pgcn::initRuntime(threads);
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
