#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace pgcn {

/**
 * A training window: a crop of a padded image plus a context ring of
 * field - 1 pixels on every side, and the weight of each position of the
 * energy map over it.
 *
 * Langevin on the window moves every pixel of the central crop by all the
 * patches that contain it, as a whole-image chain would; only the crop is
 * scored. Without the ring the crop's edge pixels barely move and the net
 * learns to tell windows apart by their unfinished edges. Parts of the ring
 * outside the padded image are zero, and the patches that reach there get
 * weight 0, so a window at the border sees what a whole-image chain sees.
 */
struct TrainingWindow
{
    at::Tensor pixels;  ///< [1,C,ch+2m,cw+2m]
    at::Tensor weight;  ///< [1,1,ch+2m-field+1,cw+2m-field+1] of 0/1, on the pixels' device
    int margin = 0;     ///< m = field - 1
};

/**
 * The window whose crop is rows y..y+ch-1, columns x..x+cw-1 of `padded`
 * ([1,C,H,W], one batch row), for a net with receptive field `field`.
 */
TrainingWindow cutWindow(const at::Tensor &padded, int64_t y, int64_t x, int64_t ch, int64_t cw, int field);

class Rng;

/**
 * One training iteration's windows at random positions, stacked: a
 * synthesis window per row of the padded starts, and nRec recovery windows
 * with the real crops at their places.
 *
 * The real side of the MLE term also gets the real crop at each synthesis
 * window's place (obsAtSyn). Samples keep the image's layout loosely (sky
 * above, ground below), so real and synthesised crops from the same places
 * hold similar content and the energy gap of an iteration compares like
 * with like instead of, say, sky against pavement. Measured on the 250-px
 * colosseum (quick's windowed scales retrained over the same coarse
 * scales, 32 paired samples): patch-SWD 4.2 +- 1.9 lower, on a 4-scale
 * pyramid 6.7 +- 3.0 lower, 22 of 32 samples better in both.
 */
struct WindowBatch
{
    at::Tensor init;      ///< synthesis starts with their rings [B,C,ch+2m,cw+2m]
    at::Tensor obs;       ///< real crops at the recovery windows [nRec,C,ch,cw]
    at::Tensor z;         ///< recovery starts with their rings [nRec,C,ch+2m,cw+2m]
    at::Tensor synWeight; ///< energy-map weights of the synthesis windows (see TrainingWindow)
    at::Tensor recWeight; ///< energy-map weights of the recovery windows
    at::Tensor obsAtSyn;  ///< real crops at the synthesis windows [B,C,ch,cw]
    int margin = 0;       ///< ring width m
};

/**
 * Cuts a WindowBatch of crop x crop windows (smaller where the image is)
 * from the padded synthesis starts initP ([B,C,H,W]), the padded real image
 * obsP and the padded recovery start zP ([1,C,H,W]), for a net with
 * receptive field `field`.
 */
WindowBatch cutWindows(const at::Tensor &initP, const at::Tensor &obsP, const at::Tensor &zP, int crop, int nRec,
                       int field, Rng &rng);

} // namespace pgcn
