#pragma once

#include <cstdint>

namespace pgcn {

/*
 * 3x3 convolutions by Winograd's minimal filtering F(4x4, 3x3), written out for
 * CPUs with AVX2 and FMA, for the chains' inner layers (directchain.cpp). Each
 * 4x4 block of outputs takes 36 multiplications per input and output channel
 * instead of 144: the input's 6x6 tiles and the weights are transformed so that
 * the convolution becomes 36 small matrix products (tiles x in -> tiles x out),
 * whose results are transformed back. On a CPU without AVX-512 oneDNN computes
 * fp32 convolutions directly (jit:avx2), at about two thirds of the cores' peak
 * already: fewer multiplications are the way to a faster chain there. fp32,
 * within a few 1e-6 (relative) of the direct convolution.
 */

/** Whether this CPU runs the kernels (AVX2 and FMA, an x86-64 build). */
bool winogradSupported();
/**
 * Whether the chains use them: by default where the CPU runs them and has no AVX-512 (whose
 * oneDNN convolutions were not measured against them); PATCHGENCN_WINOGRAD=0 or 1 decides instead.
 */
bool winogradAvailable();
/** Turns the kernels on or off for the whole process (tests, benchmarks); no effect where they are not available. */
void setWinograd(bool on);
/** Whether a 3x3 layer of these channel counts runs through the kernels here (both multiples of 8). */
bool winogradFits(std::int64_t inChannels, std::int64_t outChannels);

/** Floats of the transformed weights of a layer with these channel counts. */
std::int64_t winogradWeightFloats(std::int64_t inChannels, std::int64_t outChannels);

/**
 * The transformed weights of a 3x3 layer w (`outChannels` x `inChannels` x 3 x 3,
 * contiguous, fp32) into `u` (winogradWeightFloats floats). `backwardData`: those
 * of its gradient with respect to its input, a convolution with the kernel rotated
 * by 180 degrees from `outChannels` to `inChannels` channels, to be run with pad 2.
 */
void winogradWeights(const float *w, std::int64_t outChannels, std::int64_t inChannels, bool backwardData, float *u);

/**
 * y = conv3x3(x zero-padded by `pad` on every side, u) + bias, then ELU if `elu`.
 * x: n x h x w x inChannels (NHWC, dense), y: n x (h + 2 pad - 2) x (w + 2 pad - 2) x
 * outChannels (NHWC, dense). `u` from winogradWeights (with the channels of this
 * convolution); `bias` may be null. `eluResult`, when given, has x's shape and
 * holds an ELU's output: x is then read as the gradient through that ELU
 * (x where eluResult > 0, x (eluResult + 1) elsewhere), the chain's backward step.
 * Runs on LibTorch's threads; the result does not depend on their number.
 */
void winogradConv3x3(const float *x, const float *eluResult, std::int64_t n, std::int64_t h, std::int64_t w,
                     std::int64_t inChannels, std::int64_t pad, const float *u, const float *bias,
                     std::int64_t outChannels, bool elu, float *y);

/**
 * The gradient of sum(grad * conv3x3(x)) (valid, no padding) with respect to the weights, by the same
 * transforms: dw (outChannels x inChannels x 3 x 3, dense) = sum over the 4x4 output blocks of
 * G^T [(A grad A^T) (B^T x B)] G, 36 products per block and channel pair instead of 144. x: n x h x w x
 * inChannels (NHWC, dense), grad: n x (h - 2) x (w - 2) x outChannels (NHWC, dense); `eluResult`, when
 * given, has grad's shape and holds an ELU's output: grad is then read through that ELU, as in
 * winogradConv3x3. Runs on LibTorch's threads; the result does not depend on their number.
 */
void winogradWeightGradient(const float *x, const float *grad, const float *eluResult, std::int64_t n, std::int64_t h,
                            std::int64_t w, std::int64_t inChannels, std::int64_t outChannels, float *dw);

} // namespace pgcn
