#pragma once

#include "enginetypes.h"

#include <QByteArray>
#include <QImage>
#include <QString>
#include <QVariantMap>
#include <QVector>

namespace pgcn::ui {

/**
 * Everything a studio session needs to come back: the source image, the
 * (possibly partly) trained model file, the training log, the gallery and
 * the panel settings, and the work in progress on the canvas: the working
 * image, the mask and the object being placed. Stored as one `.pgcnproj` file: a QDataStream with a
 * magic, a format version and PNG-encoded images, written with QSaveFile so
 * a crash never leaves a half-written project.
 */
struct Project
{
    static constexpr quint32 kMagic = 0x50474350; // "PGCP"
    static constexpr quint32 kVersion = 2; ///< 2 added the working image, mask, object and task settings; 1 is read too

    QString sourceName;                     ///< file name the image came from (informative)
    QImage source;
    QByteArray model;                       ///< PyramidModel file bytes; empty when untrained
    QVector<QVector<ProgressPoint>> log;    ///< per scale
    QVector<GalleryEntry> gallery;
    QVariantMap trainSettings;
    QVariantMap sampleSettings;
    QVariantMap taskSettings;               ///< TaskSettings
    QImage canvas;                          ///< the working image when it is not the source; else null
    QString canvasCaption;
    QImage mask;                            ///< Grayscale8, the working image's size; null when nothing is masked
    QImage object;                          ///< ARGB32, the harmonization object being placed; null when none

    /** Atomic write; on failure returns false and sets `error`. */
    bool save(const QString &path, QString *error = nullptr) const;
    /** On failure returns false, sets `error` and leaves `*this` untouched. */
    bool load(const QString &path, QString *error = nullptr);

    QByteArray serialize() const;
    bool deserialize(const QByteArray &bytes, QString *error = nullptr);
};

} // namespace pgcn::ui
