#include "trainingpanel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QToolButton>
#include <QVBoxLayout>

namespace pgcn::ui {

TrainingPanel::TrainingPanel(QWidget *parent)
    : QWidget(parent)
    , m_preset(new QComboBox(this))
    , m_presetReset(new QToolButton(this))
    , m_maxSize(new QSpinBox(this))
    , m_minSize(new QSpinBox(this))
    , m_scales(new QSpinBox(this))
    , m_iterations(new QSpinBox(this))
    , m_langevin(new QSpinBox(this))
    , m_device(new QComboBox(this))
    , m_precision(new QComboBox(this))
    , m_fineScales(new QComboBox(this))
    , m_seed(new QSpinBox(this))
    , m_modelStatus(new QLabel(this))
    , m_start(new QPushButton(QIcon(QStringLiteral(":/icons/train.svg")), tr("Start"), this))
    , m_pause(new QPushButton(QIcon(QStringLiteral(":/icons/pause.svg")), tr("Pause"), this))
    , m_cancel(new QPushButton(QIcon(QStringLiteral(":/icons/cancel.svg")), tr("Cancel"), this))
{
    setObjectName(QStringLiteral("trainingPanel"));
    for (const QString &name : presetNames())
        m_preset->addItem(name, name);
    m_preset->setToolTip(tr("quick: about 3 minutes for a 250-px image on two CPU cores (5 without AMX), the image's layout with a hatching in fine "
                            "texture; balanced: about 9 minutes (13 without AMX), finer samples; paper: the reference schedule (for a GPU). On a GPU quick and balanced "
                            "train whole images: about 40 s and 100 s on an H100"));
    m_presetReset->setText(tr("Reset"));
    m_presetReset->setToolTip(tr("Put the preset's own sizes, scales, iterations and Langevin steps back"));
    m_presetReset->setObjectName(QStringLiteral("presetReset"));
    m_preset->setObjectName(QStringLiteral("preset"));
    m_maxSize->setRange(8, 4096);
    m_maxSize->setSuffix(tr(" px"));
    m_maxSize->setObjectName(QStringLiteral("maxSize"));
    m_maxSize->setToolTip(tr("Longer side of the finest scale"));
    m_minSize->setRange(4, m_maxSize->maximum());
    m_minSize->setSuffix(tr(" px"));
    m_minSize->setObjectName(QStringLiteral("minSize"));
    m_minSize->setToolTip(tr("Shorter side of the coarsest scale, at most the max size. An image whose shorter side is "
                             "not above it has no pyramid: every scale gets its size"));
    m_scales->setRange(1, 20);
    m_iterations->setRange(1, 1000000);
    m_iterations->setObjectName(QStringLiteral("iterations"));
    m_iterations->setToolTip(tr("Iterations per scale"));
    m_langevin->setRange(1, 10000);
    m_langevin->setToolTip(tr("Langevin steps per scale (the coarsest scale keeps the preset's ratio: paper twice as many, quick and balanced 40 for 12)"));
    m_seed->setRange(0, std::numeric_limits<int>::max());

    m_device->addItem(tr("Automatic"), QStringLiteral("auto"));
    m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
    m_device->addItem(tr("CUDA"), QStringLiteral("cuda"));
    const bool cuda = cudaPresent();
    if (!cuda) {
        if (auto *model = qobject_cast<QStandardItemModel *>(m_device->model()))
            model->item(2)->setEnabled(false);
    }
    // Measured (README, GPU and Precision): TF32 or bf16 training lost quality on an H100, TF32 sampling
    // is about 2x faster there; bf16 chains sample 1.8x as fast as fp32 on an AVX512-BF16 CPU.
    m_precision->addItem(tr("Automatic"), QStringLiteral("auto"));
    m_precision->addItem(tr("FP32"), QStringLiteral("fp32"));
    m_precision->addItem(tr("TF32"), QStringLiteral("tf32"));
    m_precision->addItem(tr("BF16 chains"), QStringLiteral("bf16"));
    m_precision->setObjectName(QStringLiteral("precision"));
    m_device->setObjectName(QStringLiteral("device"));
    m_precision->setToolTip(tr("Arithmetic of the Langevin chains (and a CUDA device's convolutions). "
                               "Automatic trains in FP32 (the quick preset with BF16 chains, and BF16 steps above the coarsest "
                               "scale, on a CPU that computes bfloat16 natively, AVX512-BF16) and samples with TF32 on a GPU, "
                               "with BF16 chains on such a CPU, in FP32 on other CPUs. "
                               "BF16 chains also train with them; TF32 is a GPU's alone."));
    // Measured (README, Whole images on a GPU): whole images sample better (quick on the colosseum,
    // paired patch-SWD -7.3 +- 2.0) but take about 6x as long as windows on two CPU cores.
    m_fineScales->addItem(tr("Automatic"), QStringLiteral("auto"));
    m_fineScales->addItem(tr("40-px windows"), QStringLiteral("windows"));
    m_fineScales->addItem(tr("Whole image"), QStringLiteral("whole"));
    m_fineScales->setObjectName(QStringLiteral("fineScales"));
    m_fineScales->setToolTip(tr("How the finer scales train. 40-px windows make them affordable on a CPU; their samples "
                                "show a fine hatching. The whole image gives better samples and takes about 6 times as "
                                "long on two CPU cores (1.5 times on a GPU). Automatic: windows for quick and balanced "
                                "on the CPU, the whole image on a GPU and for paper."));
    // Whether CUDA is there shows in the box (its CUDA item disabled) and in the status bar.
    m_device->setToolTip(cuda ? tr("Where training and sampling compute. Automatic: the CUDA device")
                              : tr("Where training and sampling compute. CUDA is not available on this machine: "
                                   "everything runs on the CPU"));

    m_pause->setCheckable(true);
    m_modelStatus->setWordWrap(true);
    m_modelStatus->setText(tr("No model yet."));

    auto *form = new QFormLayout;
    auto *presetRow = new QHBoxLayout;
    presetRow->addWidget(m_preset, 1);
    presetRow->addWidget(m_presetReset);
    auto *presetLabel = new QLabel(tr("&Preset:"), this);
    presetLabel->setBuddy(m_preset);
    form->addRow(presetLabel, presetRow);
    form->addRow(tr("&Max size:"), m_maxSize);
    form->addRow(tr("Mi&n size:"), m_minSize);
    form->addRow(tr("S&cales:"), m_scales);
    form->addRow(tr("&Iterations:"), m_iterations);
    form->addRow(tr("&Langevin steps:"), m_langevin);
    form->addRow(tr("&Device:"), m_device);
    form->addRow(tr("P&recision:"), m_precision);
    form->addRow(tr("Fine scales:"), m_fineScales);
    form->addRow(tr("S&eed:"), m_seed);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_cancel);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_modelStatus);
    layout->addLayout(buttons);
    layout->addStretch(1);

    // Choosing a preset and Reset both fill the fields with the chosen preset's values.
    const auto applyChosenPreset = [this] {
        applyPreset(m_preset->currentData().toString());
        Q_EMIT settingsChanged();
    };
    connect(m_preset, &QComboBox::currentIndexChanged, this, applyChosenPreset);
    connect(m_presetReset, &QToolButton::clicked, this, applyChosenPreset);
    // The coarsest scale's side cannot exceed the finest's (TrainConfig::validate).
    connect(m_maxSize, &QSpinBox::valueChanged, m_minSize, &QSpinBox::setMaximum);
    for (QSpinBox *box : {m_maxSize, m_minSize, m_scales, m_iterations, m_langevin, m_seed})
        connect(box, &QSpinBox::valueChanged, this, [this] {
            m_configText.clear();
            updatePresetMark();
            Q_EMIT settingsChanged();
        });
    connect(m_device, &QComboBox::currentIndexChanged, this, &TrainingPanel::settingsChanged);
    connect(m_precision, &QComboBox::currentIndexChanged, this, &TrainingPanel::settingsChanged);
    connect(m_fineScales, &QComboBox::currentIndexChanged, this, [this] {
        m_configText.clear(); // it changes the configuration, as the fields do
        Q_EMIT settingsChanged();
    });
    connect(m_start, &QPushButton::clicked, this, &TrainingPanel::startRequested);
    connect(m_pause, &QPushButton::toggled, this, [this](bool on) {
        m_pause->setText(on ? tr("Resume") : tr("Pause"));
        m_pause->setIcon(QIcon(on ? QStringLiteral(":/icons/train.svg") : QStringLiteral(":/icons/pause.svg")));
        Q_EMIT pauseToggled(on);
    });
    connect(m_cancel, &QPushButton::clicked, this, &TrainingPanel::cancelRequested);

    applyPreset(QStringLiteral("quick"));
    updateButtons();
}

