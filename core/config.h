#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pgcn {

/**
 * Every knob of the method, with the reference (paper) values as defaults.
 * Presets adjust a copy; the command line and the studio set fields one by
 * one. Stored inside model files as text (toText / fromText).
 */
struct TrainConfig
{
    // Pyramid (algorithm.md §1)
    int maxSize = 250;          ///< longer side of the finest scale
    int minSize = 25;           ///< shorter side of the coarsest scale
    int numScales = 8;

    // Energy nets (§2)
    double initStd = 0.005;
    int pad = 5;
    int wideThreshold = 64;     ///< scales whose longer side is >= this use the wide channel table
    std::vector<int> narrowChannels{64, 32, 32, 32, 1};
    std::vector<int> wideChannels{128, 64, 64, 64, 1};

    // Langevin (§3)
    double stepSize = 0.01;
    int stepsCoarsest = 60;
    int stepsPerScale = 30;
    int recoverySteps = 30;
    double noiseStart = 0.01;
    int noiseDecayIters = 1000;

    // Training (§4)
    int iterations = 4000;      ///< per scale
    int coarseIterations = 0;   ///< at the coarsest scale, which sets the layout and is cheap (0 = iterations)
    double lrStart = 4e-4;
    double lrEnd = 5e-5;
    double coarseLr = 0;        ///< initial lr at the coarsest scale (its decay keeps end/start); 0 = lrStart
    int lrDecayIters = 3200;
    double beta1 = 0.5;
    double beta2 = 0.999;
    double recoveryWeight = 0.1;
    /**
     * After every training step the last layer's weights (the plain convolution after the four
     * spectrally normalised ones) are scaled down to this Frobenius norm where they exceed it;
     * 0: unbounded, as in the paper. With the other layers normalised, this norm alone sets how
     * steep and curved the energy can get, and so how far one Langevin step moves a pixel.
     * Unbounded it grows all along a scale's training, and past about 2.2 (step 0.01) the
     * coarsest scale of SIGD16 2 ran off (the recovery drift); held at 2 it trained to its end,
     * its samples' patch-SWD 77.3 against 104.8. Off in every preset: it does not reach the
     * drifts that come at lower norms, and it is measured on part of SIGD16 only (README).
     */
    double lastLayerNormMax = 0;
    /**
     * Each Langevin step's drift (stepSize/2 times the energy's gradient) is clipped to this
     * much per value, in training's chains and in sampling's alike; 0: not clipped, as in the
     * paper. The coarsest scale's long training makes the energy steeper until steps
     * overshoot: the chains land where the net scores lowest, the net learns to score those
     * lower still, and the recovery drifts (the drift guard then keeps an earlier net).
     * SIGD16 11's drift came at a last-layer norm of 1.7 and came as well with that norm held
     * there (lastLayerNormMax); clipped at 0.1 its coarsest scale trained all its iterations
     * and the samples' patch-SWD fell from 70.9 to 61.6; clipped at 0.05 it trained them too,
     * with worse layouts (92.4). Off in every preset: at 0.1 over five images (SIGD16 11, 2,
     * 13, 4, the colosseum) a wash, better on two and worse on three (README).
     */
    double langevinMoveMax = 0;
    double recoveryDownscale = 0.75;
    double failureMse = 2.0;
    /**
     * The whole-image check at the end of a finer scale: its chain (the sampler's,
     * noise 0) run on kImageCheckSamples fresh coarser samples, enlarged, must not raise
     * their mean patch-SWD against the scale's real image by more than this factor
     * (0: no check), or the scale is trained again like a diverging one.
     * A scale whose training oscillates all the way can end calm, so the checks on
     * its last iterations pass it, and its chain then makes the samples worse: the
     * `balanced` model of SIGD16 3 (green and magenta blobs) raised it x1.105 at 48x36
     * and x1.32 at its finest scale. Measured with `patchgencn-bench score --per-scale`
     * (8 samples): the 96 finer scales of quick's sixteen SIGD16 models lower it
     * (x0.875 at most), balanced's sound models x1.013 at worst. Scales whose shorter
     * side is under kImageCheckMinSide are not judged (too few patches at the coarser
     * Laplacian levels for the measure to mean much).
     */
    double imageCheckLimit = 1.05;
    /**
     * The sampling-precision check, at the scales the whole-image check judges where the
     * training's chains are fp32 and sampling (precision Auto on a CPU that computes bfloat16
     * natively) would run them in bf16: the check's samples drawn again as the sampler draws
     * them, with bf16 chains through this scale. Where they end at more than this factor
     * times the whole-image check's patch-SWD, the coarser scales sample in fp32
     * (fp32SamplingScales), and this one too unless its own bf16 chain from the check's
     * fp32 starts stays within the factor; 0: no such check. The `balanced` model of SIGD16 7 sampled in
     * bf16 drew stripes in the lawn at its finest scale: patch-SWD 139.1 against 84.8
     * sampled in fp32 (16 samples, fine band 267.4 against 99.3); the balanced models of
     * SIGD16 5, 11 and 13 and quick's of 2 and 4 within 1 % either way.
     */
    double bf16SamplingLimit = 1.1;
    /** Scales whose chains sample in fp32 under the precision Auto (set by the check above). */
    std::vector<int> fp32SamplingScales;
    bool fp32SamplingAt(int scale) const;

