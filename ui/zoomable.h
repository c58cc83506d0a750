#pragma once

#include <QObject>

namespace pgcn::ui {

/**
 * The zoom state of a view, apart from the view (like Tiled's Zoomable):
 * a scale factor with preferred steps, clamped to a range; emits
 * scaleChanged whenever it moves.
 */
class Zoomable : public QObject
{
    Q_OBJECT

public:
    explicit Zoomable(QObject *parent = nullptr);

    qreal scale() const { return m_scale; }
    void setScale(qreal scale);
    bool canZoomIn() const;
    bool canZoomOut() const;

    static constexpr qreal kMinScale = 1.0 / 32;
    static constexpr qreal kMaxScale = 64.0;

public Q_SLOTS:
    void zoomIn();
    void zoomOut();
    void resetZoom();
    /** Multiplies by a smooth factor (wheel steps of 120 = one preferred step). */
    void handleWheelDelta(int delta);

Q_SIGNALS:
    void scaleChanged(qreal scale);

private:
    qreal m_scale = 1.0;
};

} // namespace pgcn::ui
