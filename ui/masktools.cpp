#include "masktools.h"

#include <cmath>

#include <QAction>
#include <QActionGroup>
#include <QPainter>
#include <QPainterPath>
#include <QUndoStack>

#include "imagecanvas.h"
#include "masklayer.h"
#include "objectoverlay.h"
#include "patchcommand.h"

namespace pgcn::ui {

AbstractTool::AbstractTool(const QString &name, const QIcon &icon, const QKeySequence &shortcut, QObject *parent)
    : QObject(parent)
    , m_name(name)
    , m_icon(icon)
    , m_shortcut(shortcut)
{
}

void AbstractTool::activate(ImageCanvas *canvas)
{
    m_canvas = canvas;
}

void AbstractTool::deactivate()
{
    if (m_canvas)
        m_canvas->viewport()->update();
    m_canvas = nullptr;
}

NavigateTool::NavigateTool(QObject *parent)
    : AbstractTool(tr("Navigate"), QIcon(QStringLiteral(":/icons/zoom-fit.svg")), QKeySequence(Qt::Key_N), parent)
{
}

// ---------------------------------------------------------------- brush

BrushTool::BrushTool(Mode mode, MaskLayer *mask, QObject *parent)
    : AbstractTool(mode == Mode::Paint ? tr("Mask Brush") : mode == Mode::Erase ? tr("Mask Eraser") : tr("Colour Brush"),
                   QIcon(),
                   QKeySequence(mode == Mode::Paint ? Qt::Key_B : mode == Mode::Erase ? Qt::Key_E : Qt::Key_P), parent)
    , m_mode(mode)
    , m_mask(mask)
    , m_coverage(new MaskLayer(this))
{
}

void BrushTool::deactivate()
{
    m_drawing = false;
    m_hovering = false;
    AbstractTool::deactivate();
}

void BrushTool::segment(const QPointF &a, const QPointF &b, bool first)
{
    if (!m_canvas || m_mask->size() != m_canvas->image().size())
        return;
    const QRect rect = m_mask->segmentRect(a, b);
    if (rect.isEmpty())
        return;
    QVector<PatchCommand::Patch> patches;
    PatchCommand::Patch mp;
    mp.read = [m = m_mask](const QRect &r) { return m->copyRect(r); };
    mp.write = [m = m_mask](const QRect &r, const QImage &px) { m->writeRect(r, px); };
    mp.rect = rect;
    mp.before = m_mask->copyRect(rect);
    if (m_mode == Mode::Colour) {
        // The image: the stroke's coverage blends the colour over the image as it was before the stroke.
        PatchCommand::Patch ip;
        ImageCanvas *c = m_canvas;
        ip.read = [c](const QRect &r) { return c->copyImageRect(r); };
        ip.write = [c](const QRect &r, const QImage &px) { c->writeImageRect(r, px); };
        ip.rect = rect;
        ip.before = c->copyImageRect(rect);
        m_coverage->setBrushSize(m_mask->brushSize());
        m_coverage->setHardness(m_mask->hardness());
        m_coverage->paintSegment(a, b, false);
        QImage px = m_strokeBase.copy(rect);
        const QImage cov = m_coverage->copyRect(rect);
        for (int y = 0; y < px.height(); ++y) {
            uchar *row = px.scanLine(y);
            const uchar *cr = cov.constScanLine(y);
            for (int x = 0; x < px.width(); ++x) {
                const int w = cr[x];
                row[3 * x] = uchar((row[3 * x] * (255 - w) + m_paintColor.red() * w + 127) / 255);
                row[3 * x + 1] = uchar((row[3 * x + 1] * (255 - w) + m_paintColor.green() * w + 127) / 255);
                row[3 * x + 2] = uchar((row[3 * x + 2] * (255 - w) + m_paintColor.blue() * w + 127) / 255);
            }
        }
        c->writeImageRect(rect, px);
        ip.after = px;
        patches << ip;
    }
    m_mask->paintSegment(a, b, m_mode == Mode::Erase);
    mp.after = m_mask->copyRect(rect);
    patches << mp;
    auto *cmd = new PatchCommand(name(), patches, true, !first);
    if (QUndoStack *stack = m_mask->undoStack()) {
        stack->push(cmd);
    } else {
        delete cmd;
    }
}

void BrushTool::mousePressed(const QPointF &pos, Qt::KeyboardModifiers)
{
    if (!m_canvas || m_canvas->image().isNull())
        return;
    m_drawing = true;
    m_last = pos;
    if (m_mode == Mode::Colour) {
        m_strokeBase = m_canvas->image().convertToFormat(QImage::Format_RGB888);
        m_coverage->reset(m_strokeBase.size());
    }
    segment(pos, pos, true);
}

void BrushTool::mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers)
{
    updateCursorArea(pos);
    if (!m_drawing || !(buttons & Qt::LeftButton))
        return;
    segment(m_last, pos, false);
    m_last = pos;
}

