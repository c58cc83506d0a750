#pragma once

#include <QColor>
#include <QIcon>
#include <QKeySequence>
#include <QImage>
#include <QObject>
#include <QPointF>
#include <QPolygonF>

class QAction;
class QActionGroup;
class QKeyEvent;
class QPainter;

namespace pgcn::ui {

class ImageCanvas;
class MaskLayer;
class ObjectOverlay;

/**
 * A canvas tool in Tiled's AbstractTool style: it is activated on a canvas,
 * gets the mouse in image coordinates, may draw a preview over the image
 * and is deactivated when another tool is chosen.
 */
class AbstractTool : public QObject
{
    Q_OBJECT

public:
    AbstractTool(const QString &name, const QIcon &icon, const QKeySequence &shortcut, QObject *parent = nullptr);

    QString name() const { return m_name; }
    QIcon icon() const { return m_icon; }
    QKeySequence shortcut() const { return m_shortcut; }
    ImageCanvas *canvas() const { return m_canvas; }

    virtual void activate(ImageCanvas *canvas);
    virtual void deactivate();

    virtual void mousePressed(const QPointF &pos, Qt::KeyboardModifiers modifiers) = 0;
    virtual void mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers modifiers) = 0;
    virtual void mouseReleased(const QPointF &pos, Qt::KeyboardModifiers modifiers) = 0;
    virtual void mouseLeft() {}
    /** Draws the preview in viewport coordinates; the painter is untransformed. */
    virtual void paint(QPainter &painter) { Q_UNUSED(painter); }

Q_SIGNALS:
    void statusInfo(const QString &text);

protected:
    ImageCanvas *m_canvas = nullptr;

private:
    QString m_name;
    QIcon m_icon;
    QKeySequence m_shortcut;
};

/** No editing: the mouse only pans and zooms (the default tool). */
class NavigateTool : public AbstractTool
{
    Q_OBJECT

public:
    explicit NavigateTool(QObject *parent = nullptr);
    void mousePressed(const QPointF &, Qt::KeyboardModifiers) override {}
    void mouseMoved(const QPointF &, Qt::MouseButtons, Qt::KeyboardModifiers) override {}
    void mouseReleased(const QPointF &, Qt::KeyboardModifiers) override {}
};

/**
 * Paints or erases the mask with a soft round brush; with a colour set it
 * paints that colour into the image as well (and masks it). One drag = one
 * undo step: a PatchCommand per segment, the later ones merging.
 */
class BrushTool : public AbstractTool
{
    Q_OBJECT

public:
    enum class Mode { Paint, Erase, Colour };
    BrushTool(Mode mode, MaskLayer *mask, QObject *parent = nullptr);

    Mode mode() const { return m_mode; }
    void setPaintColor(const QColor &color) { m_paintColor = color; }
    QColor paintColor() const { return m_paintColor; }

    void deactivate() override;
    void mousePressed(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;
    void mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers modifiers) override;
    void mouseReleased(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;
    void mouseLeft() override;
    void paint(QPainter &painter) override;

private:
    void segment(const QPointF &a, const QPointF &b, bool first);
    void updateCursorArea(const QPointF &pos);

    Mode m_mode;
    MaskLayer *m_mask;
    MaskLayer *m_coverage;      ///< the stroke's own coverage (colour mode)
    QImage m_strokeBase;        ///< the image before the colour stroke
    QColor m_paintColor = QColor(200, 60, 40);
    QPointF m_last;
    QPointF m_hover;
    bool m_hovering = false;
    bool m_drawing = false;
};

/** Rectangle and lasso selections that become the mask (Shift adds, Alt subtracts). */
class SelectionTool : public AbstractTool
{
    Q_OBJECT

public:
    enum class Shape { Rectangle, Lasso };
    SelectionTool(Shape shape, MaskLayer *mask, QObject *parent = nullptr);

    void mousePressed(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;
    void mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers modifiers) override;
    void mouseReleased(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;
    void paint(QPainter &painter) override;

private:
    Shape m_shape;
    MaskLayer *m_mask;
    QPolygonF m_points;
    bool m_dragging = false;
};

/**
 * Copy-move: drags the masked region of the image to a new place; on
 * release the copy is pasted there and the mask becomes the pasted region,
 * in one undo step.
 */
class MoveSelectionTool : public AbstractTool
{
    Q_OBJECT

public:
    MoveSelectionTool(MaskLayer *mask, QObject *parent = nullptr);

    void mousePressed(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;
    void mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers modifiers) override;
    void mouseReleased(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;
    void paint(QPainter &painter) override;

private:
    MaskLayer *m_mask;
    QImage m_float;       ///< ARGB32: the lifted pixels, alpha = mask
    QImage m_floatMask;   ///< Grayscale8, the mask of the bounding box
    QPoint m_origin;      ///< top-left of the lifted box in the image
    QPointF m_start;
    QPoint m_offset;
    bool m_dragging = false;
};

/** Moves the harmonization object; a corner drag scales it, Ctrl+drag rotates it. */
class PlaceObjectTool : public AbstractTool
{
    Q_OBJECT

public:
    PlaceObjectTool(ObjectOverlay *object, QObject *parent = nullptr);

    void mousePressed(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;
    void mouseMoved(const QPointF &pos, Qt::MouseButtons buttons, Qt::KeyboardModifiers modifiers) override;
    void mouseReleased(const QPointF &pos, Qt::KeyboardModifiers modifiers) override;

private:
    enum class Drag { None, Move, Scale, Rotate };
    ObjectOverlay *m_object;
    Drag m_drag = Drag::None;
    QPointF m_start;
    QPointF m_startCenter;
    qreal m_startScale = 1;
    qreal m_startRotation = 0;
};

/**
 * Owns the tools and the exclusive QActionGroup that selects one (Tiled's
 * ToolManager); switching deactivates the old tool and activates the new.
 */
class ToolManager : public QObject
{
    Q_OBJECT

public:
    ToolManager(ImageCanvas *canvas, QObject *parent = nullptr);

    QAction *registerTool(AbstractTool *tool);
    QActionGroup *actionGroup() const { return m_group; }
    AbstractTool *currentTool() const { return m_current; }
    QList<AbstractTool *> tools() const { return m_tools; }
    QAction *actionFor(AbstractTool *tool) const;

public Q_SLOTS:
    void selectTool(pgcn::ui::AbstractTool *tool);

Q_SIGNALS:
    void currentToolChanged(pgcn::ui::AbstractTool *tool);

private:
    ImageCanvas *m_canvas;
    QActionGroup *m_group;
    QList<AbstractTool *> m_tools;
    QList<QAction *> m_actions;
    AbstractTool *m_current = nullptr;
};

} // namespace pgcn::ui
