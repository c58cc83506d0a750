#pragma once

#include <QImage>
#include <QWidget>

namespace pgcn::ui {

/**
 * A small read-only image display for panels: the image fitted to the widget
 * (kept in proportion, crisp pixels when enlarged) with a caption beneath.
 */
class ImageView : public QWidget
{
    Q_OBJECT

public:
    explicit ImageView(QWidget *parent = nullptr);

    QImage image() const { return m_image; }
    void setImage(const QImage &image);
    void setCaption(const QString &caption);
    void setPlaceholder(const QString &text);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void clicked();

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;

private:
    QImage m_image;
    QPixmap m_pixmap;
    QString m_caption;
    QString m_placeholder;
};

} // namespace pgcn::ui