    // Schedule (our additions; 0 = the reference behaviour)
    int batchSize = 1;          ///< synthesis chains per iteration
    int coarseBatch = 0;        ///< synthesis chains per iteration at the coarsest scale (0 = batchSize)
    int recoveryBatch = 1;      ///< recovery windows per iteration when training on windows
    int windowIterations = 0;   ///< iterations at the scales trained on windows (0 = iterations)
    int windowBatch = 0;        ///< synthesis windows per iteration there (0 = batchSize)
    double windowLr = 0;        ///< initial lr there (its decay keeps end/start); 0 = lrStart
    int bankSize = 0;           ///< coarse samples drawn once per scale (0 = re-run coarser chains every iteration)
    int bankRefresh = 0;        ///< redraw the bank every N iterations (0 = never)
    int cropSize = 0;           ///< train on random padded windows of this size at scales larger than it (0 = whole image)
    bool warmStart = false;     ///< initialise a scale's net from the previous one when widths match
    /**
     * With the precision Auto, on a CPU that computes bfloat16 natively, the scales above
     * the coarsest train with bf16 Langevin chains (runtime.h, Precision::Bf16); the
     * coarsest scale, and every scale elsewhere, in fp32. quick's CPU preset.
     */
    bool bf16FineChains = false;
    /**
     * With bf16FineChains in force, the scales above the coarsest also compute their
     * training step (the net's forward and backward over the real, synthesis and recovery
     * images) in bf16, the parameters and Adam staying fp32. quick's CPU preset.
     */
    bool bf16FineTraining = false;
    /**
     * Under the same conditions as bf16FineChains (precision Auto, a CPU that computes
     * bfloat16 natively), the coarsest scale's training chains in bf16 too; its training
     * step stays fp32. quick's preset on such a CPU, where the coarsest scale then takes
     * twice the iterations in about the time fp32 took for half of them.
     */
    bool bf16CoarseChains = false;
    /** Per-scale multiplier of stepSize (empty or shorter = 1): set when a diverging scale was retried with a smaller step. */
    std::vector<double> stepFactors;

    std::uint64_t seed = 0;
    std::string presetName = "paper";

