#include "imagecanvas.h"

#include <cmath>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include "masklayer.h"
#include "masktools.h"
#include "objectoverlay.h"
#include "patchcommand.h"
#include "zoomable.h"

namespace pgcn::ui {

ImageCanvas::ImageCanvas(QWidget *parent)
    : QAbstractScrollArea(parent)
    , m_zoom(new Zoomable(this))
    , m_placeholder(tr("Open an image (Ctrl+O) or drop one here"))
{
    setFocusPolicy(Qt::StrongFocus);
    setFrameShape(QFrame::NoFrame);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    viewport()->setMouseTracking(true);
    horizontalScrollBar()->setSingleStep(20);
    verticalScrollBar()->setSingleStep(20);
    connect(m_zoom, &Zoomable::scaleChanged, this, &ImageCanvas::onScaleChanged);
}

void ImageCanvas::setImage(const QImage &image, const QString &caption)
{
    const bool sameSize = !m_image.isNull() && image.size() == m_image.size();
    m_image = image.isNull() || image.format() == QImage::Format_RGB888 ? image : image.convertToFormat(QImage::Format_RGB888);
    m_caption = caption;
    m_pixmap = QPixmap::fromImage(image);
    m_smallCache = QPixmap();
    m_smallCacheScale = 0;
    if (m_fit || !sameSize)
        fitInView();
    updateScrollBars();
    if (!sameSize) {
        m_heat = QImage();
        if (m_mask)
            m_mask->reset(m_image.size());
    }
    viewport()->update();
    Q_EMIT imageChanged();
}

void ImageCanvas::setMaskLayer(MaskLayer *mask)
{
    if (m_mask)
        disconnect(m_mask, nullptr, this, nullptr);
    m_mask = mask;
    if (mask) {
        connect(mask, &MaskLayer::changed, this, &ImageCanvas::onMaskChanged);
        connect(mask, &MaskLayer::appearanceChanged, this, [this] {
            rebuildOverlay(QRect());
            viewport()->update();
        });
        if (mask->size() != m_image.size())
            mask->reset(m_image.size());
    }
    rebuildOverlay(QRect());
    viewport()->update();
}

void ImageCanvas::setObjectOverlay(ObjectOverlay *object)
{
    m_object = object;
    if (object)
        connect(object, &ObjectOverlay::changed, viewport(), qOverload<>(&QWidget::update));
    viewport()->update();
}

void ImageCanvas::setTool(AbstractTool *tool)
{
    m_tool = tool;
    m_toolDrag = false;
    viewport()->update();
}

QTransform ImageCanvas::imageToView() const
{
    const QRectF r = imageRect();
    const qreal s = m_zoom->scale();
    return QTransform(s, 0, 0, s, r.left(), r.top());
}

QPointF ImageCanvas::mapToImage(const QPointF &viewPos) const
{
    const QRectF r = imageRect();
    return (viewPos - r.topLeft()) / m_zoom->scale();
}

QImage ImageCanvas::copyImageRect(const QRect &rect) const
{
    return m_image.copy(rect.intersected(m_image.rect()));
}

void ImageCanvas::writeImageRect(const QRect &rect, const QImage &pixels)
{
    if (!m_image.rect().contains(rect) || pixels.size() != rect.size())
        return;
    blitImage(m_image, rect.topLeft(), pixels.convertToFormat(m_image.format()));
    {
        QPainter p(&m_pixmap);
        p.setCompositionMode(QPainter::CompositionMode_Source);
        p.drawImage(rect.topLeft(), m_image, rect);
    }
    m_smallCache = QPixmap();
    updateImageArea(QRectF(rect), 1);
    Q_EMIT imageEdited(rect);
}

void ImageCanvas::updateImageArea(const QRectF &area, qreal pad)
{
    const QRectF a = area.normalized().adjusted(-pad - 1, -pad - 1, pad + 1, pad + 1);
    viewport()->update(imageToView().mapRect(a).toAlignedRect().adjusted(-2, -2, 2, 2));
}

void ImageCanvas::onMaskChanged(const QRect &rect)
{
    rebuildOverlay(rect);
    if (rect.isNull())
        viewport()->update();
    else
        updateImageArea(QRectF(rect), m_mask ? m_mask->brushSize() / 2.0 : 1);
}

void ImageCanvas::rebuildOverlay(const QRect &rect)
{
    if (!m_mask || m_mask->mask().isNull()) {
        m_overlay = QImage();
        return;
    }
    const QImage &mask = m_mask->mask();
    QRect r = rect;
    if (r.isNull() || m_overlay.size() != mask.size()) {
        m_overlay = QImage(mask.size(), QImage::Format_ARGB32_Premultiplied);
        r = mask.rect();
    }
    r = r.intersected(mask.rect());
    const QColor c = m_mask->color();
    for (int y = r.top(); y <= r.bottom(); ++y) {
        const uchar *mr = mask.constScanLine(y);
        auto *o = reinterpret_cast<QRgb *>(m_overlay.scanLine(y));
        for (int x = r.left(); x <= r.right(); ++x) {
            const int a = mr[x];
            o[x] = qRgba(c.red() * a / 255, c.green() * a / 255, c.blue() * a / 255, a);
        }
    }
}

void ImageCanvas::setHeatMap(const QImage &heat)
{
    m_heat = heat;
    viewport()->update();
}

void ImageCanvas::setHeatMapVisible(bool visible)
{
    m_heatVisible = visible;
    viewport()->update();
}

void ImageCanvas::setHeatMapOpacity(qreal opacity)
{
    m_heatOpacity = opacity;
    viewport()->update();
}

void ImageCanvas::setFrameRect(const QRectF &frame)
{
    if (frame == m_frame)
        return;
    m_frame = frame;
    viewport()->update();
}

void ImageCanvas::leaveEvent(QEvent *event)
{
    if (m_tool)
        m_tool->mouseLeft();
    QAbstractScrollArea::leaveEvent(event);
}

void ImageCanvas::clear()
{
    setImage(QImage());
}

void ImageCanvas::setPlaceholderText(const QString &text)
{
    m_placeholder = text;
    viewport()->update();
}

void ImageCanvas::fitInView()
{
    m_fit = true;
    if (m_pixmap.isNull())
        return;
    const QSize vp = viewport()->size();
    const qreal s = std::min(qreal(vp.width() - 8) / m_pixmap.width(), qreal(vp.height() - 8) / m_pixmap.height());
    m_fitting = true;
    m_zoom->setScale(qBound(Zoomable::kMinScale, s, 16.0));
    m_fitting = false;
    updateScrollBars();
    viewport()->update();
}

void ImageCanvas::actualSize()
{
    m_zoom->setScale(1.0);
}

QRectF ImageCanvas::imageRect() const
{
    const qreal s = m_zoom->scale();
    const QSizeF sz(m_pixmap.width() * s, m_pixmap.height() * s);
    const QSize vp = viewport()->size();
    const qreal x = sz.width() < vp.width() ? std::round((vp.width() - sz.width()) / 2) : -horizontalScrollBar()->value();
    const qreal y = sz.height() < vp.height() ? std::round((vp.height() - sz.height()) / 2) : -verticalScrollBar()->value();
    return {QPointF(x, y), sz};
}

void ImageCanvas::updateScrollBars()
{
    const qreal s = m_zoom->scale();
    const QSize vp = viewport()->size();
    const int w = int(std::ceil(m_pixmap.width() * s));
    const int h = int(std::ceil(m_pixmap.height() * s));
    horizontalScrollBar()->setPageStep(vp.width());
    verticalScrollBar()->setPageStep(vp.height());
    horizontalScrollBar()->setRange(0, std::max(0, w - vp.width()));
    verticalScrollBar()->setRange(0, std::max(0, h - vp.height()));
}

void ImageCanvas::onScaleChanged(qreal scale)
{
    if (!m_fitting)
        m_fit = false;
    // Keep the anchor (cursor or view centre) over the same image point.
    QPointF imagePos, viewPos;
    if (m_haveAnchor) {
        imagePos = m_anchorImagePos;
        viewPos = m_anchorViewPos;
    } else {
        viewPos = QPointF(viewport()->width() / 2.0, viewport()->height() / 2.0);
        const QSizeF sz(m_pixmap.width() * m_prevScale, m_pixmap.height() * m_prevScale);
        const qreal x0 = sz.width() < viewport()->width() ? (viewport()->width() - sz.width()) / 2 : -horizontalScrollBar()->value();
        const qreal y0 = sz.height() < viewport()->height() ? (viewport()->height() - sz.height()) / 2 : -verticalScrollBar()->value();
        imagePos = (viewPos - QPointF(x0, y0)) / m_prevScale;
    }
    m_prevScale = scale;
    updateScrollBars();
    horizontalScrollBar()->setValue(int(std::round(imagePos.x() * scale - viewPos.x())));
    verticalScrollBar()->setValue(int(std::round(imagePos.y() * scale - viewPos.y())));
    viewport()->update();
}

void ImageCanvas::zoomAround(qreal newScale, const QPointF &viewPos)
{
    const QRectF r = imageRect();
    m_anchorViewPos = viewPos;
    m_anchorImagePos = (viewPos - r.topLeft()) / m_zoom->scale();
    m_haveAnchor = true;
    m_zoom->setScale(newScale);
    m_haveAnchor = false;
}

void ImageCanvas::paintEvent(QPaintEvent *event)
{
    QPainter p(viewport());
    p.fillRect(event->rect(), QColor(0x3c, 0x3f, 0x41));
    if (m_pixmap.isNull()) {
        p.setPen(QColor(0xc8, 0xc8, 0xc8));
        p.drawText(viewport()->rect(), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    const QRectF r = imageRect();
    const qreal s = m_zoom->scale();
    const QRectF exposed = QRectF(event->rect()).intersected(r);
    if (exposed.isEmpty())
        return;
    if (s >= 1.0) {
        // Nearest neighbour, and only the source pixels that are on screen.
        const QRectF src((exposed.left() - r.left()) / s, (exposed.top() - r.top()) / s, exposed.width() / s,
                         exposed.height() / s);
        const QRect srcPx = src.toAlignedRect().intersected(m_pixmap.rect());
        const QRectF target(r.left() + srcPx.x() * s, r.top() + srcPx.y() * s, srcPx.width() * s, srcPx.height() * s);
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);
        p.drawPixmap(target, m_pixmap, QRectF(srcPx));
    } else {
        if (m_smallCacheScale != s || m_smallCache.isNull()) {
            m_smallCache = m_pixmap.scaled(QSize(std::max(1, int(std::round(r.width()))), std::max(1, int(std::round(r.height())))),
                                           Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
            m_smallCacheScale = s;
        }
        const QRectF src = exposed.translated(-r.topLeft());
        p.drawPixmap(exposed, m_smallCache, src);
    }

    // Overlays, clipped to the exposed part of the image.
    p.setClipRect(exposed);
    const QTransform t = imageToView();
    const QRectF srcArea = t.inverted().mapRect(exposed).adjusted(-1, -1, 1, 1).intersected(QRectF(m_image.rect()));
    const QRect srcPx = srcArea.toAlignedRect().intersected(m_image.rect());
    const QRectF target = t.mapRect(QRectF(srcPx));
    p.setRenderHint(QPainter::SmoothPixmapTransform, s < 1.0);
    if (m_heatVisible && m_heat.size() == m_image.size()) {
        p.setOpacity(m_heatOpacity);
        p.drawImage(target, m_heat, QRectF(srcPx));
    }
    if (m_mask && m_mask->isVisible() && m_overlay.size() == m_image.size()) {
        p.setOpacity(m_mask->opacity());
        p.drawImage(target, m_overlay, QRectF(srcPx));
    }
    p.setOpacity(1.0);
    if (m_object && !m_object->isNull()) {
        p.save();
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.setTransform(m_object->transform() * t);
        p.setOpacity(0.9);
        p.drawImage(0, 0, m_object->image());
        p.restore();
        p.setRenderHint(QPainter::Antialiasing);
        const QPolygonF outline = t.map(m_object->outline());
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(255, 255, 255), 1, Qt::DashLine));
        p.drawPolygon(outline);
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(Qt::white);
        for (const QPointF &c : outline)
            p.drawRect(QRectF(c - QPointF(4, 4), QSizeF(8, 8)));
        p.setRenderHint(QPainter::Antialiasing, false);
    }
    p.setClipping(false);
    if (!m_frame.isNull()) {
        const QRectF f = t.mapRect(m_frame);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(QColor(0, 0, 0, 200), 2));
        p.drawRect(f);
        p.setPen(QPen(QColor(255, 220, 0), 2, Qt::DashLine));
        p.drawRect(f);
    }
    if (m_tool)
        m_tool->paint(p);
}

