#include "masklayer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <QPainter>
#include <QUndoStack>

#include "patchcommand.h"

namespace pgcn::ui {

MaskLayer::MaskLayer(QObject *parent)
    : QObject(parent)
{
}

bool MaskLayer::isEmpty() const
{
    for (int y = 0; y < m_mask.height(); ++y) {
        const uchar *row = m_mask.constScanLine(y);
        for (int x = 0; x < m_mask.width(); ++x)
            if (row[x])
                return false;
    }
    return true;
}

void MaskLayer::reset(const QSize &size)
{
    if (size.isEmpty()) {
        m_mask = QImage();
    } else {
        m_mask = QImage(size, QImage::Format_Grayscale8);
        m_mask.fill(0);
    }
    Q_EMIT changed(QRect());
}

void MaskLayer::setMask(const QImage &mask)
{
    m_mask = mask.convertToFormat(QImage::Format_Grayscale8);
    Q_EMIT changed(QRect());
}

QImage MaskLayer::copyRect(const QRect &rect) const
{
    return m_mask.copy(rect.intersected(m_mask.rect()));
}

void MaskLayer::writeRect(const QRect &rect, const QImage &pixels)
{
    if (!m_mask.rect().contains(rect) || pixels.size() != rect.size())
        return; // a stale command of an older image
    blitImage(m_mask, rect.topLeft(), pixels.convertToFormat(QImage::Format_Grayscale8));
    Q_EMIT changed(rect);
}

QRect MaskLayer::segmentRect(const QPointF &a, const QPointF &b) const
{
    const qreal r = std::max(0.5, m_brushSize / 2.0);
    const QRectF box = QRectF(a, b).normalized().adjusted(-r - 1, -r - 1, r + 1, r + 1);
    return box.toAlignedRect().intersected(m_mask.rect());
}

qreal MaskLayer::dabWeight(qreal d) const
{
    const qreal r = std::max(0.5, m_brushSize / 2.0);
    const qreal hard = r * m_hardness;
    if (d <= hard)
        return 1.0;
    if (d >= r)
        return 0.0;
    return (r - d) / std::max(1e-6, r - hard);
}

QRect MaskLayer::paintSegment(const QPointF &a, const QPointF &b, bool erase)
{
    if (m_mask.isNull())
        return {};
    const qreal r = std::max(0.5, m_brushSize / 2.0);
    const qreal len = std::hypot(b.x() - a.x(), b.y() - a.y());
    const qreal spacing = std::max(0.5, r / 4);
    const int dabs = std::max(1, int(std::ceil(len / spacing)) + 1);
    QRect dirty;
    for (int i = 0; i < dabs; ++i) {
        const qreal t = dabs == 1 ? 1.0 : qreal(i) / (dabs - 1);
        const QPointF c = a + (b - a) * t;
        const QRect box = QRect(QPoint(int(std::floor(c.x() - r)), int(std::floor(c.y() - r))),
                                QPoint(int(std::ceil(c.x() + r)), int(std::ceil(c.y() + r))))
                              .intersected(m_mask.rect());
        for (int y = box.top(); y <= box.bottom(); ++y) {
            uchar *row = m_mask.scanLine(y);
            for (int x = box.left(); x <= box.right(); ++x) {
                const qreal w = dabWeight(std::hypot(x + 0.5 - c.x(), y + 0.5 - c.y()));
                if (w <= 0)
                    continue;
                const int v = int(std::lround(255 * w));
                row[x] = erase ? uchar(std::min<int>(row[x], 255 - v)) : uchar(std::max<int>(row[x], v));
            }
        }
        dirty = dirty.united(box);
    }
    if (!dirty.isEmpty())
        Q_EMIT changed(dirty);
    return dirty;
}

QRect differenceBounds(const QImage &mask, const QImage &reference)
{
    const bool compare = !reference.isNull();
    int x0 = mask.width(), y0 = mask.height(), x1 = -1, y1 = -1;
    for (int y = 0; y < mask.height(); ++y) {
        const uchar *a = mask.constScanLine(y);
        const uchar *b = compare ? reference.constScanLine(y) : nullptr;
        for (int x = 0; x < mask.width(); ++x)
            if (compare ? a[x] != b[x] : a[x] != 0) {
                x0 = std::min(x0, x);
                x1 = std::max(x1, x);
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
    }
    return x1 < 0 ? QRect() : QRect(QPoint(x0, y0), QPoint(x1, y1));
}

void MaskLayer::applyMask(const QImage &newMask, const QString &text)
{
    const QImage next = newMask.convertToFormat(QImage::Format_Grayscale8);
    if (next.size() != m_mask.size() || m_mask.isNull())
        return;
    // Only the rows/columns that change go into the command.
    const QRect rect = differenceBounds(next, m_mask);
    if (rect.isNull())
        return;
    PatchCommand::Patch p;
    p.read = [this](const QRect &r) { return copyRect(r); };
    p.write = [this](const QRect &r, const QImage &px) { writeRect(r, px); };
    p.rect = rect;
    p.before = copyRect(rect);
    p.after = next.copy(rect);
    auto *cmd = new PatchCommand(text, {p}, false, false);
    if (m_undo) {
        m_undo->push(cmd);
    } else {
        cmd->redo();
        delete cmd;
    }
}

void MaskLayer::setBrushSize(int size)
{
    size = std::clamp(size, kMinBrush, kMaxBrush);
    if (size == m_brushSize)
        return;
    m_brushSize = size;
    Q_EMIT brushChanged(m_brushSize, m_hardness);
}

void MaskLayer::setHardness(qreal hardness)
{
    hardness = std::clamp(hardness, 0.0, 1.0);
    if (hardness == m_hardness)
        return;
    m_hardness = hardness;
    Q_EMIT brushChanged(m_brushSize, m_hardness);
}

void MaskLayer::growBrush()
{
    setBrushSize(m_brushSize + std::max(1, m_brushSize / 5));
}

void MaskLayer::shrinkBrush()
{
    setBrushSize(m_brushSize - std::max(1, m_brushSize / 6));
}

void MaskLayer::setColor(const QColor &color)
{
    m_color = color;
    Q_EMIT appearanceChanged();
}

void MaskLayer::setOpacity(qreal opacity)
{
    m_opacity = std::clamp(opacity, 0.0, 1.0);
    Q_EMIT appearanceChanged();
}

void MaskLayer::setVisible(bool visible)
{
    m_visible = visible;
    Q_EMIT appearanceChanged();
}

void MaskLayer::setFeather(double radius)
{
    radius = std::clamp(radius, 0.0, 200.0);
    if (radius == m_feather)
        return;
    m_feather = radius;
    Q_EMIT featherChanged(radius);
}

void MaskLayer::fill()
{
    QImage m(m_mask.size(), QImage::Format_Grayscale8);
    m.fill(255);
    applyMask(m, tr("Fill Mask"));
}

void MaskLayer::invert()
{
    QImage m = m_mask.copy();
    m.invertPixels();
    applyMask(m, tr("Invert Mask"));
}

void MaskLayer::clear()
{
    QImage m(m_mask.size(), QImage::Format_Grayscale8);
    m.fill(0);
    applyMask(m, tr("Clear Mask"));
}

namespace {

/** Combines a 0/255 selection with the current mask. */
QImage combine(const QImage &current, const QImage &selection, MaskLayer::SelectMode mode)
{
    if (mode == MaskLayer::SelectMode::Replace)
        return selection;
    QImage out = current.copy();
    for (int y = 0; y < out.height(); ++y) {
        uchar *o = out.scanLine(y);
        const uchar *s = selection.constScanLine(y);
        for (int x = 0; x < out.width(); ++x)
            o[x] = mode == MaskLayer::SelectMode::Add ? std::max(o[x], s[x]) : uchar(std::min<int>(o[x], 255 - s[x]));
    }
    return out;
}

} // namespace

void MaskLayer::selectRect(const QRect &rect, SelectMode mode)
{
    QImage sel(m_mask.size(), QImage::Format_Grayscale8);
    sel.fill(0);
    const QRect r = rect.normalized().intersected(sel.rect());
    for (int y = r.top(); y <= r.bottom(); ++y)
        std::memset(sel.scanLine(y) + r.left(), 255, size_t(r.width()));
    applyMask(combine(m_mask, sel, mode), tr("Rectangle Selection"));
}

void MaskLayer::selectPolygon(const QPolygonF &polygon, SelectMode mode)
{
    // A pixel is inside when its centre is (odd-even rule), no antialiasing.
    QImage sel(m_mask.size(), QImage::Format_Grayscale8);
    sel.fill(0);
    const QRect box = polygon.boundingRect().toAlignedRect().intersected(sel.rect());
    for (int y = box.top(); y <= box.bottom(); ++y) {
        uchar *row = sel.scanLine(y);
        for (int x = box.left(); x <= box.right(); ++x)
            if (polygon.containsPoint(QPointF(x + 0.5, y + 0.5), Qt::OddEvenFill))
                row[x] = 255;
    }
    applyMask(combine(m_mask, sel, mode), tr("Lasso Selection"));
}

} // namespace pgcn::ui