void TrainingPanel::applyPreset(const QString &name)
{
    const TrainSettings p = presetSettings(name);
    const QSignalBlocker b1(m_maxSize), b2(m_scales), b3(m_iterations), b4(m_langevin), b5(m_minSize);
    setSizeFields(p.maxSize, p.minSize);
    m_scales->setValue(p.scales);
    m_iterations->setValue(p.iterations);
    m_langevin->setValue(p.langevinSteps);
    m_configText.clear();
    updatePresetMark();
}

void TrainingPanel::setSizeFields(int maxSize, int minSize)
{
    // For code that fills the fields with their signals blocked, so Max size's valueChanged
    // connection does not bound Min size: the bound is set here (0 keeps a field's value).
    if (maxSize > 0)
        m_maxSize->setValue(maxSize);
    m_minSize->setMaximum(m_maxSize->value());
    if (minSize > 0)
        m_minSize->setValue(minSize);
}

bool TrainingPanel::presetModified() const
{
    const TrainSettings p = presetSettings(m_preset->currentData().toString());
    return m_maxSize->value() != p.maxSize || m_minSize->value() != p.minSize || m_scales->value() != p.scales || m_iterations->value() != p.iterations
        || m_langevin->value() != p.langevinSteps;
}

void TrainingPanel::updatePresetMark()
{
    // The item's text says whether the fields still hold the preset's values; its data stays the name.
    const bool modified = presetModified();
    const QString name = m_preset->currentData().toString();
    for (int i = 0; i < m_preset->count(); ++i)
        m_preset->setItemText(i, m_preset->itemData(i).toString());
    if (modified)
        m_preset->setItemText(m_preset->currentIndex(), tr("%1 (modified)").arg(name));
    m_presetReset->setEnabled(modified && m_state == State::Idle);
}

