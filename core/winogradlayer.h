#pragma once

#include <ATen/core/Tensor.h>

namespace pgcn {

/*
 * A 3x3 valid convolution with bias and ELU through winograd.h's kernels, for
 * autograd: the training step's forward of an energy net's inner layers and
 * their gradient with respect to the input (fused with the ELU's derivative,
 * as in the chains); the weights' and bias's gradients stay LibTorch's
 * (convolution_backward). On a CPU without AVX-512, where oneDNN computes
 * fp32 convolutions directly, the forward and the input's gradient are two
 * of the step's three convolutions.
 */

/** Whether winogradConvElu takes this layer: fp32 CPU tensors, a 3x3 kernel, channel counts winogradFits. */
bool winogradLayerFits(const at::Tensor &x, const at::Tensor &w);

/**
 * ELU(conv2d(x, w, b)) (stride 1, no padding), differentiable in x, w and b.
 * x: [N, C, H, W] fp32 (any layout; computed channels-last), w: [O, C, 3, 3],
 * b: [O]. The result is channels-last.
 */
at::Tensor winogradConvElu(const at::Tensor &x, const at::Tensor &w, const at::Tensor &b);

} // namespace pgcn
