#pragma once

#include <QAbstractScrollArea>
#include <QPixmap>
#include <QPoint>
#include <QTransform>

namespace pgcn::ui {

class AbstractTool;
class MaskLayer;
class ObjectOverlay;
class Zoomable;

/**
 * The central image view: one pixmap shown at any zoom with scroll bars.
 * Ctrl+wheel zooms around the cursor, Space+drag or the middle button pans.
 * Only the exposed part of the image is drawn, nearest-neighbour when zoomed
 * in (pixels stay crisp) and from a cached smooth copy when zoomed out.
 *
 * Over the image it draws the layers of the editing tasks: the energy heat
 * map, the mask as a coloured overlay, the object being placed, the
 * retargeting frame and the current tool's preview. The left button goes to
 * the current tool (in image coordinates); only dirty rects are repainted.
 */
class ImageCanvas : public QAbstractScrollArea
{
    Q_OBJECT

public:
    explicit ImageCanvas(QWidget *parent = nullptr);

    Zoomable *zoomable() const { return m_zoom; }
    QImage image() const { return m_image; }
    QString caption() const { return m_caption; }
    bool fitToWindow() const { return m_fit; }

    void setMaskLayer(MaskLayer *mask);
    MaskLayer *maskLayer() const { return m_mask; }
    void setObjectOverlay(ObjectOverlay *object);
    void setTool(AbstractTool *tool);
    AbstractTool *tool() const { return m_tool; }

    /** Image pixels -> viewport coordinates at the current zoom and scroll. */
    QTransform imageToView() const;
    QPointF mapToImage(const QPointF &viewPos) const;
    /** Pixels of the shown image, for undo commands; writeImageRect edits in place (no imageChanged). */
    QImage copyImageRect(const QRect &rect) const;
    void writeImageRect(const QRect &rect, const QImage &pixels);
    /** Repaints the viewport over an image-space area padded by `pad` image pixels. */
    void updateImageArea(const QRectF &area, qreal pad);

    QImage heatMap() const { return m_heat; }
    bool heatMapVisible() const { return m_heatVisible; }
    qreal heatMapOpacity() const { return m_heatOpacity; }
    QRectF frameRect() const { return m_frame; }

public Q_SLOTS:
    void setImage(const QImage &image, const QString &caption = QString());
    void clear();
    void fitInView();
    void actualSize();
    void setPlaceholderText(const QString &text);
    void setHeatMap(const QImage &heat);
    void setHeatMapVisible(bool visible);
    void setHeatMapOpacity(qreal opacity);
    /** The retargeting preview: a dashed frame in image coordinates (null: none). */
    void setFrameRect(const QRectF &frame);

Q_SIGNALS:
    void imageChanged();
    /** Pixels of the image changed in place (a tool or an undo). */
    void imageEdited(const QRect &rect);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void keyReleaseEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    void onScaleChanged(qreal scale);
    void updateScrollBars();
    QRectF imageRect() const;
    void zoomAround(qreal newScale, const QPointF &viewPos);
    void updateCursor();
    void onMaskChanged(const QRect &rect);
    void rebuildOverlay(const QRect &rect);
    void leaveEvent(QEvent *event) override;

    Zoomable *m_zoom;
    QImage m_image;
    QPixmap m_pixmap;
    QPixmap m_smallCache;       ///< smooth copy for zoom < 1
    qreal m_smallCacheScale = 0;
    QString m_caption;
    QString m_placeholder;
    bool m_fit = true;
    bool m_spaceDown = false;
    bool m_panning = false;
    QPoint m_lastPanPos;
    QPointF m_anchorImagePos;   ///< image point kept under the cursor while zooming
    QPointF m_anchorViewPos;
    bool m_haveAnchor = false;
    bool m_fitting = false;
    qreal m_prevScale = 1.0;

    MaskLayer *m_mask = nullptr;
    ObjectOverlay *m_object = nullptr;
    AbstractTool *m_tool = nullptr;
    QImage m_overlay;            ///< the mask coloured, ARGB32 premultiplied
    QImage m_heat;
    bool m_heatVisible = false;
    qreal m_heatOpacity = 0.6;
    QRectF m_frame;
    bool m_toolDrag = false;
};

} // namespace pgcn::ui
