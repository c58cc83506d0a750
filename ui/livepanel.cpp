#include "livepanel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QVBoxLayout>

#include "imageview.h"

namespace pgcn::ui {

namespace {
constexpr int kTile = 64;
constexpr int kGap = 6;
constexpr int kHeader = 16;
} // namespace

PyramidStrip::PyramidStrip(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("pyramidStrip"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setToolTip(tr("Each scale: the real image (top) and the latest sample (bottom). Click to view."));
}

void PyramidStrip::setModel(const ModelInfo &info)
{
    if (info.reals.size() != m_reals.size() || info.sizes != m_sizes)
        m_samples = QVector<QImage>(info.reals.size());
    m_reals = info.reals;
    m_sizes = info.sizes;
    m_trained = info.trainedScales;
    if (m_active >= m_reals.size())
        m_active = -1;
    updateGeometry();
    update();
}

void PyramidStrip::setSample(int scale, const QImage &image)
{
    if (scale < 0 || scale >= m_samples.size())
        return;
    m_samples[scale] = image;
    update(tileRect(scale, true));
}

void PyramidStrip::setActiveScale(int scale)
{
    if (scale == m_active)
        return;
    m_active = scale;
    update();
}

void PyramidStrip::setTrainedScales(int count)
{
    if (count == m_trained)
        return;
    m_trained = count;
    update();
}

QImage PyramidStrip::sampleAt(int scale) const
{
    return scale >= 0 && scale < m_samples.size() ? m_samples[scale] : QImage();
}

QSize PyramidStrip::sizeHint() const
{
    return {int(m_reals.size()) * (kTile + kGap) + kGap, kHeader + 2 * kTile + 3 * kGap};
}

QSize PyramidStrip::minimumSizeHint() const
{
    return {kTile + 2 * kGap, kHeader + 2 * kTile + 3 * kGap};
}

QRect PyramidStrip::tileRect(int scale, bool sampleRow) const
{
    const int n = std::max(1, int(m_reals.size()));
    const int tile = std::clamp((width() - kGap) / n - kGap, 24, kTile);
    return {kGap + scale * (tile + kGap), kHeader + kGap + (sampleRow ? tile + kGap : 0), tile, tile};
}

void PyramidStrip::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    if (m_reals.isEmpty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("The pyramid appears when training starts."));
        return;
    }
    for (int s = 0; s < m_reals.size(); ++s) {
        for (int row = 0; row < 2; ++row) {
            const QRect r = tileRect(s, row == 1);
            p.fillRect(r, QColor(0x3c, 0x3f, 0x41));
            const QImage &img = row == 0 ? m_reals[s] : m_samples.value(s);
            if (!img.isNull()) {
                const QSize sz = img.size().scaled(r.size(), Qt::KeepAspectRatio);
                const QRect t(r.x() + (r.width() - sz.width()) / 2, r.y() + (r.height() - sz.height()) / 2, sz.width(),
                              sz.height());
                p.setRenderHint(QPainter::SmoothPixmapTransform, sz.width() < img.width());
                p.drawImage(t, img);
            }
        }
        const QRect both = tileRect(s, false).united(tileRect(s, true)).adjusted(-2, -2, 2, 2);
        if (s == m_active) {
            p.setPen(QPen(QColor(0xff, 0x9f, 0x1c), 3));
            p.drawRect(both);
        } else if (s < m_trained) {
            p.setPen(QPen(QColor(0x4c, 0xaf, 0x50), 1));
            p.drawRect(both);
        }
        p.setPen(palette().color(QPalette::WindowText));
        const QString label = (s < m_trained ? QStringLiteral("\u2713 ") : QString()) + QString::number(s + 1);
        p.drawText(QRect(tileRect(s, false).x(), 0, tileRect(s, false).width(), kHeader + kGap - 2),
                   Qt::AlignCenter, label);
    }
}

void PyramidStrip::mouseReleaseEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    for (int s = 0; s < m_reals.size(); ++s)
        for (int row = 0; row < 2; ++row)
            if (tileRect(s, row == 1).contains(pos)) {
                const QImage img = row == 0 ? m_reals[s] : m_samples.value(s);
                if (!img.isNull())
                    Q_EMIT tileClicked(img, row == 0 ? tr("real image, scale %1").arg(s + 1)
                                                     : tr("latest sample, scale %1").arg(s + 1));
                return;
            }
    QWidget::mouseReleaseEvent(event);
}

LivePanel::LivePanel(QWidget *parent)
    : QWidget(parent)
    , m_synthesis(new ImageView(this))
    , m_recovery(new ImageView(this))
    , m_strip(new PyramidStrip(this))
    , m_caption(new QLabel(this))
{
    setObjectName(QStringLiteral("livePanel"));
    m_synthesis->setCaption(tr("Synthesis"));
    m_recovery->setCaption(tr("Recovery"));
    m_synthesis->setPlaceholder(tr("Langevin synthesis"));
    m_recovery->setPlaceholder(tr("Recovery of the blurred image"));
    m_caption->setAlignment(Qt::AlignCenter);
    m_synthesis->setMinimumHeight(110);
    m_recovery->setMinimumHeight(110);

    auto *views = new QHBoxLayout;
    views->addWidget(m_synthesis);
    views->addWidget(m_recovery);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_caption);
    layout->addLayout(views, 1);
    layout->addWidget(m_strip);

    connect(m_synthesis, &ImageView::clicked, this, [this] {
        if (!m_synthesis->image().isNull())
            Q_EMIT imageClicked(m_synthesis->image(), tr("synthesis"));
    });
    connect(m_recovery, &ImageView::clicked, this, [this] {
        if (!m_recovery->image().isNull())
            Q_EMIT imageClicked(m_recovery->image(), tr("recovery"));
    });
    connect(m_strip, &PyramidStrip::tileClicked, this, &LivePanel::imageClicked);
}

void LivePanel::setModel(const ModelInfo &info)
{
    m_strip->setModel(info);
}

void LivePanel::showStatus(const TrainStatus &st)
{
    m_caption->setText(tr("Scale %1 of %2 \u00b7 iteration %3 of %4").arg(st.scale + 1).arg(st.numScales).arg(st.iteration).arg(st.iterations));
    m_strip->setActiveScale(st.scale);
    if (!st.synthesis.isNull()) {
        m_synthesis->setImage(st.synthesis);
        m_recovery->setImage(st.recovery);
        m_strip->setSample(st.scale, st.synthesis);
    }
}

void LivePanel::clear()
{
    m_synthesis->setImage(QImage());
    m_recovery->setImage(QImage());
    m_caption->clear();
    m_strip->setModel(ModelInfo());
}

} // namespace pgcn::ui
