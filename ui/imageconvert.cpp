#include "imageconvert.h"

#include <cstring>

#include "image.h"

namespace pgcn::ui {

QImage toQImage(const RgbImage &image)
{
    if (image.isNull())
        return {};
    QImage out(image.width, image.height, QImage::Format_RGB888);
    const qsizetype row = qsizetype(image.width) * 3;
    for (int y = 0; y < image.height; ++y)
        std::memcpy(out.scanLine(y), image.pixels.data() + row * y, size_t(row));
    return out;
}

RgbImage fromQImage(const QImage &image)
{
    if (image.isNull())
        return {};
    const QImage src = image.convertToFormat(QImage::Format_RGB888);
    RgbImage out(src.width(), src.height());
    const qsizetype row = qsizetype(src.width()) * 3;
    for (int y = 0; y < src.height(); ++y)
        std::memcpy(out.pixels.data() + row * y, src.constScanLine(y), size_t(row));
    return out;
}

} // namespace pgcn::ui
