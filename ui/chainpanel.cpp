#include "chainpanel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <QDir>
#include <QFileDialog>
#include <QMessageBox>
#include <QSettings>

#include "fileutil.h"
#include "gif.h"
#include "image.h"
#include "imageconvert.h"
#include "imageview.h"

namespace pgcn::ui {

ChainPanel::ChainPanel(QWidget *parent)
    : QWidget(parent)
    , m_view(new ImageView(this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_label(new QLabel(this))
    , m_play(new QToolButton(this))
    , m_export(new QToolButton(this))
    , m_playTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("chainPanel"));
    m_view->setPlaceholder(tr("Generate with \u201cRecord the first sample's chain\u201d to watch it being made."));
    m_slider->setEnabled(false);
    m_slider->setObjectName(QStringLiteral("chainSlider"));
    m_play->setText(tr("Play"));
    m_play->setIcon(QIcon(QStringLiteral(":/icons/train.svg")));
    m_play->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_play->setEnabled(false);
    m_playTimer->setInterval(40);

    auto *row = new QHBoxLayout;
    row->addWidget(m_play);
    row->addWidget(m_slider, 1);
    row->addWidget(m_export);
    m_export->setText(tr("Export GIF..."));
    m_export->setObjectName(QStringLiteral("chainExportButton"));
    m_export->setToolTip(tr("Save the recorded chain as an animated GIF"));
    m_export->setEnabled(false);
    connect(m_export, &QToolButton::clicked, this, &ChainPanel::exportGifDialog);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addLayout(row);
    layout->addWidget(m_label);

    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        m_follow = v == m_slider->maximum();
        showFrame(v);
    });
    connect(m_play, &QToolButton::clicked, this, &ChainPanel::togglePlay);
    connect(m_playTimer, &QTimer::timeout, this, [this] {
        const int next = m_slider->value() + 1;
        if (next > m_slider->maximum()) {
            togglePlay();
            return;
        }
        m_slider->setValue(next);
    });
    connect(m_view, &ImageView::clicked, this, [this] {
        const int i = currentFrame();
        if (i >= 0)
            Q_EMIT frameClicked(m_frames[i].image, frameCaption(m_frames[i]));
    });
}

int ChainPanel::currentFrame() const
{
    return m_frames.isEmpty() ? -1 : m_slider->value();
}

void ChainPanel::clear()
{
    m_playTimer->stop();
    m_frames.clear();
    m_follow = true;
    {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(0, 0);
    }
    m_slider->setEnabled(false);
    m_play->setEnabled(false);
    m_export->setEnabled(false);
    m_view->setImage(QImage());
    m_label->clear();
}

void ChainPanel::appendFrames(const QVector<ChainFrame> &frames)
{
    if (frames.isEmpty())
        return;
    m_frames += frames;
    {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(0, int(m_frames.size()) - 1);
        if (m_follow)
            m_slider->setValue(m_slider->maximum());
    }
    m_slider->setEnabled(true);
    m_play->setEnabled(true);
    m_export->setEnabled(true);
    showFrame(m_slider->value());
}

void ChainPanel::showFrame(int index)
{
    if (index < 0 || index >= m_frames.size())
        return;
    const ChainFrame &f = m_frames[index];
    m_view->setImage(f.image);
    m_label->setText(frameCaption(f) + tr("  (frame %1 of %2)").arg(index + 1).arg(m_frames.size()));
    if (m_slider->value() != index) {
        const QSignalBlocker block(m_slider);
        m_slider->setValue(index);
    }
}

QString ChainPanel::frameCaption(const ChainFrame &f) const
{
    return tr("scale %1/%2, step %3/%4").arg(f.scale + 1).arg(f.numScales).arg(f.step).arg(f.steps);
}

bool ChainPanel::exportGif(const QString &path, QString *error) const
{
    if (m_frames.isEmpty()) {
        if (error)
            *error = tr("There is no recorded chain to export.");
        return false;
    }
    QSize size;
    for (const ChainFrame &f : m_frames)
        if (f.image.width() * f.image.height() > size.width() * size.height())
            size = f.image.size();
    try {
        std::vector<RgbImage> images;
        images.reserve(size_t(m_frames.size()) + 12);
        for (const ChainFrame &f : m_frames)
            images.push_back(fromQImage(f.image.size() == size ? f.image : f.image.scaled(size, Qt::IgnoreAspectRatio, Qt::FastTransformation)));
        images.insert(images.end(), 12, images.back()); // hold the result a moment
        pgcn::writeFileAtomic(QDir::toNativeSeparators(path).toStdString(), pgcn::encodeGif(images, 6));
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

void ChainPanel::exportGifDialog()
{
    QSettings s;
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export Chain"), QDir(s.value(QStringLiteral("dirs/export"), QDir::homePath()).toString()).filePath(QStringLiteral("chain.gif")),
        tr("Animated GIF (*.gif)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QStringLiteral(".gif"), Qt::CaseInsensitive))
        path += QStringLiteral(".gif");
    QString error;
    if (!exportGif(path, &error))
        QMessageBox::warning(this, tr("Export failed"), error);
}

void ChainPanel::togglePlay()
{
    if (m_playTimer->isActive()) {
        m_playTimer->stop();
        m_play->setText(tr("Play"));
        m_play->setIcon(QIcon(QStringLiteral(":/icons/train.svg")));
        return;
    }
    if (m_slider->value() >= m_slider->maximum())
        m_slider->setValue(0);
    m_playTimer->start();
    m_play->setText(tr("Stop"));
    m_play->setIcon(QIcon(QStringLiteral(":/icons/pause.svg")));
}

} // namespace pgcn::ui