TrainSettings TrainingPanel::settings() const
{
    TrainSettings s;
    s.preset = m_preset->currentData().toString();
    s.maxSize = m_maxSize->value();
    s.minSize = m_minSize->value();
    s.scales = m_scales->value();
    s.iterations = m_iterations->value();
    s.langevinSteps = m_langevin->value();
    s.device = m_device->currentData().toString();
    s.precision = m_precision->currentData().toString();
    s.fineScales = m_fineScales->currentData().toString();
    s.seed = quint64(m_seed->value());
    s.configText = m_configText;
    return s;
}

void TrainingPanel::setSettings(const TrainSettings &s)
{
    {
        const QSignalBlocker b0(m_preset);
        const int i = m_preset->findData(s.preset);
        m_preset->setCurrentIndex(i >= 0 ? i : 0);
    }
    const QSignalBlocker b1(m_maxSize), b2(m_scales), b3(m_iterations), b4(m_langevin), b5(m_seed), b6(m_device), b7(m_precision),
        b8(m_fineScales), b9(m_minSize);
    setSizeFields(s.maxSize, s.minSize);
    if (s.scales > 0)
        m_scales->setValue(s.scales);
    if (s.iterations > 0)
        m_iterations->setValue(s.iterations);
    if (s.langevinSteps > 0)
        m_langevin->setValue(s.langevinSteps);
    m_seed->setValue(int(std::min<quint64>(s.seed, quint64(std::numeric_limits<int>::max()))));
    const int d = m_device->findData(s.device);
    m_device->setCurrentIndex(d >= 0 && (d != 2 || cudaPresent()) ? d : 0);
    const int p = m_precision->findData(s.precision);
    m_precision->setCurrentIndex(p >= 0 ? p : 0);
    const int f = m_fineScales->findData(s.fineScales);
    m_fineScales->setCurrentIndex(f >= 0 ? f : 0);
    m_configText = s.configText;
    updatePresetMark();
}

void TrainingPanel::setState(State state)
{
    m_state = state;
    updateButtons();
}

void TrainingPanel::setModelStatus(const QString &text, bool canResume)
{
    m_modelStatus->setText(text);
    m_canResume = canResume;
    updateButtons();
}

void TrainingPanel::updateButtons()
{
    const bool running = m_state == State::Training || m_state == State::Paused;
    m_start->setEnabled(m_state == State::Idle);
    m_start->setText(m_canResume ? tr("Resume training") : tr("Start"));
    m_pause->setEnabled(running);
    m_cancel->setEnabled(running);
    if (!running && m_pause->isChecked()) {
        const QSignalBlocker block(m_pause);
        m_pause->setChecked(false);
        m_pause->setText(tr("Pause"));
        m_pause->setIcon(QIcon(QStringLiteral(":/icons/pause.svg")));
    }
    for (QWidget *w : std::initializer_list<QWidget *>{m_preset, m_maxSize, m_minSize, m_scales, m_iterations, m_langevin, m_device, m_fineScales, m_seed})
        w->setEnabled(m_state == State::Idle);
    m_precision->setEnabled(m_state == State::Idle && (cudaPresent() || cpuBf16Present()));
    updatePresetMark(); // Reset follows the fields' lock too
}

} // namespace pgcn::ui
