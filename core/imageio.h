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
/** Image files larger than this are refused before they are read. */
constexpr long long kMaxImageFileBytes = 1LL << 30;

/** Width and height as an image file's header states them. */
struct ImageHeaderSize
{
    long long width = 0;
    long long height = 0;
};

/**
 * The size a PNG, JPEG, BMP, WebP, TIFF, PNM/PAM/PFM or Sun raster header
 * declares, read without decoding anything; false for other formats or a
 * header too short to tell. Lets loaders refuse decompression bombs (a
 * 50000x50000 header on a few kilobytes) before any pixel memory is allocated.
 */
bool probeImageSize(const unsigned char *data, size_t size, ImageHeaderSize &out);

/**
 * Reads PNG, JPEG (EXIF rotation honoured), WebP, TIFF, BMP, PNM and Sun
 * raster files (the formats probeImageSize knows; others are refused); converts
 * grayscale, 16-bit, CMYK and alpha images to 8-bit RGB (alpha kept aside).
 * Images whose header declares more than kMaxImagePixels are refused before
 * decoding. Throws pgcn::Error with a message naming the file and the problem.
 */
LoadedImage loadImageFile(const std::string &path);
RgbImage loadImage(const std::string &path);

/** loadImageFile for bytes already in memory; `name` stands for the file in messages. */
LoadedImage decodeImage(const unsigned char *data, size_t size, const std::string &name);

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
