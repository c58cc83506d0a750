#include "project.h"

#include <QBuffer>
#include <QDataStream>
#include <QFile>
#include <QSaveFile>
#include <QVariant>
#include <QtEndian>

#include <algorithm>

namespace pgcn::ui {

namespace {

constexpr QDataStream::Version kStreamVersion = QDataStream::Qt_6_4;

QByteArray pngBytes(const QImage &image)
{
    QByteArray bytes;
    if (image.isNull())
        return bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

QImage fromPng(const QByteArray &bytes)
{
    QImage image;
    if (!bytes.isEmpty())
        image.loadFromData(bytes, "PNG");
    return image;
}

/** A PNG field that may be empty; false when it holds bytes that do not decode. */
bool readPng(QDataStream &in, QImage &image)
{
    QByteArray bytes;
    in >> bytes;
    if (in.status() != QDataStream::Ok)
        return false;
    image = fromPng(bytes);
    return bytes.isEmpty() || !image.isNull();
}

/**
 * A settings map as `QDataStream << QVariantMap` writes it, accepting only the value types the
 * studio stores. Qt 6.4 reserves whatever element count a list inside a QVariant claims, so a
 * damaged 200-byte project could ask for 100 GB (found by fuzz_project); scalars and strings are
 * read in bounded chunks.
 */
bool readSettings(QDataStream &in, QVariantMap &map)
{
    quint32 n = 0;
    in >> n;
    if (in.status() != QDataStream::Ok || qint64(n) > in.device()->bytesAvailable() / 9) // key + type + null flag
        return false;
    for (quint32 i = 0; i < n; ++i) {
        QString key;
        in >> key;
        uchar raw[4]; // the value's type id, peeked at
        if (in.status() != QDataStream::Ok || in.device()->peek(reinterpret_cast<char *>(raw), 4) != 4)
            return false;
        const quint32 type = in.byteOrder() == QDataStream::BigEndian ? qFromBigEndian<quint32>(raw)
                                                                      : qFromLittleEndian<quint32>(raw);
        switch (type) {
        case QMetaType::UnknownType: case QMetaType::Bool: case QMetaType::Int: case QMetaType::UInt:
        case QMetaType::LongLong: case QMetaType::ULongLong: case QMetaType::Double: case QMetaType::Float:
        case QMetaType::QString: case QMetaType::QByteArray:
            break;
        default:
            return false;
        }
        QVariant value;
        in >> value;
        if (in.status() != QDataStream::Ok)
            return false;
        map.insert(key, value);
    }
    return true;
}

} // namespace

QByteArray Project::serialize() const
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out.setVersion(kStreamVersion);
    out << kMagic << kVersion;
    out << sourceName << pngBytes(source) << model;
    out << qint32(log.size());
    for (const auto &scale : log) {
        out << qint32(scale.size());
        for (const ProgressPoint &p : scale)
            out << qint32(p.iteration) << p.energyReal << p.energySyn << p.recoveryMse;
    }
    out << qint32(gallery.size());
    for (const GalleryEntry &e : gallery)
        out << e.label << pngBytes(e.image);
    out << trainSettings << sampleSettings;
    out << taskSettings << canvasCaption << pngBytes(canvas) << pngBytes(mask) << pngBytes(object);
    return bytes;
}

bool Project::deserialize(const QByteArray &bytes, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    QDataStream in(bytes);
    in.setVersion(kStreamVersion);
    quint32 magic = 0, version = 0;
    in >> magic >> version;
    if (in.status() != QDataStream::Ok || magic != kMagic)
        return fail(QObject::tr("not a patchgencn project file"));
    if (version != 1 && version != kVersion)
        return fail(QObject::tr("project format version %1 is not supported (this studio reads version %2)")
                        .arg(version)
                        .arg(kVersion));
    Project p;
    QByteArray sourcePng;
    in >> p.sourceName >> sourcePng >> p.model;
    p.source = fromPng(sourcePng);
    qint32 scales = 0;
    in >> scales;
    if (in.status() != QDataStream::Ok || scales < 0 || scales > 1000)
        return fail(QObject::tr("the project file is damaged (training log)"));
    for (qint32 s = 0; s < scales; ++s) {
        qint32 n = 0;
        in >> n;
        if (in.status() != QDataStream::Ok || n < 0 || n > 100000000)
            return fail(QObject::tr("the project file is damaged (training log)"));
        QVector<ProgressPoint> points;
        // A damaged count must not reserve gigabytes: at most what the remaining bytes can hold.
        constexpr qint64 kPointBytes = 4 + 3 * 8;
        points.reserve(qsizetype(std::min<qint64>(n, in.device()->bytesAvailable() / kPointBytes)));
        for (qint32 i = 0; i < n && in.status() == QDataStream::Ok; ++i) {
            ProgressPoint pt;
            qint32 it = 0;
            in >> it >> pt.energyReal >> pt.energySyn >> pt.recoveryMse;
            pt.iteration = it;
            points.append(pt);
        }
        p.log.append(points);
    }
    qint32 images = 0;
    in >> images;
    if (in.status() != QDataStream::Ok || images < 0 || images > 1000000)
        return fail(QObject::tr("the project file is damaged (gallery)"));
    for (qint32 i = 0; i < images; ++i) {
        GalleryEntry e;
        QByteArray png;
        in >> e.label >> png;
        e.image = fromPng(png);
        if (in.status() != QDataStream::Ok || e.image.isNull())
            return fail(QObject::tr("the project file is damaged (gallery image %1)").arg(i + 1));
        p.gallery.append(e);
    }
    if (!readSettings(in, p.trainSettings) || !readSettings(in, p.sampleSettings))
        return fail(QObject::tr("the project file is truncated or damaged (settings)"));
    if (version >= 2) {
        if (!readSettings(in, p.taskSettings))
            return fail(QObject::tr("the project file is truncated or damaged (task settings)"));
        in >> p.canvasCaption;
        if (in.status() != QDataStream::Ok || !readPng(in, p.canvas))
            return fail(QObject::tr("the project file is truncated or damaged (working image)"));
        if (!readPng(in, p.mask))
            return fail(QObject::tr("the project file is truncated or damaged (mask)"));
        if (!readPng(in, p.object))
            return fail(QObject::tr("the project file is truncated or damaged (object)"));
        const QSize working = p.canvas.isNull() ? p.source.size() : p.canvas.size();
        if (!p.mask.isNull() && p.mask.size() != working)
            return fail(QObject::tr("the project file is damaged (the mask is %1 x %2, the image %3 x %4)")
                            .arg(p.mask.width()).arg(p.mask.height()).arg(working.width()).arg(working.height()));
        if (!p.mask.isNull())
            p.mask = p.mask.convertToFormat(QImage::Format_Grayscale8);
        if (!p.object.isNull())
            p.object = p.object.convertToFormat(QImage::Format_ARGB32);
    }
    if (!sourcePng.isEmpty() && p.source.isNull())
        return fail(QObject::tr("the project's source image cannot be decoded"));
    *this = p;
    return true;
}

bool Project::save(const QString &path, QString *error) const
{
    QSaveFile file(path);
    // Unbuffered: Qt 6.4's commit() ignores a failed final flush and renames a truncated file over
    // the old one (a full disk lost the saved project); unbuffered writes fail in write() instead.
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    const QByteArray bytes = serialize();
    if (file.write(bytes) != bytes.size() || !file.commit()) {
        if (error)
            *error = file.errorString();
        file.cancelWriting();
        return false;
    }
    return true;
}

bool Project::load(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return deserialize(file.readAll(), error);
}

} // namespace pgcn::ui
