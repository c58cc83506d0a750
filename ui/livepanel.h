#pragma once

#include "enginetypes.h"

#include <QWidget>

class QLabel;

namespace pgcn::ui {

class ImageView;

/**
 * The pyramid as a strip of per-scale tiles: the real image of each scale
 * above the latest sample made at that scale; the scale in training is
 * outlined, trained scales are ticked. Clicking a tile asks to show it.
 */
class PyramidStrip : public QWidget
{
    Q_OBJECT

public:
    explicit PyramidStrip(QWidget *parent = nullptr);

    void setModel(const ModelInfo &info);
    void setSample(int scale, const QImage &image);
    void setActiveScale(int scale);
    void setTrainedScales(int count);
    int activeScale() const { return m_active; }
    int trainedScales() const { return m_trained; }
    QImage sampleAt(int scale) const;
    int scaleCount() const { return int(m_reals.size()); }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void tileClicked(const QImage &image, const QString &caption);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;

private:
    QRect tileRect(int scale, bool sampleRow) const;

    QVector<QImage> m_reals;
    QVector<QImage> m_samples;
    QVector<QSize> m_sizes;
    int m_active = -1;
    int m_trained = 0;
};

/**
 * The live view of training: the current scale's Langevin synthesis and
 * recovery as they arrive, and the pyramid strip.
 */
class LivePanel : public QWidget
{
    Q_OBJECT

public:
    explicit LivePanel(QWidget *parent = nullptr);

    PyramidStrip *strip() const { return m_strip; }
    ImageView *synthesisView() const { return m_synthesis; }
    ImageView *recoveryView() const { return m_recovery; }

    void setModel(const ModelInfo &info);
    void showStatus(const TrainStatus &status);
    void clear();

Q_SIGNALS:
    void imageClicked(const QImage &image, const QString &caption);

private:
    ImageView *m_synthesis;
    ImageView *m_recovery;
    PyramidStrip *m_strip;
    QLabel *m_caption;
};

} // namespace pgcn::ui
