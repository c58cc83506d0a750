#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgcn {

/**
 * An 8-bit interleaved RGB image in plain memory: the currency between the
 * engine, the file loaders and the user interfaces. Rows are tightly packed
 * (stride = 3 * width). Carries no library types so every layer can use it.
 */
struct RgbImage
{
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // width * height * 3, row-major, R G B

    RgbImage() = default;
    RgbImage(int w, int h, std::uint8_t fill = 0);

    bool isNull() const { return width <= 0 || height <= 0; }
    std::uint8_t *pixel(int x, int y) { return pixels.data() + (std::size_t(y) * width + x) * 3; }
    const std::uint8_t *pixel(int x, int y) const { return pixels.data() + (std::size_t(y) * width + x) * 3; }
};

/**
 * A single-channel 8-bit mask (0 = keep, 255 = replace); values between are
 * soft weights. Same layout rules as RgbImage.
 */
struct GrayImage
{
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // width * height

    GrayImage() = default;
    GrayImage(int w, int h, std::uint8_t fill = 0);

    bool isNull() const { return width <= 0 || height <= 0; }
    std::uint8_t &at(int x, int y) { return pixels[std::size_t(y) * width + x]; }
    std::uint8_t at(int x, int y) const { return pixels[std::size_t(y) * width + x]; }
};

} // namespace pgcn
