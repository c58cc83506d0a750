#include "windows.h"

#include "runtime.h"

#include <algorithm>
#include <vector>

namespace pgcn {

TrainingWindow cutWindow(const at::Tensor &padded, int64_t y, int64_t x, int64_t ch, int64_t cw, int field)
{
    const int64_t H = padded.size(2), W = padded.size(3);
    TORCH_CHECK(y >= 0 && x >= 0 && y + ch <= H && x + cw <= W, "window outside the image");
    const int64_t m = field - 1;
    // The part of [y-m, y+ch+m) x [x-m, x+cw+m) inside the image, zero-padded to the full window.
    const int64_t y0 = std::max<int64_t>(0, y - m), y1 = std::min<int64_t>(H, y + ch + m);
    const int64_t x0 = std::max<int64_t>(0, x - m), x1 = std::min<int64_t>(W, x + cw + m);
    at::Tensor pixels = padded.slice(2, y0, y1).slice(3, x0, x1);
    pixels = at::constant_pad_nd(pixels, {x0 - (x - m), (x + cw + m) - x1, y0 - (y - m), (y + ch + m) - y1}, 0.0);

    // Map position i covers padded rows y - m + i ... y - m + i + field - 1: it counts when they are all inside.
    const int64_t mh = ch + 2 * m - field + 1, mw = cw + 2 * m - field + 1;
    // Built where the image is: a host tensor copied over would wait for the GPU every iteration.
    const auto opts = at::TensorOptions().dtype(at::kFloat).device(padded.device());
    const at::Tensor iy = at::arange(mh, opts) + double(y - m), ix = at::arange(mw, opts) + double(x - m);
    const at::Tensor vy = (iy >= 0).logical_and(iy + field <= H).to(at::kFloat);
    const at::Tensor vx = (ix >= 0).logical_and(ix + field <= W).to(at::kFloat);
    return {pixels, at::outer(vy, vx).view({1, 1, mh, mw}), int(m)};
}

WindowBatch cutWindows(const at::Tensor &initP, const at::Tensor &obsP, const at::Tensor &zP, int crop, int nRec,
                       int field, Rng &rng)
{
    const int64_t H = obsP.size(2), W = obsP.size(3);
    const int64_t ch = std::min<int64_t>(crop, H), cw = std::min<int64_t>(crop, W);
    std::vector<at::Tensor> syn, synW, obsAtSyn, obs, rec, recW;
    WindowBatch b;
    // A window at a random place in `from`, and the real crop at that place.
    auto cut = [&](const at::Tensor &from, std::vector<at::Tensor> &pixels, std::vector<at::Tensor> &weight,
                   std::vector<at::Tensor> &real) {
        const int64_t y = rng.index(H - ch + 1), x = rng.index(W - cw + 1);
        const TrainingWindow w = cutWindow(from, y, x, ch, cw, field);
        pixels.push_back(w.pixels);
        weight.push_back(w.weight);
        real.push_back(obsP.slice(2, y, y + ch).slice(3, x, x + cw));
        b.margin = w.margin;
    };
    for (int64_t i = 0; i < initP.size(0); ++i)
        cut(initP.slice(0, i, i + 1), syn, synW, obsAtSyn);
    for (int i = 0; i < nRec; ++i)
        cut(zP, rec, recW, obs);
    b.init = at::cat(syn);
    b.synWeight = at::cat(synW);
    b.obsAtSyn = at::cat(obsAtSyn);
    b.obs = at::cat(obs);
    b.z = at::cat(rec);
    b.recWeight = at::cat(recW);
    return b;
}

} // namespace pgcn
