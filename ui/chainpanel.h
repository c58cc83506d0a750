#pragma once

#include "enginetypes.h"

#include <QWidget>

class QLabel;
class QSlider;
class QTimer;
class QToolButton;

namespace pgcn::ui {

class ImageView;

/**
 * Watches a sample being made: the recorded chain of the first sample, scale
 * by scale and step by step. While recording it follows the newest step;
 * afterwards the slider scrubs back through every step and Play replays it.
 */
class ChainPanel : public QWidget
{
    Q_OBJECT

public:
    explicit ChainPanel(QWidget *parent = nullptr);

    int frameCount() const { return int(m_frames.size()); }
    const QVector<ChainFrame> &frames() const { return m_frames; }
    int currentFrame() const;
    QSlider *slider() const { return m_slider; }

    /**
     * Writes the recorded chain as an animated GIF (frames enlarged to the
     * largest frame's size, nearest neighbour; the result held a moment).
     * False with `error` set when there is nothing to write or writing fails.
     */
    bool exportGif(const QString &path, QString *error = nullptr) const;

public Q_SLOTS:
    void clear();
    void appendFrames(const QVector<pgcn::ui::ChainFrame> &frames);
    void showFrame(int index);
    /** Asks for a file name and exports the chain (exportGif). */
    void exportGifDialog();

Q_SIGNALS:
    void frameClicked(const QImage &image, const QString &caption);

private:
    QString frameCaption(const ChainFrame &f) const;
    void togglePlay();

    ImageView *m_view;
    QSlider *m_slider;
    QLabel *m_label;
    QToolButton *m_play;
    QToolButton *m_export;
    QTimer *m_playTimer;
    QVector<ChainFrame> m_frames;
    bool m_follow = true;
};

} // namespace pgcn::ui
