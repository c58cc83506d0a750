#pragma once

#include "image.h"

#include <string>
#include <vector>

namespace pgcn {

/** An image file's pixels: RGB plus the alpha channel when the file has one. */
struct LoadedImage
{
    RgbImage rgb;
    GrayImage alpha;   ///< null when the file has no alpha
    int originalDepthBits = 8;
    int originalChannels = 3;
};

/** Images larger than this many pixels are refused before decoding. */
constexpr long long kMaxImagePixels = 100LL * 1000 * 1000;

/**
 * Reads PNG, JPEG (EXIF rotation honoured), WebP, TIFF, BMP...; converts
 * grayscale, 16-bit and alpha images to 8-bit RGB (alpha kept aside).
 * Throws pgcn::Error with a message naming the file and the problem.
 */
LoadedImage loadImageFile(const std::string &path);
RgbImage loadImage(const std::string &path);

/**
 * A mask from any image file: its alpha channel when that carries the shape
 * (RGBA with non-constant alpha), otherwise its luminance. 0 = keep, 255 = change.
 */
GrayImage loadMask(const std::string &path);

/** Atomic save; the format follows the extension (png, jpg/jpeg, webp, tif/tiff, bmp). */
void saveImage(const std::string &path, const RgbImage &image, int jpegQuality = 95);
void saveMask(const std::string &path, const GrayImage &mask);

/** True for extensions saveImage understands. */
bool isSupportedImageExtension(const std::string &path);

} // namespace pgcn