void ImageCanvas::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    if (m_fit)
        fitInView();
    updateScrollBars();
}

void ImageCanvas::wheelEvent(QWheelEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        const int delta = event->angleDelta().y();
        if (delta != 0 && !m_pixmap.isNull()) {
            const qreal newScale = m_zoom->scale() * std::pow(2.0, delta / 240.0);
            const qreal snapped = ((m_zoom->scale() < 1.0 && newScale > 1.0) || (m_zoom->scale() > 1.0 && newScale < 1.0))
                                      ? 1.0
                                      : newScale;
            zoomAround(snapped, event->position());
        }
        event->accept();
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
}

void ImageCanvas::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceDown = true;
        updateCursor();
        event->accept();
        return;
    }
    if (m_mask && (event->key() == Qt::Key_BracketLeft || event->key() == Qt::Key_BracketRight)) {
        if (event->key() == Qt::Key_BracketRight)
            m_mask->growBrush();
        else
            m_mask->shrinkBrush();
        viewport()->update();
        event->accept();
        return;
    }
    QAbstractScrollArea::keyPressEvent(event);
}

void ImageCanvas::keyReleaseEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceDown = false;
        updateCursor();
        event->accept();
        return;
    }
    QAbstractScrollArea::keyReleaseEvent(event);
}

