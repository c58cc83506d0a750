#pragma once

#include <ATen/core/Tensor.h>

namespace pgcn {

/*
 * The energy nets' activation (ELU, alpha 1) and its backward for the Langevin
 * chains, written out for the CPU. LibTorch 1.13's own ELU kernels run at
 * about 1 ns an element on bfloat16 (each vector operation converts to fp32
 * and back) and were 45 % of a bf16 chain's step at 250 px, as much as the
 * convolutions. With AVX-512 these loops convert once, compute an expm1
 * accurate to fp32 (a degree-7 polynomial after range reduction) and round
 * back to bfloat16 to nearest even. Anything else (a GPU tensor, another type,
 * strides that differ, a CPU without AVX-512) goes to LibTorch's kernels.
 */

/** ELU(x): x above 0, exp(x) - 1 at or below. */
at::Tensor eluForward(const at::Tensor &x);

/**
 * The gradient through an ELU given its output y: `grad` where y > 0,
 * grad * (y + 1) elsewhere (LibTorch's elu_backward with is_result).
 */
at::Tensor eluBackwardFromResult(const at::Tensor &grad, const at::Tensor &y);

/** Whether eluForward / eluBackwardFromResult run their own loops for tensors of this type on this CPU. */
bool fastEluFor(at::ScalarType type);

} // namespace pgcn
