#include "imageio.h"

#include "errors.h"
#include "fileutil.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

// Header fields, bounds-checked: each reads 0 past the end of the buffer.
struct HeaderBytes
{
    const unsigned char *data;
    size_t size;
    bool has(size_t offset, size_t n) const { return offset <= size && n <= size - offset; }
    unsigned be16(size_t o) const { return has(o, 2) ? unsigned(data[o]) << 8 | data[o + 1] : 0; }
    unsigned le16(size_t o) const { return has(o, 2) ? unsigned(data[o + 1]) << 8 | data[o] : 0; }
    std::uint32_t be32(size_t o) const { return has(o, 4) ? std::uint32_t(be16(o)) << 16 | be16(o + 2) : 0; }
    std::uint32_t le24(size_t o) const { return has(o, 3) ? std::uint32_t(data[o + 2]) << 16 | le16(o) : 0; }
    std::uint32_t le32(size_t o) const { return has(o, 4) ? std::uint32_t(le16(o + 2)) << 16 | le16(o) : 0; }
    template <size_t N>
    bool tag(size_t o, const char (&t)[N]) const // N - 1: without the terminating NUL
    {
        return has(o, N - 1) && std::memcmp(data + o, t, N - 1) == 0;
    }
};

bool isJpeg(const HeaderBytes &b)
{
    return b.has(0, 3) && b.data[0] == 0xFF && b.data[1] == 0xD8 && b.data[2] == 0xFF;
}

bool probeJpeg(const HeaderBytes &b, ImageHeaderSize &out)
{
    size_t i = 2;
    while (b.has(i, 4)) {
        if (b.data[i] != 0xFF)
            return false;
        if (b.data[i + 1] == 0xFF) { // fill byte
            ++i;
            continue;
        }
        const unsigned marker = b.data[i + 1];
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) { // markers without a length
            i += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) // end of image, or a scan before any frame header
            return false;
        const unsigned length = b.be16(i + 2);
        if (length < 2)
            return false;
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            if (!b.has(i + 5, 4))
                return false;
            out.height = b.be16(i + 5);
            out.width = b.be16(i + 7);
            return true;
        }
        i += 2 + size_t(length);
    }
    return false;
}

/** False for a JPEG cut short: no end-of-image marker after its first scan (libjpeg would pad it with grey). */
bool jpegHasEnd(const HeaderBytes &b)
{
    size_t i = 2;
    while (b.has(i, 4) && b.data[i] == 0xFF) {
        const unsigned marker = b.data[i + 1];
        if (marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
            i += marker == 0xFF ? 1 : 2;
            continue;
        }
        if (marker == 0xDA) { // in entropy-coded data 0xFF is followed by 0x00 or a restart marker only
            for (size_t k = i + 2; k + 1 < b.size; ++k)
                if (b.data[k] == 0xFF && b.data[k + 1] == 0xD9)
                    return true;
            return false;
        }
        i += 2 + size_t(b.be16(i + 2));
    }
    return true; // not walkable: the decoder will say what is wrong
}

bool probeTiff(const HeaderBytes &b, ImageHeaderSize &out)
{
    const bool le = b.data[0] == 'I';
    auto u16 = [&](size_t o) { return le ? b.le16(o) : b.be16(o); };
    auto u32 = [&](size_t o) { return le ? b.le32(o) : b.be32(o); };
    const size_t ifd = u32(4);
    const unsigned entries = u16(ifd);
    if (!b.has(ifd + 2, size_t(entries) * 12))
        return false;
    bool haveW = false, haveH = false;
    for (unsigned e = 0; e < entries; ++e) {
        const size_t at = ifd + 2 + size_t(e) * 12;
        const unsigned tag = u16(at), type = u16(at + 2);
        if ((tag != 256 && tag != 257) || (type != 3 && type != 4))
            continue;
        const long long v = type == 3 ? u16(at + 8) : u32(at + 8);
        (tag == 256 ? out.width : out.height) = v;
        (tag == 256 ? haveW : haveH) = true;
    }
    return haveW && haveH;
}

/** The next whitespace-separated word of a PNM/PAM header at `i` (comments skipped); empty at the end. */
std::string pnmWord(const HeaderBytes &b, size_t &i)
{
    while (i < b.size && (std::isspace(b.data[i]) || b.data[i] == '#')) {
        if (b.data[i] == '#')
            while (i < b.size && b.data[i] != '\n')
                ++i;
        else
            ++i;
    }
    std::string word;
    while (i < b.size && !std::isspace(b.data[i]) && word.size() < 32)
        word += char(b.data[i++]);
    return word;
}

long long pnmNumber(const std::string &word)
{
    if (word.empty() || word.size() > 12 || !std::all_of(word.begin(), word.end(), [](char c) { return std::isdigit(c); }))
        return -1;
    return std::stoll(word);
}

/** P1-P6 and PFM ("PF", "Pf"): width and height follow the magic; PAM (P7): WIDTH and HEIGHT lines up to ENDHDR. */
bool probePnm(const HeaderBytes &b, ImageHeaderSize &out)
{
    size_t i = 2;
    if (b.data[1] != '7') {
        out.width = pnmNumber(pnmWord(b, i));
        out.height = pnmNumber(pnmWord(b, i));
        return out.width >= 0 && out.height >= 0;
    }
    for (std::string w = pnmWord(b, i); !w.empty() && w != "ENDHDR"; w = pnmWord(b, i)) {
        if (w == "WIDTH")
            out.width = pnmNumber(pnmWord(b, i));
        else if (w == "HEIGHT")
            out.height = pnmNumber(pnmWord(b, i));
    }
    return out.width > 0 && out.height > 0;
}

