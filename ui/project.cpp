#include "project.h"

#include <QBuffer>
#include <QDataStream>
#include <QFile>
#include <QSaveFile>

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
    if (version != kVersion)
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
        points.reserve(n);
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
    in >> p.trainSettings >> p.sampleSettings;
    if (in.status() != QDataStream::Ok)
        return fail(QObject::tr("the project file is truncated or damaged"));
    if (!sourcePng.isEmpty() && p.source.isNull())
        return fail(QObject::tr("the project's source image cannot be decoded"));
    *this = p;
    return true;
}

bool Project::save(const QString &path, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
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
