#pragma once

#include "enginetypes.h"

#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QLineSeries;
class QToolButton;
class QValueAxis;

namespace pgcn::ui {

/**
 * Training curves with Qt Charts, one scale at a time: the energy of the
 * real image against that of the synthesised ones, and the recovery MSE,
 * per iteration. Follows the scale in training unless the user picks one.
 * Holds the training log; points are appended cheaply and drawn on refresh().
 */
class PlotPanel : public QWidget
{
    Q_OBJECT

public:
    explicit PlotPanel(QWidget *parent = nullptr);

    const QVector<QVector<ProgressPoint>> &log() const { return m_log; }
    void setLog(const QVector<QVector<ProgressPoint>> &log);
    void setScaleCount(int count);
    void appendPoints(int scale, const QVector<ProgressPoint> &points);
    /**
     * The iterations `scale` will train for: its curves then grow across a fixed axis of
     * that length, as a progress bar does (a log without it spans its last iteration).
     */
    void setPlannedIterations(int scale, int iterations);
    /** Drops the log from `scale` on (a scale trained again). */
    void truncate(int scale);
    void clear();
    /** Redraws the series if anything changed since the last call. */
    void refresh();
    int shownScale() const;
    /** The Export button's state (the window's Export Training Log action). */
    void setExportEnabled(bool on);
    /**
     * What the charts say while the shown scale has no curves (a model file from before
     * models kept their log); empty for the panel's own words. setLog() and clear() reset it.
     */
    void setEmptyNote(const QString &note);
    /** The note over the charts now (empty while the shown scale has curves). */
    QString shownNote() const;

Q_SIGNALS:
    /** The user asked to save the log as CSV (the window handles it). */
    void exportRequested();

private:
    void rebuildCombo();

    QComboBox *m_scaleBox;
    QToolButton *m_exportButton;
    QChartView *m_energyView;
    QChartView *m_mseView;
    QLineSeries *m_real;
    QLineSeries *m_syn;
    QLineSeries *m_mse;
    QValueAxis *m_energyX;
    QValueAxis *m_energyY;
    QValueAxis *m_mseX;
    QValueAxis *m_mseY;
    QVector<QVector<ProgressPoint>> m_log;
    QString m_emptyNote;
    QVector<int> m_planned; ///< per scale, 0 where not known
    int m_trainingScale = 0;
    bool m_dirty = true;
    int m_drawnScale = -1;
};

} // namespace pgcn::ui
