#pragma once

#include "image.h"

#include <ATen/ATen.h>

namespace pgcn {

/** [1,3,H,W] float tensor in [-1,1] (pixel/127.5 - 1) from an 8-bit image. */
at::Tensor imageToTensor(const RgbImage &image);
/** Inverse of imageToTensor for a [1,3,H,W] or [3,H,W] tensor on any device; values are clamped. */
RgbImage tensorToImage(const at::Tensor &tensor);
/** [1,1,H,W] float tensor in [0,1] from a mask. */
at::Tensor maskToTensor(const GrayImage &mask);
GrayImage tensorToMask(const at::Tensor &tensor);

/** Bicubic resize of [B,C,H,W]; antialiased when shrinking along either axis; result clamped to [-1,1]. */
at::Tensor resizeImage(const at::Tensor &x, int64_t height, int64_t width);
/** Bilinear resize for masks and maps (antialiased when shrinking), clamped to [0,1]. */
at::Tensor resizeMask(const at::Tensor &m, int64_t height, int64_t width);

/** Zero padding on every side (zero = mid-grey in [-1,1]). */
at::Tensor padImage(const at::Tensor &x, int pad);
/** Removes `pad` pixels from every side. */
at::Tensor cropPad(const at::Tensor &x, int pad);

/** Gaussian blur of a [B,1,H,W] mask with the given radius in pixels (sigma = radius/2). */
at::Tensor featherMask(const at::Tensor &mask, double radius);

} // namespace pgcn
