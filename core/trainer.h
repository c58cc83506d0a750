#pragma once

#include "config.h"

#include <ATen/ATen.h>

#include <atomic>
#include <functional>
#include <string>

namespace pgcn {

class PyramidModel;

/** One report from the training loop. Tensors are set only on snapshot iterations. */
struct TrainProgress
{
    int scale = 0;
    int numScales = 0;
    int iteration = 0;          ///< 1-based within the scale
    int iterations = 0;         ///< per scale
    double energyReal = 0;      ///< mean f(obs)
    double energySyn = 0;       ///< mean f(syn)
    double energyRec = 0;       ///< mean f(rec)
    double loss = 0;
    double recoveryMse = 0;     ///< per pixel, in [-1,1] units
    double learningRate = 0;
    double noise = 0;
    double elapsedSeconds = 0;  ///< since train() started
    double etaSeconds = 0;      ///< estimate for the rest of the run; -1 at the first report (not known yet)
    bool recoveryFailing = false; ///< recovery MSE above config.failureMse
    double saturation = 0;      ///< share of the synthesis values at the clamp bounds (see TrainConfig::kSaturationLimit)
    int attempt = 0;            ///< 0 first try; n = n-th retry of the scale after divergence (lr and step halved each time)
    at::Tensor synthesis;       ///< [1,3,h,w] on CPU, snapshot iterations only
    at::Tensor recovery;        ///< [1,3,h,w] on CPU, snapshot iterations only
};

struct TrainCallbacks
{
    /** Every iteration (cheap scalars); snapshots every `snapshotEvery` iterations and at a scale's end. */
    std::function<void(const TrainProgress &)> progress;
    /** After a scale's net is added to the model (e.g. to autosave). */
    std::function<void(int scale, const PyramidModel &)> scaleFinished;
    /** A scale diverged (non-finite energy; at its end, recovery MSE above config.failureMse, a
     *  synthesis collapsed onto the clamp bounds, or its chain raised the samples' patch-SWD:
     *  TrainConfig::imageCheckLimit) and starts again. */
    std::function<void(int scale, int attempt, const std::string &why)> retrying;
    /** A scale's recovery drifted in its last iterations; its net was put back to `iteration`'s
     *  checkpoint (see DriftGuard) and the scale is kept. */
    std::function<void(int scale, int iteration, const std::string &why)> rolledBack;
    /** Every attempt at a scale failed, and at least one only the whole-image check
     *  (TrainConfig::imageCheckLimit): the attempt (0-based) whose chain raised the samples'
     *  patch-SWD least is kept and the training goes on. */
    std::function<void(int scale, int attempt, const std::string &why)> keptBest;
    /** An attempt at a scale was judged by the whole-image check: the coarser samples' mean
     *  patch-SWD against the scale's real image before and after the scale's chain. */
    std::function<void(int scale, int attempt, double swdStart, double swdEnd)> imageChecked;
    /**
     * The sampling-precision check (TrainConfig::bf16SamplingLimit) at a judged scale: the
     * check's samples' mean patch-SWD at the scale's end drawn in fp32 (the whole-image
     * check's) and with bf16 chains, and the scales that then sample in fp32: 0 to
     * `fp32Through` (-1: none; the scale itself or only the coarser ones).
     */
    std::function<void(int scale, int attempt, double fp32End, double bf16End, int fp32Through)> samplingChecked;
    int snapshotEvery = 50;
};

/**
 * Coarse-to-fine training (algorithm.md §4) of the untrained scales of a
 * model, on the model's device. Resumes where the model stops (trained
 * scales are kept frozen). A scale that diverges is retried up to twice,
 * each time with half the learning rate and half the Langevin step (the
 * step is kept in the model's config for sampling). Throws Cancelled or,
 * after the retries, TrainingDiverged (unless an attempt failed only the
 * whole-image check: then the best such attempt is kept, see keptBest);
 * the model keeps finished scales.
 */
void train(PyramidModel &model, const TrainCallbacks &callbacks = {},
           const std::atomic<bool> *cancel = nullptr);

} // namespace pgcn