cv::Mat decodeMat(const cv::Mat &buffer, int flags, const std::string &name)
{
    cv::Mat m;
    try {
        m = cv::imdecode(buffer, flags);
    } catch (const cv::Exception &) {
        throw Error("cannot decode image '" + name + "' (too large, corrupt or unsupported)");
    }
    if (m.empty())
        throw Error("cannot decode image '" + name + "': not an image, truncated, corrupt or unsupported");
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

bool probeImageSize(const unsigned char *data, size_t size, ImageHeaderSize &out)
{
    const HeaderBytes b{data, size};
    out = {};
    if (b.tag(0, "\x89PNG\r\n\x1a\n") && b.tag(12, "IHDR")) {
        out.width = b.be32(16);
        out.height = b.be32(20);
        return b.has(16, 8);
    }
    if (isJpeg(b))
        return probeJpeg(b, out);
    if (b.tag(0, "BM")) {
        if (b.le32(14) == 12) { // OS/2 core header: 16-bit sizes
            out.width = b.le16(18);
            out.height = b.le16(20);
        } else {
            out.width = std::int32_t(b.le32(18));
            out.height = std::llabs(std::int32_t(b.le32(22))); // negative: rows stored top-down
        }
        return b.has(18, 8);
    }
    if (b.tag(0, "RIFF") && b.tag(8, "WEBP")) {
        if (b.tag(12, "VP8X")) {
            out.width = 1 + b.le24(24);
            out.height = 1 + b.le24(27);
            return b.has(24, 6);
        }
        if (b.tag(12, "VP8L")) {
            const std::uint32_t bits = b.le32(21);
            out.width = 1 + (bits & 0x3FFF);
            out.height = 1 + ((bits >> 14) & 0x3FFF);
            return b.has(21, 4);
        }
        if (b.tag(12, "VP8 ")) {
            out.width = b.le16(26) & 0x3FFF;
            out.height = b.le16(28) & 0x3FFF;
            return b.has(26, 4);
        }
        return false;
    }
    if (b.tag(0, "II*") || b.tag(0, "MM\0*"))
        return probeTiff(b, out);
    if (b.has(0, 2) && data[0] == 'P' && ((data[1] >= '1' && data[1] <= '7') || data[1] == 'F' || data[1] == 'f'))
        return probePnm(b, out);
    if (b.be32(0) == 0x59A66A95) { // Sun raster
        out.width = b.be32(4);
        out.height = b.be32(8);
        return b.has(4, 8);
    }
    return false;
}

LoadedImage decodeImage(const unsigned char *data, size_t size, const std::string &name)
{
    if (size == 0)
        throw Error("image '" + name + "' is empty (0 bytes)");
    if (size > size_t(kMaxImageFileBytes))
        throw Error("image '" + name + "' is larger than " + std::to_string(kMaxImageFileBytes >> 20) + " MiB");
    ImageHeaderSize declared;
    // Only formats whose size can be read before decoding: OpenCV would allocate whatever a header claims.
    if (!probeImageSize(data, size, declared))
        throw Error("cannot decode image '" + name + "': not an image, truncated, or not in a supported format "
                    "(PNG, JPEG, WebP, TIFF, BMP, PNM, Sun raster)");
    if ((declared.width > kMaxImagePixels || declared.height > kMaxImagePixels ||
         declared.width * declared.height > kMaxImagePixels)) {
        char mp[32];
        std::snprintf(mp, sizeof mp, "%.0f", double(declared.width) * double(declared.height) / 1e6);
        throw Error("image '" + name + "' is " + std::to_string(declared.width) + "x" + std::to_string(declared.height) +
                    " (" + mp + " megapixels); images above " + std::to_string(kMaxImagePixels / 1000000) +
                    " megapixels are refused: downscale it first");
    }
    const HeaderBytes header{data, size};
    if (isJpeg(header) && !jpegHasEnd(header))
        throw Error("image '" + name + "' is truncated (its JPEG data stops before the end-of-image marker)");
    const cv::Mat buffer(1, int(size), CV_8UC1, const_cast<unsigned char *>(data)); // not copied
    LoadedImage out;
    {
        // UNCHANGED keeps depth and alpha but ignores the EXIF orientation...
        const cv::Mat any = decodeMat(buffer, cv::IMREAD_UNCHANGED, name);
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
    }
    // ...COLOR applies it (and turns gray and CMYK into BGR).
    cv::Mat color = to8bit(decodeMat(buffer, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH, name));
    if (color.channels() == 1)
        cv::cvtColor(color, color, cv::COLOR_GRAY2BGR);
    out.rgb = fromBgr(color);
    return out;
}

LoadedImage loadImageFile(const std::string &path)
{
    // decodeImage checks emptiness; a file that shrank while being read decodes as truncated
    const std::string bytes = readWholeFile(path, "image", kMaxImageFileBytes);
    return decodeImage(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size(), path);
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
