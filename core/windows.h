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

} // namespace pgcn
