#pragma once

#include "config.h"
#include "image.h"
#include "runtime.h"
#include "winograd.h"

#include <cmath>
#include <cstdint>

namespace pgcn::test {

/** Sets the engine's precision for a test's span, then puts Auto (the default) back. */
class PrecisionScope
{
public:
    explicit PrecisionScope(Precision p) { setPrecision(p); }
    ~PrecisionScope() { setPrecision(Precision::Auto); }
    PrecisionScope(const PrecisionScope &) = delete;
    PrecisionScope &operator=(const PrecisionScope &) = delete;
};

/** Switches winograd.h's kernels on or off for a scope (the default comes back after it). */
struct WinogradScope
{
    explicit WinogradScope(bool on) : was(winogradAvailable()) { setWinograd(on); }
    ~WinogradScope() { setWinograd(was); }
    WinogradScope(const WinogradScope &) = delete;
    WinogradScope &operator=(const WinogradScope &) = delete;
    bool was;
};

/** A small image with structure: warm diagonal stripes over a blue-green gradient. */
inline RgbImage patternImage(int w, int h)
{
    RgbImage img(w, h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            std::uint8_t *p = img.pixel(x, y);
            const bool stripe = ((x + y) / 3) % 2 == 0;
            p[0] = std::uint8_t(stripe ? 220 : 60);
            p[1] = std::uint8_t(stripe ? 140 : 90 + 100 * y / std::max(1, h - 1));
            p[2] = std::uint8_t(stripe ? 40 : 160);
        }
    return img;
}

/** A configuration small enough for unit tests: seconds on two cores. */
inline TrainConfig tinyConfig(int iterations = 40)
{
    TrainConfig c = TrainConfig::preset("quick");
    c.maxSize = 24;
    c.minSize = 12;
    c.numScales = 2;
    c.narrowChannels = {16, 16, 16, 16, 1};
    c.wideChannels = {16, 16, 16, 16, 1};
    c.stepsCoarsest = 10;
    c.stepsPerScale = 10;
    c.recoverySteps = 10;
    c.batchSize = 2;
    c.bankSize = 4;
    c.cropSize = 0;
    c.coarseIterations = 0;
    c.coarseLr = 0;
    c.windowLr = 0; // a few iterations at one rate everywhere
    c.bf16FineChains = false; // fp32 arithmetic unless a test asks (test_training's bf16 tests)
    c.bf16CoarseChains = false;
    c.setIterations(iterations);
    return c;
}

} // namespace pgcn::test
