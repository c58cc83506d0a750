#pragma once

#include "config.h"

#include <ATen/ATen.h>

#include <vector>

namespace pgcn {

struct Size2
{
    int width = 0;
    int height = 0;
    bool operator==(const Size2 &o) const { return width == o.width && height == o.height; }
    int longSide() const { return width > height ? width : height; }
    int shortSide() const { return width < height ? width : height; }
};

/** The scale sizes of algorithm.md §1, coarsest first. Throws InvalidArgument on bad input. */
struct PyramidGeometry
{
    Size2 finest;
    std::vector<Size2> scales; // scales[0] = coarsest
    double ratio = 1.0;        // r: coarsest_long / finest_long ^ (1/(S-1))

    static PyramidGeometry compute(int originalWidth, int originalHeight, int maxSize, int minSize, int numScales);

    /** Sizes of every scale for an output scaled by (fx, fy) relative to the training image. */
    std::vector<Size2> scaled(double fx, double fy) const;

    /** Each scale's shorter side, coarsest first (what pgcn::defaultStartScale takes). */
    std::vector<int> shorterSides() const;
};

/** The real image at every scale, [1,3,h,w] in [-1,1], from the full-resolution input tensor. */
std::vector<at::Tensor> buildPyramid(const at::Tensor &image, const PyramidGeometry &geometry);

} // namespace pgcn
