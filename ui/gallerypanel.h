#pragma once

#include "enginetypes.h"

#include <QWidget>

class QListWidget;
class QPushButton;
class QUndoStack;

namespace pgcn::ui {

/**
 * The results gallery: generated images as thumbnails. Clicking one shows
 * it on the canvas; selected or all images can be exported (PNG, JPEG, WebP,
 * TIFF through pgcn::saveImage, atomically) or copied. Adding and removing
 * are undoable commands on the studio's QUndoStack.
 */
class GalleryPanel : public QWidget
{
    Q_OBJECT

public:
    explicit GalleryPanel(QUndoStack *undoStack, QWidget *parent = nullptr);

    QVector<GalleryEntry> entries() const;
    QVector<GalleryEntry> selectedEntries() const;
    int count() const;
    /** Replaces the content without an undo step (opening a project). */
    void setEntries(const QVector<GalleryEntry> &entries);
    QListWidget *listWidget() const { return m_list; }

    /** Writes the images into `dir` as `<base>_NNN.<ext>`; returns the paths written; throws nothing. */
    static QStringList exportTo(const QVector<GalleryEntry> &entries, const QString &dir, const QString &base,
                                const QString &extension, QString *error);
    /** Writes one image; the format follows the extension. */
    static bool exportOne(const QImage &image, const QString &path, QString *error);

public Q_SLOTS:
    /** Undoable. */
    void addEntries(const QVector<pgcn::ui::GalleryEntry> &entries);
    void removeSelected();
    void clearAll();
    void exportSelected();
    void exportAll();
    void copySelected();
    void selectAll();

Q_SIGNALS:
    void entryActivated(const pgcn::ui::GalleryEntry &entry);
    void contentChanged();
    void statusMessage(const QString &message);

private:
    friend class GalleryCommand;
    void insertAt(int row, const GalleryEntry &entry);
    GalleryEntry takeAt(int row);
    void exportEntries(const QVector<GalleryEntry> &entries);
    void updateButtons();

    QUndoStack *m_undo;
    QListWidget *m_list;
    QPushButton *m_exportSel;
    QPushButton *m_exportAll;
    QPushButton *m_copy;
    QPushButton *m_remove;
};

} // namespace pgcn::ui
