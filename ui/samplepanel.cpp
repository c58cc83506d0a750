#include "samplepanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace pgcn::ui {

SamplePanel::SamplePanel(QWidget *parent)
    : QWidget(parent)
    , m_count(new QSpinBox(this))
    , m_sizeMode(new QComboBox(this))
    , m_sizeStack(new QStackedWidget(this))
    , m_width(new QSpinBox(this))
    , m_height(new QSpinBox(this))
    , m_scaleW(new QDoubleSpinBox(this))
    , m_scaleH(new QDoubleSpinBox(this))
    , m_startScale(new QSpinBox(this))
    , m_seed(new QSpinBox(this))
    , m_randomSeed(new QCheckBox(tr("Random"), this))
    , m_record(new QCheckBox(tr("Record the first sample's chain"), this))
    , m_generate(new QPushButton(QIcon(QStringLiteral(":/icons/generate.svg")), tr("Generate"), this))
    , m_reconstruct(new QPushButton(tr("Reconstruct"), this))
    , m_cancel(new QPushButton(QIcon(QStringLiteral(":/icons/cancel.svg")), tr("Cancel"), this))
{
    setObjectName(QStringLiteral("samplePanel"));
    m_count->setRange(1, 256);
    m_count->setValue(4);
    m_sizeMode->addItem(tr("Scale factors"));
    m_sizeMode->addItem(tr("Pixels (W x H)"));
    for (QSpinBox *b : {m_width, m_height}) {
        b->setRange(8, 16384);
        b->setSuffix(tr(" px"));
    }
    for (QDoubleSpinBox *b : {m_scaleW, m_scaleH}) {
        b->setRange(0.1, 16.0);
        b->setSingleStep(0.25);
        b->setDecimals(2);
        b->setValue(1.0);
        b->setPrefix(QStringLiteral("\u00d7"));
    }
    auto *factors = new QWidget(this);
    auto *fl = new QHBoxLayout(factors);
    fl->setContentsMargins(0, 0, 0, 0);
    fl->addWidget(m_scaleW);
    fl->addWidget(new QLabel(tr("by"), factors));
    fl->addWidget(m_scaleH);
    auto *pixels = new QWidget(this);
    auto *pl = new QHBoxLayout(pixels);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->addWidget(m_width);
    pl->addWidget(new QLabel(QStringLiteral("\u00d7"), pixels));
    pl->addWidget(m_height);
    m_sizeStack->addWidget(factors);
    m_sizeStack->addWidget(pixels);
    m_startScale->setRange(1, 1);
    m_startScale->setObjectName(QStringLiteral("startScale"));
    m_startScale->setToolTip(tr("1 = everything random; k > 1 keeps the real image's layout from the coarser scales"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_randomSeed->setChecked(true);
    m_record->setChecked(true);
    m_record->setToolTip(tr("Keep every Langevin step of the first sample to replay in the Chain panel"));

    auto *seedRow = new QHBoxLayout;
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(m_randomSeed);

    auto *form = new QFormLayout;
    form->addRow(tr("&Samples:"), m_count);
    form->addRow(tr("Si&ze:"), m_sizeMode);
    form->addRow(QString(), m_sizeStack);
    form->addRow(tr("S&tart scale:"), m_startScale);
    form->addRow(tr("Seed:"), seedRow);
    form->addRow(QString(), m_record);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_generate);
    buttons->addWidget(m_reconstruct);
    buttons->addWidget(m_cancel);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addStretch(1);

    connect(m_sizeMode, &QComboBox::currentIndexChanged, m_sizeStack, &QStackedWidget::setCurrentIndex);
    connect(m_randomSeed, &QCheckBox::toggled, m_seed, &QWidget::setDisabled);
    m_seed->setDisabled(true);
    connect(m_generate, &QPushButton::clicked, this, &SamplePanel::generateRequested);
    connect(m_reconstruct, &QPushButton::clicked, this, &SamplePanel::reconstructRequested);
    connect(m_cancel, &QPushButton::clicked, this, &SamplePanel::cancelRequested);
    connect(m_sizeMode, &QComboBox::currentIndexChanged, this, &SamplePanel::settingsChanged);
    for (QSpinBox *sb : {m_count, m_width, m_height, m_startScale, m_seed})
        connect(sb, &QSpinBox::valueChanged, this, &SamplePanel::settingsChanged);
    for (QCheckBox *cb : {m_randomSeed, m_record})
        connect(cb, &QCheckBox::toggled, this, &SamplePanel::settingsChanged);
    connect(m_startScale, &QSpinBox::valueChanged, this, [this](int v) {
        if (!m_settingRange)
            m_startScaleWanted = v;
    });
    for (QDoubleSpinBox *sb : {m_scaleW, m_scaleH})
        connect(sb, &QDoubleSpinBox::valueChanged, this, &SamplePanel::settingsChanged);
    updateEnabled();
}

SampleSettings SamplePanel::settings() const
{
    SampleSettings s;
    s.count = m_count->value();
    s.absoluteSize = m_sizeMode->currentIndex() == 1;
    s.width = m_width->value();
    s.height = m_height->value();
    s.scaleW = m_scaleW->value();
    s.scaleH = m_scaleH->value();
    // Without a model the box can only show 1: the choice (from a project or the last
    // session) is what a save keeps.
    s.startScale = (m_modelScales > 0 ? m_startScale->value() : m_startScaleWanted) - 1;
    s.seed = quint64(m_seed->value());
    s.randomSeed = m_randomSeed->isChecked();
    s.recordChain = m_record->isChecked();
    return s;
}

void SamplePanel::setSettings(const SampleSettings &s)
{
    m_count->setValue(s.count);
    m_sizeMode->setCurrentIndex(s.absoluteSize ? 1 : 0);
    if (s.width > 0)
        m_width->setValue(s.width);
    if (s.height > 0)
        m_height->setValue(s.height);
    m_scaleW->setValue(s.scaleW);
    m_scaleH->setValue(s.scaleH);
    m_startScaleWanted = std::max(1, s.startScale + 1);
    {
        // Shown once a model has that many scales: the box's clamping must not replace the choice.
        const QScopedValueRollback<bool> guard(m_settingRange, true);
        m_startScale->setValue(m_startScaleWanted);
    }
    m_seed->setValue(int(std::min<quint64>(s.seed, quint64(std::numeric_limits<int>::max()))));
    m_randomSeed->setChecked(s.randomSeed);
    m_record->setChecked(s.recordChain);
}

void SamplePanel::setModel(int trainedScales, const QSize &finestSize)
{
    m_haveModel = trainedScales > 0;
    m_modelScales = std::max(0, trainedScales);
    {
        // The range follows the model; the chosen start scale comes back when it fits.
        const QScopedValueRollback<bool> guard(m_settingRange, true);
        m_startScale->setRange(1, std::max(1, trainedScales));
        m_startScale->setValue(m_startScaleWanted);
    }
    if (finestSize.isValid() && m_sizeMode->currentIndex() == 0) {
        m_width->setValue(finestSize.width());
        m_height->setValue(finestSize.height());
    }
    updateEnabled();
}

void SamplePanel::setBusy(bool busy)
{
    m_busy = busy;
    updateEnabled();
}

void SamplePanel::setGenerateEnabled(bool enabled)
{
    m_haveModel = enabled;
    updateEnabled();
}

void SamplePanel::updateEnabled()
{
    m_generate->setEnabled(m_haveModel && !m_busy);
    m_reconstruct->setEnabled(m_haveModel && !m_busy);
    m_cancel->setEnabled(m_busy);
}

} // namespace pgcn::ui
