#include "tensorops.h"

#include "errors.h"

#include <cmath>
#include <cstring>

namespace pgcn {

RgbImage::RgbImage(int w, int h, std::uint8_t fill)
    : width(w), height(h), pixels(std::size_t(w) * h * 3, fill) {}

GrayImage::GrayImage(int w, int h, std::uint8_t fill)
    : width(w), height(h), pixels(std::size_t(w) * h, fill) {}

at::Tensor imageToTensor(const RgbImage &image)
{
    if (image.isNull() || image.pixels.size() != std::size_t(image.width) * image.height * 3)
        throw InvalidArgument("empty or inconsistent image");
    auto bytes = at::from_blob(const_cast<std::uint8_t *>(image.pixels.data()),
                               {image.height, image.width, 3}, at::kByte);
    return bytes.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div_(127.5).sub_(1.0).contiguous();
}

RgbImage tensorToImage(const at::Tensor &tensor)
{
    at::Tensor t = tensor.detach();
    if (t.dim() == 4) {
        if (t.size(0) != 1)
            throw InvalidArgument("tensorToImage expects a single image");
        t = t[0];
    }
    if (t.dim() != 3 || t.size(0) != 3)
        throw InvalidArgument("tensorToImage expects [3,H,W]");
    auto bytes = t.to(at::kCPU, at::kFloat).add(1.0).mul(127.5).round().clamp(0, 255)
                     .to(at::kByte).permute({1, 2, 0}).contiguous();
    RgbImage out(int(bytes.size(1)), int(bytes.size(0)));
    std::memcpy(out.pixels.data(), bytes.data_ptr<std::uint8_t>(), out.pixels.size());
    return out;
}

at::Tensor maskToTensor(const GrayImage &mask)
{
    if (mask.isNull() || mask.pixels.size() != std::size_t(mask.width) * mask.height)
        throw InvalidArgument("empty or inconsistent mask");
    auto bytes = at::from_blob(const_cast<std::uint8_t *>(mask.pixels.data()), {1, 1, mask.height, mask.width}, at::kByte);
    return bytes.to(at::kFloat).div_(255.0).contiguous();
}

GrayImage tensorToMask(const at::Tensor &tensor)
{
    at::Tensor t = tensor.detach().to(at::kCPU, at::kFloat);
    while (t.dim() > 2)
        t = t[0];
    auto bytes = t.mul(255.0).round().clamp(0, 255).to(at::kByte).contiguous();
    GrayImage out(int(bytes.size(1)), int(bytes.size(0)));
    std::memcpy(out.pixels.data(), bytes.data_ptr<std::uint8_t>(), out.pixels.size());
    return out;
}

static at::Tensor interpolate(const at::Tensor &x, int64_t height, int64_t width, bool cubic)
{
    if (height < 1 || width < 1)
        throw InvalidArgument("resize to an empty size");
    if (x.size(2) == height && x.size(3) == width)
        return x;
    const bool shrink = height < x.size(2) || width < x.size(3);
    std::vector<int64_t> size{height, width};
    if (cubic)
        return shrink ? at::_upsample_bicubic2d_aa(x, at::IntArrayRef(size), false)
                      : at::upsample_bicubic2d(x, at::IntArrayRef(size), false);
    return shrink ? at::_upsample_bilinear2d_aa(x, at::IntArrayRef(size), false)
                  : at::upsample_bilinear2d(x, at::IntArrayRef(size), false);
}

at::Tensor resizeImage(const at::Tensor &x, int64_t height, int64_t width)
{
    return interpolate(x, height, width, true).clamp(-1.0, 1.0);
}

at::Tensor resizeMask(const at::Tensor &m, int64_t height, int64_t width)
{
    return interpolate(m, height, width, false).clamp(0.0, 1.0);
}

at::Tensor padImage(const at::Tensor &x, int pad)
{
    if (pad == 0)
        return x;
    return at::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0);
}

at::Tensor cropPad(const at::Tensor &x, int pad)
{
    if (pad == 0)
        return x;
    return x.slice(2, pad, x.size(2) - pad).slice(3, pad, x.size(3) - pad);
}

at::Tensor featherMask(const at::Tensor &mask, double radius)
{
    if (radius <= 0)
        return mask;
    const double sigma = radius / 2.0;
    const int k = int(std::ceil(3 * sigma));
    auto coords = at::arange(-k, k + 1, mask.options()).to(at::kFloat);
    auto kernel = at::exp(-(coords * coords) / (2 * sigma * sigma));
    kernel = kernel / kernel.sum();
    auto kx = kernel.view({1, 1, 1, 2 * k + 1});
    auto ky = kernel.view({1, 1, 2 * k + 1, 1});
    auto m = at::replication_pad2d(mask, {k, k, k, k});
    m = at::conv2d(m, kx);
    m = at::conv2d(m, ky);
    return m.clamp(0.0, 1.0);
}

} // namespace pgcn
