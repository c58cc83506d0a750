#pragma once

#include "enginetypes.h"

#include <QColor>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QPushButton;
class QSlider;
class QSpinBox;
class QToolButton;

namespace pgcn::ui {

class MaskLayer;
class ObjectOverlay;

/**
 * The image-task dock: the mask (brush, hardness, overlay, feather, fill /
 * invert / clear, load / save), the task to run on the canvas image
 * (editing, harmonization, style transfer, super-resolution) with its start
 * scale or factor, the object placed for harmonization, and the energy
 * overlay's opacity. It edits the mask and object directly; everything that
 * needs the window (files, the worker) goes out as a signal.
 */
class TaskPanel : public QWidget
{
    Q_OBJECT

public:
    TaskPanel(MaskLayer *mask, ObjectOverlay *object, QWidget *parent = nullptr);

    TaskRequest::Kind kind() const;
    void setKind(TaskRequest::Kind kind);
    /** 0-based start scale. */
    int startScale() const;
    void setStartScale(int scale);
    double factor() const;
    void setFactor(double factor);
    /** Langevin steps per super-resolution step; 0 = the model's default (superResolutionSteps). */
    int srSteps() const;
    void setSrSteps(int steps);
    QColor paintColor() const { return m_paintColor; }
    void setPaintColor(const QColor &color);
    /** Everything on the panel, the mask brush's and the placed object's values included. */
    TaskSettings settings() const;
    /**
     * Restores `s` (a project's). Start scales chosen beyond the present model's come back when a
     * model with that many scales arrives; the object's position applies to the object in hand.
     */
    void setSettings(const TaskSettings &s);
    /**
     * The start-scale box follows a model of `trainedScales`: the scale chosen for the task (or,
     * until one is chosen, the command line's default for scales of these shorter sides,
     * coarsest first: pgcn::defaultStartScale) within the model's.
     */
    void setModel(int trainedScales, const QVector<int> &shorterSides = {});
    void setBusy(bool busy);

    QPushButton *runButton() const { return m_run; }
    QSpinBox *brushSpin() const { return m_brush; }

Q_SIGNALS:
    void runRequested();
    void cancelRequested();
    void loadMaskRequested();
    void saveMaskRequested();
    void loadObjectRequested();
    void flattenRequested();
    void loadContentRequested();
    void paintColorChanged(const QColor &color);
    void heatOpacityChanged(qreal opacity);
    /** Any value settings() reports changed (the object's placement aside: ObjectOverlay::changed). */
    void settingsChanged();

private:
    void proposeStartScale();
    void updateEnabled();
    void syncObjectFields();

    MaskLayer *m_mask;
    ObjectOverlay *m_object;
    QSpinBox *m_brush;
    QSpinBox *m_hardness;
    QSlider *m_opacity;
    QCheckBox *m_showMask;
    QDoubleSpinBox *m_feather;
    QToolButton *m_colorButton;
    QColor m_paintColor = QColor(200, 60, 40);
    QComboBox *m_kind;
    QSpinBox *m_startScale;
    QDoubleSpinBox *m_factor;
    QSpinBox *m_srSteps;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QPushButton *m_flatten;
    QDoubleSpinBox *m_objX;
    QDoubleSpinBox *m_objY;
    QDoubleSpinBox *m_objScale;
    QDoubleSpinBox *m_objRotation;
    QSlider *m_heatOpacity;
    int m_trainedScales = 0;
    QVector<int> m_shorterSides; ///< the model's scales, coarsest first (empty: unknown)
    bool m_busy = false;
    bool m_settingRange = false;        ///< the box changes without the user: not a choice
    int m_wantedStart[3] = {-1, -1, -1}; ///< per kind (edit, harmonize, inject); -1: the default
};

} // namespace pgcn::ui
