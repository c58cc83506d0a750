#pragma once

#include <QImage>

namespace pgcn {
struct RgbImage;
}

namespace pgcn::ui {

/** Deep copy of an engine image into a QImage (Format_RGB888). */
QImage toQImage(const RgbImage &image);
/** Deep copy of any QImage into an engine image (alpha dropped, rows unpadded). */
RgbImage fromQImage(const QImage &image);

} // namespace pgcn::ui