void BrushTool::mouseReleased(const QPointF &pos, Qt::KeyboardModifiers)
{
    if (!m_drawing)
        return;
    if (pos != m_last)
        segment(m_last, pos, false);
    m_drawing = false;
    m_strokeBase = QImage();
}

void BrushTool::mouseLeft()
{
    if (m_hovering && m_canvas) {
        m_hovering = false;
        m_canvas->updateImageArea(QRectF(m_hover, m_hover), m_mask->brushSize());
    }
}

void BrushTool::updateCursorArea(const QPointF &pos)
{
    if (!m_canvas)
        return;
    const qreal r = m_mask->brushSize();
    if (m_hovering)
        m_canvas->updateImageArea(QRectF(m_hover, m_hover), r);
    m_hover = pos;
    m_hovering = true;
    m_canvas->updateImageArea(QRectF(m_hover, m_hover), r);
}

void BrushTool::paint(QPainter &painter)
{
    if (!m_hovering || !m_canvas)
        return;
    const QTransform t = m_canvas->imageToView();
    const QPointF c = t.map(m_hover);
    const qreal r = m_mask->brushSize() / 2.0 * t.m11();
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(QColor(0, 0, 0, 160), 3));
    painter.drawEllipse(c, r, r);
    painter.setPen(QPen(m_mode == Mode::Erase ? QColor(255, 255, 255) : m_mode == Mode::Colour ? m_paintColor : m_mask->color(), 1.2));
    painter.drawEllipse(c, r, r);
    if (m_mask->hardness() < 0.99) {
        painter.setPen(QPen(QColor(255, 255, 255, 110), 1, Qt::DotLine));
        painter.drawEllipse(c, r * m_mask->hardness(), r * m_mask->hardness());
    }
}

// ---------------------------------------------------------------- selections

SelectionTool::SelectionTool(Shape shape, MaskLayer *mask, QObject *parent)
    : AbstractTool(shape == Shape::Rectangle ? tr("Rectangle Selection") : tr("Lasso Selection"), QIcon(),
                   QKeySequence(shape == Shape::Rectangle ? Qt::Key_R : Qt::Key_L), parent)
    , m_shape(shape)
    , m_mask(mask)
{
}

void SelectionTool::mousePressed(const QPointF &pos, Qt::KeyboardModifiers)
{
    m_points = QPolygonF() << pos;
    m_dragging = true;
}

void SelectionTool::mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers)
{
    if (!m_dragging || !(buttons & Qt::LeftButton) || !m_canvas)
        return;
    const QRectF before = m_points.boundingRect();
    if (m_shape == Shape::Rectangle) {
        if (m_points.size() < 2)
            m_points << pos;
        else
            m_points[1] = pos;
    } else {
        m_points << pos;
    }
    m_canvas->updateImageArea(before.united(m_points.boundingRect()), 2);
}

void SelectionTool::mouseReleased(const QPointF &pos, Qt::KeyboardModifiers modifiers)
{
    if (!m_dragging)
        return;
    m_dragging = false;
    const MaskLayer::SelectMode mode = modifiers & Qt::ShiftModifier ? MaskLayer::SelectMode::Add
                                     : modifiers & Qt::AltModifier   ? MaskLayer::SelectMode::Subtract
                                                                     : MaskLayer::SelectMode::Replace;
    const QRectF area = m_points.boundingRect();
    if (m_shape == Shape::Rectangle) {
        const QPointF a = m_points.first();
        // Pixels whose centres lie inside the dragged rectangle.
        const int x0 = int(std::lround(std::min(a.x(), pos.x()))), x1 = int(std::lround(std::max(a.x(), pos.x())));
        const int y0 = int(std::lround(std::min(a.y(), pos.y()))), y1 = int(std::lround(std::max(a.y(), pos.y())));
        if (x1 > x0 && y1 > y0)
            m_mask->selectRect(QRect(x0, y0, x1 - x0, y1 - y0), mode);
    } else {
        m_points << pos;
        if (m_points.size() >= 3)
            m_mask->selectPolygon(m_points, mode);
    }
    m_points.clear();
    if (m_canvas)
        m_canvas->updateImageArea(area, 2);
}

