#include "zoomable.h"

#include <array>
#include <cmath>

#include <QtMath>

namespace pgcn::ui {

namespace {

constexpr std::array<qreal, 19> kSteps{1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 6, 0.25, 1.0 / 3, 0.5, 0.75, 1.0,
                                       1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0};

} // namespace

Zoomable::Zoomable(QObject *parent)
    : QObject(parent)
{
}

void Zoomable::setScale(qreal scale)
{
    scale = qBound(kMinScale, scale, kMaxScale);
    if (qFuzzyCompare(scale, m_scale))
        return;
    m_scale = scale;
    Q_EMIT scaleChanged(m_scale);
}

bool Zoomable::canZoomIn() const
{
    return m_scale < kMaxScale;
}

bool Zoomable::canZoomOut() const
{
    return m_scale > kMinScale;
}

void Zoomable::zoomIn()
{
    for (qreal s : kSteps)
        if (s > m_scale * 1.001) {
            setScale(s);
            return;
        }
}

void Zoomable::zoomOut()
{
    for (auto it = kSteps.rbegin(); it != kSteps.rend(); ++it)
        if (*it < m_scale / 1.001) {
            setScale(*it);
            return;
        }
}

void Zoomable::resetZoom()
{
    setScale(1.0);
}

void Zoomable::handleWheelDelta(int delta)
{
    // One notch (120) multiplies by sqrt(2); snap to 100% when passing near it.
    const qreal factor = std::pow(2.0, delta / 240.0);
    qreal s = m_scale * factor;
    if ((m_scale < 1.0 && s > 1.0) || (m_scale > 1.0 && s < 1.0))
        s = 1.0;
    setScale(s);
}

} // namespace pgcn::ui
