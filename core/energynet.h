#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <vector>

namespace pgcn {

/**
 * The energy function of one scale (algorithm.md §2): five 3x3 valid
 * convolutions, ELU after the first four, spectral normalisation with a
 * persistent power-iteration vector on the first four. Input is a padded
 * image [B,3,H,W]; output is the energy map [B,1,H-10,W-10], one value per
 * 11x11 patch, higher = more likely.
 *
 * For sampling, `frozenWeights()` gives the normalised weights as plain
 * tensors and `energyMap()` evaluates the net with them: no spectral-norm
 * update, no parameter gradients, one normalisation per chain not per step.
 */
class EnergyNetImpl : public torch::nn::Module
{
public:
    EnergyNetImpl(std::vector<int> channels, double initStd, int inChannels = 3);

    /**
     * Energy map; in training mode each call advances the power iteration once. Computed
     * in the compute type (setComputeType): fp32, or bfloat16 convolutions and ELUs on
     * weights cast from the fp32 parameters (their gradients come back fp32); the map is fp32.
     */
    at::Tensor forward(const at::Tensor &x);
    /** The arithmetic of forward(): at::kFloat (the default) or at::kBFloat16. */
    void setComputeType(at::ScalarType type) { m_compute = type; }
    at::ScalarType computeType() const { return m_compute; }

    /** Weights and biases interleaved (w0, b0, w1, b1, ...), normalised with the current u, detached,
     *  in the chains' type (runtime.h, chainType). */
    std::vector<at::Tensor> frozenWeights();
    /** The same in `type` (at::kFloat or at::kBFloat16). */
    std::vector<at::Tensor> frozenWeights(at::ScalarType type);

    /**
     * Evaluate the energy map with weights from frozenWeights(). `inputs`, when
     * given, receives each convolution's input (x in the weights' type, then the
     * ELU outputs): what a backward pass needs (energyGradient).
     */
    static at::Tensor energyMap(const at::Tensor &x, const std::vector<at::Tensor> &frozen,
                                std::vector<at::Tensor> *inputs = nullptr);

    /** Re-draws weights N(0, initStd), zero biases, random u: `normal` returns N(0,1) tensors. */
    void initialise(const std::function<at::Tensor(at::IntArrayRef)> &normal, double initStd);
    /** Copies parameters and buffers from a net of the same widths. */
    void copyFrom(EnergyNetImpl &other);

    const std::vector<int> &channels() const { return m_channels; }
    int layers() const { return int(m_channels.size()); }
    static constexpr int kNormalisedLayers = 4;

    /** The spectral norm estimate sigma of layer i with the current u (no update). */
    at::Tensor sigma(int layer);
    at::Tensor rawWeight(int layer) const { return m_w[layer]; }

private:
    at::Tensor normalisedWeight(int layer, bool update);

    std::vector<int> m_channels;
    std::vector<at::Tensor> m_w;
    std::vector<at::Tensor> m_b;
    std::vector<at::Tensor> m_u;
    at::ScalarType m_compute = at::kFloat;
};
TORCH_MODULE(EnergyNet);

} // namespace pgcn
