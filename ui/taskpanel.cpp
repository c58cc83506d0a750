#include "taskpanel.h"

#include <QCheckBox>
#include <QColorDialog>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QPainter>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "config.h"
#include "masklayer.h"
#include "objectoverlay.h"

namespace pgcn::ui {

namespace {

QIcon swatch(const QColor &c)
{
    QPixmap pm(16, 16);
    pm.fill(c);
    return QIcon(pm);
}

} // namespace

TaskPanel::TaskPanel(MaskLayer *mask, ObjectOverlay *object, QWidget *parent)
    : QWidget(parent)
    , m_mask(mask)
    , m_object(object)
    , m_brush(new QSpinBox(this))
    , m_hardness(new QSpinBox(this))
    , m_opacity(new QSlider(Qt::Horizontal, this))
    , m_showMask(new QCheckBox(tr("Show"), this))
    , m_feather(new QDoubleSpinBox(this))
    , m_colorButton(new QToolButton(this))
    , m_kind(new QComboBox(this))
    , m_startScale(new QSpinBox(this))
    , m_factor(new QDoubleSpinBox(this))
    , m_srSteps(new QSpinBox(this))
    , m_run(new QPushButton(tr("Run"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_flatten(new QPushButton(tr("Flatten"), this))
    , m_objX(new QDoubleSpinBox(this))
    , m_objY(new QDoubleSpinBox(this))
    , m_objScale(new QDoubleSpinBox(this))
    , m_objRotation(new QDoubleSpinBox(this))
    , m_heatOpacity(new QSlider(Qt::Horizontal, this))
{
    setObjectName(QStringLiteral("taskPanel"));

    // Mask
    m_brush->setRange(MaskLayer::kMinBrush, MaskLayer::kMaxBrush);
    m_brush->setSuffix(tr(" px"));
    m_brush->setValue(mask->brushSize());
    m_brush->setToolTip(tr("Brush diameter ([ and ] on the canvas)"));
    m_hardness->setRange(0, 100);
    m_hardness->setSuffix(QStringLiteral(" %"));
    m_hardness->setValue(int(mask->hardness() * 100));
    m_opacity->setRange(0, 100);
    m_opacity->setValue(int(mask->opacity() * 100));
    m_showMask->setChecked(mask->isVisible());
    m_feather->setRange(0, 200);
    m_feather->setDecimals(1);
    m_feather->setSuffix(tr(" px"));
    m_feather->setValue(mask->feather());
    m_feather->setToolTip(tr("The mask is feathered inward: pixels outside it never change"));
    m_colorButton->setIcon(swatch(m_paintColor));
    m_colorButton->setToolTip(tr("Colour of the colour brush"));

    auto *maskBox = new QGroupBox(tr("Mask"), this);
    auto *mf = new QFormLayout(maskBox);
    mf->addRow(tr("Brush:"), m_brush);
    mf->addRow(tr("Hardness:"), m_hardness);
    auto *opRow = new QHBoxLayout;
    opRow->addWidget(m_opacity, 1);
    opRow->addWidget(m_showMask);
    mf->addRow(tr("Overlay:"), opRow);
    mf->addRow(tr("Feather:"), m_feather);
    mf->addRow(tr("Paint colour:"), m_colorButton);
    auto *maskButtons = new QGridLayout;
    auto button = [this](const QString &text, auto fn) {
        auto *b = new QPushButton(text, this);
        connect(b, &QPushButton::clicked, this, fn);
        return b;
    };
    maskButtons->addWidget(button(tr("Fill"), [this] { m_mask->fill(); }), 0, 0);
    maskButtons->addWidget(button(tr("Invert"), [this] { m_mask->invert(); }), 0, 1);
    maskButtons->addWidget(button(tr("Clear"), [this] { m_mask->clear(); }), 0, 2);
    maskButtons->addWidget(button(tr("Load..."), [this] { Q_EMIT loadMaskRequested(); }), 1, 0);
    maskButtons->addWidget(button(tr("Save..."), [this] { Q_EMIT saveMaskRequested(); }), 1, 1);
    mf->addRow(maskButtons);

    // Task
    m_kind->addItem(tr("Edit (re-synthesize the mask)"), TaskRequest::Edit);
    m_kind->addItem(tr("Harmonize (pasted object)"), TaskRequest::Harmonize);
    m_kind->addItem(tr("Style transfer / paint-to-image"), TaskRequest::Inject);
    m_kind->addItem(tr("Super-resolution"), TaskRequest::SuperResolve);
    m_startScale->setRange(1, 1); // the model's scales, from setModel
    m_startScale->setObjectName(QStringLiteral("taskStartScale"));
    m_startScale->setToolTip(tr("Scale where the image enters the pyramid (1 = coarsest)"));
    m_factor->setRange(1.01, 16);
    m_factor->setValue(2.0);
    m_factor->setPrefix(QStringLiteral("\u00d7"));
    m_srSteps->setRange(0, 1000);
    m_srSteps->setSpecialValueText(tr("Default"));
    m_srSteps->setObjectName(QStringLiteral("srSteps"));
    m_srSteps->setToolTip(tr("Langevin steps after each upsampling. Default: a quarter of the training's "
                             "(measured to beat bicubic); more sharpens more, then rings"));
    m_cancel->setEnabled(false);
    m_run->setObjectName(QStringLiteral("taskRunButton"));
    auto *taskBox = new QGroupBox(tr("Task on the canvas image"), this);
    auto *tf = new QFormLayout(taskBox);
    tf->addRow(m_kind);
    tf->addRow(tr("Start scale:"), m_startScale);
    tf->addRow(tr("SR factor:"), m_factor);
    tf->addRow(tr("SR steps:"), m_srSteps);
    tf->addRow(button(tr("Load Content Image..."), [this] { Q_EMIT loadContentRequested(); }));
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_run);
    runRow->addWidget(m_cancel);
    tf->addRow(runRow);

    // Object
    for (QDoubleSpinBox *s : {m_objX, m_objY}) {
        s->setRange(-100000, 100000);
        s->setDecimals(1);
    }
    m_objScale->setRange(0.01, 100);
    m_objScale->setDecimals(2);
    m_objScale->setSingleStep(0.05);
    m_objScale->setValue(1.0);
    m_objRotation->setRange(-360, 360);
    m_objRotation->setSuffix(QStringLiteral("\u00b0"));
    auto *objBox = new QGroupBox(tr("Harmonization object"), this);
    auto *of = new QFormLayout(objBox);
    of->addRow(button(tr("Load Object..."), [this] { Q_EMIT loadObjectRequested(); }));
    auto *pos = new QHBoxLayout;
    pos->addWidget(m_objX);
    pos->addWidget(m_objY);
    of->addRow(tr("Centre:"), pos);
    of->addRow(tr("Scale:"), m_objScale);
    of->addRow(tr("Rotation:"), m_objRotation);
    of->addRow(m_flatten);

    m_heatOpacity->setRange(0, 100);
    m_heatOpacity->setValue(60);
    auto *heatBox = new QGroupBox(tr("Energy overlay (View menu)"), this);
    auto *hf = new QFormLayout(heatBox);
    hf->addRow(tr("Opacity:"), m_heatOpacity);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(maskBox);
    layout->addWidget(taskBox);
    layout->addWidget(objBox);
    layout->addWidget(heatBox);
    layout->addStretch(1);

    connect(m_brush, &QSpinBox::valueChanged, mask, &MaskLayer::setBrushSize);
    connect(m_hardness, &QSpinBox::valueChanged, this, [this](int v) { m_mask->setHardness(v / 100.0); });
    connect(mask, &MaskLayer::brushChanged, this, [this](int size, qreal hardness) {
        const QSignalBlocker b1(m_brush), b2(m_hardness);
        m_brush->setValue(size);
        m_hardness->setValue(int(std::lround(hardness * 100)));
    });
    connect(m_opacity, &QSlider::valueChanged, this, [this](int v) { m_mask->setOpacity(v / 100.0); });
    connect(m_showMask, &QCheckBox::toggled, mask, &MaskLayer::setVisible);
    connect(m_feather, &QDoubleSpinBox::valueChanged, mask, &MaskLayer::setFeather);
    connect(m_colorButton, &QToolButton::clicked, this, [this] {
        const QColor c = QColorDialog::getColor(m_paintColor, this, tr("Paint Colour"));
        if (!c.isValid())
            return;
        setPaintColor(c);
    });
    connect(m_startScale, &QSpinBox::valueChanged, this, [this](int v) {
        const int k = kind();
        if (!m_settingRange && k != TaskRequest::SuperResolve)
            m_wantedStart[k] = v - 1;
    });
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] {
        proposeStartScale();
        updateEnabled();
    });
    connect(m_run, &QPushButton::clicked, this, &TaskPanel::runRequested);
    connect(m_cancel, &QPushButton::clicked, this, &TaskPanel::cancelRequested);
    connect(m_flatten, &QPushButton::clicked, this, &TaskPanel::flattenRequested);
    connect(m_heatOpacity, &QSlider::valueChanged, this, [this](int v) { Q_EMIT heatOpacityChanged(v / 100.0); });
    connect(m_objX, &QDoubleSpinBox::valueChanged, this, [this](double v) { m_object->setCenter(QPointF(v, m_object->center().y())); });
    connect(m_objY, &QDoubleSpinBox::valueChanged, this, [this](double v) { m_object->setCenter(QPointF(m_object->center().x(), v)); });
    connect(m_objScale, &QDoubleSpinBox::valueChanged, object, &ObjectOverlay::setScale);
    connect(m_objRotation, &QDoubleSpinBox::valueChanged, object, &ObjectOverlay::setRotation);
    connect(object, &ObjectOverlay::changed, this, &TaskPanel::syncObjectFields);
    // One signal for everything settings() reports (a project keeps it).
    const auto changed = [this] { Q_EMIT settingsChanged(); };
    connect(m_brush, &QSpinBox::valueChanged, this, changed);
    connect(m_hardness, &QSpinBox::valueChanged, this, changed);
    connect(mask, &MaskLayer::brushChanged, this, changed); // the brush keys, which bypass the boxes
    connect(m_opacity, &QSlider::valueChanged, this, changed);
    connect(m_showMask, &QCheckBox::toggled, this, changed);
    connect(m_feather, &QDoubleSpinBox::valueChanged, this, changed);
    connect(this, &TaskPanel::paintColorChanged, this, changed);
    connect(m_kind, &QComboBox::currentIndexChanged, this, changed);
    connect(m_startScale, &QSpinBox::valueChanged, this, changed);
    connect(m_factor, &QDoubleSpinBox::valueChanged, this, changed);
    connect(m_srSteps, &QSpinBox::valueChanged, this, changed);
    connect(m_heatOpacity, &QSlider::valueChanged, this, changed);
    syncObjectFields();
    updateEnabled();
}

void TaskPanel::syncObjectFields()
{
    const QSignalBlocker b1(m_objX), b2(m_objY), b3(m_objScale), b4(m_objRotation);
    m_objX->setValue(m_object->center().x());
    m_objY->setValue(m_object->center().y());
    m_objScale->setValue(m_object->scale());
    m_objRotation->setValue(m_object->rotation());
    updateEnabled();
}

TaskRequest::Kind TaskPanel::kind() const
{
    return TaskRequest::Kind(m_kind->currentData().toInt());
}

void TaskPanel::setKind(TaskRequest::Kind kind)
{
    m_kind->setCurrentIndex(m_kind->findData(int(kind)));
}

int TaskPanel::startScale() const
{
    return m_startScale->value() - 1;
}

void TaskPanel::setStartScale(int scale)
{
    m_startScale->setValue(scale + 1);
}

double TaskPanel::factor() const
{
    return m_factor->value();
}

void TaskPanel::setFactor(double factor)
{
    m_factor->setValue(factor);
}

int TaskPanel::srSteps() const
{
    return m_srSteps->value();
}

void TaskPanel::setSrSteps(int steps)
{
    m_srSteps->setValue(steps);
}

void TaskPanel::setPaintColor(const QColor &color)
{
    if (!color.isValid() || color == m_paintColor)
        return;
    m_paintColor = color;
    m_colorButton->setIcon(swatch(color));
    Q_EMIT paintColorChanged(color);
}

TaskSettings TaskPanel::settings() const
{
    TaskSettings s;
    s.kind = int(kind());
    s.startEdit = m_wantedStart[TaskRequest::Edit];
    s.startHarmonize = m_wantedStart[TaskRequest::Harmonize];
    s.startInject = m_wantedStart[TaskRequest::Inject];
    s.factor = m_factor->value();
    s.srSteps = m_srSteps->value();
    s.brushSize = m_mask->brushSize();
    s.hardness = m_mask->hardness();
    s.maskOpacity = m_mask->opacity();
    s.maskVisible = m_mask->isVisible();
    s.feather = m_mask->feather();
    s.paintColor = m_paintColor.name();
    s.heatOpacity = m_heatOpacity->value();
    s.objectX = m_object->center().x();
    s.objectY = m_object->center().y();
    s.objectScale = m_object->scale();
    s.objectRotation = m_object->rotation();
    return s;
}

void TaskPanel::setSettings(const TaskSettings &s)
{
    m_wantedStart[TaskRequest::Edit] = s.startEdit;
    m_wantedStart[TaskRequest::Harmonize] = s.startHarmonize;
    m_wantedStart[TaskRequest::Inject] = s.startInject;
    if (m_kind->findData(s.kind) >= 0 && s.kind != int(kind()))
        setKind(TaskRequest::Kind(s.kind)); // proposes the kind's start scale
    else
        proposeStartScale();
    m_factor->setValue(s.factor);
    m_srSteps->setValue(s.srSteps);
    // Through the widgets, which forward to the mask layer and the object.
    m_brush->setValue(s.brushSize);
    m_hardness->setValue(int(std::lround(s.hardness * 100)));
    m_opacity->setValue(int(std::lround(s.maskOpacity * 100)));
    m_showMask->setChecked(s.maskVisible);
    m_feather->setValue(s.feather);
    setPaintColor(QColor(s.paintColor));
    m_heatOpacity->setValue(s.heatOpacity);
    if (!m_object->isNull()) {
        m_object->setCenter(QPointF(s.objectX, s.objectY));
        m_object->setScale(s.objectScale);
        m_object->setRotation(s.objectRotation);
    }
}

void TaskPanel::setModel(int trainedScales, const QVector<int> &shorterSides)
{
    m_trainedScales = trainedScales;
    m_shorterSides = shorterSides;
    {
        // Only the model's scales (an image cannot enter a pyramid where it has none); the box's
        // clamping is not the user's choice.
        const QScopedValueRollback<bool> guard(m_settingRange, true);
        m_startScale->setRange(1, std::max(1, trainedScales));
    }
    proposeStartScale();
    updateEnabled();
}

void TaskPanel::proposeStartScale()
{
    const int k = kind();
    if (m_trainedScales <= 0 || k == TaskRequest::SuperResolve)
        return;
    // The scale chosen for this task, else the command line's default (harmonize's, or edit's for
    // edit and inject); within the model. Sizes unknown: scales 1 and 2 (0-based).
    std::vector<int> sides(m_shorterSides.begin(), m_shorterSides.end());
    if (sides.empty())
        sides.assign(size_t(std::max(1, m_trainedScales)), 0);
    const int wanted = m_wantedStart[k] >= 0 ? m_wantedStart[k] : pgcn::defaultStartScale(sides, k == TaskRequest::Harmonize);
    const QScopedValueRollback<bool> guard(m_settingRange, true);
    m_startScale->setValue(std::min(wanted, m_trainedScales - 1) + 1);
}

void TaskPanel::setBusy(bool busy)
{
    m_busy = busy;
    updateEnabled();
}

void TaskPanel::updateEnabled()
{
    const TaskRequest::Kind k = kind();
    m_startScale->setEnabled(k != TaskRequest::SuperResolve);
    m_factor->setEnabled(k == TaskRequest::SuperResolve);
    m_srSteps->setEnabled(k == TaskRequest::SuperResolve);
    m_run->setEnabled(!m_busy && m_trainedScales > 0);
    m_cancel->setEnabled(m_busy);
    const bool haveObject = !m_object->isNull();
    for (QWidget *w : {static_cast<QWidget *>(m_flatten), static_cast<QWidget *>(m_objX), static_cast<QWidget *>(m_objY),
                       static_cast<QWidget *>(m_objScale), static_cast<QWidget *>(m_objRotation)})
        w->setEnabled(haveObject);
}

} // namespace pgcn::ui
