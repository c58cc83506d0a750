#include "plotpanel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QSignalBlocker>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>

namespace pgcn::ui {

namespace {

constexpr int kMaxPlotted = 1500;

constexpr int kXTickIntervals = 4;

QChartView *makeView(QChart *chart, QWidget *parent)
{
    chart->legend()->setAlignment(Qt::AlignTop);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->setBackgroundRoundness(0);
    auto *view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(120);
    return view;
}

/** lo..hi with a 5 % margin (a unit span around a single value), never below `floor`. */
void setRange(QValueAxis *axis, double lo, double hi, double floor = -std::numeric_limits<double>::infinity())
{
    if (!std::isfinite(lo) || !std::isfinite(hi))
        return;
    if (hi - lo < 1e-9) {
        lo -= 0.5;
        hi += 0.5;
    }
    const double pad = (hi - lo) * 0.05;
    axis->setRange(std::max(floor, lo - pad), hi + pad);
}

} // namespace

PlotPanel::PlotPanel(QWidget *parent)
    : QWidget(parent)
    , m_scaleBox(new QComboBox(this))
    , m_exportButton(new QToolButton(this))
    , m_real(new QLineSeries)
    , m_syn(new QLineSeries)
    , m_mse(new QLineSeries)
    , m_energyX(new QValueAxis)
    , m_energyY(new QValueAxis)
    , m_mseX(new QValueAxis)
    , m_mseY(new QValueAxis)
{
    setObjectName(QStringLiteral("plotPanel"));
    m_real->setName(tr("E(real)"));
    m_syn->setName(tr("E(synthesised)"));
    m_mse->setName(tr("recovery MSE"));
    m_real->setColor(QColor(0x1f, 0x77, 0xb4));
    m_syn->setColor(QColor(0xff, 0x7f, 0x0e));
    m_mse->setColor(QColor(0x2c, 0xa0, 0x2c));
    // The theme's pens and evenly spaced ticks: a wider pen under the real energy (so that it
    // shows where the samples' coincides with it) and QValueAxis::TicksDynamic were tried and
    // made the GUI thread stall for 50-900 ms while training (test_studio_latency).

    auto *energy = new QChart;
    energy->addSeries(m_real);
    energy->addSeries(m_syn);
    energy->addAxis(m_energyX, Qt::AlignBottom);
    energy->addAxis(m_energyY, Qt::AlignLeft);
    for (QLineSeries *s : {m_real, m_syn}) {
        s->attachAxis(m_energyX);
        s->attachAxis(m_energyY);
    }
    auto *mse = new QChart;
    mse->addSeries(m_mse);
    mse->addAxis(m_mseX, Qt::AlignBottom);
    mse->addAxis(m_mseY, Qt::AlignLeft);
    m_mse->attachAxis(m_mseX);
    m_mse->attachAxis(m_mseY);
    for (QValueAxis *a : {m_energyX, m_mseX}) {
        a->setLabelFormat(QStringLiteral("%.0f"));
        a->setTickCount(kXTickIntervals + 1);
        a->setRange(0, kXTickIntervals);
    }
    m_energyY->setLabelFormat(QStringLiteral("%.3g"));
    m_energyY->setTickCount(4);
    m_mseY->setTickCount(4);
    m_mseY->setLabelFormat(QStringLiteral("%.3f"));
    m_energyView = makeView(energy, this);
    m_mseView = makeView(mse, this);

    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Scale:"), this));
    top->addWidget(m_scaleBox, 1);
    m_exportButton->setObjectName(QStringLiteral("exportLogButton"));
    m_exportButton->setText(tr("Export CSV..."));
    m_exportButton->setToolTip(tr("Save every scale's training curves as a CSV file"));
    m_exportButton->setEnabled(false);
    top->addWidget(m_exportButton);
    connect(m_exportButton, &QToolButton::clicked, this, &PlotPanel::exportRequested);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_energyView, 1);
    layout->addWidget(m_mseView, 1);
    rebuildCombo();
    connect(m_scaleBox, &QComboBox::currentIndexChanged, this, [this] {
        m_dirty = true;
        refresh();
    });
    refresh(); // the empty panel's note and axes from the start
}

void PlotPanel::rebuildCombo()
{
    const QSignalBlocker block(m_scaleBox);
    const int current = m_scaleBox->currentIndex();
    m_scaleBox->clear();
    m_scaleBox->addItem(tr("Follow training"));
    for (int s = 0; s < m_log.size(); ++s)
        m_scaleBox->addItem(tr("Scale %1").arg(s + 1));
    m_scaleBox->setCurrentIndex(current >= 0 && current < m_scaleBox->count() ? current : 0);
}

void PlotPanel::setScaleCount(int count)
{
    if (count == m_log.size())
        return;
    m_log.resize(count);
    rebuildCombo();
    m_dirty = true;
}