void SelectionTool::paint(QPainter &painter)
{
    if (!m_dragging || m_points.size() < 2 || !m_canvas)
        return;
    const QTransform t = m_canvas->imageToView();
    painter.setBrush(QColor(255, 255, 255, 40));
    for (int pass = 0; pass < 2; ++pass) {
        QPen pen(pass == 0 ? QColor(0, 0, 0) : QColor(255, 255, 255), 1, pass == 0 ? Qt::SolidLine : Qt::DashLine);
        painter.setPen(pen);
        if (m_shape == Shape::Rectangle)
            painter.drawRect(t.mapRect(QRectF(m_points[0], m_points[1]).normalized()));
        else
            painter.drawPolygon(t.map(m_points));
        painter.setBrush(Qt::NoBrush);
    }
}

// ---------------------------------------------------------------- copy-move

MoveSelectionTool::MoveSelectionTool(MaskLayer *mask, QObject *parent)
    : AbstractTool(tr("Move Selection (copy)"), QIcon(), QKeySequence(Qt::Key_M), parent)
    , m_mask(mask)
{
}

void MoveSelectionTool::mousePressed(const QPointF &pos, Qt::KeyboardModifiers)
{
    if (!m_canvas || m_mask->size() != m_canvas->image().size())
        return;
    const QImage &mask = m_mask->mask();
    const QPoint p = pos.toPoint();
    if (!mask.rect().contains(p) || mask.constScanLine(p.y())[p.x()] == 0) {
        Q_EMIT statusInfo(tr("Press inside the selection (the mask) to drag a copy of it"));
        return;
    }
    const QRect box = differenceBounds(mask);
    if (box.isNull())
        return;
    m_origin = box.topLeft();
    m_floatMask = mask.copy(box);
    m_float = m_canvas->image().copy(box).convertToFormat(QImage::Format_ARGB32);
    for (int y = 0; y < m_float.height(); ++y) {
        auto *row = reinterpret_cast<QRgb *>(m_float.scanLine(y));
        const uchar *mr = m_floatMask.constScanLine(y);
        for (int x = 0; x < m_float.width(); ++x)
            row[x] = qRgba(qRed(row[x]), qGreen(row[x]), qBlue(row[x]), mr[x]);
    }
    m_start = pos;
    m_offset = QPoint();
    m_dragging = true;
}

void MoveSelectionTool::mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers)
{
    if (!m_dragging || !(buttons & Qt::LeftButton) || !m_canvas)
        return;
    const QRect old = QRect(m_origin + m_offset, m_float.size());
    m_offset = (pos - m_start).toPoint();
    m_canvas->updateImageArea(QRectF(old.united(QRect(m_origin + m_offset, m_float.size()))), 2);
}

void MoveSelectionTool::mouseReleased(const QPointF &pos, Qt::KeyboardModifiers)
{
    if (!m_dragging || !m_canvas)
        return;
    m_dragging = false;
    m_offset = (pos - m_start).toPoint();
    const QRect src(m_origin, m_float.size());
    const QRect dst = QRect(m_origin + m_offset, m_float.size()).intersected(m_canvas->image().rect());
    m_canvas->updateImageArea(QRectF(src.united(QRect(m_origin + m_offset, m_float.size()))), 2);
    if (m_offset.isNull() || dst.isEmpty())
        return;
    ImageCanvas *c = m_canvas;
    MaskLayer *m = m_mask;
    // The image: the copy pasted over the destination.
    PatchCommand::Patch ip;
    ip.read = [c](const QRect &r) { return c->copyImageRect(r); };
    ip.write = [c](const QRect &r, const QImage &px) { c->writeImageRect(r, px); };
    ip.rect = dst;
    ip.before = c->copyImageRect(dst);
    QImage pasted = ip.before.convertToFormat(QImage::Format_ARGB32);
    {
        QPainter p(&pasted);
        p.drawImage(m_origin + m_offset - dst.topLeft(), m_float);
    }
    ip.after = pasted.convertToFormat(QImage::Format_RGB888);
    // The mask: the pasted region only.
    const QRect area = src.united(dst);
    PatchCommand::Patch mp;
    mp.read = [m](const QRect &r) { return m->copyRect(r); };
    mp.write = [m](const QRect &r, const QImage &px) { m->writeRect(r, px); };
    mp.rect = area;
    mp.before = m->copyRect(area);
    QImage after(area.size(), QImage::Format_Grayscale8);
    after.fill(0);
    blitImage(after, m_origin + m_offset - area.topLeft(), m_floatMask);
    mp.after = after;
    auto *cmd = new PatchCommand(tr("Copy-Move Selection"), {ip, mp}, false, false);
    if (QUndoStack *stack = m->undoStack()) {
        stack->push(cmd);
    } else {
        cmd->redo();
        delete cmd;
    }
    m_float = QImage();
}

