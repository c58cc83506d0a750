#include "gallerypanel.h"

#include <algorithm>

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

#include "imageconvert.h"
#include "imageio.h"

namespace pgcn::ui {

namespace {

constexpr int kIcon = 96;
constexpr int kEntryRole = Qt::UserRole + 1;

QIcon thumbnail(const QImage &image)
{
    QPixmap pm(kIcon, kIcon);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    const QSize sz = image.size().scaled(kIcon, kIcon, Qt::KeepAspectRatio);
    p.setRenderHint(QPainter::SmoothPixmapTransform, sz.width() < image.width());
    p.drawImage(QRect((kIcon - sz.width()) / 2, (kIcon - sz.height()) / 2, sz.width(), sz.height()), image);
    return QIcon(pm);
}

} // namespace

/** One undoable change of the gallery: inserting or removing a set of rows. */
class GalleryCommand : public QUndoCommand
{
public:
    GalleryCommand(GalleryPanel *gallery, bool insert, QVector<QPair<int, GalleryEntry>> rows, const QString &text)
        : QUndoCommand(text)
        , m_gallery(gallery)
        , m_insert(insert)
        , m_rows(std::move(rows))
    {
    }

    void redo() override { apply(m_insert); }
    void undo() override { apply(!m_insert); }

private:
    void apply(bool insert)
    {
        if (insert) {
            for (const auto &r : m_rows) // ascending rows
                m_gallery->insertAt(r.first, r.second);
        } else {
            for (auto it = m_rows.crbegin(); it != m_rows.crend(); ++it)
                m_gallery->takeAt(it->first);
        }
        Q_EMIT m_gallery->contentChanged();
    }

    GalleryPanel *m_gallery;
    bool m_insert;
    QVector<QPair<int, GalleryEntry>> m_rows;
};

GalleryPanel::GalleryPanel(QUndoStack *undoStack, QWidget *parent)
    : QWidget(parent)
    , m_undo(undoStack)
    , m_list(new QListWidget(this))
    , m_exportSel(new QPushButton(QIcon(QStringLiteral(":/icons/export.svg")), tr("Export..."), this))
    , m_exportAll(new QPushButton(tr("Export all..."), this))
    , m_copy(new QPushButton(tr("Copy"), this))
    , m_remove(new QPushButton(tr("Remove"), this))
{
    setObjectName(QStringLiteral("galleryPanel"));
    m_list->setObjectName(QStringLiteral("galleryList"));
    m_list->setViewMode(QListView::IconMode);
    m_list->setIconSize(QSize(kIcon, kIcon));
    m_list->setGridSize(QSize(kIcon + 28, kIcon + 36));
    m_list->setResizeMode(QListView::Adjust);
    m_list->setMovement(QListView::Static);
    m_list->setUniformItemSizes(true);
    m_list->setWordWrap(true);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_exportSel);
    buttons->addWidget(m_exportAll);
    buttons->addWidget(m_copy);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_list, 1);
    layout->addLayout(buttons);

    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT entryActivated(item->data(kEntryRole).value<GalleryEntry>());
    });
    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem *item) {
        if (item)
            Q_EMIT entryActivated(item->data(kEntryRole).value<GalleryEntry>());
    });
    connect(m_list, &QListWidget::itemSelectionChanged, this, &GalleryPanel::updateButtons);
    connect(this, &GalleryPanel::contentChanged, this, &GalleryPanel::updateButtons);
    connect(m_exportSel, &QPushButton::clicked, this, &GalleryPanel::exportSelected);
    connect(m_exportAll, &QPushButton::clicked, this, &GalleryPanel::exportAll);
    connect(m_copy, &QPushButton::clicked, this, &GalleryPanel::copySelected);
    connect(m_remove, &QPushButton::clicked, this, &GalleryPanel::removeSelected);
    updateButtons();
}

void GalleryPanel::updateButtons()
{
    const bool sel = !m_list->selectedItems().isEmpty();
    m_exportSel->setEnabled(sel);
    m_copy->setEnabled(sel);
    m_remove->setEnabled(sel);
    m_exportAll->setEnabled(m_list->count() > 0);
}

void GalleryPanel::insertAt(int row, const GalleryEntry &entry)
{
    auto *item = new QListWidgetItem(thumbnail(entry.image), entry.label);
    item->setData(kEntryRole, QVariant::fromValue(entry));
    item->setToolTip(entry.label);
    m_list->insertItem(row, item);
}

GalleryEntry GalleryPanel::takeAt(int row)
{
    std::unique_ptr<QListWidgetItem> item(m_list->takeItem(row));
    return item ? item->data(kEntryRole).value<GalleryEntry>() : GalleryEntry();
}

QVector<GalleryEntry> GalleryPanel::entries() const
{
    QVector<GalleryEntry> out;
    for (int i = 0; i < m_list->count(); ++i)
        out.append(m_list->item(i)->data(kEntryRole).value<GalleryEntry>());
    return out;
}

QVector<GalleryEntry> GalleryPanel::selectedEntries() const
{
    QVector<GalleryEntry> out;
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->isSelected())
            out.append(m_list->item(i)->data(kEntryRole).value<GalleryEntry>());
    return out;
}