void ImageCanvas::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_spaceDown)) {
        m_panning = true;
        m_lastPanPos = event->position().toPoint();
        updateCursor();
        event->accept();
        return;
    }
    if (event->button() == Qt::LeftButton && m_tool && !m_image.isNull()) {
        m_toolDrag = true;
        m_tool->mousePressed(mapToImage(event->position()), event->modifiers());
        event->accept();
        return;
    }
    QAbstractScrollArea::mousePressEvent(event);
}

void ImageCanvas::mouseMoveEvent(QMouseEvent *event)
{
    if (m_panning) {
        const QPoint pos = event->position().toPoint();
        const QPoint d = pos - m_lastPanPos;
        m_lastPanPos = pos;
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
        event->accept();
        return;
    }
    if (m_tool && !m_image.isNull()) {
        m_tool->mouseMoved(mapToImage(event->position()), m_toolDrag ? event->buttons() : Qt::NoButton, event->modifiers());
        event->accept();
        return;
    }
    QAbstractScrollArea::mouseMoveEvent(event);
}

void ImageCanvas::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_panning && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
        m_panning = false;
        updateCursor();
        event->accept();
        return;
    }
    if (event->button() == Qt::LeftButton && m_tool && m_toolDrag) {
        m_toolDrag = false;
        m_tool->mouseReleased(mapToImage(event->position()), event->modifiers());
        event->accept();
        return;
    }
    QAbstractScrollArea::mouseReleaseEvent(event);
}

void ImageCanvas::scrollContentsBy(int, int)
{
    viewport()->update();
}

void ImageCanvas::updateCursor()
{
    if (m_panning)
        viewport()->setCursor(Qt::ClosedHandCursor);
    else if (m_spaceDown)
        viewport()->setCursor(Qt::OpenHandCursor);
    else
        viewport()->unsetCursor();
}

} // namespace pgcn::ui
