#pragma once

#include <QImage>
#include <QObject>
#include <QPolygonF>
#include <QTransform>

namespace pgcn::ui {

/**
 * The object being placed for harmonization: a second image with its alpha,
 * moved, scaled and rotated over the canvas image until it is flattened
 * into a naive paste plus the mask taken from its (transformed) alpha.
 */
class ObjectOverlay : public QObject
{
    Q_OBJECT

public:
    explicit ObjectOverlay(QObject *parent = nullptr);

    bool isNull() const { return m_image.isNull(); }
    /** `alpha` (Grayscale8) may be null: the object is then opaque. */
    void setObject(const QImage &rgb, const QImage &alpha);
    /** The object with its alpha in one image (as image() gives it back); scale 1, no rotation. */
    void setObject(const QImage &argb);
    void clear();

    const QImage &image() const { return m_image; }
    QPointF center() const { return m_center; }
    qreal scale() const { return m_scale; }
    qreal rotation() const { return m_rotation; }
    /** Object pixels -> image coordinates. */
    QTransform transform() const;
    QPolygonF outline() const;
    QRect boundingRect() const;

    /** The naive paste onto `image` and the object's alpha as a mask of the image's size. */
    void flatten(const QImage &image, QImage *pasted, QImage *mask) const;

public Q_SLOTS:
    void setCenter(const QPointF &center);
    void setScale(qreal scale);
    void setRotation(qreal degrees);

Q_SIGNALS:
    void changed();

private:
    QImage m_image;     ///< ARGB32
    QPointF m_center;
    qreal m_scale = 1.0;
    qreal m_rotation = 0.0;
};

} // namespace pgcn::ui
