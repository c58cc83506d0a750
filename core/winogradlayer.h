#pragma once

#include <ATen/core/Tensor.h>

namespace pgcn {

/*
 * A 3x3 valid convolution with bias and ELU through winograd.h's kernels, for
 * autograd: the training step's forward of an energy net's inner layers, their
 * gradient with respect to the input (fused with the ELU's derivative, as in
 * the chains) and with respect to the weights (winogradWeightGradient); the
 * bias's gradient is a sum. On a CPU without AVX-512, where oneDNN computes
 * fp32 convolutions directly, these are all three of the step's convolutions.
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
