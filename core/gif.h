#pragma once

#include "image.h"

#include <cstdint>
#include <vector>

namespace pgcn {

/**
 * A dependency-free animated GIF encoder for chain exports: frames share
 * one size, colours go through a fixed 6x7x6 palette with ordered
 * dithering, the animation loops forever.
 */
std::vector<std::uint8_t> encodeGif(const std::vector<RgbImage> &frames, int delayCentiseconds);

} // namespace pgcn