void MoveSelectionTool::paint(QPainter &painter)
{
    if (!m_dragging || !m_canvas || m_float.isNull())
        return;
    const QTransform t = m_canvas->imageToView();
    const QRectF target = t.mapRect(QRectF(QPointF(m_origin + m_offset), QSizeF(m_float.size())));
    painter.setOpacity(0.85);
    painter.drawImage(target, m_float);
    painter.setOpacity(1.0);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(Qt::white, 1, Qt::DashLine));
    painter.drawRect(target);
}

// ---------------------------------------------------------------- object placement

PlaceObjectTool::PlaceObjectTool(ObjectOverlay *object, QObject *parent)
    : AbstractTool(tr("Place Object"), QIcon(), QKeySequence(Qt::Key_O), parent)
    , m_object(object)
{
}

void PlaceObjectTool::mousePressed(const QPointF &pos, Qt::KeyboardModifiers modifiers)
{
    if (m_object->isNull() || !m_canvas)
        return;
    m_start = pos;
    m_startCenter = m_object->center();
    m_startScale = m_object->scale();
    m_startRotation = m_object->rotation();
    const qreal handle = 6 / std::max(1e-6, m_canvas->imageToView().m11());
    m_drag = Drag::None;
    if (modifiers & Qt::ControlModifier) {
        m_drag = Drag::Rotate;
        return;
    }
    for (const QPointF &corner : m_object->outline())
        if (QLineF(corner, pos).length() <= handle)
            m_drag = Drag::Scale;
    if (m_drag == Drag::None && m_object->outline().containsPoint(pos, Qt::OddEvenFill))
        m_drag = Drag::Move;
}

void PlaceObjectTool::mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers)
{
    if (!(buttons & Qt::LeftButton))
        return;
    switch (m_drag) {
    case Drag::None:
        break;
    case Drag::Move:
        m_object->setCenter(m_startCenter + (pos - m_start));
        break;
    case Drag::Scale: {
        const qreal d0 = QLineF(m_startCenter, m_start).length();
        if (d0 > 0)
            m_object->setScale(m_startScale * QLineF(m_startCenter, pos).length() / d0);
        break;
    }
    case Drag::Rotate: {
        const qreal a0 = QLineF(m_startCenter, m_start).angle();
        const qreal a1 = QLineF(m_startCenter, pos).angle();
        m_object->setRotation(m_startRotation - (a1 - a0));
        break;
    }
    }
}

void PlaceObjectTool::mouseReleased(const QPointF &, Qt::KeyboardModifiers)
{
    m_drag = Drag::None;
}

// ---------------------------------------------------------------- manager

ToolManager::ToolManager(ImageCanvas *canvas, QObject *parent)
    : QObject(parent)
    , m_canvas(canvas)
    , m_group(new QActionGroup(this))
{
    m_group->setExclusive(true);
}

QAction *ToolManager::registerTool(AbstractTool *tool)
{
    auto *a = new QAction(tool->icon(), tool->name(), this);
    a->setCheckable(true);
    a->setShortcut(tool->shortcut());
    a->setToolTip(QStringLiteral("%1 (%2)").arg(tool->name(), tool->shortcut().toString(QKeySequence::NativeText)));
    a->setObjectName(tool->name());
    m_group->addAction(a);
    m_tools << tool;
    m_actions << a;
    connect(a, &QAction::triggered, this, [this, tool] { selectTool(tool); });
    return a;
}

QAction *ToolManager::actionFor(AbstractTool *tool) const
{
    const int i = int(m_tools.indexOf(tool));
    return i >= 0 ? m_actions[i] : nullptr;
}

void ToolManager::selectTool(AbstractTool *tool)
{
    if (tool == m_current)
        return;
    if (m_current)
        m_current->deactivate();
    m_current = tool;
    if (QAction *a = actionFor(tool))
        a->setChecked(true);
    m_canvas->setTool(tool);
    if (tool)
        tool->activate(m_canvas);
    Q_EMIT currentToolChanged(tool);
}

} // namespace pgcn::ui
