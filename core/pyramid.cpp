#include "pyramid.h"

#include "errors.h"
#include "tensorops.h"

#include <algorithm>
#include <cmath>

namespace pgcn {

static int roundPositive(double v)
{
    return std::max(1, int(std::lround(v)));
}

PyramidGeometry PyramidGeometry::compute(int ow, int oh, int maxSize, int minSize, int numScales)
{
    if (ow < 1 || oh < 1)
        throw InvalidArgument("image has no pixels (" + std::to_string(ow) + "x" + std::to_string(oh) + ")");
    if (maxSize < 1 || minSize < 1 || numScales < 1)
        throw InvalidArgument("pyramid parameters must be positive");

    PyramidGeometry g;
    const int origLong = std::max(ow, oh);
    const double f = double(std::min(maxSize, origLong)) / origLong;
    g.finest = {roundPositive(ow * f), roundPositive(oh * f)};
    if (f == 1.0)
        g.finest = {ow, oh};

    const int finestLong = g.finest.longSide();
    const int finestShort = g.finest.shortSide();
    // Coarsest: shorter side = min_size (never larger than the finest image).
    const double coarseShort = std::min<double>(minSize, finestShort);
    const double coarseLong = coarseShort * double(finestLong) / finestShort;
    g.ratio = numScales > 1 ? std::pow(coarseLong / finestLong, 1.0 / (numScales - 1)) : 1.0;

    for (int s = 0; s < numScales; ++s) {
        const double k = std::pow(g.ratio, numScales - 1 - s);
        if (s == numScales - 1)
            g.scales.push_back(g.finest);
        else
            g.scales.push_back({roundPositive(g.finest.width * k), roundPositive(g.finest.height * k)});
    }
    return g;
}

std::vector<int> PyramidGeometry::shorterSides() const
{
    std::vector<int> v;
    v.reserve(scales.size());
    for (const Size2 &sz : scales)
        v.push_back(sz.shortSide());
    return v;
}

std::vector<Size2> PyramidGeometry::scaled(double fx, double fy) const
{
    if (!(fx > 0) || !(fy > 0) || !std::isfinite(fx) || !std::isfinite(fy))
        throw InvalidArgument("output scale factors must be positive");
    std::vector<Size2> out;
    out.reserve(scales.size());
    for (const auto &s : scales)
        out.push_back({roundPositive(s.width * fx), roundPositive(s.height * fy)});
    return out;
}

std::vector<at::Tensor> buildPyramid(const at::Tensor &image, const PyramidGeometry &geometry)
{
    std::vector<at::Tensor> reals;
    const at::Tensor finest = resizeImage(image, geometry.finest.height, geometry.finest.width);
    for (const auto &s : geometry.scales)
        reals.push_back(resizeImage(finest, s.height, s.width).contiguous());
    return reals;
}

} // namespace pgcn