void PlotPanel::setLog(const QVector<QVector<ProgressPoint>> &log)
{
    m_log = log;
    m_emptyNote.clear();
    m_planned.clear();
    m_trainingScale = 0;
    for (int s = 0; s < m_log.size(); ++s)
        if (!m_log[s].isEmpty())
            m_trainingScale = s;
    rebuildCombo();
    m_dirty = true;
    refresh();
}

void PlotPanel::appendPoints(int scale, const QVector<ProgressPoint> &points)
{
    if (scale < 0)
        return;
    if (scale >= m_log.size())
        setScaleCount(scale + 1);
    QVector<ProgressPoint> &dst = m_log[scale];
    for (const ProgressPoint &p : points) {
        // A resumed scale starts over: keep the log consistent with the model.
        if (!dst.isEmpty() && p.iteration <= dst.last().iteration)
            dst.clear();
        dst.append(p);
    }
    m_trainingScale = scale;
    m_dirty = true;
}

void PlotPanel::truncate(int scale)
{
    for (int s = std::max(0, scale); s < m_log.size(); ++s)
        m_log[s].clear();
    m_dirty = true;
}

void PlotPanel::clear()
{
    m_log.clear();
    m_emptyNote.clear();
    m_planned.clear();
    m_trainingScale = 0;
    rebuildCombo();
    m_dirty = true;
    refresh();
}

void PlotPanel::setPlannedIterations(int scale, int iterations)
{
    if (scale < 0 || m_planned.value(scale) == iterations)
        return;
    if (scale >= m_planned.size())
        m_planned.resize(scale + 1);
    m_planned[scale] = iterations;
    m_dirty = true;
}

void PlotPanel::setExportEnabled(bool on)
{
    m_exportButton->setEnabled(on);
}

void PlotPanel::setEmptyNote(const QString &note)
{
    m_emptyNote = note;
    m_dirty = true;
    refresh();
}

QString PlotPanel::shownNote() const
{
    return m_energyView->chart()->title();
}

int PlotPanel::shownScale() const
{
    const int pick = m_scaleBox->currentIndex();
    return pick <= 0 ? m_trainingScale : pick - 1;
}

void PlotPanel::refresh()
{
    const int scale = shownScale();
    if (!m_dirty && scale == m_drawnScale)
        return;
    m_dirty = false;
    m_drawnScale = scale;
    const QVector<ProgressPoint> empty;
    const QVector<ProgressPoint> &pts = scale >= 0 && scale < m_log.size() ? m_log[scale] : empty;
    const int stride = std::max<int>(1, int((pts.size() + kMaxPlotted - 1) / kMaxPlotted));
    QList<QPointF> real, syn, mse;
    real.reserve(pts.size() / stride + 1);
    syn.reserve(pts.size() / stride + 1);
    mse.reserve(pts.size() / stride + 1);
    double eLo = INFINITY, eHi = -INFINITY, mLo = INFINITY, mHi = -INFINITY;
    for (int i = 0; i < pts.size(); i += stride) {
        const ProgressPoint &p = pts[i];
        real.append(QPointF(p.iteration, p.energyReal));
        syn.append(QPointF(p.iteration, p.energySyn));
        mse.append(QPointF(p.iteration, p.recoveryMse));
        eLo = std::min({eLo, p.energyReal, p.energySyn});
        eHi = std::max({eHi, p.energyReal, p.energySyn});
        mLo = std::min(mLo, p.recoveryMse);
        mHi = std::max(mHi, p.recoveryMse);
    }
    m_real->replace(real);
    m_syn->replace(syn);
    m_mse->replace(mse);
    // A multiple of the 4 tick intervals, so every iteration label is a distinct whole number.
    const int lastIt = pts.isEmpty() ? 0 : pts.last().iteration;
    const int span = std::max(lastIt, m_planned.value(scale));
    const int xMax = std::max(kXTickIntervals, (span + kXTickIntervals - 1) / kXTickIntervals * kXTickIntervals);
    m_energyX->setRange(0, xMax);
    m_mseX->setRange(0, xMax);
    QString note;
    if (!pts.isEmpty()) {
        setRange(m_energyY, eLo, eHi);
        setRange(m_mseY, mLo, mHi, 0.0); // an error is never negative
    } else {
        // Not the last scale's range over an empty chart, and a word on why it is empty
        // (bare axes look like a fault).
        setRange(m_energyY, 0.0, 1.0);
        setRange(m_mseY, 0.0, 1.0, 0.0);
        if (!m_emptyNote.isEmpty())
            note = m_emptyNote;
        else if (hasPoints(m_log))
            note = tr("No curves for scale %1").arg(scale + 1);
        else
            note = tr("The curves appear here while a scale trains");
    }
    if (m_energyView->chart()->title() != note) // a new title lays the chart out again
        m_energyView->chart()->setTitle(note);
    m_real->setName(tr("E(real), scale %1").arg(scale + 1));
    m_syn->setName(tr("E(synthesised)"));
    m_mse->setName(tr("recovery MSE, scale %1").arg(scale + 1));
}

} // namespace pgcn::ui
