#pragma once

#include <QColor>
#include <QImage>
#include <QObject>
#include <QPolygonF>

class QUndoStack;

namespace pgcn::ui {

class PatchCommand;

/**
 * The mask being painted over the canvas image, a scribble-style QImage
 * backing store (Grayscale8, 255 = re-synthesize) plus the brush (size,
 * hardness) and the overlay's look. Every change reports its dirty rect;
 * the undoable operations push PatchCommands on the shared undo stack.
 */
class MaskLayer : public QObject
{
    Q_OBJECT

public:
    enum class SelectMode { Replace, Add, Subtract };

    explicit MaskLayer(QObject *parent = nullptr);

    void setUndoStack(QUndoStack *stack) { m_undo = stack; }
    QUndoStack *undoStack() const { return m_undo; }

    const QImage &mask() const { return m_mask; }
    QSize size() const { return m_mask.size(); }
    bool isEmpty() const;
    /** Without undo: a new blank mask of `size` (when the image changes). */
    void reset(const QSize &size);
    /** Without undo: replaces the mask (converted to Grayscale8). */
    void setMask(const QImage &mask);

    int brushSize() const { return m_brushSize; }
    qreal hardness() const { return m_hardness; }
    QColor color() const { return m_color; }
    qreal opacity() const { return m_opacity; }
    bool isVisible() const { return m_visible; }
    double feather() const { return m_feather; }

    /** Raw pixels of a rect (clipped to the mask), and their replacement. */
    QImage copyRect(const QRect &rect) const;
    void writeRect(const QRect &rect, const QImage &pixels);

    /** Stamps soft dabs from `a` to `b` (image coordinates); returns the dirty rect. No undo. */
    QRect paintSegment(const QPointF &a, const QPointF &b, bool erase);
    /** The rect paintSegment(a, b) would touch (clipped to the mask). */
    QRect segmentRect(const QPointF &a, const QPointF &b) const;
    /** The dab weight (0..1) at distance `d` from a dab's centre for the current brush. */
    qreal dabWeight(qreal d) const;

    /** Undoable: a new mask in one step (fill, invert, selections, loads). */
    void applyMask(const QImage &newMask, const QString &text);

public Q_SLOTS:
    void setBrushSize(int size);
    void setHardness(qreal hardness);
    void setColor(const QColor &color);
    void setOpacity(qreal opacity);
    void setVisible(bool visible);
    void setFeather(double radius);
    void growBrush();
    void shrinkBrush();

    void fill();
    void invert();
    void clear();
    void selectRect(const QRect &rect, pgcn::ui::MaskLayer::SelectMode mode = SelectMode::Replace);
    void selectPolygon(const QPolygonF &polygon, pgcn::ui::MaskLayer::SelectMode mode = SelectMode::Replace);

Q_SIGNALS:
    /** Pixels changed inside `rect` (image coordinates); a null rect means everything. */
    void changed(const QRect &rect);
    void brushChanged(int size, qreal hardness);
    void appearanceChanged();
    void featherChanged(double radius);

private:
    QImage m_mask;
    QUndoStack *m_undo = nullptr;
    int m_brushSize = 12;
    qreal m_hardness = 0.7;
    QColor m_color = QColor(255, 40, 60);
    qreal m_opacity = 0.5;
    bool m_visible = true;
    double m_feather = 4.0;

public:
    static constexpr int kMinBrush = 1;
    static constexpr int kMaxBrush = 500;
};

/**
 * The bounding box of the pixels of a Grayscale8 `mask` that differ from
 * `reference` (same size), or that are non-zero when `reference` is null;
 * a null rectangle when there are none.
 */
QRect differenceBounds(const QImage &mask, const QImage &reference = QImage());

} // namespace pgcn::ui
