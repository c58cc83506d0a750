#include "objectoverlay.h"

#include <algorithm>

#include <QPainter>

namespace pgcn::ui {

ObjectOverlay::ObjectOverlay(QObject *parent)
    : QObject(parent)
{
}

void ObjectOverlay::setObject(const QImage &rgb, const QImage &alpha)
{
    m_image = rgb.convertToFormat(QImage::Format_ARGB32);
    if (!alpha.isNull() && alpha.size() == rgb.size()) {
        const QImage a = alpha.convertToFormat(QImage::Format_Grayscale8);
        for (int y = 0; y < m_image.height(); ++y) {
            auto *row = reinterpret_cast<QRgb *>(m_image.scanLine(y));
            const uchar *ar = a.constScanLine(y);
            for (int x = 0; x < m_image.width(); ++x)
                row[x] = qRgba(qRed(row[x]), qGreen(row[x]), qBlue(row[x]), ar[x]);
        }
    }
    m_scale = 1.0;
    m_rotation = 0.0;
    Q_EMIT changed();
}

void ObjectOverlay::setObject(const QImage &argb)
{
    m_image = argb.convertToFormat(QImage::Format_ARGB32);
    m_scale = 1.0;
    m_rotation = 0.0;
    Q_EMIT changed();
}

void ObjectOverlay::clear()
{
    m_image = QImage();
    Q_EMIT changed();
}

QTransform ObjectOverlay::transform() const
{
    QTransform t;
    t.translate(m_center.x(), m_center.y());
    t.rotate(m_rotation);
    t.scale(m_scale, m_scale);
    t.translate(-m_image.width() / 2.0, -m_image.height() / 2.0);
    return t;
}

QPolygonF ObjectOverlay::outline() const
{
    return transform().map(QPolygonF(QRectF(QPointF(0, 0), QSizeF(m_image.size()))));
}

QRect ObjectOverlay::boundingRect() const
{
    return outline().boundingRect().toAlignedRect().adjusted(-1, -1, 1, 1);
}

void ObjectOverlay::flatten(const QImage &image, QImage *pasted, QImage *mask) const
{
    QImage out = image.convertToFormat(QImage::Format_ARGB32);
    QImage alpha(image.size(), QImage::Format_ARGB32);
    alpha.fill(Qt::transparent);
    if (!m_image.isNull()) {
        QPainter p(&out);
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.setTransform(transform());
        p.drawImage(0, 0, m_image);
        p.end();
        QPainter q(&alpha);
        q.setRenderHint(QPainter::SmoothPixmapTransform);
        q.setTransform(transform());
        q.drawImage(0, 0, m_image);
    }
    if (pasted)
        *pasted = out.convertToFormat(QImage::Format_RGB888);
    if (mask) {
        QImage m(image.size(), QImage::Format_Grayscale8);
        for (int y = 0; y < m.height(); ++y) {
            const auto *row = reinterpret_cast<const QRgb *>(alpha.constScanLine(y));
            uchar *mr = m.scanLine(y);
            for (int x = 0; x < m.width(); ++x)
                mr[x] = uchar(qAlpha(row[x]));
        }
        *mask = m;
    }
}

void ObjectOverlay::setCenter(const QPointF &center)
{
    if (center == m_center)
        return;
    m_center = center;
    Q_EMIT changed();
}

void ObjectOverlay::setScale(qreal scale)
{
    scale = std::clamp(scale, 0.01, 100.0);
    if (scale == m_scale)
        return;
    m_scale = scale;
    Q_EMIT changed();
}

void ObjectOverlay::setRotation(qreal degrees)
{
    if (degrees == m_rotation)
        return;
    m_rotation = degrees;
    Q_EMIT changed();
}

} // namespace pgcn::ui
