#pragma once

#include "langevin.h"

#include <ATen/core/Tensor.h>

#include <vector>

namespace pgcn {

/*
 * The CPU chains' energy gradient through oneDNN directly (builds where the
 * system's oneDNN, the one Debian's LibTorch links, has its headers:
 * PATCHGENCN_DNNL). The same arithmetic as energyGradient (the convolutions
 * LibTorch itself hands to oneDNN, channels-last) with less around it: the
 * primitives are made once per shape and thread, the weights reordered once
 * per chain, each ELU fused into its convolution, and the last layer's part
 * of the gradient (the map's weight back through a linear layer) computed
 * once per chain instead of every step. At the small scales a step was
 * mostly LibTorch's per-call work (dispatch, oneDNN descriptors), about
 * 20 us for each of ~25 calls; see README, How it works.
 */

/** True when this build has the direct path and it is switched on (PATCHGENCN_NO_DIRECT_CHAINS=1 switches it off). */
bool directChains();
/** Switches the direct path on or off for the whole process (tests, benchmarks). No effect where it is not built. */
void setDirectChains(bool on);

/**
 * The energy gradient of `frozen` (weights, biases: fp32 or bf16, 2-D kernels,
 * stride 1, no padding) for chains of `xPadded`'s shape on the CPU, prepared
 * for many steps: the returned function computes energyGradient(frozen, x,
 * mapWeight) for any x of that shape (fp32 in, fp32 out). Empty when the
 * direct path is off or does not apply (another device, type or layout):
 * the caller then uses energyGradient. The function keeps its own buffers;
 * each call returns a new tensor.
 */
GradientFn directEnergyGradient(const std::vector<at::Tensor> &frozen, const at::Tensor &xPadded,
                                const at::Tensor &mapWeight = {});

} // namespace pgcn
