#include "imageview.h"

#include <QMouseEvent>
#include <QPainter>

namespace pgcn::ui {

ImageView::ImageView(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ImageView::setImage(const QImage &image)
{
    m_image = image;
    m_pixmap = QPixmap::fromImage(image);
    update();
}

void ImageView::setCaption(const QString &caption)
{
    m_caption = caption;
    update();
}

void ImageView::setPlaceholder(const QString &text)
{
    m_placeholder = text;
    update();
}

QSize ImageView::sizeHint() const
{
    return {160, 140};
}

QSize ImageView::minimumSizeHint() const
{
    return {64, 64};
}

void ImageView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const int captionH = m_caption.isEmpty() ? 0 : fontMetrics().height() + 4;
    const QRect area = rect().adjusted(2, 2, -2, -2 - captionH);
    p.fillRect(area, QColor(0x3c, 0x3f, 0x41));
    if (!m_pixmap.isNull() && area.width() > 0 && area.height() > 0) {
        QSize sz = m_pixmap.size().scaled(area.size(), Qt::KeepAspectRatio);
        const bool enlarge = sz.width() >= m_pixmap.width();
        if (enlarge) {
            // whole multiples keep pixels square
            const int k = std::max(1, std::min(area.width() / m_pixmap.width(), area.height() / m_pixmap.height()));
            if (k >= 2)
                sz = m_pixmap.size() * k;
        }
        const QRect target(area.x() + (area.width() - sz.width()) / 2, area.y() + (area.height() - sz.height()) / 2,
                           sz.width(), sz.height());
        p.setRenderHint(QPainter::SmoothPixmapTransform, !enlarge);
        p.drawPixmap(target, m_pixmap);
    } else if (!m_placeholder.isEmpty()) {
        p.setPen(QColor(0xb0, 0xb0, 0xb0));
        p.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
    }
    if (captionH > 0) {
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(0, height() - captionH, width(), captionH), Qt::AlignCenter, m_caption);
    }
}

void ImageView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && rect().contains(event->position().toPoint()))
        Q_EMIT clicked();
    QWidget::mouseReleaseEvent(event);
}

} // namespace pgcn::ui