    /** A diverging scale is trained again this often, each time with half the learning rate and Langevin step. */
    static constexpr int kDivergenceRetries = 2;
    /**
     * A scale has collapsed when this share of its synthesis values, more than the
     * real image has, sit at the clamp bounds over its last iterations. Measured at
     * 128 px: a collapsed colosseum model (saturated stripes) 0.95; healthy quick
     * models 0.011-0.014; the real image 0.001. The recovery-MSE signal alone missed it.
     */
    static constexpr double kSaturationLimit = 0.3;
    /** |x| at or above this counts as at the bound of [-1, 1]. */
    static constexpr double kSaturatedAbove = 0.99;
    /**
     * A scale has failed when its recovery chain ends this many times farther (MSE) from
     * the real image than its start, the blurred or upsampled copy, and above
     * kRecoveryWorseFloor. Measured on the 250-px colosseum: a coarsest scale trained
     * with two chains collapsed at recovery MSE 0.33 (its samples patch-SWD 622 against
     * about 110), far under the paper's limit of 2.
     */
    static constexpr double kRecoveryWorseFactor = 4.0;
    static constexpr double kRecoveryWorseFloor = 0.1;
    /** See imageCheckLimit. */
    static constexpr int kImageCheckSamples = 8;
    static constexpr int kImageCheckMinSide = 32;

    /** Channel widths for a scale whose longer side is `longSide`. */
    const std::vector<int> &channelsFor(int longSide) const;
    /** Receptive field of that scale's net (3x3 valid convolutions). */
    int receptiveField(int longSide) const { return 2 * int(channelsFor(longSide).size()) + 1; }
    /** Pixels of one training window with its context ring at a width x height scale (see WindowBatch). */
    double windowPixels(int width, int height) const;
    /** Whether a width x height scale trains on windows: only where a window with its ring costs at most half the padded image. */
    bool windowedAt(int width, int height) const;
    /** Langevin steps of the synthesis chain at scale s. */
    int stepsAt(int scale) const { return scale == 0 ? stepsCoarsest : stepsPerScale; }
    /** Langevin step size at scale s (stepSize times the scale's factor). */
    double stepSizeAt(int scale) const;
    /** Learning rate at iteration `it` of a scale (polynomial decay, power 1). */
    double learningRate(int it) const;
    /** Langevin noise during training at iteration `it` (linear decay to 0). */
    double trainingNoise(int it) const;
    /*
     * A scale's own schedule. Three kinds of scale can differ: the coarsest (coarse*
     * fields), those trained on windows (`windowed`, decided by the trainer from the
     * scale's size and cropSize; window* fields) and the rest (whole images). The
     * coarsest scale's fields win when it is also windowed.
     */
    /** Synthesis chains per iteration at scale s. */
    int batchAt(int scale, bool windowed) const;
    /** Iterations at scale s. */
    int iterationsAt(int scale, bool windowed) const;
    /** learningRate / trainingNoise with the schedule stretched to scale s's iterations (and its own initial lr). */
    double learningRateAt(int scale, bool windowed, int it) const;
    double trainingNoiseAt(int scale, bool windowed, int it) const;
    /** Scale the iteration-based schedule (lr and noise decay) to a new iteration count. */
    void setIterations(int iters);
    /**
     * Langevin steps per scale (synthesis and recovery) = `steps`; the coarsest
     * scale keeps the configuration's ratio to them (paper 60/30: twice as many,
     * quick and balanced 40/12), so the preset's own count changes nothing.
     */
    void setLangevinSteps(int steps);

    /** Throws InvalidArgument naming the first bad field. */
    void validate() const;

    std::string toText() const;
    static TrainConfig fromText(const std::string &text); // throws FileFormatError

    /**
     * "paper", "balanced" or "quick"; throws InvalidArgument otherwise. `forGpu`: the
     * preset as trained on a GPU, where quick and balanced train every scale on the
     * whole image (cropSize 0) instead of on windows, which are the CPU's economy.
     */
    static TrainConfig preset(const std::string &name, bool forGpu = false);
    static std::vector<std::string> presetNames();
};

/**
 * The start scale that editing and injection (`harmonize` false) or harmonization
 * (true) propose for a model whose scales have these shorter sides, coarsest first:
 * the first scale at least kEditStartSide (kHarmonizeStartSide) pixels on its shorter
 * side, so a task starts at the same resolution whatever the pyramid's coarsest size
 * and ratio; a model with no such scale (a small image) starts at its second (third)
 * scale, or its finest.
 */
int defaultStartScale(const std::vector<int> &shorterSides, bool harmonize);
constexpr int kEditStartSide = 34;
constexpr int kHarmonizeStartSide = 52;

} // namespace pgcn
