#include "imageio.h"

#include "errors.h"
#include "fileutil.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace pgcn {

namespace {

std::string lowerExtension(const std::string &path)
{
    const auto dot = path.find_last_of('.');
    const auto slash = path.find_last_of('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
        return {};
    std::string e = path.substr(dot + 1);
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return e;
}

void ensureLimits()
{
    // OpenCV refuses to decode images above this size (checked on the header).
    static const bool once = [] {
        ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxImagePixels).c_str(), 0);
        return true;
    }();
    (void)once;
}

cv::Mat to8bit(const cv::Mat &m)
{
    if (m.depth() == CV_8U)
        return m;
    cv::Mat out;
    switch (m.depth()) {
    case CV_16U: m.convertTo(out, CV_8U, 1.0 / 257.0); break;
    case CV_16S: m.convertTo(out, CV_8U, 1.0 / 128.0, 128); break;
    case CV_32F:
    case CV_64F: m.convertTo(out, CV_8U, 255.0); break;
    default: m.convertTo(out, CV_8U); break;
    }
    return out;
}

cv::Mat readMat(const std::string &path, int flags)
{
    ensureLimits();
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        throw Error("cannot open image '" + path + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        throw Error("'" + path + "' is not a regular file");
    if (st.st_size == 0)
        throw Error("image '" + path + "' is empty (0 bytes)");
    cv::Mat m;
    try {
        m = cv::imread(path, flags);
    } catch (const cv::Exception &e) {
        throw Error("cannot decode image '" + path + "' (too large, corrupt or unsupported)");
    }
    if (m.empty())
        throw Error("cannot decode image '" + path + "': not an image, truncated, corrupt, unsupported, or larger than " +
                    std::to_string(kMaxImagePixels / 1000000) + " megapixels");
    return m;
}

RgbImage fromBgr(const cv::Mat &bgr)
{
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    RgbImage out(rgb.cols, rgb.rows);
    for (int y = 0; y < rgb.rows; ++y)
        std::memcpy(out.pixel(0, y), rgb.ptr<std::uint8_t>(y), size_t(rgb.cols) * 3);
    return out;
}

GrayImage fromGray(const cv::Mat &g)
{
    GrayImage out(g.cols, g.rows);
    for (int y = 0; y < g.rows; ++y)
        std::memcpy(&out.at(0, y), g.ptr<std::uint8_t>(y), size_t(g.cols));
    return out;
}

} // namespace

LoadedImage loadImageFile(const std::string &path)
{
    // IMREAD_COLOR applies the EXIF orientation; UNCHANGED keeps depth and alpha but not orientation.
    cv::Mat any = readMat(path, cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
    LoadedImage out;
    out.originalDepthBits = any.depth() == CV_8U ? 8 : (any.depth() == CV_16U || any.depth() == CV_16S ? 16 : 32);
    out.originalChannels = any.channels();
    if (any.channels() == 4) {
        cv::Mat m8 = to8bit(any);
        std::vector<cv::Mat> ch;
        cv::split(m8, ch);
        out.alpha = fromGray(ch[3]);
        cv::Mat bgr;
        cv::merge(std::vector<cv::Mat>{ch[0], ch[1], ch[2]}, bgr);
        out.rgb = fromBgr(bgr);
        return out;
    }
    cv::Mat color = readMat(path, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH); // oriented, 3 channels
    color = to8bit(color);
    if (color.channels() == 1)
        cv::cvtColor(color, color, cv::COLOR_GRAY2BGR);
    out.rgb = fromBgr(color);
    return out;
}

RgbImage loadImage(const std::string &path)
{
    return loadImageFile(path).rgb;
}

GrayImage loadMask(const std::string &path)
{
    LoadedImage li = loadImageFile(path);
    GrayImage lum(li.rgb.width, li.rgb.height);
    for (size_t i = 0; i < lum.pixels.size(); ++i) {
        const std::uint8_t *p = &li.rgb.pixels[i * 3];
        lum.pixels[i] = std::uint8_t(std::lround(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]));
    }
    // A channel "carries a shape" when a real share of its pixels is on each side of one half.
    auto carriesShape = [](const GrayImage &g) {
        const size_t low = size_t(std::count_if(g.pixels.begin(), g.pixels.end(), [](std::uint8_t v) { return v < 128; }));
        const double f = double(low) / double(g.pixels.size());
        return f >= 0.001 && f <= 0.999;
    };
    if (li.alpha.isNull() || !carriesShape(li.alpha))
        return lum;                 // opaque (or nearly) masks: the luminance is the mask
    if (!carriesShape(lum))
        return li.alpha;            // uniform colour painted on transparency: the alpha is the mask
    for (size_t i = 0; i < lum.pixels.size(); ++i) // both: a white shape on transparent black
        lum.pixels[i] = std::uint8_t((int(lum.pixels[i]) * li.alpha.pixels[i] + 127) / 255);
    return lum;
}

bool isSupportedImageExtension(const std::string &path)
{
    const std::string e = lowerExtension(path);
    return e == "png" || e == "jpg" || e == "jpeg" || e == "webp" || e == "tif" || e == "tiff" || e == "bmp";
}

static void encodeAndWrite(const std::string &path, const cv::Mat &mat, int jpegQuality)
{
    if (!isSupportedImageExtension(path))
        throw Error("cannot save '" + path + "': unknown image format (use .png, .jpg, .webp, .tif or .bmp)");
    std::string ext = "." + lowerExtension(path);
    std::vector<int> params;
    if (ext == ".jpg" || ext == ".jpeg")
        params = {cv::IMWRITE_JPEG_QUALITY, jpegQuality};
    else if (ext == ".webp")
        params = {cv::IMWRITE_WEBP_QUALITY, 100};
    std::vector<unsigned char> buf;
    bool ok = false;
    try {
        ok = cv::imencode(ext, mat, buf, params);
    } catch (const cv::Exception &) {
        ok = false;
    }
    if (!ok)
        throw Error("cannot encode '" + path + "'");
    writeFileAtomic(path, buf);
}

void saveImage(const std::string &path, const RgbImage &image, int jpegQuality)
{
    if (image.isNull())
        throw Error("cannot save an empty image to '" + path + "'");
    cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<std::uint8_t *>(image.pixels.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    encodeAndWrite(path, bgr, jpegQuality);
}

void saveMask(const std::string &path, const GrayImage &mask)
{
    if (mask.isNull())
        throw Error("cannot save an empty mask to '" + path + "'");
    cv::Mat g(mask.height, mask.width, CV_8UC1, const_cast<std::uint8_t *>(mask.pixels.data()));
    encodeAndWrite(path, g, 95);
}

} // namespace pgcn