int GalleryPanel::count() const
{
    return m_list->count();
}

void GalleryPanel::setEntries(const QVector<GalleryEntry> &entries)
{
    m_list->clear();
    for (int i = 0; i < entries.size(); ++i)
        insertAt(i, entries[i]);
    Q_EMIT contentChanged();
}

void GalleryPanel::addEntries(const QVector<GalleryEntry> &entries)
{
    if (entries.isEmpty())
        return;
    QVector<QPair<int, GalleryEntry>> rows;
    const int start = m_list->count();
    for (int i = 0; i < entries.size(); ++i)
        rows.append({start + i, entries[i]});
    m_undo->push(new GalleryCommand(this, true, rows, tr("Add %n sample(s)", nullptr, int(entries.size()))));
    // Show the new batch from its first image (scrolling to the bottom cut its first row off).
    if (QListWidgetItem *first = m_list->item(start))
        m_list->scrollToItem(first, QAbstractItemView::PositionAtTop);
}

void GalleryPanel::removeSelected()
{
    QVector<QPair<int, GalleryEntry>> rows;
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->isSelected())
            rows.append({i, m_list->item(i)->data(kEntryRole).value<GalleryEntry>()});
    if (rows.isEmpty())
        return;
    m_undo->push(new GalleryCommand(this, false, rows, tr("Remove %n sample(s)", nullptr, int(rows.size()))));
}

void GalleryPanel::clearAll()
{
    QVector<QPair<int, GalleryEntry>> rows;
    for (int i = 0; i < m_list->count(); ++i)
        rows.append({i, m_list->item(i)->data(kEntryRole).value<GalleryEntry>()});
    if (rows.isEmpty())
        return;
    m_undo->push(new GalleryCommand(this, false, rows, tr("Clear gallery")));
}

void GalleryPanel::selectAll()
{
    m_list->selectAll();
}

void GalleryPanel::copySelected()
{
    const QVector<GalleryEntry> sel = selectedEntries();
    if (sel.isEmpty())
        return;
    QApplication::clipboard()->setImage(sel.first().image);
    Q_EMIT statusMessage(tr("Copied %1 to the clipboard").arg(sel.first().label));
}

bool GalleryPanel::exportOne(const QImage &image, const QString &path, QString *error)
{
    try {
        pgcn::saveImage(QDir::toNativeSeparators(path).toStdString(), fromQImage(image));
        return true;
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

QStringList GalleryPanel::exportTo(const QVector<GalleryEntry> &entries, const QString &dir, const QString &base,
                                   const QString &extension, QString *error)
{
    QStringList written;
    for (int i = 0; i < entries.size(); ++i) {
        const QString path = QDir(dir).filePath(QStringLiteral("%1_%2.%3").arg(base).arg(i + 1, 3, 10, QLatin1Char('0')).arg(extension));
        if (!exportOne(entries[i].image, path, error))
            break;
        written << path;
    }
    return written;
}

void GalleryPanel::exportSelected()
{
    exportEntries(selectedEntries());
}

void GalleryPanel::exportAll()
{
    exportEntries(entries());
}

void GalleryPanel::exportEntries(const QVector<GalleryEntry> &list)
{
    if (list.isEmpty())
        return;
    QSettings settings;
    const QString lastDir = settings.value(QStringLiteral("dirs/export"), QDir::homePath()).toString();
    const QString filters = tr("PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp);;TIFF image (*.tif *.tiff)");
    QString error;
    if (list.size() == 1) {
        QString path = QFileDialog::getSaveFileName(this, tr("Export Image"), QDir(lastDir).filePath(QStringLiteral("sample.png")), filters);
        if (path.isEmpty())
            return;
        if (!pgcn::isSupportedImageExtension(path.toStdString()))
            path += QStringLiteral(".png");
        settings.setValue(QStringLiteral("dirs/export"), QFileInfo(path).absolutePath());
        if (exportOne(list.first().image, path, &error))
            Q_EMIT statusMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)));
        else
            QMessageBox::warning(this, tr("Export failed"), error);
        return;
    }
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export %1 Images To").arg(list.size()), lastDir);
    if (dir.isEmpty())
        return;
    bool ok = false;
    const QString fmt = QInputDialog::getItem(this, tr("Export Format"), tr("Format:"),
                                              {QStringLiteral("png"), QStringLiteral("jpg"), QStringLiteral("webp"), QStringLiteral("tif")},
                                              0, false, &ok);
    if (!ok)
        return;
    settings.setValue(QStringLiteral("dirs/export"), dir);
    const QStringList written = exportTo(list, dir, QStringLiteral("sample"), fmt, &error);
    if (written.size() == list.size())
        Q_EMIT statusMessage(tr("Exported %1 images to %2").arg(written.size()).arg(QDir::toNativeSeparators(dir)));
    else
        QMessageBox::warning(this, tr("Export failed"), tr("%1 of %2 images written: %3").arg(written.size()).arg(list.size()).arg(error));
}

} // namespace pgcn::ui
