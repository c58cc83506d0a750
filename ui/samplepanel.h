#pragma once

#include "enginetypes.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace pgcn::ui {

/**
 * The sampling dock: how many images, their size (pixels or factors of the
 * training image), the start scale, the seed and whether to record the
 * first chain; Generate and Cancel.
 */
class SamplePanel : public QWidget
{
    Q_OBJECT

public:
    explicit SamplePanel(QWidget *parent = nullptr);

    SampleSettings settings() const;
    void setSettings(const SampleSettings &settings);
    /** Limits the start scale and proposes the training size in pixels. */
    void setModel(int trainedScales, const QSize &finestSize);
    void setBusy(bool busy);
    void setGenerateEnabled(bool enabled);

    QPushButton *generateButton() const { return m_generate; }
    QPushButton *cancelButton() const { return m_cancel; }

Q_SIGNALS:
    void generateRequested();
    void reconstructRequested();
    void cancelRequested();
    /** The size or any other setting changed (for the retargeting preview). */
    void settingsChanged();

private:
    void updateEnabled();

    QSpinBox *m_count;
    QComboBox *m_sizeMode;
    QStackedWidget *m_sizeStack;
    QSpinBox *m_width;
    QSpinBox *m_height;
    QDoubleSpinBox *m_scaleW;
    QDoubleSpinBox *m_scaleH;
    QSpinBox *m_startScale;
    QSpinBox *m_seed;
    QCheckBox *m_randomSeed;
    QCheckBox *m_record;
    QPushButton *m_generate;
    QPushButton *m_reconstruct;
    QPushButton *m_cancel;
    bool m_busy = false;
    bool m_haveModel = false;
    int m_modelScales = 0;       ///< scales of the model in hand (0: none yet)
    int m_startScaleWanted = 1;  ///< the chosen start scale (1-based), kept while a model lacks it
    bool m_settingRange = false;
};

} // namespace pgcn::ui
