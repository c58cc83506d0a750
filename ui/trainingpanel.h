#pragma once

#include "enginetypes.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace pgcn::ui {

/**
 * The training dock: preset, sizes, iterations, Langevin steps, device and
 * seed, plus Start / Pause-Resume / Cancel. It only collects choices and
 * reports button presses; the main window decides what they do.
 */
class TrainingPanel : public QWidget
{
    Q_OBJECT

public:
    enum class State { Idle, Training, Paused, Busy };

    explicit TrainingPanel(QWidget *parent = nullptr);

    TrainSettings settings() const;
    void setSettings(const TrainSettings &settings);
    void setState(State state);
    State state() const { return m_state; }
    /** Shows how far the current model got (and whether Start resumes). */
    void setModelStatus(const QString &text, bool canResume);
    bool resumeOffered() const { return m_canResume; }

    QPushButton *startButton() const { return m_start; }
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *cancelButton() const { return m_cancel; }
    /** Puts the preset's own values back into the fields (enabled while they differ from it). */
    QToolButton *presetResetButton() const { return m_presetReset; }
    /** True when a field differs from the chosen preset's value (the box then reads "NAME (modified)"). */
    bool presetModified() const;

Q_SIGNALS:
    void startRequested();
    void pauseToggled(bool paused);
    void cancelRequested();
    void settingsChanged();

private:
    void applyPreset(const QString &name);
    void setSizeFields(int maxSize, int minSize);
    void updateButtons();
    void updatePresetMark();

    QComboBox *m_preset;
    QToolButton *m_presetReset;
    QSpinBox *m_maxSize;
    QSpinBox *m_minSize;
    QSpinBox *m_scales;
    QSpinBox *m_iterations;
    QSpinBox *m_langevin;
    QComboBox *m_device;
    QComboBox *m_precision;
    QComboBox *m_fineScales;
    QSpinBox *m_seed;
    QLabel *m_modelStatus;
    QPushButton *m_start;
    QPushButton *m_pause;
    QPushButton *m_cancel;
    State m_state = State::Idle;
    bool m_canResume = false;
    QString m_configText;
};

} // namespace pgcn::ui
